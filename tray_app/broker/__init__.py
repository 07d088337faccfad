"""The tray's per-user local broker: `credential-process`, `assume` and `status` ask the
running tray instead of doing the work themselves.

Requests are one JSON line, answered with one JSON line, then the connection
closes. Only three operations exist: ``status``, ``assume`` (ROLE) and
``credentials`` (ROLE). On Linux and macOS the broker is a Unix socket, mode
0600, in a 0700 directory of the user's runtime dir, and each side checks the
other's uid with the kernel (SO_PEERCRED / LOCAL_PEERCRED): another local user
is refused even if the permissions were loosened, and a client never talks to a
socket someone else put there. On Windows it is a named pipe only the user's SID
may open, each side checking the other's SID (``windows_pipe``). A browser page
can reach neither.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any

from tray_app.errors import RoleTrayError

OPERATIONS = ("status", "assume", "credentials")
MAX_LINE = 64 * 1024  # a request is a few hundred bytes; an answer a few KB per role


class BrokerError(RoleTrayError):
    """The tray's broker refused a request or cannot be trusted."""


class OtherFiles(BrokerError):
    """The running tray works on another config or credentials file: work alone."""


def files(config: Path, credentials: Path) -> dict[str, str]:
    """The files a request is about; the tray answers only when they are its own."""
    return {"config": str(config.absolute()), "credentials": str(credentials.absolute())}


def listen(platform: str = sys.platform) -> Any:
    """The tray's listener for this OS: a named pipe on Windows, else a Unix socket."""
    if platform == "win32":
        from tray_app.broker.windows_pipe import PipeListener

        return PipeListener()
    from tray_app.broker.server import UnixListener

    return UnixListener(socket_path())


def socket_path() -> Path:
    from tray_app.tray import runtime_path

    return runtime_path() / "broker.sock"


def check_private(folder: Path, uid: int | None = None) -> None:
    """The socket's folder is ours and closed to others, or we refuse to use it: in a
    shared /tmp another user could have made it first and put their socket there."""
    uid = os.getuid() if uid is None else uid
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid or info.st_mode & 0o077:
        raise BrokerError(
            f"{folder} is not a private folder of yours (owner uid {info.st_uid}, mode "
            f"{stat.S_IMODE(info.st_mode):04o}); roletray will not use its socket — remove the "
            "folder and start the tray again."
        )
