"""Who is at the other end of a Unix socket, from the kernel (one function per OS)."""

from __future__ import annotations

import socket
import struct
import sys

# <sys/ucred.h>: struct xucred { u_int cr_version; uid_t cr_uid; short cr_ngroups;
# gid_t cr_groups[16]; } — LOCAL_PEERCRED (1) at level SOL_LOCAL (0) on macOS and BSD.
SOL_LOCAL, LOCAL_PEERCRED, XUCRED = 0, 1, struct.Struct("=IIh2x16I")
UCRED = struct.Struct("=iII")  # <sys/socket.h>: struct ucred { pid_t pid; uid_t uid; gid_t gid; }


def peer_uid(sock: socket.socket, platform: str = sys.platform) -> int:
    """The uid of the process at the other end (Linux: SO_PEERCRED; macOS: LOCAL_PEERCRED)."""
    if platform.startswith("linux"):
        return linux_uid(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, UCRED.size))
    return xucred_uid(sock.getsockopt(SOL_LOCAL, LOCAL_PEERCRED, XUCRED.size))


def linux_uid(data: bytes) -> int:
    _pid, uid, _gid = UCRED.unpack(data[: UCRED.size])
    return int(uid)


def xucred_uid(data: bytes) -> int:
    _version, uid, *_rest = XUCRED.unpack(data[: XUCRED.size].ljust(XUCRED.size, b"\0"))
    return int(uid)
