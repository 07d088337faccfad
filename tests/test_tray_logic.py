"""The tray's logic without a display: menu model, schedule, and the controller driving
the real engine (moto STS, real credentials file, real keyring) under a controllable clock."""

from __future__ import annotations

import configparser
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import Home
from tests.harness.aws import MotoWorld, User
from tests.harness.fault_proxy import FaultProxy
from tray_app.app import build_engine
from tray_app.config import ConfigStore, KeySet, Role, Settings
from tray_app.credentials_file import CredentialsFile
from tray_app.keystore import MemoryKeystore
from tray_app.notify import Button
from tray_app.schedule import Kind, Schedule
from tray_app.sessions import RoleStatus, State
from tray_app.tray.controller import Controller
from tray_app.tray.icon import IconState, render, write_assets
from tray_app.tray.menu import (
    SEPARATOR,
    RoleView,
    TrayView,
    build_menu,
    countdown,
    overall_state,
    title,
)

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ARN = "arn:aws:iam::123456789012:role/R"


# -- the menu model -------------------------------------------------------------------
def view(*roles: RoleView, problem: str | None = None) -> TrayView:
    return TrayView(roles, problem, "9.9")


@pytest.mark.parametrize(
    ("notices", "first", "failed"),
    [
        ("desktop", "prod — failed — see notification", "prod — failed — see notification"),
        ("tray", "Notifications: the tray's own (no buttons)", "prod — failed — see notification"),
        (
            "log",
            "Notifications: none shown (no notification service) — errors are in this menu",
            "prod — failed: AccessDenied assuming prod: check external_id.",
        ),
    ],
)
def test_the_menu_names_where_notices_go_and_shows_errors_without_a_service(
    notices: str, first: str, failed: str
) -> None:
    role = RoleView(
        "prod", "prod", "1", State.NEVER, error="AccessDenied assuming prod: check external_id."
    )
    menu = build_menu(TrayView((role,), None, "9.9", notices))
    assert menu[0].label == first
    assert any(item.label == failed and item.action == ("assume", "prod") for item in menu)
    if notices != "desktop":
        assert menu[0].enabled is False and menu[0].action is None


def test_menu_lists_roles_then_actions_then_app_items() -> None:
    menu = build_menu(
        view(
            RoleView("prod", "prod", "1", State.ACTIVE, timedelta(minutes=42)),
            RoleView("dev", "dev-p", "1", State.NEVER),
        )
    )
    labels = [i.label for i in menu]
    assert labels[:2] == ["prod — 42 min left", "dev (dev-p) — not assumed"]
    assert menu[0].action == ("assume", "prod")
    assert labels[2:] == [
        "-", "Role actions", "Open console", "-", "Refresh all active", "Open config file",
        "Reload config", "Import from ~/.aws/config…", "Check setup", "Start at login",
        "About RoleTray 9.9", "Quit",
    ]  # fmt: skip
    prod_actions = menu[3].children[0].children
    assert [i.label for i in prod_actions] == [
        "Renew now", "Clear credentials", "Copy export AWS_PROFILE=prod", "Auto-refresh",
    ]  # fmt: skip
    assert menu[3].children[1].children[1].enabled is False  # nothing to clear for dev


def test_more_than_ten_roles_are_grouped_by_account_or_group() -> None:
    roles = [RoleView(f"r{i:02}", f"r{i:02}", f"acct-{i % 3}", State.NEVER) for i in range(12)]
    menu = build_menu(view(*roles))
    groups = [i for i in menu if i.children and i.label.startswith("acct-")]
    assert [g.label for g in groups] == ["acct-0", "acct-1", "acct-2"]
    assert [c.label.split(" ")[0] for c in groups[0].children] == ["r00", "r03", "r06", "r09"]


def test_mfa_roles_cannot_auto_refresh_and_busy_roles_cannot_be_clicked() -> None:
    menu = build_menu(
        view(RoleView("m", "m", "1", State.ACTIVE, timedelta(minutes=5), busy=True, needs_mfa=True))
    )
    assert menu[0].label == "m — working…" and menu[0].enabled is False
    auto = menu[2].children[0].children[3]
    assert auto.label == "Auto-refresh (off: needs MFA)" and auto.enabled is False


