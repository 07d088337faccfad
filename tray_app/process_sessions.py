"""Where the sessions of credential_process roles live: the OS keyring, not a file.

A role served through ``credential_process`` must not also be a profile in the
credentials file: botocore reads that file before it runs the process, so a
stale copy there would shadow every fresh session. Its session is keyring item
``role-session:<role>`` instead, shared by `roletray credential-process` runs
(the AWS CLI keeps no cache between processes) and by the tray.
"""

from __future__ import annotations

import json
from datetime import datetime

from tray_app.credentials_file import TemporaryCredentials
from tray_app.keyring_cache import KeyringCache
from tray_app.keystore import Keystore

PREFIX = "role-session:"  # ':' is in no role name, so no item collides


class ProcessSessions:
    def __init__(self, keystore: Keystore) -> None:
        # Each role's session with the ARN it was made for.
        self.items: KeyringCache[tuple[str, TemporaryCredentials]] = KeyringCache(
            keystore, PREFIX, "session"
        )

    def get(
        self, role: str, role_arn: str, trust_for: float | None = None
    ) -> TemporaryCredentials | None:
        """The role's last session, if it was made for this ARN (else the role changed)."""
        held = self.items.get(role, _loads, trust_for)
        return held[1] if held and held[0] == role_arn else None

    def put(self, role: str, role_arn: str, creds: TemporaryCredentials) -> None:
        self.items.put(role, (role_arn, creds), _dumps(role_arn, creds))

    def clear(self, role: str) -> bool:
        return self.items.clear(role)


TRAY_TRUST = 5.0  # seconds the tray serves its copy before asking the keyring again
# For showing a session in the tray's menu, not handing it out: the tray's clock ticks at
# least once a minute, and a keyring read on each tick would be its only idle work (a
# D-Bus connection and a thread, waking the whole process). The tray makes or hands out
# these sessions itself; only a `--no-tray` run elsewhere shows up this much later.
TRAY_STATUS_TRUST = 300.0


def _dumps(role_arn: str, creds: TemporaryCredentials) -> str:
    return json.dumps(
        {
            "role_arn": role_arn,
            "id": creds.access_key_id,
            "secret": creds.secret_access_key,
            "token": creds.session_token,
            "expiration": creds.expiration.isoformat(),
            "principal": creds.principal_arn,
        }
    )


def _loads(text: str) -> tuple[str, TemporaryCredentials] | None:
    try:
        data = json.loads(text)
        expiration = datetime.fromisoformat(data["expiration"])
        return str(data["role_arn"]), TemporaryCredentials(
            data["id"], data["secret"], data["token"], expiration, data["principal"]
        )
    except (ValueError, KeyError, TypeError):
        return None
