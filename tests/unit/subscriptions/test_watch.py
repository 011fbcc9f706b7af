"""The directory watcher: one callback per burst of relevant changes."""

import os
import threading
import time

import pytest

from pratai_bridge.subscriptions import watch


class Calls:
    def __init__(self):
        self.times = []
        self.event = threading.Event()

    def __call__(self):
        self.times.append(time.monotonic())
        self.event.set()

    def wait(self, timeout=5.0):
        assert self.event.wait(timeout), 'no callback'
        self.event.clear()


@pytest.fixture
def watched(tmp_path):
    calls = Calls()
    watcher = watch.DirectoryWatcher(str(tmp_path), calls, debounce=0.2)
    assert watcher.start()
    yield tmp_path, calls
    watcher.stop()


@pytest.mark.parametrize('name, relevant', [
    ('a.yaml', True), ('b.yml', True), ('..data', True),
    ('.#a.yaml', False), ('.a.yaml.swp', False), ('a.yaml~', False),
    ('notes.txt', False),
])
def test_relevant(name, relevant):
    assert watch.relevant(f'/etc/x/{name}') is relevant


def test_a_burst_of_writes_is_one_callback_after_it_settles(watched):
    directory, calls = watched
    start = time.monotonic()
    for i in range(5):
        (directory / f'{i}.yaml').write_text('subscriptions: []\n')
        time.sleep(0.05)
    calls.wait()
    assert len(calls.times) == 1
    # Not before the last write had been quiet for the debounce time.
    assert calls.times[0] - start >= 0.2 + 4 * 0.05
    time.sleep(0.4)
    assert len(calls.times) == 1


def test_renames_and_deletions_count_other_files_do_not(watched):
    directory, calls = watched
    (directory / 'notes.txt').write_text('x')
    (directory / '.a.yaml.swp').write_text('x')
    time.sleep(0.5)
    assert calls.times == []
    (directory / 'tmp').write_text('subscriptions: []\n')
    os.rename(directory / 'tmp', directory / 'a.yaml')  # an atomic save
    calls.wait()
    (directory / 'a.yaml').unlink()
    calls.wait()
    assert len(calls.times) == 2


def test_a_missing_directory_is_not_watched(tmp_path, caplog):
    watcher = watch.DirectoryWatcher(str(tmp_path / 'nope'), Calls())
    assert not watcher.start()
    assert 'Not watching' in caplog.text
    watcher.stop()


def test_a_failing_callback_does_not_end_the_watching(tmp_path, caplog):
    calls = Calls()

    def flaky():
        calls()
        if len(calls.times) == 1:
            raise RuntimeError('boom')

    watcher = watch.DirectoryWatcher(str(tmp_path), flaky, debounce=0.1)
    watcher.start()
    try:
        (tmp_path / 'a.yaml').write_text('x')
        calls.wait()
        (tmp_path / 'b.yaml').write_text('x')
        calls.wait()
    finally:
        watcher.stop()
    assert 'Reload after a change' in caplog.text
