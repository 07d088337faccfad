"""Replace a file atomically: a crash at any instant leaves the old or the new file.

The new content goes to a temp file in the same directory (same filesystem, so
``os.replace`` is a rename), is fsynced, renamed over the target, and the
directory is fsynced so the rename itself survives a power loss.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from tray_app.errors import RoleTrayError

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
) -> tuple[int, int, int]:
    """Write ``data`` to ``path`` atomically with permissions ``mode``.

    A file that exists keeps its owner and group (roletray run as root with a
    user's HOME must not hand the file to root) and a mode stricter than ``mode``.
    ``unchanged`` is asked just before the rename; False aborts with FileChanged
    (a writer that takes no lock, like `aws configure set`, wrote meanwhile).
    Returns the stamp of what was written, taken before the rename (which keeps
    inode, size and mtime): a stamp taken after it could already be someone else's.
    """
    try:
        old: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        old = None
    fd, tmp = _temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            # mkstemp already creates 0600; chmod covers a wider requested mode.
            os.chmod(tmp, kept_mode(old, mode))
            _keep_owner(tmp, old)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            info = os.fstat(handle.fileno())
        if unchanged is not None and not unchanged():
            raise FileChanged(str(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)
    return (info.st_ino, info.st_size, info.st_mtime_ns)


# A file of ours opened as tempfile.mkstemp opens one, on POSIX and on Windows: no link
# at its path followed, not inherited by child processes, bytes as they are.
OWN_FILE = (
    getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_NOINHERIT", 0)
)  # fmt: skip
_TEMP_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | OWN_FILE


def _temp_beside(path: Path) -> tuple[int, str]:
    """A new 0600 temp file in ``path``'s folder, named so remove_stale_temps finds it.

    What tempfile.mkstemp does (a random name, O_EXCL, no link followed), without its
    imports (shutil, bz2, lzma, random) in a cold write or its overhead in a click."""
    for _ in range(100):
        name = os.path.join(path.parent, f".{path.name}.{os.urandom(6).hex()}{TMP_SUFFIX}")
        try:
            return os.open(name, _TEMP_FLAGS, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path.parent))


def kept_mode(old: os.stat_result | None, mode: int) -> int:
    """``mode``, unless the file's own mode is stricter (a subset of it): then that one."""
    if old is None:
        return mode
    current = stat.S_IMODE(old.st_mode)
    return current if current & ~mode == 0 else mode


def _keep_owner(tmp: str, old: os.stat_result | None) -> None:
    if old is None or not hasattr(os, "chown"):
        return
    if (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
        # Root can give it back; anyone else cannot, and then owns the new file.
        with contextlib.suppress(PermissionError):
            os.chown(tmp, old.st_uid, old.st_gid)


# Linux inode flags (FS_IOC_GETFLAGS): no rename over, no write to, even for root.
_FS_IOC_GETFLAGS, _FS_IMMUTABLE_FL, _FS_APPEND_FL = 0x80086601, 0x10, 0x20


def is_immutable(path: Path) -> bool:
    """True for a file marked immutable or append-only (`chattr +i` / `+a`) on Linux."""
    if not sys.platform.startswith("linux"):
        return False
    import array
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        flags = array.array("i", [0])
        fcntl.ioctl(fd, _FS_IOC_GETFLAGS, flags, True)
        return bool(flags[0] & (_FS_IMMUTABLE_FL | _FS_APPEND_FL))
    except OSError:  # a file system without inode flags
        return False
    finally:
        os.close(fd)


def check_room(path: Path, size: int) -> None:
    """Fail now (OSError) if a file of ``size`` bytes cannot be made beside ``path``.

    Called before a network call whose result would be lost if the write failed:
    a full disk, a read-only file system or a folder we may not write to.
    """
    fd, tmp = _temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(b"\0" * size)
            handle.flush()
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


ROOM_SLACK = 1 << 20  # free space beyond a write that makes a trial write unnecessary


def has_room(folder: Path, size: int) -> bool:
    """True when the file system shows room to spare for ``size`` bytes and a new file,
    and takes writes. False when it cannot tell or it is tight: then try a real write
    (``check_room``), which also meets what statvfs does not show (quotas, permissions)."""
    if not hasattr(os, "statvfs"):  # Windows
        return False
    try:
        info = os.statvfs(folder)
    except OSError:
        return False
    if info.f_flag & os.ST_RDONLY or (info.f_files and not info.f_favail):
        return False
    return info.f_bavail * info.f_frsize >= size + ROOM_SLACK


Fingerprint = tuple[tuple[int, ...], tuple[int, ...]]


def fingerprint(path: Path) -> Fingerprint | None:
    """What a write to ``path`` depends on: the file's and its folder's identity, size,
    times, mode and owner. A content edit, chmod, chown or chattr of either changes it
    (ctime). None when there is no plain file there (missing, a link, unreadable)."""
    try:
        info = os.lstat(path)
        folder = os.stat(path.parent)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return _identity(info), _identity(folder)


def _identity(info: os.stat_result) -> tuple[int, ...]:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns,
            info.st_mode, info.st_uid, info.st_gid)  # fmt: skip


def remove_stale_temps(path: Path) -> int:
    """Delete temp files a killed writer left beside ``path``; call under the lock.

    A plain scan of names, not a glob: glob compiles a pattern each time (a tenth of a
    millisecond of every write) and would read a ``[`` in the file's name as a class."""
    prefix = f".{path.name}."
    shortest = len(prefix) + len(TMP_SUFFIX)
    removed = 0
    with os.scandir(path.parent) as entries:
        stale = [
            entry.path
            for entry in entries
            if entry.name.startswith(prefix)
            and entry.name.endswith(TMP_SUFFIX)
            and len(entry.name) > shortest
        ]
    for name in stale:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
            removed += 1
    return removed


# errno → (what happened, the fix); Windows' sharing violations come as winerror.
_CAUSES = {
    errno.ENOSPC: ("the disk is full", "free some space and try again"),
    errno.EDQUOT: ("your disk quota is used up", "free some space and try again"),
    errno.EROFS: ("the file system is read-only", "make it writable, or use a file elsewhere"),
    errno.EACCES: (
        "permission was denied",
        "check the owner and permissions of the file and its folder",
    ),
    errno.EPERM: (
        "the operation is not permitted",
        "check that the file is not immutable or locked",
    ),
}
_WINDOWS_SHARING = {32, 33}  # ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION


def describe_os_error(exc: OSError) -> tuple[str, str]:
    """One OSError as (cause, fix), in words a user acts on."""
    if getattr(exc, "winerror", None) in _WINDOWS_SHARING:
        return (
            "another program has it open",
            "close the program holding it (an editor, a backup or antivirus tool) and try again",
        )
    if exc.errno in _CAUSES:
        return _CAUSES[exc.errno]
    return (exc.strerror or type(exc).__name__, "check the file and its folder")


@contextlib.contextmanager
def os_errors_as(kind: type[RoleTrayError], path: Path) -> Iterator[None]:
    """Turn an OSError while writing ``path`` into one sentence of ``kind``."""
    try:
        yield
    except OSError as exc:
        cause, fix = describe_os_error(exc)
        raise kind(f"Cannot write {path}: {cause} — {fix}; the file was not changed.") from None


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return  # Windows cannot open a directory; NTFS journals the rename.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
