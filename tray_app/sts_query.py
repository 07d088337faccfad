"""STS through its Query API with the standard library: the path of every assume.

A cold `roletray assume` spent ~200 ms importing botocore and building a client
for a call that takes ~3 ms, and the tray carried both in memory. STS needs one
shape of request (a signed, form-encoded POST) and one shape of answer (a small
XML document), so this module makes them itself: ``sigv4`` signs (checked against
botocore's signer by the tests), ``http.client`` sends on a kept-alive connection,
ElementTree reads. Errors become the same sentences as ``BotoSts``'s, and the
retries follow botocore's "standard" mode (throttling, 5xx, dropped connections,
timeouts; jittered back-off bounded as ``Limits.worst_case`` assumes).

What it does not do, ``sts.make_sts`` leaves to botocore: HTTP proxies, FIPS and
dual-stack endpoints, and partitions other than aws, aws-cn and aws-us-gov.
"""

from __future__ import annotations

import http.client
import logging
import os
import random
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree

from tray_app import partitions
from tray_app.credentials_file import TemporaryCredentials
from tray_app.errors import StsError
from tray_app.sigv4 import signed_headers
from tray_app.sts import (
    AssumeRequest,
    Limits,
    SigningKey,
    Sts,
    refused,
    timed_out,
    unreachable,
)

if TYPE_CHECKING:
    import ssl

log = logging.getLogger(__name__)
VERSION = "2011-06-15"
NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"
DNS_SUFFIX = {"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn", "aws-us-gov": "amazonaws.com"}
# botocore's standard retry mode: these codes and statuses, and dropped connections.
RETRY_CODES = {
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
    "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    "EC2ThrottledException", "RequestTimeout", "RequestTimeoutException",
}  # fmt: skip
RETRY_STATUS = {500, 502, 503, 504}
MAX_BACKOFF = 2.0  # seconds; Limits.worst_case allows this much per attempt
IDLE_CONNECTIONS = 4


def configured_endpoint(environ: dict[str, str] | os._Environ[str] = os.environ) -> str | None:
    """The STS endpoint the environment names, as every SDK reads it."""
    if environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return None
    return environ.get("AWS_ENDPOINT_URL_STS") or environ.get("AWS_ENDPOINT_URL") or None


