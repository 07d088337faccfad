"""Sign in to the AWS console with a role's session: federation getSigninToken, then login.

The right sign-in host per partition; ``SessionDuration`` only where AWS takes it
(not for a session assumed from other session credentials — an MFA session's).
The login URL holds a sign-in token good for 15 minutes: it is a secret, so it
is never logged or put in a notification; it goes to the browser, or to stdout
with ``--print``. ROLETRAY_SIGNIN_URL points the federation calls elsewhere (a
proxy, or a test's stand-in).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request

from tray_app.credentials_file import TemporaryCredentials
from tray_app.errors import StsError

SIGNIN = {
    "aws": "https://signin.aws.amazon.com/federation",
    "aws-cn": "https://signin.amazonaws.cn/federation",
    "aws-us-gov": "https://signin.amazonaws-us-gov.com/federation",
}
CONSOLE = {
    "aws": "https://console.aws.amazon.com/console/home",
    "aws-cn": "https://console.amazonaws.cn/console/home",
    "aws-us-gov": "https://console.amazonaws-us-gov.com/console/home",
}
TIMEOUT = 15


def login_url(
    creds: TemporaryCredentials,
    partition: str,
    region: str,
    destination: str | None = None,
    session_duration: int | None = None,
) -> str:
    endpoint = os.environ.get("ROLETRAY_SIGNIN_URL") or SIGNIN[partition]
    token = _signin_token(endpoint, creds, session_duration)
    target = destination or f"{CONSOLE[partition]}?region={urllib.parse.quote(region)}"
    query = urllib.parse.urlencode(
        {"Action": "login", "Issuer": "roletray", "Destination": target, "SigninToken": token}
    )
    return f"{endpoint}?{query}"


def _signin_token(endpoint: str, creds: TemporaryCredentials, session_duration: int | None) -> str:
    session = {
        "sessionId": creds.access_key_id,
        "sessionKey": creds.secret_access_key,
        "sessionToken": creds.session_token,
    }
    params = {"Action": "getSigninToken", "Session": json.dumps(session)}
    if session_duration:
        params["SessionDuration"] = str(session_duration)
    request = urllib.request.Request(
        f"{endpoint}?{urllib.parse.urlencode(params)}", headers={"User-Agent": "roletray"}
    )
    host = urllib.parse.urlsplit(endpoint).netloc
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return str(json.loads(response.read())["SigninToken"])
    except urllib.error.HTTPError as exc:
        raise StsError(
            f"The console sign-in at {host} refused the session (HTTP {exc.code}) — assume the "
            "role again and retry; a session assumed from an MFA session cannot set a duration."
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise StsError(
            f"Cannot reach the console sign-in at {host} ({reason}) — check your network."
        ) from None
    except (ValueError, KeyError):
        raise StsError(
            f"The console sign-in at {host} gave no sign-in token — try again."
        ) from None
