"""An exclusive lock on a lock file, between processes and between threads.

On POSIX it is flock(2) on the lock file: the lock filelock's UnixFileLock takes, so
either can hold it against the other. It is taken here without filelock because
importing filelock 4 costs ~11 ms of every cold CLI write before Python 3.15 (its
lazy imports need PEP 810): 8% of a cold `roletray assume`. The kernel drops the
lock when its holder exits, however it exits, so a lock file left behind is never
stale and never needs removing. Elsewhere (Windows) filelock takes it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

POLL_FIRST, POLL_MAX = 0.001, 0.05  # seconds between tries: soon at first, then 20 a second


class LockTimeout(Exception):
    """Another holder kept the lock past the timeout."""


class Held:
    """A lock taken; released on leaving ``with`` (or by release())."""

    def __init__(self, release: Callable[[], None]) -> None:
        self._release: Callable[[], None] | None = release

    def release(self) -> None:
        if self._release is not None:
            release, self._release = self._release, None
            release()

    def __enter__(self) -> Held:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def acquire(path: Path, timeout: float) -> Held:
    """The lock on ``path`` (created 0600), waiting at most ``timeout`` s (0: one try)."""
    if fcntl is None:
        return _with_filelock(path, timeout)
    # O_NOFOLLOW: a symlink planted at the lock's path is refused, not followed.
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    descriptor = os.open(path, flags, 0o600)
    try:
        _flock(descriptor, time.monotonic() + timeout)
    except BaseException:
        os.close(descriptor)
        raise
    return Held(lambda: _unlock(descriptor))


def _flock(descriptor: int, deadline: float) -> None:
    pause = POLL_FIRST
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LockTimeout from None
            time.sleep(min(pause, left))
            pause = min(pause * 2, POLL_MAX)


def _unlock(descriptor: int) -> None:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _with_filelock(path: Path, timeout: float) -> Held:
    from filelock import FileLock, Timeout

    lock = FileLock(path, timeout=timeout, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        raise LockTimeout from None
    return Held(lock.release)
