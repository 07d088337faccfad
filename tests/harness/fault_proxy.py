"""A loopback HTTP proxy in front of moto for what moto does not enforce, and for faults.

Tests set its fields; every request is counted. It checks MFA codes and the
role's maximum duration (moto reads neither), and injects delay, dropped
connections and canned STS errors (503, Throttling, ExpiredToken, a skewed
clock's "Signature expired") for the next N requests.
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ERROR_XML = (
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    "<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
    "<RequestId>fault-proxy</RequestId></ErrorResponse>"
)
CANNED = {
    "503": (503, "ServiceUnavailable", "Service is unavailable."),
    "throttle": (400, "Throttling", "Rate exceeded"),
    "expired": (403, "ExpiredToken", "The security token included in the request is expired"),
    "skew": (
        403,
        "SignatureDoesNotMatch",
        "Signature expired: 20261128T090000Z is now earlier than 20261128T100000Z",
    ),
    "region": (403, "RegionDisabledException", "STS is not activated in this region."),
}


@dataclass
class Faults:
    delay: float = 0.0
    drops: int = 0
    errors: list[str] = field(default_factory=list)  # CANNED keys, one per request
    mfa_code: str | None = None
    max_duration: int | None = None
    time_offset: float = 0.0  # seconds added to <Expiration>: STS living in a jumped clock
    requests: int = 0
    actions: list[str] = field(default_factory=list)  # the Action of each request


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.faults = Faults()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.server.handle_error = self._handle_error  # type: ignore[method-assign]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FaultProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def _handle_error(request: object, client_address: object) -> None:
        """A client that timed out and left is part of the plan, not an error to print."""
        import sys
        import traceback

        kind = sys.exc_info()[0]
        if kind is not None and not issubclass(kind, BrokenPipeError | ConnectionResetError):
            traceback.print_exc()

    def reset(self) -> None:
        with self.lock:
            self.faults = Faults()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                proxy._serve(self, body)

            def do_GET(self) -> None:
                proxy._serve(self, b"")

        return Handler

    def _serve(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
        with self.lock:
            faults = self.faults
            faults.requests += 1
            faults.actions.append(form.get("Action", ""))
            drop = faults.drops > 0
            faults.drops -= 1 if drop else 0
            canned = faults.errors.pop(0) if faults.errors else None
        if faults.delay:
            time.sleep(faults.delay)
        if drop:
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if canned:
            return self._error(handler, *CANNED[canned])
        if faults.mfa_code and "SerialNumber" in form and form.get("TokenCode") != faults.mfa_code:
            return self._error(
                handler,
                403,
                "AccessDenied",
                "MultiFactorAuthentication failed with invalid MFA one time pass code.",
            )
        if faults.max_duration and int(form.get("DurationSeconds", 0)) > faults.max_duration:
            return self._error(
                handler,
                400,
                "ValidationError",
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            )
        self._forward(handler, body)

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        upstream = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            upstream.request(handler.command, handler.path, body, dict(handler.headers.items()))
            response = upstream.getresponse()
            payload = self._shift_expiration(response.read())
            handler.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                    handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        finally:
            upstream.close()

    def _shift_expiration(self, payload: bytes) -> bytes:
        offset = self.faults.time_offset
        if not offset:
            return payload

        def shift(match: re.Match[bytes]) -> bytes:
            moment = datetime.fromisoformat(match.group(1).decode().replace("Z", "+00:00"))
            moved = (moment + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
            return b"<Expiration>" + moved.encode() + b"</Expiration>"

        return re.sub(rb"<Expiration>([^<]+)</Expiration>", shift, payload)

    @staticmethod
    def _error(handler: BaseHTTPRequestHandler, status: int, code: str, message: str) -> None:
        payload = ERROR_XML.format(code=code, message=message).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "text/xml")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
