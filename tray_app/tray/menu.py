"""The tray's state as plain data, and the menu built from it: pure, no display needed.

``build_menu(view)`` returns a tuple of ``Item``; ``ui.py`` renders it with
pystray. Equal views give equal menus, so the UI rebuilds only on change (a
rebuild closes a menu the user has open).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from tray_app.sessions import State, format_left
from tray_app.tray.icon import IconState

GROUP_ABOVE = 10  # more roles than this: one submenu per account (or `group`)
Action = tuple[str, str]  # (verb, role name or "")


@dataclass(frozen=True)
class RoleView:
    name: str
    profile: str
    group: str
    state: State
    time_left: timedelta | None = None
    expiration: datetime | None = None
    duration: int = 3600
    busy: bool = False
    error: str | None = None
    expiring: bool = False  # inside its warning window
    auto_refresh: bool = False
    needs_mfa: bool = False  # asks for a code on every assume (mfa_strategy direct)
    mfa_session: bool = False  # signs with its key set's MFA session (mfa_strategy session)


@dataclass(frozen=True)
class MfaView:
    keyset: str
    expiration: datetime | None = None  # None: none known (the next assume asks for a code)
    ended: bool = False


@dataclass(frozen=True)
class TrayView:
    roles: tuple[RoleView, ...] = ()
    problem: str | None = None  # the config cannot be loaded: say why, keep running
    version: str = ""
    notices: str = "desktop"  # where notifications go: desktop, tray, or log (none shown)
    mfa: tuple[MfaView, ...] = ()  # key sets that session-strategy roles sign with
    autostart: bool = False  # starts at login


@dataclass(frozen=True)
class Item:
    label: str
    action: Action | None = None
    enabled: bool = True
    checked: bool | None = None  # None: not a check item
    children: tuple[Item, ...] = ()


SEPARATOR = Item("-")


def overall_state(view: TrayView) -> IconState:
    roles = view.roles
    if any(r.busy for r in roles):
        return IconState.BUSY
    if view.problem or any(r.error for r in roles):
        return IconState.ERROR
    if any(r.state is State.ACTIVE and r.expiring for r in roles):
        return IconState.EXPIRING
    if any(r.state is State.EXPIRED for r in roles):
        return IconState.EXPIRED
    if any(r.state is State.ACTIVE for r in roles):
        return IconState.ACTIVE
    return IconState.IDLE


def countdown(view: TrayView) -> float | None:
    """How much of the soonest-expiring active session is left (0..1), for the icon ring."""
    active = [r for r in view.roles if r.state is State.ACTIVE and r.time_left]
    if not active:
        return None
    soonest = min(active, key=lambda r: r.time_left or timedelta(0))
    assert soonest.time_left is not None
    return soonest.time_left.total_seconds() / max(soonest.duration, 1)


def title(view: TrayView) -> str:
    active = [r for r in view.roles if r.state is State.ACTIVE]
    if view.problem:
        return f"RoleTray — {view.problem}"[:120]
    if not active:
        return "RoleTray — no active sessions"
    parts = ", ".join(f"{r.profile} {format_left(r.time_left)}" for r in active)
    return f"RoleTray — {parts}"[:120]


NOTICES_ELSEWHERE = {
    "tray": "Notifications: the tray's own (no buttons)",
    "log": "Notifications: none shown (no notification service) — errors are in this menu",
}


def role_label(role: RoleView, notices: str = "desktop") -> str:
    name = role.name if role.profile == role.name else f"{role.name} ({role.profile})"
    if role.busy:
        status = "working…"
    elif role.error and notices == "log":
        status = f"failed: {role.error}"[:90]  # nobody will see a notification
    elif role.error:
        status = "failed — see notification"
    elif role.state is State.ACTIVE:
        status = f"{format_left(role.time_left)} left"
    elif role.state is State.EXPIRED:
        status = "expired"
    else:
        status = "not assumed"
    return f"{name} — {status}"


def build_menu(view: TrayView) -> tuple[Item, ...]:
    items: list[Item] = []
    if view.problem:
        items.append(Item(f"⚠ {view.problem}"[:100], enabled=False))
    if not view.roles and not view.problem:
        items.append(Item("No roles yet — add one with `roletray roles add`", enabled=False))
    if view.notices in NOTICES_ELSEWHERE:
        items.append(Item(NOTICES_ELSEWHERE[view.notices], enabled=False))
    items.extend(_grouped(view.roles, lambda role: _role_item(role, view.notices)))
    if view.roles:
        items += [SEPARATOR, Item("Role actions", children=tuple(_grouped(view.roles, _actions)))]
        items.append(Item("Open console", children=tuple(_grouped(view.roles, _console))))
    if view.mfa:
        items.append(Item("MFA sessions", children=tuple(_mfa_item(m) for m in view.mfa)))
    any_active = any(r.state is State.ACTIVE for r in view.roles)
    items += [
        SEPARATOR,
        Item("Refresh all active", ("refresh-all", ""), enabled=any_active),
        Item("Open config file", ("open-config", "")),
        Item("Reload config", ("reload", "")),
        Item("Import from ~/.aws/config…", ("import-aws", "")),
        Item("Check setup", ("doctor", "")),
        Item("Start at login", ("autostart", ""), checked=view.autostart),
        Item(f"About RoleTray {view.version}".rstrip(), ("about", "")),
        Item("Quit", ("quit", "")),
    ]
    return tuple(items)


def _role_item(role: RoleView, notices: str) -> Item:
    return Item(role_label(role, notices), ("assume", role.name), enabled=not role.busy)


def _mfa_item(mfa: MfaView) -> Item:
    at = f"{mfa.expiration.astimezone():%H:%M}" if mfa.expiration else ""
    until = "none" if not at else f"ended at {at}" if mfa.ended else f"until {at}"
    return Item(
        f"{mfa.keyset} — {until}",
        children=(
            Item("Enter a new code", ("mfa-renew", mfa.keyset)),
            Item("End this MFA session", ("mfa-clear", mfa.keyset), enabled=bool(mfa.expiration)),
        ),
    )


def _actions(role: RoleView) -> Item:
    auto_label = "Auto-refresh (off: needs MFA)" if role.needs_mfa else "Auto-refresh"
    if role.mfa_session:
        auto_label = "Auto-refresh (while the MFA session lasts)"
    return Item(
        role.name,
        children=(
            Item("Renew now", ("assume", role.name), enabled=not role.busy),
            Item(
                "Clear credentials",
                ("clear", role.name),
                enabled=role.state is not State.NEVER and not role.busy,
            ),
            Item(f"Copy export AWS_PROFILE={role.profile}", ("copy", role.name)),
            Item(
                auto_label,
                ("auto-refresh", role.name),
                enabled=not role.needs_mfa,
                checked=role.auto_refresh and not role.needs_mfa,
            ),
            *_mfa_note(role),
        ),
    )


def _console(role: RoleView) -> Item:
    return Item(role.name, ("console", role.name), enabled=not role.busy)


def _mfa_note(role: RoleView) -> tuple[Item, ...]:
    """The role's mfa_strategy, in words (an information line)."""
    if role.mfa_session:
        return (Item("MFA: one code per key set session (1 h role sessions)", enabled=False),)
    if role.needs_mfa:
        return (Item("MFA: a code on every assume", enabled=False),)
    return ()


def _grouped(roles: Iterable[RoleView], make: Callable[[RoleView], Item]) -> list[Item]:
    roles = list(roles)
    if len(roles) <= GROUP_ABOVE:
        return [make(r) for r in roles]
    ordered = sorted(roles, key=lambda r: (r.group, r.name))
    return [
        Item(group, children=tuple(make(r) for r in members))
        for group, members in groupby(ordered, key=lambda r: r.group)
    ]
