"""AWS STS: AssumeRole and GetCallerIdentity with bounded time, and plain-English errors.

The calls go through ``sts_query`` (the standard library, no botocore) unless the
environment needs botocore (``make_sts``); this module holds the vocabulary both
share, the botocore client, and the sentences every failure becomes. Either client
uses an explicit region (regional endpoint), fixed timeouts and a fixed number of
attempts, and honours AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL like every SDK does.
It never reads the user's AWS_PROFILE: the credentials come from the keyring, and
the profile named there may be the very one we are about to write.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from tray_app.credentials_file import TemporaryCredentials
from tray_app.errors import StsError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from botocore.client import BaseClient


@dataclass(frozen=True)
class SigningKey:
    """What a request is signed with: a key set's long-lived key, or an MFA session made
    from it (then ``session_token`` is set and ``expiration`` says until when)."""

    keyset: str  # the key set's name, for messages
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    expiration: datetime | None = None
    # A copy the tray kept, not a keyring read: if STS refuses it, read the keyring again.
    remembered: bool = field(default=False, compare=False)

    def __repr__(self) -> str:
        return f"SigningKey(keyset={self.keyset!r}, access_key_id={self.access_key_id!r})"


@dataclass(frozen=True)
class AssumeRequest:
    role: str  # the roletray role name, for messages
    role_arn: str
    session_name: str
    duration: int
    region: str
    external_id: str | None = None
    mfa_serial: str | None = None
    mfa_code: str | None = None
    source_identity: str | None = None

    def __repr__(self) -> str:  # the MFA code is short-lived but still not for logs
        return f"AssumeRequest(role={self.role!r}, role_arn={self.role_arn!r})"

    def params(self) -> dict[str, Any]:
        """AssumeRole's parameters, as the STS API names them."""
        params: dict[str, Any] = {
            "RoleArn": self.role_arn,
            "RoleSessionName": self.session_name,
            "DurationSeconds": self.duration,
        }
        if self.external_id:
            params["ExternalId"] = self.external_id
        if self.source_identity:
            params["SourceIdentity"] = self.source_identity
        if self.mfa_serial:
            params["SerialNumber"] = self.mfa_serial
            params["TokenCode"] = self.mfa_code or ""
        return params


@dataclass(frozen=True)
class Limits:
    """How long one STS call may take: attempts × (connect + read) plus back-off."""

    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    attempts: int = 3

    @classmethod
    def from_settings(cls, timeout: float, attempts: int) -> Limits:
        """The config's ``sts_timeout`` and ``sts_attempts``; connecting waits at most 5 s."""
        return cls(min(5.0, timeout), timeout, attempts)

    @property
    def worst_case(self) -> float:
        return self.attempts * (self.connect_timeout + self.read_timeout) + 2.0 * self.attempts


class Sts(Protocol):
    def assume_role(self, key: SigningKey, request: AssumeRequest) -> TemporaryCredentials: ...
    def caller_identity(self, key: SigningKey, region: str) -> str: ...
    def identity(self, key: SigningKey, region: str) -> tuple[str, datetime | None]: ...
    def session_token(
        self, key: SigningKey, serial: str, code: str, duration: int, region: str
    ) -> SigningKey: ...


MAX_CLIENTS = 16
_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                    "all_proxy")  # fmt: skip


def make_sts(limits: Limits, endpoint_url: str | None = None) -> Sts:
    """The STS client: the light one (``sts_query``), or botocore when the environment
    asks for what only botocore does (a proxy, FIPS or dual-stack endpoints)."""
    environ = os.environ
    wants = any(environ.get(name) for name in _PROXY_VARIABLES) or any(
        environ.get(name, "").lower() == "true"
        for name in ("AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT")
    )
    if wants:
        return BotoSts(limits, endpoint_url)
    from tray_app.sts_query import QuerySts

    return QuerySts(limits, endpoint_url)


