"""The lock every roletray writer takes: exclusive between processes and threads, never
stale after a crash, the same lock filelock takes, and no symlink followed."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from filelock import FileLock, Timeout

from tray_app import file_lock
from tray_app.file_lock import LockTimeout

REPO = Path(__file__).resolve().parent.parent
HOLD = """
import sys
from pathlib import Path
from tray_app import file_lock
lock = file_lock.acquire(Path(sys.argv[1]), timeout=10)
print("held", flush=True)
sys.stdin.readline()  # until the test says so, or is killed
"""


def _holder(path: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_another_process_waits_then_times_out_and_a_killed_holder_leaves_no_stale_lock(
    tmp_path: Path,
) -> None:
    path = tmp_path / ".credentials.roletray-lock"
    holder = _holder(path)
    try:
        started = time.monotonic()
        with pytest.raises(LockTimeout):
            file_lock.acquire(path, timeout=0.3)
        assert 0.3 <= time.monotonic() - started < 5
    finally:
        holder.kill()  # SIGKILL: no cleanup of its own
        holder.wait(10)
    assert path.exists(), "the file stays; the lock went with the process"
    with file_lock.acquire(path, timeout=0):
        assert (path.stat().st_mode & 0o777) == 0o600


def test_a_waiter_gets_the_lock_as_soon_as_it_is_released(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    holder = _holder(path)
    got: list[float] = []

    def wait() -> None:
        with file_lock.acquire(path, timeout=10):
            got.append(time.monotonic())

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.3)  # let it back off to its longest pause: the worst case is measured
    assert not got
    assert holder.stdin is not None
    released = time.monotonic()
    holder.stdin.write("go\n")
    holder.stdin.close()
    holder.wait(10)
    waiter.join(10)
    assert got and got[0] - released < 1


def test_threads_of_one_process_exclude_each_other(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    with file_lock.acquire(path, timeout=0):
        failed: list[BaseException] = []

        def second() -> None:
            try:
                file_lock.acquire(path, timeout=0)
            except LockTimeout as exc:
                failed.append(exc)

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(10)
        assert len(failed) == 1
    file_lock.acquire(path, timeout=0).release()  # released on leaving `with`


@pytest.mark.parametrize("first", ["roletray", "filelock"])
def test_it_is_the_lock_filelock_takes(tmp_path: Path, first: str) -> None:
    """A roletray before this module (filelock) and this one never write at once."""
    path = tmp_path / "lock"
    if first == "filelock":
        with FileLock(path), pytest.raises(LockTimeout):
            file_lock.acquire(path, timeout=0.1)
    else:
        with file_lock.acquire(path, timeout=0), pytest.raises(Timeout):
            FileLock(path, timeout=0.1).acquire()


def test_the_filelock_branch_windows_takes_behaves_the_same(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    held = file_lock._with_filelock(path, timeout=0)
    with pytest.raises(LockTimeout):
        file_lock.acquire(path, timeout=0.1)
    held.release()
    held.release()  # twice is harmless
    with file_lock.acquire(path, timeout=0), pytest.raises(LockTimeout):
        file_lock._with_filelock(path, timeout=0.1)


def test_a_symlink_at_the_lock_path_is_refused_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("not ours")
    link = tmp_path / "lock"
    link.symlink_to(target)
    with pytest.raises(OSError):
        file_lock.acquire(link, timeout=0)
    assert target.read_text() == "not ours"
