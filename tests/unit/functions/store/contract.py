"""Checks every Store must pass, shared by the local and Swift tests."""

import threading

from pratai_bridge.functions.model import Function
from pratai_bridge.functions.model import FunctionSpec
from pratai_bridge.functions.store.base import Store


def concurrent_puts(store: Store, spec: FunctionSpec,
                    count: int) -> list[Function]:
    """``count`` uploads of ``spec.name`` at once get versions 1..count,
    each keeping its own bytes."""
    results, errors = [], []
    barrier = threading.Barrier(count)

    def upload(number):
        try:
            barrier.wait()
            results.append(store.put(spec, b'zip %d' % number))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(n,))
               for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(f.version for f in results) == list(range(1, count + 1))
    contents = {store.fetch(store.get(spec.name, f.version)) for f in results}
    assert contents == {b'zip %d' % n for n in range(count)}
    return results