class BotoSts:
    """The real STS through botocore (``make_sts`` says when)."""

    def __init__(self, limits: Limits | None = None, endpoint_url: str | None = None) -> None:
        self.limits = limits or Limits()
        # None: botocore's regional endpoint (or AWS_ENDPOINT_URL_STS).
        self.endpoint_url = endpoint_url
        # One client per key and region, reused: building one costs ~40x the call itself,
        # and a new one per click kept growing the tray's memory.
        self._clients: OrderedDict[tuple[str, str | None, str], tuple[str, BaseClient]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def assume_role(self, key: SigningKey, request: AssumeRequest) -> TemporaryCredentials:
        client = self._client(key, request.region)
        log.debug("STS endpoint for %s: %s", request.role, client.meta.endpoint_url)
        with _explained(f"assuming {request.role}", key, request, client):
            response = client.assume_role(**request.params())
        creds = response["Credentials"]
        return TemporaryCredentials(
            access_key_id=creds["AccessKeyId"],
            secret_access_key=creds["SecretAccessKey"],
            session_token=creds["SessionToken"],
            expiration=_as_utc(creds["Expiration"]),
            principal_arn=response["AssumedRoleUser"]["Arn"],
        )

    def session_token(
        self, key: SigningKey, serial: str, code: str, duration: int, region: str
    ) -> SigningKey:
        """GetSessionToken with MFA: a session that signs AssumeRole with no further code."""
        client = self._client(key, region)
        with _explained(f"starting an MFA session for key set {key.keyset}", key, None, client):
            response = client.get_session_token(
                DurationSeconds=duration, SerialNumber=serial, TokenCode=code
            )
        creds = response["Credentials"]
        return SigningKey(
            key.keyset,
            creds["AccessKeyId"],
            creds["SecretAccessKey"],
            creds["SessionToken"],
            _as_utc(creds["Expiration"]),
        )

    def caller_identity(self, key: SigningKey, region: str) -> str:
        return self.identity(key, region)[0]

    def identity(self, key: SigningKey, region: str) -> tuple[str, datetime | None]:
        """GetCallerIdentity: the ARN, and STS's clock (its Date header) for a skew check."""
        from email.utils import parsedate_to_datetime

        client = self._client(key, region)
        log.debug("STS endpoint for key set %s: %s", key.keyset, client.meta.endpoint_url)
        with _explained(f"checking key set {key.keyset}", key, None, client):
            response = client.get_caller_identity()
        date = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
        return response["Arn"], _as_utc(parsedate_to_datetime(date)) if date else None

    def _client(self, key: SigningKey, region: str) -> BaseClient:
        """The cached client for this key (id, token and secret alike) and region."""
        ident = (key.access_key_id, key.session_token, region)
        with self._lock:  # botocore sessions are not safe to build clients from concurrently
            cached = self._clients.get(ident)
            if cached is not None and cached[0] == key.secret_access_key:
                self._clients.move_to_end(ident)
                return cached[1]
            client = self._new_client(key, region)
            self._clients[ident] = (key.secret_access_key, client)
            while len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)
            return client

    def _new_client(self, key: SigningKey, region: str) -> BaseClient:
        import botocore.session
        from botocore.config import Config

        # Never take a profile from AWS_PROFILE (it may not exist yet), and never read
        # ~/.aws/config: roletray needs nothing from it, and a malformed one must not
        # break an assume (the keys, region and endpoint all come from roletray).
        core = botocore.session.Session(
            session_vars={
                "profile": (None, None, None, None),
                "config_file": (None, None, os.devnull, None),
            }
        )
        core.set_config_variable("sts_regional_endpoints", "regional")  # never the global one
        config = Config(
            region_name=region,
            connect_timeout=self.limits.connect_timeout,
            read_timeout=self.limits.read_timeout,
            retries={"mode": "standard", "total_max_attempts": self.limits.attempts},
        )
        try:
            return core.create_client(  # botocore's, not boto3's: no s3transfer to import
                "sts",
                region_name=region,
                aws_access_key_id=key.access_key_id,
                aws_secret_access_key=key.secret_access_key,
                aws_session_token=key.session_token,
                endpoint_url=self.endpoint_url,
                config=config,
            )
        except Exception as exc:
            raise StsError(
                f"Cannot set up the STS client ({type(exc).__name__}: {exc}) — check your "
                "AWS config file and AWS_* environment variables."
            ) from None


class _explained:
    """Turn any botocore failure inside the block into one StsError sentence."""

    def __init__(
        self, doing: str, key: SigningKey, request: AssumeRequest | None, client: BaseClient
    ) -> None:
        self.doing, self.key, self.request, self.client = doing, key, request, client

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, _tb: object) -> bool:
        if exc is None or not isinstance(exc, Exception) or isinstance(exc, StsError):
            return False
        raise explain(exc, self.doing, self.key, self.request, self.client.meta.endpoint_url)


def explain(
    exc: Exception,
    doing: str,
    key: SigningKey,
    request: AssumeRequest | None,
    endpoint: str,
) -> StsError:
    """One sentence with the likely fix for each way STS can fail."""
    from botocore import exceptions as bex

    if isinstance(exc, bex.ClientError):
        error = exc.response.get("Error", {})
        code, message = str(error.get("Code", "")), str(error.get("Message", ""))
        return refused(code, message, doing, key, request)
    if isinstance(exc, bex.ConnectTimeoutError | bex.ReadTimeoutError):
        return timed_out(doing, endpoint)
    if isinstance(exc, bex.EndpointConnectionError | bex.ConnectionClosedError):
        return unreachable(doing, endpoint)
    if isinstance(exc, bex.ParamValidationError):
        return StsError(f"Invalid request {doing}: {exc} — fix the role in roletray config.")
    if isinstance(exc, bex.BotoCoreError):
        return StsError(f"Error {doing}: {exc} — try again, or run with --verbose.", "BotoCore")
    return StsError(f"Unexpected {type(exc).__name__} {doing} — run with --verbose for detail.")