def test_icon_state_title_and_countdown() -> None:
    active = RoleView("a", "a", "1", State.ACTIVE, timedelta(minutes=30), duration=3600)
    expiring = RoleView("b", "b", "1", State.ACTIVE, timedelta(minutes=5), expiring=True)
    expired = RoleView("c", "c", "1", State.EXPIRED)
    assert overall_state(view()) is IconState.IDLE
    assert overall_state(view(active)) is IconState.ACTIVE
    assert overall_state(view(active, expired)) is IconState.EXPIRED
    assert overall_state(view(active, expired, expiring)) is IconState.EXPIRING
    assert overall_state(view(active, problem="bad config")) is IconState.ERROR
    assert overall_state(view(RoleView("d", "d", "1", State.NEVER, busy=True))) is IconState.BUSY
    assert countdown(view(active)) == pytest.approx(0.5)
    assert title(view(active)) == "RoleTray — a 30 min"
    assert title(view()) == "RoleTray — no active sessions"
    assert build_menu(view(problem="x.toml: bad"))[0].label == "⚠ x.toml: bad"


@pytest.mark.parametrize("state", list(IconState))
@pytest.mark.parametrize("size", [16, 22, 24, 32])
def test_every_icon_renders_at_every_panel_size(state: IconState, size: int) -> None:
    image = render(state, size, 0.5)
    assert image.size == (size, size) and image.mode == "RGBA"
    opaque = sum(image.getchannel("A").histogram()[201:])
    assert opaque > size * size * 0.4, "the disc fills most of the square"
    others = {render(s, size).tobytes() for s in IconState if s is not state}
    assert render(state, size).tobytes() not in others, "each state looks different"


def test_assets_are_the_rendered_icons(tmp_path: Path) -> None:
    """assets/ holds exactly what the code draws (regenerate: python -m tray_app.tray.icon)."""
    assets = Path(__file__).parent.parent / "assets"
    fresh = tmp_path / "assets"
    write_assets(fresh)
    names = sorted(p.name for p in fresh.iterdir())
    assert sorted(p.name for p in assets.iterdir()) == names
    for name in names:
        with Image.open(assets / name) as kept, Image.open(fresh / name) as drawn:
            assert kept.size == drawn.size and kept.mode == drawn.mode, name
            assert kept.tobytes() == drawn.tobytes(), f"{name} differs from what render() draws"


# -- the schedule ---------------------------------------------------------------------
def status(role: str, expiration: datetime, now: datetime) -> RoleStatus:
    left = expiration - now
    state = State.ACTIVE if left > timedelta(0) else State.EXPIRED
    return RoleStatus(role, role, state, expiration, None, left if left > timedelta(0) else None)


def test_warning_fires_once_then_expiry_once() -> None:
    roles = {"a": Role("a", ARN, "k", duration=3600)}
    settings = Settings(warn_before=600)
    sched, exp = Schedule(), T0 + timedelta(hours=1)
    at = lambda minutes: T0 + timedelta(minutes=minutes)  # noqa: E731
    assert sched.due([status("a", exp, at(0))], roles, settings, at(0)) == []
    assert sched.next_wake([status("a", exp, at(0))], roles, settings, at(0)) == at(50)
    kinds = [e.kind for e in sched.due([status("a", exp, at(51))], roles, settings, at(51))]
    assert kinds == [Kind.WARN]
    assert sched.due([status("a", exp, at(52))], roles, settings, at(52)) == []
    kinds = [e.kind for e in sched.due([status("a", exp, at(61))], roles, settings, at(61))]
    assert kinds == [Kind.EXPIRED]
    assert sched.due([status("a", exp, at(90))], roles, settings, at(90)) == []


def test_a_clock_jump_past_expiry_gives_one_expiry_and_no_stale_warning() -> None:
    roles = {"a": Role("a", ARN, "k")}
    sched, exp = Schedule(), T0 + timedelta(hours=1)
    later = T0 + timedelta(hours=3)
    events = sched.due([status("a", exp, later)], roles, Settings(), later)
    assert [e.kind for e in events] == [Kind.EXPIRED]


