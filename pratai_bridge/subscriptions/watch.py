"""Watch the subscription directory; call back once it has settled.

An editor saving a file, ``cp`` of a dozen files, a config-management run
or a Kubernetes ConfigMap update is a burst of filesystem events; the
callback (the bridge's reload) runs once per burst, when no relevant event
came for ``debounce`` seconds, in the watcher's own thread.

Relevant events are those on ``*.yaml`` / ``*.yml`` files that the loader
would read (not hidden: no editor lock or swap file), and on ``..data``,
the symlink a ConfigMap volume swaps to publish new files at once. Events
are found with watchdog (inotify on Linux), a well-kept library, rather
than by polling: a change is seen within milliseconds and an idle
directory costs nothing.

Build in ``__init__`` (nothing runs), :meth:`DirectoryWatcher.start`
starts the observer and the debounce thread, :meth:`DirectoryWatcher.stop`
stops them (a callback in progress is waited for).
"""

import logging
import os
import threading
import time
from collections.abc import Callable

from watchdog import events
from watchdog import observers
from watchdog.observers.api import BaseObserver

from pratai_bridge.subscriptions.loader import SUFFIXES

LOG = logging.getLogger(__name__)

#: The name a Kubernetes ConfigMap volume swaps to publish its files.
CONFIGMAP_LINK = '..data'


def relevant(path: str) -> bool:
    """Whether a change to ``path`` may change the loaded subscriptions."""
    name = os.path.basename(path)
    if name == CONFIGMAP_LINK:
        return True
    return name.endswith(SUFFIXES) and not name.startswith('.')


class _Handler(events.FileSystemEventHandler):
    def __init__(self, notify: Callable[[], None]) -> None:
        self._notify = notify

    def on_any_event(self, event: events.FileSystemEvent) -> None:
        if event.event_type in (events.EVENT_TYPE_OPENED,
                                events.EVENT_TYPE_CLOSED_NO_WRITE):
            return  # Reading a file changes nothing.
        paths = [event.src_path, getattr(event, 'dest_path', '')]
        if any(relevant(os.fsdecode(p)) for p in paths if p):
            self._notify()


class DirectoryWatcher:
    """Run ``on_change`` after changes to ``directory`` settle."""

    def __init__(self, directory: str, on_change: Callable[[], object],
                 debounce: float = 1.0) -> None:
        self._directory = directory
        self._on_change = on_change
        self._debounce = debounce
        # Guards the three fields below; the debounce thread waits on it.
        self._cond = threading.Condition()
        # A relevant event came and the callback has not run since.
        self._pending = False
        # When the last relevant event came (time.monotonic).
        self._last = 0.0
        self._stopping = False
        self._observer: BaseObserver | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Start watching; False (and a warning) if the directory is not
        there to watch (SIGHUP still reloads)."""
        observer = observers.Observer()
        try:
            observer.schedule(_Handler(self._changed), self._directory,
                              recursive=False)
            observer.start()
        except OSError as exc:
            LOG.warning('Not watching subscription directory %s (%s); '
                        'send SIGHUP to reload it', self._directory, exc)
            return False
        self._observer = observer
        self._thread = threading.Thread(
            target=self._run, name='subscription-watcher', daemon=True)
        self._thread.start()
        LOG.info('Watching %s for subscription changes', self._directory)
        return True

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join()
            self._observer = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _changed(self) -> None:
        with self._cond:
            self._pending = True
            self._last = time.monotonic()
            self._cond.notify_all()

    def _settled(self) -> bool:
        """Wait (holding the condition) for a quiet pending change; False
        when stopping."""
        while not self._pending and not self._stopping:
            self._cond.wait()
        while not self._stopping:
            quiet = self._last + self._debounce - time.monotonic()
            if quiet <= 0:
                self._pending = False
                return True
            self._cond.wait(quiet)
        return False

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._settled():
                    return
            try:
                self._on_change()
            except Exception:
                # The callback is the reload, which reports its own
                # problems; anything else must not end the watching.
                LOG.exception('Reload after a change in %s failed',
                              self._directory)
