"""The expiry schedule: which warnings, expiries and refreshes are due, and when to wake next.

Pure and clock-driven: every tick recomputes from wall-clock expiry times read
from the credentials file, so a machine that slept, or a clock that jumped,
gets each missed event once, late, never twice and never not at all. Nothing
here sleeps, notifies or calls STS; the tray acts on what ``due`` returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from tray_app.config import Role, Settings
from tray_app.sessions import RoleStatus

FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(minutes=5)


class Kind(StrEnum):
    WARN = "warn"  # the session expires soon
    EXPIRED = "expired"  # it has expired
    REFRESH = "refresh"  # auto-refresh should re-assume it now
    MFA_WARN = "mfa-warn"  # a key set's MFA session, which auto-refresh signs with, ends soon
    MFA_EXPIRED = "mfa-expired"  # it has ended: auto-refresh needs a new code


@dataclass(frozen=True)
class Due:
    kind: Kind
    role: str  # for MFA_WARN and MFA_EXPIRED: the key set
    expiration: datetime


@dataclass
class Schedule:
    """Remembers what already fired (per session) and the refresh back-off."""

    fired: set[tuple[Kind, str, datetime]] = field(default_factory=set)
    retry_at: dict[str, datetime] = field(default_factory=dict)
    retry_delay: dict[str, timedelta] = field(default_factory=dict)

    def due(
        self,
        statuses: Iterable[RoleStatus],
        roles: Mapping[str, Role],
        settings: Settings,
        now: datetime,
    ) -> list[Due]:
        """Events due at ``now``; warnings and expiries are marked fired when returned."""
        events: list[Due] = []
        live: set[datetime] = set()
        for status in statuses:
            role = roles.get(status.role)
            if role is None or status.expiration is None:
                continue
            live.add(status.expiration)
            for kind, at in self._times(role, settings, status.expiration):
                if now >= at and self._wanted(kind, role, status.expiration, now):
                    events.append(Due(kind, role.name, status.expiration))
        # Forget replaced sessions (MFA sessions' entries are kept: they are few).
        self.fired = {f for f in self.fired if f[2] in live or f[0] in _MFA_KINDS}
        for event in events:
            if event.kind is not Kind.REFRESH:
                self.fired.add((event.kind, event.role, event.expiration))
        return events

    def next_wake(
        self,
        statuses: Iterable[RoleStatus],
        roles: Mapping[str, Role],
        settings: Settings,
        now: datetime,
    ) -> datetime | None:
        """The earliest future moment something becomes due (None: nothing pending)."""
        moments = []
        for status in statuses:
            role = roles.get(status.role)
            if role is None or status.expiration is None:
                continue
            for kind, at in self._times(role, settings, status.expiration):
                if at > now and (kind, role.name, status.expiration) not in self.fired:
                    moments.append(at)
        return min(moments, default=None)

    def mfa_due(
        self, sessions: Mapping[str, datetime], settings: Settings, now: datetime
    ) -> list[Due]:
        """MFA sessions (key set → end) that auto-refresh relies on: warn, then say it ended.
        Each fires once per session, also when a sleep skipped its moment; past the end,
        only the ended notice comes."""
        events = []
        for keyset, end in sessions.items():
            warn_at = end - timedelta(seconds=settings.warn_before)
            kind = Kind.MFA_EXPIRED if now >= end else Kind.MFA_WARN if now >= warn_at else None
            if kind and (kind, keyset, end) not in self.fired:
                self.fired |= {(kind, keyset, end), (Kind.MFA_WARN, keyset, end)}
                events.append(Due(kind, keyset, end))
        return events

    def mfa_next_wake(
        self, sessions: Mapping[str, datetime], settings: Settings, now: datetime
    ) -> datetime | None:
        moments = [
            at
            for keyset, end in sessions.items()
            for kind, at in _mfa_times(settings, end)
            if at > now and (kind, keyset, end) not in self.fired
        ]
        return min(moments, default=None)

    def refresh_failed(self, role: str, now: datetime) -> timedelta:
        """Back off: 30 s, 60 s, 120 s … capped at 5 min. Returns the delay chosen."""
        delay = min(self.retry_delay.get(role, FIRST_RETRY / 2) * 2, MAX_RETRY)
        self.retry_delay[role] = delay
        self.retry_at[role] = now + delay
        return delay

    def refresh_succeeded(self, role: str) -> None:
        self.retry_at.pop(role, None)
        self.retry_delay.pop(role, None)

    def _times(
        self, role: Role, settings: Settings, expiration: datetime
    ) -> list[tuple[Kind, datetime]]:
        times = [(Kind.EXPIRED, expiration)]
        if auto_refreshes(role):
            # Never more than half a session early, or a short session would refresh forever.
            lead = min(settings.refresh_before, role.duration // 2)
            refresh_at = expiration - timedelta(seconds=lead)
            times.append((Kind.REFRESH, max(refresh_at, self.retry_at.get(role.name, refresh_at))))
        else:
            times.append((Kind.WARN, expiration - timedelta(seconds=settings.warn_before)))
        return times

    def _wanted(self, kind: Kind, role: Role, expiration: datetime, now: datetime) -> bool:
        if (kind, role.name, expiration) in self.fired:
            return False
        if kind is Kind.WARN:
            return now < expiration  # past expiry the EXPIRED notice says it all
        if kind is Kind.REFRESH:
            return now < expiration or role.name not in self.retry_at
        return True


_MFA_KINDS = (Kind.MFA_WARN, Kind.MFA_EXPIRED)


def _mfa_times(settings: Settings, end: datetime) -> list[tuple[Kind, datetime]]:
    return [(Kind.MFA_WARN, end - timedelta(seconds=settings.warn_before)), (Kind.MFA_EXPIRED, end)]


def auto_refreshes(role: Role) -> bool:
    """A role that asks for a code on every assume never refreshes on its own; one that
    signs with its key set's MFA session does, while that session lasts."""
    return role.auto_refresh and not role.mfa_each_time
