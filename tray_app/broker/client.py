"""The CLI's side: ask the running tray, or learn that none runs (then work alone)."""

from __future__ import annotations

import json
import os
import socket
from typing import Any

from tray_app.broker import (
    MAX_LINE,
    BrokerError,
    OtherFiles,
    available,
    check_private,
    socket_path,
)
from tray_app.broker.peer import peer_uid

CONNECT_TIMEOUT = 2.0
# An assume may wait for the user at the tray's MFA dialog; status answers at once.
ANSWER_TIMEOUT = {"status": 10.0, "assume": 600.0, "credentials": 600.0}


def ask(op: str, **fields: Any) -> Any | None:
    """The tray's answer to one request; None when no tray is running."""
    if not available():
        return None
    path = socket_path()
    try:
        if not path.exists():
            return None
    except OSError:  # a runtime dir we may not enter holds no tray of ours
        return None
    check_private(path.parent)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with sock:
        sock.settimeout(CONNECT_TIMEOUT)
        try:
            sock.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError):  # a tray that has quit
            return None
        if peer_uid(sock) != os.getuid():
            raise BrokerError(f"{path} is served by another user; roletray did not use it.")
        sock.settimeout(ANSWER_TIMEOUT[op])
        sock.sendall(json.dumps({"op": op, **fields}).encode() + b"\n")
        answer = _answer(sock)
    if answer.get("kind") == OtherFiles.__name__:
        return None
    if not answer.get("ok"):
        raise BrokerError(str(answer.get("error") or "The tray refused the request."))
    return answer.get("result")


def _answer(sock: socket.socket) -> dict[str, Any]:
    data = b""
    try:
        while not data.endswith(b"\n") and len(data) <= MAX_LINE * 16:
            chunk = sock.recv(65536)
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