class QuerySts:
    """The real STS, without botocore (see the module)."""

    def __init__(self, limits: Limits | None = None, endpoint_url: str | None = None) -> None:
        self.limits = limits or Limits()
        self.endpoint_url = endpoint_url
        self._other: Sts | None = None  # botocore, for a partition this does not know
        self._idle: dict[str, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None

    def endpoint(self, region: str) -> str | None:
        """Where STS is for ``region`` (botocore's regional endpoint); None: not known here."""
        configured = self.endpoint_url or configured_endpoint()
        if configured:
            return configured
        suffix = DNS_SUFFIX.get(partitions.of_region(region) or "")
        return f"https://sts.{region}.{suffix}" if suffix else None

    # -- the calls --------------------------------------------------------------------
    def assume_role(self, key: SigningKey, request: AssumeRequest) -> TemporaryCredentials:
        url = self.endpoint(request.region)
        if url is None:
            return self._botocore().assume_role(key, request)
        log.debug("STS endpoint for %s: %s", request.role, url)
        doing = f"assuming {request.role}"
        params = {name: str(value) for name, value in request.params().items()}
        result, _ = self._call(url, "AssumeRole", params, key, request.region, doing, request)
        return TemporaryCredentials(
            *_credentials(result), principal_arn=_text(result, "AssumedRoleUser", "Arn")
        )

    def session_token(
        self, key: SigningKey, serial: str, code: str, duration: int, region: str
    ) -> SigningKey:
        """GetSessionToken with MFA: a session that signs AssumeRole with no further code."""
        url = self.endpoint(region)
        if url is None:
            return self._botocore().session_token(key, serial, code, duration, region)
        params = {"DurationSeconds": str(duration), "SerialNumber": serial, "TokenCode": code}
        doing = f"starting an MFA session for key set {key.keyset}"
        result, _ = self._call(url, "GetSessionToken", params, key, region, doing, None)
        access_key_id, secret, token, expiration = _credentials(result)
        return SigningKey(key.keyset, access_key_id, secret, token, expiration)

    def caller_identity(self, key: SigningKey, region: str) -> str:
        return self.identity(key, region)[0]

    def identity(self, key: SigningKey, region: str) -> tuple[str, datetime | None]:
        """GetCallerIdentity: the ARN, and STS's clock (its Date header) for a skew check."""
        url = self.endpoint(region)
        if url is None:
            return self._botocore().identity(key, region)
        log.debug("STS endpoint for key set %s: %s", key.keyset, url)
        doing = f"checking key set {key.keyset}"
        result, date = self._call(url, "GetCallerIdentity", {}, key, region, doing, None)
        return _text(result, "Arn"), _parse_date(date)

    # -- one request, retried ---------------------------------------------------------
    def _call(
        self,
        url: str,
        action: str,
        params: dict[str, str],
        key: SigningKey,
        region: str,
        doing: str,
        request: AssumeRequest | None,
    ) -> tuple[ElementTree.Element, str | None]:
        """``action``'s result element and the answer's Date header."""
        body = urlencode({"Action": action, "Version": VERSION, **params}).encode()
        for attempt in range(1, self.limits.attempts + 1):
            last = attempt == self.limits.attempts
            try:
                status, data, date = self._post(url, body, key, region)
            except TimeoutError:
                if last:
                    raise timed_out(doing, url) from None
            except OSError as exc:  # refused, reset, dropped, unresolvable
                log.debug("STS connection failed (%s); attempt %d", type(exc).__name__, attempt)
                if last:
                    raise unreachable(doing, url) from None
            else:
                if status == 200:
                    return _result(data, action, doing, url), date
                code, message = _error(data, status)
                if last or not (code in RETRY_CODES or status in RETRY_STATUS):
                    raise refused(code, message, doing, key, request)
                log.debug("STS answered %s (%s); attempt %d", status, code, attempt)
            time.sleep(random.uniform(0, min(MAX_BACKOFF, 0.5 * 2**attempt)))
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _post(
        self, url: str, body: bytes, key: SigningKey, region: str
    ) -> tuple[int, bytes, str | None]:
        headers = signed_headers(
            url, body, key.access_key_id, key.secret_access_key, key.session_token,
            region, "sts", datetime.now(UTC),
        )  # fmt: skip
        path = urlsplit(url).path or "/"
        connection, reused = self._connection(url)
        try:
            try:
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                if not reused:
                    raise
                connection.close()  # the server closed it while idle: once more, on a new one
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
            data = response.read()
        except BaseException:
            connection.close()
            raise
        if response.will_close:
            connection.close()
        else:
            self._release(url, connection)
        return response.status, data, response.getheader("Date")

    def _connection(self, url: str) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            idle = self._idle.get(url)
            if idle:
                return idle.pop(), True
        parts = urlsplit(url)
        if parts.scheme == "https":
            connection: http.client.HTTPConnection = _ReadTimeoutHTTPS(
                parts.hostname, parts.port, timeout=self.limits.connect_timeout,
                context=self._tls_context(),
            )  # fmt: skip
        else:
            connection = _ReadTimeout(
                parts.hostname, parts.port, timeout=self.limits.connect_timeout
            )
        connection.read_timeout = self.limits.read_timeout  # type: ignore[attr-defined]
        return connection, False

    def _release(self, url: str, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(url, [])
            if len(idle) < IDLE_CONNECTIONS:
                idle.append(connection)
                return
        connection.close()

    def _tls_context(self) -> ssl.SSLContext:
        """Verifying TLS with the CA bundle botocore would use (AWS_CA_BUNDLE, certifi, or
        botocore's own cacert.pem), so the two clients trust the same servers."""
        if self._tls is None:
            import ssl

            self._tls = ssl.create_default_context(cafile=_ca_bundle())
        return self._tls

    def _botocore(self) -> Sts:
        from tray_app.sts import BotoSts

        with self._lock:
            if self._other is None:
                self._other = BotoSts(self.limits, self.endpoint_url)
            return self._other


class _ReadTimeout(http.client.HTTPConnection):
    """Connect within the connect timeout, then wait for answers up to the read timeout."""

    read_timeout: float

    def connect(self) -> None:
        super().connect()
        self.sock.settimeout(self.read_timeout)


class _ReadTimeoutHTTPS(_ReadTimeout, http.client.HTTPSConnection):
    pass


def _ca_bundle() -> str | None:
    bundle = os.environ.get("AWS_CA_BUNDLE")
    if bundle:
        return bundle
    try:
        import certifi

        return str(certifi.where())
    except ImportError:
        from importlib.util import find_spec

        spec = find_spec("botocore")
        origin = spec.origin if spec else None
        return os.path.join(os.path.dirname(origin), "cacert.pem") if origin else None


# -- the answer ---------------------------------------------------------------------------
def _result(data: bytes, action: str, doing: str, url: str) -> ElementTree.Element:
    try:
        found = ElementTree.fromstring(data).find(f"{NS}{action}Result")
    except ElementTree.ParseError:
        found = None
    if found is None:
        raise unreachable(doing, url)  # not STS answering (a captive portal, a proxy page)
    return found


def _error(data: bytes, status: int) -> tuple[str, str]:
    """The error's code and message; for an answer that is not STS's XML, the HTTP status.

    Like botocore's parser, any ``Error`` element counts, with or without the namespace
    (STS answers ``ErrorResponse/Error``; some fronts and moto ``ErrorResponse/Errors/Error``).
    """
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        root = None
    errors = () if root is None else (e for e in root.iter() if _local(e.tag) == "Error")
    error = next(iter(errors), None)
    if error is None:
        return _STATUS_CODES.get(status, f"HTTP{status}"), http.client.responses.get(status, "")
    fields = {_local(child.tag): (child.text or "").strip() for child in error}
    return fields.get("Code", ""), fields.get("Message", "")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


_STATUS_CODES = {500: "InternalError", 502: "BadGateway", 503: "ServiceUnavailable",
                 504: "GatewayTimeout", 429: "TooManyRequests"}  # fmt: skip


def _text(element: ElementTree.Element, *path: str) -> str:
    return element.findtext("/".join(NS + part for part in path)) or ""


def _credentials(result: ElementTree.Element) -> tuple[str, str, str, datetime]:
    def field(name: str) -> str:
        return _text(result, "Credentials", name)

    try:
        expiration = datetime.fromisoformat(field("Expiration"))
    except ValueError:
        raise StsError(
            "STS answered without a session's expiry — try again, or run with --verbose."
        ) from None
    if expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=UTC)
    return (
        field("AccessKeyId"),
        field("SecretAccessKey"),
        field("SessionToken"),
        expiration.astimezone(UTC),
    )


def _parse_date(date: str | None) -> datetime | None:
    if not date:
        return None
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
