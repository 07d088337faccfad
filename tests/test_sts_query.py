"""STS through its Query API without botocore (``sts_query``, ``sigv4``).

The signature is checked against botocore's own signer; the endpoints against
botocore's own resolution; a kept-alive connection, and one the server closed
while idle, against moto (auth on) behind an HTTP/1.1 front; the choice of client
against the environment. The rest of the suite (the fault matrix, MFA, the CLI
and tray tests) runs every STS call through this client against moto.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.harness.aws import MotoWorld, User
from tray_app.sigv4 import FORM, signed_headers
from tray_app.sts import AssumeRequest, BotoSts, Limits, SigningKey, make_sts
from tray_app.sts_query import QuerySts, _error

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
BODY = b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2FR"


@pytest.mark.parametrize(
    ("url", "token", "region"),
    [
        ("https://sts.eu-west-1.amazonaws.com", None, "eu-west-1"),
        ("http://127.0.0.1:5123/", "FwoGZXIvYXdzE/token+with=chars", "us-east-1"),
        ("https://sts.cn-north-1.amazonaws.com.cn/", "t", "cn-north-1"),
        ("https://sts.us-gov-west-1.amazonaws.com:443/", None, "us-gov-west-1"),
    ],
)
def test_the_signature_is_botocores_header_for_header(
    url: str, token: str | None, region: str
) -> None:
    request = AWSRequest("POST", url, data=BODY, headers={"Content-Type": FORM})
    SigV4Auth(Credentials("AKIDEXAMPLE", SECRET, token), "sts", region).add_auth(request)
    now = datetime.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    ours = signed_headers(url, BODY, "AKIDEXAMPLE", SECRET, token, region, "sts", now)
    assert ours["authorization"] == request.headers["Authorization"]
    assert ours.get("x-amz-security-token") == request.headers.get("X-Amz-Security-Token")


@pytest.mark.parametrize(
    "region", ["eu-west-1", "us-east-1", "ap-southeast-2", "cn-north-1", "cn-northwest-1",
               "us-gov-west-1", "us-gov-east-1", "il-central-1", "mx-central-1"],
)  # fmt: skip
def test_each_region_gets_the_endpoint_botocore_would_use(
    region: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    key = SigningKey("work", "AKIAFAKEFAKEFAKEFAKE", "secret")
    assert QuerySts().endpoint(region) == BotoSts()._client(key, region).meta.endpoint_url


def test_an_endpoint_from_the_environment_wins_unless_told_to_ignore_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    assert QuerySts().endpoint("eu-west-1") == "http://127.0.0.1:1"
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:2")
    assert QuerySts().endpoint("eu-west-1") == "http://127.0.0.1:2"
    assert QuerySts(endpoint_url="http://127.0.0.1:3").endpoint("eu-west-1").endswith(":3")
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert QuerySts().endpoint("eu-west-1") == "https://sts.eu-west-1.amazonaws.com"
    assert QuerySts().endpoint("us-iso-east-1") is None, "left to botocore"


@pytest.mark.parametrize(
    ("variable", "value", "kind"),
    [
        (None, None, QuerySts),
        ("HTTPS_PROXY", "http://proxy.corp:3128", BotoSts),
        ("https_proxy", "http://proxy.corp:3128", BotoSts),
        ("AWS_USE_FIPS_ENDPOINT", "true", BotoSts),
        ("AWS_USE_DUALSTACK_ENDPOINT", "TRUE", BotoSts),
        ("AWS_USE_FIPS_ENDPOINT", "false", QuerySts),
    ],
)
def test_botocore_is_chosen_for_what_only_it_does(
    variable: str | None, value: str | None, kind: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                 "all_proxy", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    if variable:
        monkeypatch.setenv(variable, str(value))
    assert isinstance(make_sts(Limits()), kind)


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        (b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender'
         b"</Type><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>", 403,
         ("AccessDenied", "no")),
        (b"<ErrorResponse><Errors><Error><Code>ExpiredToken</Code><Message>old</Message>"
         b"</Error></Errors></ErrorResponse>", 400, ("ExpiredToken", "old")),
        (b"<html>Bad gateway</html>", 502, ("BadGateway", "Bad Gateway")),
        (b"", 503, ("ServiceUnavailable", "Service Unavailable")),
        (b"{}", 418, ("HTTP418", "I'm a Teapot")),
    ],
)  # fmt: skip
def test_an_error_answer_gives_its_code_whatever_its_shape(
    body: bytes, status: int, expected: tuple[str, str]
) -> None:
    assert _error(body, status) == expected


class _KeepAlive(BaseHTTPRequestHandler):
    """HTTP/1.1 in front of moto: connections stay open unless told to close them."""

    protocol_version = "HTTP/1.1"
    server: _Front

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        upstream = http.client.HTTPConnection(*self.server.upstream, timeout=30)
        try:
            upstream.request("POST", self.path, body, dict(self.headers.items()))
            answer = upstream.getresponse()
            payload = answer.read()
        finally:
            upstream.close()
        with self.server.lock:  # before the answer: the client may check right after it
            self.server.peers.add(self.client_address)
            if self.server.close_next:
                self.server.close_next = False
                self.close_connection = True  # closed once the answer is out: stale for us
        self.send_response(answer.status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


class _Front(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: tuple[str, int]) -> None:
        super().__init__(("127.0.0.1", 0), _KeepAlive)
        self.upstream = upstream
        self.peers: set[tuple[str, int]] = set()
        self.close_next = False
        self.lock = threading.Lock()


@pytest.fixture
def front(moto: MotoWorld) -> Iterator[_Front]:
    parts = urlsplit(moto.url)
    server = _Front((str(parts.hostname), int(parts.port or 80)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.mark.real
def test_calls_share_one_kept_alive_connection_and_survive_its_closing(
    front: _Front, moto: MotoWorld, alice: User
) -> None:
    arn = moto.role(f"keepalive-{alice.name}", alice)
    sts = QuerySts(Limits(2.0, 10.0, 1), endpoint_url=f"http://127.0.0.1:{front.server_port}")
    key = SigningKey("work", alice.access_key_id, alice.secret_access_key)
    request = AssumeRequest("app", arn, "keepalive", 900, "us-east-1")
    for _ in range(5):
        creds = sts.assume_role(key, request)
        assert creds.access_key_id.startswith("ASIA")
        assert timedelta(minutes=14) < creds.expiration - datetime.now(UTC) < timedelta(minutes=16)
    assert len(front.peers) == 1, "one connection for five calls"
    front.close_next = True
    sts.assume_role(key, request)
    # With attempts=1: a connection found closed is redone on a new one, not retried.
    assert sts.caller_identity(key, "us-east-1") == alice.arn
    assert len(front.peers) == 2, "a new connection once the server closed the idle one"