def test_a_new_session_is_warned_about_again() -> None:
    roles = {"a": Role("a", ARN, "k")}
    sched = Schedule()
    first, second = T0 + timedelta(minutes=5), T0 + timedelta(minutes=65)
    assert [e.kind for e in sched.due([status("a", first, T0)], roles, Settings(), T0)] == [
        Kind.WARN
    ]
    assert [e.kind for e in sched.due([status("a", second, T0)], roles, Settings(), T0)] == []
    late = T0 + timedelta(minutes=56)
    assert [e.kind for e in sched.due([status("a", second, late)], roles, Settings(), late)] == [
        Kind.WARN
    ]


def test_auto_refresh_backs_off_and_mfa_roles_only_warn() -> None:
    roles = {
        "a": Role("a", ARN, "k", duration=3600, auto_refresh=True),
        "m": Role("m", ARN, "k", auto_refresh=True, mfa_serial="arn:aws:iam::1:mfa/x0000"),
    }
    sched, exp = Schedule(), T0 + timedelta(hours=1)
    now = T0 + timedelta(minutes=56)
    statuses = [status("a", exp, now), status("m", exp, now)]
    events = sched.due(statuses, roles, Settings(refresh_before=300), now)
    assert sorted((e.role, e.kind) for e in events) == [("a", Kind.REFRESH), ("m", Kind.WARN)]
    assert sched.refresh_failed("a", now) == timedelta(seconds=30)
    assert sched.refresh_failed("a", now) == timedelta(seconds=60)
    assert sched.due(statuses, roles, Settings(refresh_before=300), now) == []
    retry = now + timedelta(seconds=61)
    again = sched.due([status("a", exp, retry)], roles, Settings(refresh_before=300), retry)
    assert [e.kind for e in again] == [Kind.REFRESH]


# -- the controller on real parts -----------------------------------------------------
@dataclass
class RecordingNotifier:
    """Stands where the desktop is; what reaches dunst is checked in test_tray_desktop."""

    supports_buttons: bool = True
    where: str = "desktop"
    sent: list[tuple[str, str, Sequence[Button]]] = field(default_factory=list)

    def notify(self, title: str, body: str, buttons: Sequence[Button] = ()) -> None:
        self.sent.append((title, body, buttons))

    def close(self) -> None:
        pass


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def controller(
    home: Home, moto: MotoWorld, alice: User, proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Controller, Clock, RecordingNotifier]]:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", proxy.url)
    arn = moto.role(f"ctl-{alice.name}", alice)
    store = ConfigStore(home.config)
    home.config.parent.mkdir(parents=True)
    home.config.write_text("[settings]\nwarn_before = 600\nrefresh_before = 300\n")
    store.put_keyset(KeySet("work", alice.access_key_id, alice.arn))
    store.put_role(Role("auto", arn, "work", duration=900, auto_refresh=True))
    store.put_role(Role("manual", arn, "work", duration=900))
    keystore = MemoryKeystore()
    keystore.set("work", alice.secret_access_key)
    engine = build_engine(store, CredentialsFile(home.credentials), keystore)
    clock = Clock(datetime.now(UTC))
    engine.clock = clock
    notifier = RecordingNotifier()
    ctl = Controller(engine, notifier)
    yield ctl, clock, notifier
    ctl.shutdown()


def key_ids(path: Path) -> dict[str, str]:
    """Each profile's access key id, as botocore's parser reads the file."""
    parser = configparser.RawConfigParser()
    parser.read(path)
    return {name: parser[name]["aws_access_key_id"] for name in parser.sections()}


def wait_done(ctl: Controller, name: str) -> None:
    future = ctl.assume(name)
    assert future is not None
    future.result(timeout=30)


