"""The tray's side: a Unix socket that answers its own user, one request per connection."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tray_app.broker import MAX_LINE, OPERATIONS, BrokerError, check_private
from tray_app.broker.peer import peer_uid
from tray_app.errors import RoleTrayError

log = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any]], Any]
READ_TIMEOUT = 5.0  # a client has this long to send its request line
MAX_CLIENTS = 16  # answered at once (an MFA dialog may hold one for minutes)


class Broker:
    def __init__(self, path: Path, handle: Handler, uid: int | None = None) -> None:
        self.path = path
        self.handle = handle
        self.uid = os.getuid() if uid is None else uid  # whom it answers
        self._sock: socket.socket | None = None
        self._slots = threading.BoundedSemaphore(MAX_CLIENTS)

    def start(self) -> None:
        """Listen. The tray holds its instance lock, so a socket file left here is stale."""
        check_private(self.path.parent)
        self.path.unlink(missing_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)  # the socket is born 0600: no moment when others could connect
        try:
            sock.bind(str(self.path))
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        sock.listen(MAX_CLIENTS)
        self._sock = sock
        threading.Thread(target=self._accept, name="roletray-broker", daemon=True).start()
        log.info("broker listening on %s", self.path)

    def stop(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):  # wakes the accept() in our thread (Linux)
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
            self.path.unlink(missing_ok=True)

    def _accept(self) -> None:
        while self._sock is not None:
            try:
                conn, _ = self._sock.accept()
            except OSError:  # closed by stop()
                return
            if not self._slots.acquire(blocking=False):
                _reply(conn, {"ok": False, "error": "The tray is busy with other requests."})
                conn.close()
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn:
                uid = peer_uid(conn)
                if uid != self.uid:
                    log.warning("broker: refused a connection from uid %d", uid)
                    _reply(conn, {"ok": False, "error": "Refused: not the tray's user."})
                    return
                conn.settimeout(READ_TIMEOUT)
                _reply(conn, self._answer(conn))
        except OSError as exc:  # the client went away
            log.debug("broker: connection ended: %s", exc)
        finally:
            self._slots.release()

    def _answer(self, conn: socket.socket) -> dict[str, Any]:
        try:
            request = json.loads(_read_line(conn))
            if not isinstance(request, dict) or request.get("op") not in OPERATIONS:
                raise BrokerError(f"Unknown request; the broker answers {', '.join(OPERATIONS)}.")
            return {"ok": True, "result": self.handle(request)}
        except ValueError:
            return {"ok": False, "error": "The request was not one line of JSON."}
        except RoleTrayError as exc:
            return {"ok": False, "error": str(exc), "kind": type(exc).__name__}
        except Exception as exc:  # a bug: one line for the client, detail in our log
            log.exception("broker: unexpected failure")
            return {"ok": False, "error": f"Unexpected {type(exc).__name__} in the tray."}


def _read_line(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_LINE:
            raise BrokerError("The request is too long.")
    return data


def _reply(conn: socket.socket, answer: dict[str, Any]) -> None:
    conn.sendall(json.dumps(answer).encode() + b"\n")