def refused(
    code: str, message: str, doing: str, key: SigningKey, request: AssumeRequest | None
) -> StsError:
    """STS answered with error ``code``."""
    return StsError(_client_error(code, message, doing, key, request), code)


def timed_out(doing: str, endpoint: str) -> StsError:
    return StsError(
        f"Timeout {doing}: STS at {endpoint} did not answer in time — check your network "
        "or VPN and try again.",
        "Timeout",
    )


def unreachable(doing: str, endpoint: str) -> StsError:
    return StsError(
        f"Network error {doing}: cannot reach STS at {endpoint} — check your network, "
        "proxy or VPN and try again.",
        "NetworkError",
    )


_THROTTLING = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests"}
_UNAVAILABLE = {"ServiceUnavailable", "InternalFailure", "InternalError", "RequestTimeout"}


def _client_error(
    code: str, message: str, doing: str, key: SigningKey, request: AssumeRequest | None
) -> str:
    readd = f"`roletray keys add {key.keyset} --access-key-id …`"
    if code == "AccessDenied" and "MultiFactorAuthentication" in message:
        return (
            f"AccessDenied {doing}: the MFA code was wrong or already used — wait for the "
            "next code and try again."
        )
    if code == "AccessDenied":
        suspects = ["the role's trust policy", "your user's IAM permissions"]
        checks = ["role_arn"]
        if request and request.external_id:
            suspects.append("the external ID")
            checks.append("external_id")
        if request and request.mfa_serial:
            suspects.append("the MFA device")
            checks.append("mfa_serial")
        return (
            f"AccessDenied {doing}: {', '.join(suspects[:-1])} or {suspects[-1]} rejected you "
            f"— check {' and '.join(checks)} in roletray config, and that the role trusts "
            "your IAM user."
        )
    if code == "InvalidClientTokenId":
        return (
            f"InvalidClientTokenId {doing}: AWS does not know access key {key.access_key_id} "
            f"of key set '{key.keyset}' (deleted or never existed) — create a new key in IAM "
            f"and run {readd}."
        )
    if code == "SignatureDoesNotMatch" and "expired" in message.lower():
        return (
            f"SignatureDoesNotMatch {doing}: the signature expired because this computer's "
            "clock is off by more than 5 minutes — sync the clock (enable NTP) and try again."
        )
    if code == "SignatureDoesNotMatch":
        return (
            f"SignatureDoesNotMatch {doing}: the secret stored for key set '{key.keyset}' does "
            f"not belong to access key {key.access_key_id} — run {readd} with the right secret."
        )
    if code in ("ExpiredToken", "ExpiredTokenException") and key.session_token:
        return (
            f"ExpiredToken {doing}: the MFA session of key set '{key.keyset}' has ended — run "
            f"`roletray mfa clear {key.keyset}` and assume again to enter a new code."
        )
    if code in ("ExpiredToken", "ExpiredTokenException"):
        return (
            f"ExpiredToken {doing}: the credentials used to sign the request have expired — "
            f"store a long-lived IAM user key with {readd}."
        )
    if code == "RegionDisabledException":
        region = request.region if request else "this region"
        return (
            f"RegionDisabledException {doing}: STS is not activated in {region} for this "
            "account — activate it in IAM account settings, or set another region for the "
            "role in roletray config."
        )
    if code == "ValidationError":
        return _validation_error(message, doing, request)
    if code in _THROTTLING:
        return f"{code} {doing}: STS is throttling requests — wait a minute and try again."
    if code in _UNAVAILABLE:
        return f"{code} {doing}: STS is unavailable right now — try again in a minute."
    return f"{code or 'Error'} {doing}: {message or 'STS refused the request'} — check the role."


def _validation_error(message: str, doing: str, request: AssumeRequest | None) -> str:
    lowered = message.lower()
    if "durationseconds" in lowered or "duration" in lowered:
        duration = f"{request.duration} s " if request else ""
        return (
            f"ValidationError {doing}: the duration {duration}is above the role's maximum "
            "session duration — lower duration in roletray config, or raise the role's "
            "MaxSessionDuration in IAM."
        )
    if "rolesessionname" in lowered:
        return (
            f"ValidationError {doing}: the session name is not accepted — set session_name "
            "to 2-64 letters, digits or + = , . @ _ - in roletray config."
        )
    return f"ValidationError {doing}: {message} — check the role in roletray config."


def _as_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
