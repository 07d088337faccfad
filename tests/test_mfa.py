"""MFA with injected fakes: the code gate, the session source, prompt drivers' argv,
the MFA schedule and menu. The same paths on real parts are in test_mfa_real."""

from __future__ import annotations

import os
import stat
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.test_engine import ARN, NOW, FakeSts, MemoryKeystore
from tray_app.config import ConfigStore, Role, Settings
from tray_app.credentials_file import CredentialsFile
from tray_app.engine import Engine
from tray_app.errors import ConfigError, KeystoreError, PromptError, StsError
from tray_app.mfa import MfaCodes, MfaNeeded
from tray_app.prompt import choose, driver_name, kdialog, mfa_process, ykman, zenity
from tray_app.schedule import Kind, Schedule
from tray_app.sessions import State
from tray_app.sources.mfa_session import PREFIX
from tray_app.sts import SigningKey
from tray_app.tray.menu import MfaView, RoleView, TrayView, build_menu

SERIAL = "arn:aws:iam::123456789012:mfa/alice"
ROLE = Role("prod", ARN, "work", mfa_serial=SERIAL)


@dataclass
class FakeTime:
    """A clock the gate reads and a sleep that moves it, so waits cost no real time."""

    now: float = 1_000_010.0  # 20 s into a 30-second window (1,000,010 mod 30)
    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def gate(answers: list[str], told: list[str], time: FakeTime) -> MfaCodes:
    asked = iter(answers)
    return MfaCodes(lambda s: lambda role: next(asked), told.append, lambda: time.now, time.sleep)


# -- no code used twice --------------------------------------------------------------
def test_a_second_code_in_the_same_window_waits_for_the_next_one() -> None:
    time, told = FakeTime(), []
    codes = gate(["111111", "222222"], told, time)
    assert codes.code(ROLE, Settings()) == "111111"
    assert codes.code(ROLE, Settings()) == "222222"
    assert time.slept and 10 <= time.slept[0] <= 10.5, "waited out the rest of the window"
    assert told == ["Waiting 10 s for the next MFA code for prod."]


def test_a_code_typed_again_is_refused_here_and_asked_again() -> None:
    time, told = FakeTime(), []
    codes = gate(["111111", "111111", "333333"], told, time)
    codes.code(ROLE, Settings())
    assert codes.code(ROLE, Settings()) == "333333"
    assert "That MFA code for prod was just used — enter the next one." in told
    with pytest.raises(PromptError, match="was just used"):
        codes.code(ROLE, Settings(), given="333333")


def test_without_a_person_to_ask_a_code_is_needed_not_prompted() -> None:
    codes = gate([], [], FakeTime())
    with pytest.raises(MfaNeeded) as raised:
        codes.code(ROLE, Settings(), interactive=False)
    assert raised.value.keyset == "work" and "renew it from the RoleTray menu" in str(raised.value)


