"""What state each role's session is in, derived from the credentials file (and, for
credential_process roles, the notes of their keyring sessions) and a clock.

Nothing here is cached: the files are the truth, so status is right after a
restart, after another roletray process wrote, or after the user edited them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `status` through the tray needs none: they load only when used
    from tray_app.config import Config, Role
    from tray_app.credentials_file import CredentialsFile, ManagedProfile
    from tray_app.session_notes import SessionNotes


def format_expiry(moment: datetime) -> str:
    """An expiry as AWS writes it: UTC, to the second, with Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class State(StrEnum):
    NEVER = "never"  # no managed profile for this role in the file
    ACTIVE = "active"
    EXPIRED = "expired"


@dataclass(frozen=True)
class RoleStatus:
    role: str
    profile: str
    state: State
    expiration: datetime | None = None
    principal_arn: str | None = None
    time_left: timedelta | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "role": self.role,
            "profile": self.profile,
            "state": str(self.state),
            "expiration": format_expiry(self.expiration) if self.expiration else None,
            "seconds_left": int(self.time_left.total_seconds()) if self.time_left else 0,
            "principal_arn": self.principal_arn,
        }


def from_json(row: Mapping[str, object], now: datetime) -> RoleStatus:
    """A status row as ``as_json`` made it (the tray's broker sends these)."""
    expiration = datetime.fromisoformat(str(row["expiration"])) if row.get("expiration") else None
    left = expiration - now if expiration else None
    return RoleStatus(
        str(row["role"]),
        str(row["profile"]),
        State(str(row["state"])),
        expiration,
        str(row["principal_arn"]) if row.get("principal_arn") else None,
        left if left and left > timedelta(0) else None,
    )


def role_status(role: Role, managed: Mapping[str, ManagedProfile], now: datetime) -> RoleStatus:
    profile = managed.get(role.target_profile)
    if profile is None:
        return RoleStatus(role.name, role.target_profile, State.NEVER)
    left = profile.expiration - now if profile.expiration else timedelta(0)
    state = State.ACTIVE if left > timedelta(0) else State.EXPIRED
    return RoleStatus(
        role.name,
        role.target_profile,
        state,
        profile.expiration,
        profile.principal_arn,
        left if state is State.ACTIVE else None,
    )


def statuses(
    config: Config, managed: Mapping[str, ManagedProfile], now: datetime
) -> list[RoleStatus]:
    return [role_status(role, managed, now) for role in config.roles.values()]


def held_sessions(
    config: Config, credentials: CredentialsFile, notes: SessionNotes
) -> dict[str, ManagedProfile]:
    """Each profile's session: the credentials file's managed sections, and for a
    credential_process role (never in that file) the note of its keyring session."""
    from tray_app.credentials_file import ManagedProfile

    held = credentials.managed_profiles()
    process_roles = [role for role in config.roles.values() if role.credential_process]
    noted = notes.read() if process_roles else {}
    for role in process_roles:
        held.pop(role.target_profile, None)
        note = noted.get(role.name)
        if note is not None and note.role_arn == role.role_arn:  # else the role changed
            held[role.target_profile] = ManagedProfile(
                role.target_profile, role.name, note.expiration, note.principal_arn
            )
    return held


def format_left(left: timedelta | None) -> str:
    """'42 min', '1 h 05 min', '< 1 min' (to the nearest minute); '' when nothing is left."""
    if left is None or left <= timedelta(0):
        return ""
    minutes = int((left.total_seconds() + 30) // 60)
    if minutes < 1:
        return "< 1 min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
