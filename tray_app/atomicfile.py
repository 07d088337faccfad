"""Replace a file atomically: a crash at any instant leaves the old or the new file.

The new content goes to a temp file in the same directory (same filesystem, so
``os.replace`` is a rename), is fsynced, renamed over the target, and the
directory is fsynced so the rename itself survives a power loss.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

TMP_SUFFIX = ".roletray-tmp"


class FileChanged(Exception):
    """The target changed after it was read; the caller should read it again."""


def stamp(path: Path) -> tuple[int, int, int] | None:
    """What identifies one version of a file: inode, size, mtime (None: no file)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def atomic_write(
    path: Path, data: bytes, mode: int = 0o600, unchanged: Callable[[], bool] | None = None
) -> None:
    """Write ``data`` to ``path`` atomically with permissions ``mode``.

    ``unchanged`` is asked just before the rename; False aborts with FileChanged
    (a writer that takes no lock, like `aws configure set`, wrote meanwhile).
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            # mkstemp already creates 0600; chmod covers a wider requested mode.
            os.chmod(tmp, mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if unchanged is not None and not unchanged():
            raise FileChanged(str(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def remove_stale_temps(path: Path) -> int:
    """Delete temp files a killed writer left beside ``path``; call under the lock."""
    removed = 0
    for stale in path.parent.glob(f".{path.name}.*{TMP_SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
            removed += 1
    return removed


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return  # Windows cannot open a directory; NTFS journals the rename.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