def test_two_threads_asking_for_one_device_are_asked_one_after_the_other() -> None:
    inside, overlapped = threading.Event(), []

    def prompt(role: Role) -> str:
        overlapped.append(inside.is_set())
        inside.set()
        threading.Event().wait(0.05)
        inside.clear()
        return f"{len(overlapped):06d}"

    codes = MfaCodes(lambda s: prompt, step=0.001)
    threads = [threading.Thread(target=codes.code, args=(ROLE, Settings())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert overlapped == [False] * 4


# -- the session source, through the engine ------------------------------------------
@dataclass
class SessionSts(FakeSts):
    sessions: list[str] = field(default_factory=list)  # the codes GetSessionToken got
    refuse_sessions: int = 0

    def session_token(
        self, key: SigningKey, serial: str, code: str, duration: int, region: str
    ) -> SigningKey:
        assert key.session_token is None, "a session is made from the long-lived key"
        self.sessions.append(code)
        n = len(self.sessions)
        return SigningKey(
            key.keyset, f"ASIASESSION{n:09d}", "s", f"t{n}", NOW + timedelta(seconds=duration)
        )

    def assume_role(self, key, request):  # type: ignore[no-untyped-def]
        if key.session_token and self.refuse_sessions:
            self.refuse_sessions -= 1
            self.calls.append((key, request))
            raise StsError("expired", "ExpiredToken")
        return super().assume_role(key, request)


@pytest.fixture
def session_engine(tmp_path: Path) -> tuple[Engine, SessionSts, list[str]]:
    sts, asked = SessionSts(), []

    def prompt(role: Role) -> str:
        asked.append(role.name)
        return f"{len(asked):06d}"

    engine = Engine(
        ConfigStore(tmp_path / "config.toml"), MemoryKeystore(), lambda c: sts,
        CredentialsFile(tmp_path / "credentials"), clock=lambda: NOW,
        mfa=MfaCodes(lambda s: prompt, step=0.001),
    )  # fmt: skip
    engine.add_keys("work", "AKIAIOSFODNN7EXAMPLE", "long-lived-secret")
    for name in ("a", "b"):
        engine.add_role(Role(name, ARN, "work", mfa_serial=SERIAL, mfa_strategy="session",
                             duration=7200))  # fmt: skip
    return engine, sts, asked


def test_session_roles_share_one_code_and_sign_with_the_session(
    session_engine: tuple[Engine, SessionSts, list[str]],
) -> None:
    engine, sts, asked = session_engine
    engine.assume("a")
    engine.assume("b", interactive=False)  # no prompt needed: the session is cached
    assert asked == ["a"] and sts.sessions == ["000001"]
    for key, request in sts.calls:
        assert key.session_token == "t1" and request.mfa_serial is None
        assert request.duration == 3600, "AWS's 1-hour cap from session credentials"
    stored = engine.keystore.find(PREFIX + "work")
    assert stored and '"token": "t1"' in stored


def test_a_refused_session_is_replaced_once_and_a_rekeyed_key_set_drops_it(
    session_engine: tuple[Engine, SessionSts, list[str]],
) -> None:
    engine, sts, asked = session_engine
    engine.assume("a")
    sts.refuse_sessions = 1
    engine.assume("b")
    assert sts.sessions == ["000001", "000002"] and asked == ["a", "b"]
    assert sts.calls[-1][0].session_token == "t2"
    engine.add_keys("work", "AKIAIOSFODNN7OTHER00", "another-secret", verify=False)
    with pytest.raises(MfaNeeded):  # the cached session belongs to the old key
        engine.assume("a", interactive=False)
    assert engine.mfa_status() == {"work": None}, "a session of the old key is not shown"


def test_mfa_status_and_clear(session_engine: tuple[Engine, SessionSts, list[str]]) -> None:
    engine, _, _ = session_engine
    assert engine.mfa_status() == {"work": None}
    engine.assume("a")
    session = engine.mfa_status()["work"]
    assert session is not None and session.expiration == NOW + timedelta(hours=12)
    assert engine.clear_mfa("work") is True
    assert engine.mfa_status() == {"work": None}
    with pytest.raises(ConfigError, match="No key set named 'nope'"):
        engine.clear_mfa("nope")


def test_a_strategy_that_is_not_known_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    keys = '[keys.w]\naccess_key_id = "AKIAIOSFODNN7EXAMPLE"\n'
    path.write_text(f'{keys}[roles.r]\nrole_arn = "{ARN}"\nkeys = "w"\nmfa_strategy = "sms"\n')
    with pytest.raises(ConfigError, match="mfa_strategy 'sms' is not one of direct, session"):
        ConfigStore(path).load()


# -- prompt drivers --------------------------------------------------------------------
def test_each_driver_is_chosen_by_name_with_a_default_per_os_and_shell(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no zenity, no kdialog
    auto = Settings()
    assert driver_name(auto, "cli") == "terminal"
    assert driver_name(auto, "tray", "darwin") == "osascript"
    assert driver_name(auto, "tray", "win32") == "tk"
    assert driver_name(auto, "tray", "linux") == "tk"
    _executable(tmp_path / "kdialog", "")
    assert driver_name(auto, "tray", "linux") == "kdialog"
    assert driver_name(Settings(mfa_prompt="terminal"), "tray", "linux") == "kdialog"
    assert driver_name(Settings(mfa_prompt="ykman"), "cli") == "ykman"
    with pytest.raises(PromptError, match="mfa_prompt is zenity, which is not installed"):
        choose(Settings(mfa_prompt="zenity"), "tray", print)(ROLE)


def test_dialog_argv_hides_the_code_and_never_carries_it() -> None:
    assert zenity.command(ROLE)[:3] == ["zenity", "--entry", "--hide-text"]
    assert kdialog.command(ROLE)[3] == "--password"
    assert ykman.command(ROLE, "") == ["ykman", "oath", "accounts", "code", "--single", SERIAL]
    assert ykman.command(ROLE, "AWS:alice")[-1] == "AWS:alice"
    assert mfa_process.argv("op item get 'AWS prod' --otp") == [
        "op",
        "item",
        "get",
        "AWS prod",
        "--otp",
    ]


def _executable(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_ykman_relays_the_touch_prompt_and_mfa_process_gets_the_role(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _executable(tmp_path / "ykman", 'echo "Touch your YubiKey..." >&2; echo 424242')
    _executable(tmp_path / "otp", 'echo "for $ROLETRAY_ROLE $ROLETRAY_MFA_SERIAL" >&2; echo 515151')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    told: list[str] = []
    assert choose(Settings(mfa_prompt="ykman"), "tray", told.append)(ROLE) == "424242"
    assert told == ["Touch your YubiKey for the MFA code of prod."]
    settings = Settings(mfa_prompt="mfa_process", mfa_process=f"{tmp_path / 'otp'} --x")
    assert choose(settings, "cli", told.append)(ROLE) == "515151"
    _executable(tmp_path / "otp", "exit 3")
    with pytest.raises(PromptError, match=r"mfa_process gave no code for prod \(exit status 3\)"):
        choose(settings, "cli", told.append)(ROLE)


# -- the schedule and the menu ---------------------------------------------------------
def test_an_mfa_session_warns_once_then_ends_once_and_a_jump_past_the_end_only_ends() -> None:
    end = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
    settings = Settings(warn_before=600)
    sched = Schedule()
    assert sched.mfa_due({"work": end}, settings, end - timedelta(minutes=11)) == []
    assert sched.mfa_next_wake(
        {"work": end}, settings, end - timedelta(hours=1)
    ) == end - timedelta(minutes=10)
    warn = sched.mfa_due({"work": end}, settings, end - timedelta(minutes=9))
    assert [(e.kind, e.role) for e in warn] == [(Kind.MFA_WARN, "work")]
    assert sched.mfa_due({"work": end}, settings, end - timedelta(minutes=8)) == []
    assert [e.kind for e in sched.mfa_due({"work": end}, settings, end)] == [Kind.MFA_EXPIRED]
    assert sched.mfa_due({"work": end}, settings, end + timedelta(hours=1)) == []
    jumped = Schedule().mfa_due({"work": end}, settings, end + timedelta(hours=3))
    assert [e.kind for e in jumped] == [Kind.MFA_EXPIRED]


def test_the_menu_offers_mfa_sessions_and_auto_refresh_for_session_roles() -> None:
    roles = (
        RoleView("s", "s", "1", State.NEVER, mfa_session=True),
        RoleView("d", "d", "1", State.NEVER, needs_mfa=True),
    )
    end = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
    menu = build_menu(TrayView(roles, None, "1", "desktop", (MfaView("work", end),)))
    mfa = next(i for i in menu if i.label == "MFA sessions")
    (work,) = mfa.children
    assert work.label == f"work — until {end.astimezone():%H:%M}"
    assert [(c.label, c.action) for c in work.children] == [
        ("Enter a new code", ("mfa-renew", "work")),
        ("End this MFA session", ("mfa-clear", "work")),
    ]
    actions = next(i for i in menu if i.label == "Role actions")
    autos = {r.label: r.children[3] for r in actions.children}
    assert autos["s"].label == "Auto-refresh (while the MFA session lasts)" and autos["s"].enabled
    assert autos["d"].label == "Auto-refresh (off: needs MFA)" and not autos["d"].enabled
    notes = {r.label: r.children[-1].label for r in actions.children}
    assert notes == {
        "s": "MFA: one code per key set session (1 h role sessions)",
        "d": "MFA: a code on every assume",
    }
    ended = build_menu(TrayView(roles, None, "1", "desktop", (MfaView("work", end, True),)))
    assert (
        next(i for i in ended if i.label == "MFA sessions")
        .children[0]
        .label.startswith("work — ended at")
    )


def test_a_session_ended_elsewhere_is_not_used_and_one_the_keyring_refused_stays_in_memory(
    session_engine: tuple[Engine, SessionSts, list[str]],
) -> None:
    engine, sts, asked = session_engine
    engine.assume("a")
    engine.keystore.delete(PREFIX + "work")  # `roletray mfa clear work` in another process
    with pytest.raises(MfaNeeded):
        engine.assume("b", interactive=False)

    class Refusing(MemoryKeystore):
        def set(self, name: str, secret: str) -> None:
            if name.startswith(PREFIX):
                raise KeystoreError("over the Credential Locker's limit")
            super().set(name, secret)

    keystore = Refusing()
    keystore.secrets = dict(engine.keystore.secrets)
    engine.keystore = engine.mfa_sessions.items.keystore = keystore
    engine.assume("a")  # a new code; the session lives in this process only
    engine.assume("b", interactive=False)
    assert len(sts.sessions) == 2 and asked == ["a", "a"]
