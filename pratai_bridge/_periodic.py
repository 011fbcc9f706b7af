"""A thread that does one thing every so often, until stopped."""

import threading
from collections.abc import Callable

__all__ = ['Periodic']


class Periodic:
    """Calls ``work`` every ``interval()`` seconds on a daemon thread
    named ``name``, from :meth:`start` to :meth:`stop`.

    ``interval`` is read again before each wait, so a mutable option
    applies to the next one. ``work`` must handle its own errors (log them
    and decide): one that escapes ends the thread.
    """

    def __init__(self, name: str, interval: Callable[[], float],
                 work: Callable[[], None]) -> None:
        self._name = name
        self._interval = interval
        self._work = work
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Raises RuntimeError when already started."""
        if self._thread is not None:
            raise RuntimeError(f'{self._name} is already started')
        self._thread = threading.Thread(target=self._loop, name=self._name,
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop; waits for a ``work`` call in progress."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        while not self._stopping.wait(self._interval()):
            self._work()
