"""The tray's side: answer its own user, one request per connection.

The transport is a listener: ``UnixListener`` here (Linux, macOS), or
``windows_pipe.PipeListener``. Each gives connections with ``recv``/``sendall``
and says who is at the other end, as the kernel reports it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from tray_app.broker import MAX_LINE, OPERATIONS, BrokerError, check_private
from tray_app.broker.peer import peer_uid
from tray_app.errors import RoleTrayError

log = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any]], Any]
READ_TIMEOUT = 5.0  # a client has this long to send its request line
MAX_CLIENTS = 16  # answered at once (an MFA dialog may hold one for minutes)


class Connection(Protocol):
    def recv(self, size: int) -> bytes: ...
    def sendall(self, data: bytes) -> None: ...
    def close(self) -> None: ...


class Listener(Protocol):
    me: object  # who we are: a uid, or a Windows SID
    address: str  # where clients find it, for the log

    def accept(self) -> tuple[Connection, object]:
        """The next connection and who made it; OSError once closed."""
        ...

    def close(self) -> None: ...


class UnixListener:
    def __init__(self, path: Path) -> None:
        """Listen. The tray holds its instance lock, so a socket file left here is stale."""
        check_private(path.parent)
        path.unlink(missing_ok=True)
        self.path = path
        self.address = str(path)
        self.me: object = os.getuid()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)  # born 0600: no moment when others could connect
        try:
            self._sock.bind(str(path))
        finally:
            os.umask(old)
        os.chmod(path, 0o600)
        self._sock.listen(MAX_CLIENTS)

    def accept(self) -> tuple[Connection, object]:
        conn, _ = self._sock.accept()
        conn.settimeout(READ_TIMEOUT)
        return conn, peer_uid(conn)

    def close(self) -> None:
        with contextlib.suppress(OSError):  # wakes the accept() in the broker's thread (Linux)
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        self.path.unlink(missing_ok=True)


class Broker:
    def __init__(self, listener: Listener, handle: Handler, me: object = None) -> None:
        self.listener = listener
        self.handle = handle
        self.me = listener.me if me is None else me  # whom it answers
        self._slots = threading.BoundedSemaphore(MAX_CLIENTS)
        self._stopped = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._accept, name="roletray-broker", daemon=True).start()
        log.info("broker listening on %s", self.listener.address)

    def stop(self) -> None:
        if not self._stopped.is_set():
            self._stopped.set()
            self.listener.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, who = self.listener.accept()
            except OSError:  # closed by stop()
                return
            if not self._slots.acquire(blocking=False):
                _reply(conn, {"ok": False, "error": "The tray is busy with other requests."})
                conn.close()
                continue
            threading.Thread(target=self._serve, args=(conn, who), daemon=True).start()

    def _serve(self, conn: Connection, who: object) -> None:
        try:
            if who != self.me:
                log.warning("broker: refused a connection from %s", _who(who))
                _reply(conn, {"ok": False, "error": "Refused: not the tray's user."})
            else:
                _reply(conn, self._answer(conn))
        except OSError as exc:  # the client went away
            log.debug("broker: connection ended: %s", exc)
        finally:
            conn.close()
            self._slots.release()

    def _answer(self, conn: Connection) -> dict[str, Any]:
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


def _who(who: object) -> str:
    return f"uid {who}" if isinstance(who, int) else f"SID {who}"


def _read_line(conn: Connection) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_LINE:
            raise BrokerError("The request is too long.")
    return data


def _reply(conn: Connection, answer: dict[str, Any]) -> None:
    conn.sendall(json.dumps(answer).encode() + b"\n")
