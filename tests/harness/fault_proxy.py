"""A loopback HTTP proxy in front of moto for what moto does not enforce, and for faults.

Tests set its fields; every request is counted. It checks MFA codes (a code
is accepted once, as AWS does) and the role's maximum duration (moto reads
neither), and injects delay, dropped connections and canned STS errors (503,
Throttling, ExpiredToken, a skewed clock's "Signature expired") for the next N
requests.

MFA sessions: moto's own GetSessionToken credentials fail moto's auth, so the
proxy answers GetSessionToken itself for the long-lived keys a test registers
(``faults.long_lived``): it checks the request's SigV4 signature and the MFA
code, and mints a session. A request signed with such a session is checked the
same way (signature, token, not ended), then re-signed with the long-lived key
it stands for and forwarded, so moto still enforces the user's policies and
the role's trust. AWS's 1-hour cap on roles assumed from a session is enforced.
"""

from __future__ import annotations

import hmac
import http.client
import re
import secrets
import socket
import string
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

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
MFA_FAILED = "MultiFactorAuthentication failed with invalid MFA one time pass code."
_AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/"
    r"aws4_request, SignedHeaders=(?P<signed>[^,]+), Signature=(?P<signature>[0-9a-f]+)"
)
SESSION_XML = (
    '<GetSessionTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    "<GetSessionTokenResult><Credentials><AccessKeyId>{key}</AccessKeyId>"
    "<SecretAccessKey>{secret}</SecretAccessKey><SessionToken>{token}</SessionToken>"
    "<Expiration>{expiration}</Expiration></Credentials></GetSessionTokenResult>"
    "<ResponseMetadata><RequestId>fault-proxy</RequestId></ResponseMetadata>"
    "</GetSessionTokenResponse>"
)


def totp(step: float, at: float | None = None) -> str:
    """The proxy's stand-in for an authenticator: the window number, as six digits."""
    return f"{int((time.time() if at is None else at) // step) % 1_000_000:06d}"


@dataclass
class MfaSessionMinted:
    secret: str
    token: str
    long_lived: str  # the access key id it stands for
    expiration: datetime


