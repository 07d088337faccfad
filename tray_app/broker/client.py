"""The CLI's side: ask the running tray, or learn that none runs (then work alone)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from typing import Any

from tray_app.broker import MAX_LINE, BrokerError, OtherFiles, check_private, socket_path

log = logging.getLogger(__name__)
CONNECT_TIMEOUT = 2.0
# An assume may wait for the user at the tray's MFA dialog; status answers at once.
ANSWER_TIMEOUT = {"status": 10.0, "assume": 600.0, "credentials": 600.0}
PLATFORM = sys.platform


def ask(op: str, **fields: Any) -> Any | None:
    """The tray's answer to one request; None when no tray is running."""
    conn = _connect(PLATFORM)
    if conn is None:
        return None
    try:
        conn.settimeout(ANSWER_TIMEOUT[op])
        # A refusal comes without the request being read: its answer is still there to read.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(json.dumps({"op": op, **fields}).encode() + b"\n")
        answer = _answer(conn)
    finally:
        conn.close()
    if answer.get("kind") == OtherFiles.__name__:
        return None
    if not answer.get("ok"):
        raise BrokerError(str(answer.get("error") or "The tray refused the request."))
    return answer.get("result")


def _connect(platform: str) -> Any | None:
    if platform == "win32":
        return _pipe()
    path = socket_path()
    try:
        if not path.exists():
            return None
    except OSError:  # a runtime dir we may not enter holds no tray of ours
        return None
    check_private(path.parent)
    import socket  # here: with no tray running, a command never needs it (~3 ms)

    from tray_app.broker.peer import peer_uid

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(CONNECT_TIMEOUT)
    try:
        sock.connect(str(path))
    except (ConnectionRefusedError, FileNotFoundError):  # a tray that has quit
        sock.close()
        return None
    if peer_uid(sock) != os.getuid():
        sock.close()
        raise BrokerError(f"{path} is served by another user; roletray did not use it.")
    return sock


def _pipe() -> Any | None:
    from tray_app.broker import windows_pipe

    try:
        return windows_pipe.connect()
    except BrokerError:
        raise
    except Exception as exc:  # the pipe cannot be used here: working alone still works
        log.debug("no broker pipe: %s", exc)
        return None


def _answer(conn: Any) -> dict[str, Any]:
    data = b""
    try:
        while not data.endswith(b"\n") and len(data) <= MAX_LINE * 16:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        raise BrokerError(
            "The tray did not answer in time — try again, or pass --no-tray."
        ) from None
    try:
        answer = json.loads(data)
    except ValueError:
        raise BrokerError("The tray ended the connection without an answer.") from None
    return answer if isinstance(answer, dict) else {}
