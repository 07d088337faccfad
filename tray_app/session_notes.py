"""What status needs of each credential_process session, kept without its secret.

Those sessions live in the OS keyring (``process_sessions``). Showing one only
needs the role ARN it was made for, when it ends and whose it is, none of them
secret: they are noted here, in a small JSON file beside the config, each time
the keyring item is written or removed. `roletray status` and the tray's menu
read this file instead of the keyring: no unlock prompt, no D-Bus connection and
no key exchange (~25 ms of a cold status, and the idle tray's only keyring use).

The keyring stays the truth. Every read of it puts what it found here, so a note
that went stale (an item removed in a keyring manager, a note that could not be
written) is set right by the next `credential-process`.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)


class Noted(NamedTuple):
    role_arn: str
    expiration: datetime
    principal_arn: str | None


class SessionNotes:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def beside(cls, config: Path) -> SessionNotes:
        """The notes of the sessions of this config's roles (the demo's stay in its folder)."""
        return cls(config.parent / f".{config.name}.sessions.json")

    def read(self) -> dict[str, Noted]:
        """Each role's note; a missing or unreadable file is no notes."""
        try:
            data = json.loads(self.path.read_text("utf-8"))
            return {role: _noted(fields) for role, fields in data["sessions"].items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("ignoring %s: %s", self.path, exc)
            return {}

    def write(self, role: str, note: Noted | None) -> None:
        """Note ``role``'s session (None: it has none). A failure is logged, not raised:
        the session itself is in the keyring, and the next read of it notes it again."""
        from tray_app import file_lock
        from tray_app.atomicfile import atomic_write

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with file_lock.acquire(self.path.with_name(self.path.name + ".lock"), timeout=10):
                notes = self.read()
                if notes.get(role) == note:
                    return
                if note is None:
                    notes.pop(role)
                else:
                    notes[role] = note
                atomic_write(self.path, _dumps(notes).encode("utf-8"), mode=0o600)
        except (OSError, file_lock.LockTimeout) as exc:
            log.warning("could not note the session of %s in %s: %s", role, self.path, exc)


def _noted(fields: dict[str, str]) -> Noted:
    return Noted(
        str(fields["role_arn"]),
        datetime.fromisoformat(fields["expiration"]),
        str(fields["principal_arn"]) if fields.get("principal_arn") else None,
    )


def _dumps(notes: dict[str, Noted]) -> str:
    sessions = {
        role: {
            "role_arn": note.role_arn,
            "expiration": note.expiration.isoformat(),
            "principal_arn": note.principal_arn,
        }
        for role, note in sorted(notes.items())
    }
    return json.dumps({"sessions": sessions}, indent=1) + "\n"