@dataclass
class Faults:
    delay: float = 0.0
    drops: int = 0
    errors: list[str] = field(default_factory=list)  # CANNED keys, one per request
    mfa_code: str | None = None
    mfa_totp_step: float | None = None  # accept totp(step) instead of one fixed code
    used_codes: set[tuple[str, str]] = field(default_factory=set)  # AWS accepts each code once
    long_lived: dict[str, str] = field(default_factory=dict)  # access key id → secret
    sessions: dict[str, MfaSessionMinted] = field(default_factory=dict)  # by access key id
    session_duration_cap: int = 3600  # roles assumed from a session: AWS's 1-hour cap
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
        if "SerialNumber" in form and not self._mfa_ok(form):
            return self._error(handler, 403, "AccessDenied", MFA_FAILED)
        if faults.max_duration and int(form.get("DurationSeconds", 0)) > faults.max_duration:
            return self._error(
                handler,
                400,
                "ValidationError",
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            )
        auth = _AUTH.match(handler.headers.get("Authorization", ""))
        if auth and auth["key"] in faults.sessions:
            return self._as_session(handler, body, form, auth)
        if form.get("Action") == "GetSessionToken" and auth and auth["key"] in faults.long_lived:
            return self._session_token(handler, body, form, auth)
        self._forward(handler, body)

    def _mfa_ok(self, form: dict[str, str]) -> bool:
        faults = self.faults
        code = form.get("TokenCode", "")
        step = faults.mfa_totp_step
        # Like AWS, the current window's code or the one before (a code typed at its end).
        wanted = {totp(step), totp(step, time.time() - step)} if step else {faults.mfa_code}
        if wanted == {None}:
            return True  # no MFA check asked for: moto's behaviour
        with self.lock:
            if code not in wanted or (form["SerialNumber"], code) in faults.used_codes:
                return False
            faults.used_codes.add((form["SerialNumber"], code))
        return True

    def _session_token(
        self, handler: BaseHTTPRequestHandler, body: bytes, form: dict[str, str], auth: re.Match
    ) -> None:
        if not _signed_by(handler, body, auth, self.faults.long_lived[auth["key"]]):
            return self._error(handler, 403, "SignatureDoesNotMatch", "Bad signature.")
        letters = string.ascii_uppercase + string.digits
        key = "ASIA" + "".join(secrets.choice(letters) for _ in range(16))
        duration = int(form.get("DurationSeconds", 43200))
        expiration = datetime.now(UTC) + timedelta(seconds=duration + self.faults.time_offset)
        minted = MfaSessionMinted(
            secrets.token_urlsafe(30), secrets.token_urlsafe(90), auth["key"], expiration
        )
        with self.lock:
            self.faults.sessions[key] = minted
        payload = SESSION_XML.format(
            key=key, secret=minted.secret, token=minted.token,
            expiration=expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )  # fmt: skip
        self._reply(handler, 200, payload.encode())

    def _as_session(
        self, handler: BaseHTTPRequestHandler, body: bytes, form: dict[str, str], auth: re.Match
    ) -> None:
        session = self.faults.sessions[auth["key"]]
        token = handler.headers.get("X-Amz-Security-Token")
        if token != session.token or not _signed_by(handler, body, auth, session.secret, token):
            return self._error(handler, 403, "InvalidClientTokenId", "The token is invalid.")
        if session.expiration <= datetime.now(UTC):
            return self._error(handler, 403, "ExpiredToken", "The security token is expired")
        cap = self.faults.session_duration_cap
        if form.get("Action") == "AssumeRole" and int(form.get("DurationSeconds", 0)) > cap:
            return self._error(
                handler, 400, "ValidationError",
                "The requested DurationSeconds exceeds the 1 hour session limit for roles "
                "assumed by role chaining.",
            )  # fmt: skip
        long_lived = Credentials(session.long_lived, self.faults.long_lived[session.long_lived])
        request = AWSRequest(
            method="POST", url=f"http://{handler.headers['Host']}{handler.path}", data=body,
            headers={"Content-Type": handler.headers["Content-Type"]},
        )  # fmt: skip
        SigV4Auth(long_lived, auth["service"], auth["region"]).add_auth(request)
        # Signed for the Host the client used (this proxy's): send that Host on to moto.
        self._forward(handler, body, {"Host": handler.headers["Host"], **request.headers})

    def end_sessions(self) -> None:
        """Every minted MFA session ends now (AWS then answers ExpiredToken)."""
        with self.lock:
            for session in self.faults.sessions.values():
                session.expiration = datetime.now(UTC)

    def _forward(
        self, handler: BaseHTTPRequestHandler, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        upstream = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            upstream.request(
                handler.command, handler.path, body, headers or dict(handler.headers.items())
            )
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
        FaultProxy._reply(handler, status, ERROR_XML.format(code=code, message=message).encode())

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, payload: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "text/xml")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)


def _signed_by(
    handler: BaseHTTPRequestHandler,
    body: bytes,
    auth: re.Match,
    secret: str,
    token: str | None = None,
) -> bool:
    """Recompute the request's SigV4 signature with ``secret``, as STS would."""
    names = auth["signed"].split(";")
    request = AWSRequest(
        method=handler.command,
        url=f"http://{handler.headers['Host']}{handler.path}",
        data=body,
        headers={name: handler.headers.get(name, "") for name in names},
    )
    request.context["timestamp"] = handler.headers.get("X-Amz-Date", "")
    signer = SigV4Auth(Credentials(auth["key"], secret, token), auth["service"], auth["region"])
    string_to_sign = signer.string_to_sign(request, signer.canonical_request(request))
    return hmac.compare_digest(signer.signature(string_to_sign, request), auth["signature"])
