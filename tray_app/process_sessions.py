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
from tray_app.session_notes import Noted, SessionNotes

PREFIX = "role-session:"  # ':' is in no role name, so no item collides


class ProcessSessions:
    def __init__(self, keystore: Keystore, notes: SessionNotes) -> None:
        # Each role's session with the ARN it was made for.
        self.items: KeyringCache[tuple[str, TemporaryCredentials]] = KeyringCache(
            keystore, PREFIX, "session"
        )
        self.notes = notes  # what status shows of them, without the secret
        self._noted: dict[str, Noted | None] = {}  # what this process last noted, by role

    def get(self, role: str, role_arn: str) -> TemporaryCredentials | None:
        """The role's last session, if it was made for this ARN (else the role changed)."""
        held = self.items.get(role, _loads)
        self._note(role, held)
        return held[1] if held and held[0] == role_arn else None

    def put(self, role: str, role_arn: str, creds: TemporaryCredentials) -> None:
        self.items.put(role, (role_arn, creds), _dumps(role_arn, creds))
        self._note(role, (role_arn, creds))

    def clear(self, role: str) -> bool:
        had = self.items.clear(role)
        self._note(role, None)
        return had

    def _note(self, role: str, held: tuple[str, TemporaryCredentials] | None) -> None:
        """Keep the notes to what the keyring holds (a read may find them stale)."""
        note = Noted(held[0], held[1].expiration, held[1].principal_arn) if held else None
        if role not in self._noted or self._noted[role] != note:
            self.notes.write(role, note)
            self._noted[role] = note


TRAY_TRUST = 5.0  # seconds the tray serves its copy before asking the keyring again


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
