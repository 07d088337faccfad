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


@dataclass(frozen=True)
class Due:
    kind: Kind
    role: str
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
        self.fired = {f for f in self.fired if f[2] in live}  # forget replaced sessions
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


def auto_refreshes(role: Role) -> bool:
    """MFA roles never refresh on their own: a person must type the code."""
    return role.auto_refresh and not role.mfa_serial