def test_auto_refresh_reassumes_before_expiry_and_warns_manual_roles(
    controller: tuple[Controller, Clock, RecordingNotifier], home: Home, proxy: FaultProxy
) -> None:
    ctl, clock, notifier = controller
    wait_done(ctl, "auto")
    wait_done(ctl, "manual")
    first = CredentialsFile(home.credentials).managed_profiles()["auto"].expiration
    assert first is not None
    clock.now = first - timedelta(seconds=299)  # inside refresh_before, and the warning window
    before = key_ids(home.credentials)
    calls = proxy.faults.actions.count("AssumeRole")
    ctl.tick()
    assert ctl.wait_idle(60)  # let the refresh job finish
    after = key_ids(home.credentials)
    assert proxy.faults.actions.count("AssumeRole") == calls + 1, "exactly one refresh"
    assert after["auto"] != before["auto"], "the refresh wrote new credentials"
    assert after["manual"] == before["manual"], "the manual role was not refreshed"
    titles = [t for t, _, _ in notifier.sent]
    assert "manual expires in 5 min" in titles
    assert not any(t.startswith("auto expires") for t in titles), (
        "auto-refresh roles need no warning"
    )
    warn = next(n for n in notifier.sent if n[0] == "manual expires in 5 min")
    assert [label for label, _ in warn[2]] == ["Renew"]


def test_a_two_hour_jump_marks_sessions_expired_and_notifies_once(
    controller: tuple[Controller, Clock, RecordingNotifier],
) -> None:
    ctl, clock, notifier = controller
    wait_done(ctl, "manual")
    clock.now += timedelta(hours=2)
    ctl.tick()
    ctl.tick()
    expired = [t for t, _, _ in notifier.sent if t == "manual expired"]
    assert expired == ["manual expired"]
    assert not any("expires in" in t for t, _, _ in notifier.sent), "no stale warning"
    assert [r.state for r in ctl.view().roles if r.name == "manual"] == [State.EXPIRED]


def test_failed_auto_refresh_notifies_once_and_retries_later(
    controller: tuple[Controller, Clock, RecordingNotifier], proxy: FaultProxy
) -> None:
    ctl, clock, notifier = controller
    wait_done(ctl, "auto")
    exp = ctl.engine.status()[0].expiration
    assert exp is not None
    proxy.faults.errors = ["503"] * 9  # three calls of three attempts each
    for step in range(3):
        clock.now = exp - timedelta(seconds=290 - step * 90)
        ctl.tick()
        assert ctl.wait_idle(60)
    failures = [b for t, b, _ in notifier.sent if t == "auto: auto-refresh failed"]
    assert len(failures) == 1 and "ServiceUnavailable" in failures[0]
    assert "Retrying in 30 s" in failures[0]
    assert proxy.faults.actions.count("AssumeRole") >= 6, "it retried after backing off"


def test_menu_toggle_persists_auto_refresh_and_clear_removes_the_profile(
    controller: tuple[Controller, Clock, RecordingNotifier], home: Home
) -> None:
    ctl, _, _ = controller
    ctl.dispatch(("auto-refresh", "manual"))
    assert "auto_refresh = true" in home.config.read_text().split("[roles.manual]")[1]
    wait_done(ctl, "manual")
    ctl.dispatch(("clear", "manual"))
    assert ctl.wait_idle(60)
    assert "manual" not in CredentialsFile(home.credentials).managed_profiles()


def test_a_broken_config_is_shown_not_fatal(
    controller: tuple[Controller, Clock, RecordingNotifier], home: Home
) -> None:
    ctl, _, notifier = controller
    home.config.write_text(home.config.read_text() + "\n[roles.bad]\nduration = 5\n")
    shown = ctl.view()
    assert shown.problem is not None and "role 'bad'" in shown.problem
    assert overall_state(shown) is IconState.ERROR
    assert ctl.tick() == 60.0
    items = build_menu(shown)
    assert items[0].label.startswith("⚠") and items[-1].label == "Quit"
    assert SEPARATOR in items
    ctl.dispatch(("reload", ""))
    assert notifier.sent[-1][0] == "RoleTray: config not loaded"


def test_clear_on_expiry_removes_the_expired_profile(
    controller: tuple[Controller, Clock, RecordingNotifier], home: Home
) -> None:
    ctl, clock, notifier = controller
    home.config.write_text(home.config.read_text().replace(
        "[settings]\n", "[settings]\nclear_on_expiry = true\n"))  # fmt: skip
    wait_done(ctl, "manual")
    clock.now += timedelta(minutes=16)
    ctl.tick()
    assert ctl.wait_idle(30)
    assert "manual" not in CredentialsFile(home.credentials).managed_profiles()
    assert [t for t, _, _ in notifier.sent if t == "manual expired"] == ["manual expired"]
