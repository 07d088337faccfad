"""MFA on real parts: moto (auth on) behind the MFA-checking proxy, gnome-keyring, the
AWS CLI, and on Xvfb a real zenity and Tk dialog typed into from a tray click.

The proxy rejects a wrong, missing or reused code, answers GetSessionToken for
the key a test registers (checking its SigV4 signature), and re-signs requests
made with that session with the long-lived key before moto sees them.
"""

from __future__ import annotations

import json
import os
import select
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import TRAY_EXTERNAL_ID, Home
from tests.harness.aws import MotoWorld, User
from tests.harness.desktop import wait_for
from tests.harness.fault_proxy import FaultProxy, totp
from tests.harness.tray import Tray
from tests.test_cli_real import add_keys, add_role
from tests.test_tray_logic import Clock, RecordingNotifier
from tray_app.app import build_engine
from tray_app.config import ConfigStore, KeySet, Role
from tray_app.credentials_file import CredentialsFile
from tray_app.keystore import MemoryKeystore
from tray_app.mfa import MfaCodes
from tray_app.tray.controller import Controller

pytestmark = pytest.mark.real
CODE = "271828"  # not a substring of the account id, so a leak check can see it


def serial(user: User) -> str:
    return f"arn:aws:iam::123456789012:mfa/{user.name}"


@pytest.fixture
def mfa_home(home: Home, moto: MotoWorld, alice: User, proxy: FaultProxy) -> tuple[Home, str]:
    """Key set work in the keyring; roles a and b (session strategy), d and e (direct)."""
    arn = moto.role(f"mfa-{alice.name}", alice)
    add_keys(home, alice)
    mfa = ("--mfa-serial", serial(alice))
    for name in ("a", "b"):
        add_role(home, name, arn, *mfa, "--mfa-strategy", "session", "--duration", "900")
    add_role(home, "d", arn, *mfa)
    add_role(home, "e", arn, *mfa)
    proxy.faults.long_lived[alice.access_key_id] = alice.secret_access_key
    proxy.faults.mfa_code = CODE
    return home, arn


def test_session_roles_ask_once_share_the_session_through_the_keyring_and_the_cli_reads_it(
    mfa_home: tuple[Home, str], alice: User, proxy: FaultProxy
) -> None:
    home, arn = mfa_home
    assert home.roletray("assume", "a").returncode == 1, "no TTY, no code: refused"
    first = home.roletray("assume", "a", "--mfa-code", CODE)
    assert first.returncode == 0, first.stderr
    second = home.roletray("--verbose", "assume", "b")  # no code: the keyring's session
    assert second.returncode == 0, second.stderr
    assert proxy.faults.actions.count("GetSessionToken") == 1
    role = arn.rsplit("/", 1)[-1]
    for profile in ("a", "b"):  # the AWS CLI signs with what we wrote; moto checks it
        assert home.caller_arn(profile, proxy.url).endswith(f":assumed-role/{role}/{alice.name}")

    assert home.keyring is not None
    item = json.loads(home.keyring.lookup("roletray", "mfa-session:work") or "{}")
    assert item["from"] == alice.access_key_id and item["id"].startswith("ASIA")
    on_disk = [
        p for p in home.root.rglob("*") if p.is_file() and item["secret"].encode() in p.read_bytes()
    ]
    assert on_disk == [], "the MFA session's secret is only in the keyring"
    for secret in (item["secret"], item["token"], CODE):
        assert secret not in first.stderr + second.stderr + second.stdout, "nothing logged"

    status = json.loads(home.roletray("mfa", "status", "--json").stdout)
    assert [(s["keys"], s["state"]) for s in status] == [("work", "active")]
    assert home.roletray("mfa", "clear").stdout.strip() == "Ended MFA session for key set work."
    assert home.keyring.lookup("roletray", "mfa-session:work") is None
    again = home.roletray("assume", "b")
    assert again.returncode == 1 and "needs an MFA code" in again.stderr


def test_a_reused_or_wrong_code_is_refused_and_an_ended_session_is_replaced(
    mfa_home: tuple[Home, str], proxy: FaultProxy
) -> None:
    home, _ = mfa_home
    assert home.roletray("assume", "d", "--mfa-code", CODE).returncode == 0
    reused = home.roletray("assume", "d", "--mfa-code", CODE)  # a new process: AWS catches it
    assert reused.returncode == 1 and "MFA code was wrong or already used" in reused.stderr
    two = home.roletray("assume", "d", "e", "--mfa-code", CODE)
    assert two.returncode == 1 and "An MFA code is good for one assume" in two.stderr
    wrong = home.roletray("assume", "a", "--mfa-code", "000000")
    assert wrong.returncode == 1 and "MFA code was wrong" in wrong.stderr

    proxy.faults.mfa_code = "654321"
    assert home.roletray("assume", "a", "--mfa-code", "654321").returncode == 0
    proxy.end_sessions()  # revoked or ended early: AWS answers ExpiredToken
    proxy.faults.mfa_code = "777777"
    renewed = home.roletray("assume", "b", "--mfa-code", "777777")
    assert renewed.returncode == 0, renewed.stderr
    # The wrong code's, the first session's, and the one that replaced the ended session.
    last = ["AssumeRole", "AssumeRole", "GetSessionToken", "AssumeRole"]  # refused, then anew
    assert proxy.faults.actions[-4:] == last
    assert proxy.faults.actions.count("GetSessionToken") == 3


def test_a_long_role_from_a_session_is_capped_at_an_hour_and_warned_about(
    mfa_home: tuple[Home, str], proxy: FaultProxy
) -> None:
    home, arn = mfa_home
    added = home.roletray(
        "roles", "add", "long", "--role-arn", arn, "--keys", "work", "--duration", "7200",
        "--mfa-serial", "arn:aws:iam::123456789012:mfa/x", "--mfa-strategy", "session",
    )  # fmt: skip
    assert added.returncode == 0
    assert "AWS caps a role session assumed from an MFA session at 3600 s" in added.stderr
    listed = home.roletray("roles", "list").stdout
    assert "session" in listed.splitlines()[-1]
    result = home.roletray("assume", "long", "--mfa-code", CODE)
    assert result.returncode == 0, result.stderr  # the proxy refuses more than 3600 s
    profile = CredentialsFile(home.credentials).managed_profiles()["long"]
    assert profile.expiration is not None
    left = profile.expiration - datetime.now(UTC)
    assert timedelta(minutes=55) < left <= timedelta(hours=1)


def test_two_direct_roles_in_one_window_wait_for_the_next_code_instead_of_failing(
    home: Home, moto: MotoWorld, alice: User, proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", proxy.url)
    step = 4.0  # a short TOTP step, for the proxy and the gate alike
    proxy.faults.mfa_totp_step = step
    arn = moto.role(f"totp-{alice.name}", alice)
    engine = _engine(home, alice, [Role(n, arn, "work", mfa_serial=serial(alice)) for n in "xy"])
    told: list[str] = []
    engine.mfa = MfaCodes(lambda s: lambda role: totp(step), told.append, step=step)
    time.sleep(step - time.time() % step + 0.05)  # start of a window: x and y fit in it
    engine.assume("x")
    engine.assume("y")
    assert any(t.startswith("Waiting") for t in told), told
    assert proxy.faults.actions.count("AssumeRole") == 2

    # The control: a gate that does not wait sends the same code again, and AWS refuses it.
    engine.mfa = MfaCodes(lambda s: lambda role: totp(step), step=1e-6)
    time.sleep(step - time.time() % step + 0.05)  # start of a window: x and y fit in it
    engine.assume("x")
    with pytest.raises(Exception, match="MFA code was wrong or already used"):
        engine.assume("y")


def _engine(home: Home, alice: User, roles: list[Role], settings: str = "") -> Controller:
    store = ConfigStore(home.config)
    home.config.parent.mkdir(parents=True, exist_ok=True)
    home.config.write_text(f"[settings]\n{settings}\n")
    store.put_keyset(KeySet("work", alice.access_key_id, alice.arn))
    for role in roles:
        store.put_role(role)
    keystore = MemoryKeystore()
    keystore.set("work", alice.secret_access_key)
    return build_engine(store, CredentialsFile(home.credentials), keystore)


def test_the_terminal_prompt_hides_the_code_and_mfa_process_supplies_one(
    mfa_home: tuple[Home, str], tmp_path: Path, proxy: FaultProxy, alice: User
) -> None:
    home, _ = mfa_home
    # A terminal of its own (a pty, in a new session so /dev/tty is not the runner's).
    main, child = os.openpty()
    run = subprocess.Popen(
        [sys.executable, "-m", "tray_app", "assume", "d"], stdin=child, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=home.env, cwd=home.root, start_new_session=True, text=True,
    )  # fmt: skip
    os.close(child)
    try:
        assert run.stderr is not None
        prompt = run.stderr.read(len("MFA code for d"))
        assert prompt == "MFA code for d"
        os.write(main, f"{CODE}\n".encode())
        out, err = run.communicate(timeout=60)
        assert run.returncode == 0, err
        assert "Profile d is ready" in out
        echoed = _drain(main)
        assert CODE not in echoed, "the code was not echoed on the terminal"
    finally:
        os.close(main)
        if run.poll() is None:
            run.kill()

    # mfa_process: any command that prints a code; it learns the role from its environment.
    proxy.faults.mfa_code = "246810"
    otp = tmp_path / "bin" / "otp"
    _fake(otp.parent, "otp", f'[ "$ROLETRAY_ROLE $ROLETRAY_MFA_SERIAL" = "e {serial(alice)}" ] '
          '&& echo "checking…" && echo 246810')  # fmt: skip
    for key, value in (("mfa_prompt", "mfa_process"), ("mfa_process", f"{otp} --now")):
        assert home.roletray("settings", "set", key, value).returncode == 0
    result = home.roletray("assume", "e")  # no TTY needed: the command gives the code
    assert result.returncode == 0, result.stderr
    assert home.caller_arn("e", proxy.url).endswith(f"/{alice.name}")


def _drain(fd: int) -> str:
    """What the terminal showed so far (the prompt went to stderr, a pipe, not here)."""
    data = b""
    while select.select([fd], [], [], 0.2)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace")


# -- the tray's schedule with MFA sessions (an injected clock) ------------------------------
@pytest.fixture
def session_tray(
    home: Home, moto: MotoWorld, alice: User, proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Controller, Clock, RecordingNotifier, list[str]]]:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", proxy.url)
    proxy.faults.long_lived[alice.access_key_id] = alice.secret_access_key
    proxy.faults.mfa_totp_step = 1.0
    arn = moto.role(f"ctl-mfa-{alice.name}", alice)
    roles = [
        Role(
            n,
            arn,
            "work",
            duration=900,
            mfa_serial=serial(alice),
            mfa_strategy="session",
            auto_refresh=True,
        )
        for n in ("a", "b")
    ]
    engine = _engine(home, alice, roles, "warn_before = 600\nmfa_session_duration = 1800")
    asked: list[str] = []

    def prompt(role: Role) -> str:
        asked.append(role.name)
        return totp(1.0)

    engine.mfa = MfaCodes(lambda s: prompt, step=1.0)
    clock = Clock(datetime.now(UTC))
    engine.clock = clock
    notifier = RecordingNotifier()
    ctl = Controller(engine, notifier)
    yield ctl, clock, notifier, asked
    ctl.shutdown()


def test_two_session_roles_one_prompt_then_silent_refresh_then_one_notice_when_it_ends(
    session_tray: tuple[Controller, Clock, RecordingNotifier, list[str]],
    proxy: FaultProxy,
    home: Home,
) -> None:
    ctl, clock, notifier, asked = session_tray
    clicks = [ctl.assume("a"), ctl.assume("b")]  # at once, as two quick clicks
    for click in clicks:
        assert click is not None
        click.result(timeout=60)
    assert len(asked) == 1 and proxy.faults.actions.count("GetSessionToken") == 1, notifier.sent
    start = clock.now
    credentials = CredentialsFile(home.credentials)

    # Inside the MFA session: the refresh is silent (no prompt, no new MFA session).
    first = credentials.managed_profiles()["a"].expiration
    assert first is not None
    clock.now = first - timedelta(seconds=299)
    sent = len(notifier.sent)
    ctl.tick()
    assert ctl.wait_idle(60)
    assert proxy.faults.actions.count("AssumeRole") == 4, "both roles refreshed"
    assert len(asked) == 1 and proxy.faults.actions.count("GetSessionToken") == 1, notifier.sent
    assert notifier.sent[sent:] == [], "a silent refresh"

    # Ten minutes before the MFA session ends: a warning whose button opens the prompt.
    clock.now = start + timedelta(seconds=1800 - 590)
    ctl.tick()
    warn = [n for n in notifier.sent if n[0].startswith("MFA session for work ends in")]
    assert len(warn) == 1 and "Auto-refresh of a, b stops at" in warn[0][1]
    assert [label for label, _ in warn[0][2]] == ["Enter code"]

    # Past its end, and past the roles' refresh time: one notice, then its button.
    clock.now = start + timedelta(hours=2)
    for _ in range(3):
        ctl.tick()
        assert ctl.wait_idle(60)
    ended = [n for n in notifier.sent if n[0] == "MFA session for work ended"]
    assert len(ended) == 1, [n[0] for n in notifier.sent]
    assert len(asked) == 1, "an auto-refresh never prompts"
    calls = proxy.faults.actions.count("AssumeRole")
    label, press = ended[0][2][0]
    assert label == "Enter code"
    proxy.faults.time_offset = (clock.now - start).total_seconds()  # STS in the jumped clock
    press()
    wait_for(lambda: ctl.wait_idle(1) and proxy.faults.actions.count("AssumeRole") >= calls + 2,
             "the waiting refreshes to run")  # fmt: skip
    assert len(asked) == 2 and proxy.faults.actions.count("GetSessionToken") == 2
    assert any(n[0] == "MFA session for work started" for n in notifier.sent)


# -- prompts on the real desktop, from a tray click -----------------------------------------
def _fake(bin_dir: Path, name: str, body: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _type_into(tray: Tray, title: str, code: str) -> None:
    tray.dialog(title)
    tray.desktop.run("xdotool", "type", "--delay", "60", code)
    tray.desktop.keys("Return")


@pytest.mark.parametrize("driver", ["zenity", "tk", "ykman"])
def test_a_tray_click_asks_in_the_chosen_prompt_and_writes_the_profile(
    start_tray: Callable[..., Tray],
    proxy: FaultProxy,
    alice: User,
    tmp_path: Path,
    driver: str,
) -> None:
    if driver == "tk":
        pytest.importorskip("tkinter", reason="needs python3-tk: run tests/run.sh")
    touched = tmp_path / "touched"
    bin_dir = tmp_path / "bin"
    _fake(bin_dir, "ykman", f'echo "Touch your YubiKey..." >&2\n'
          f'while [ ! -e {touched} ]; do sleep 0.1; done\necho {CODE}')  # fmt: skip
    proxy.faults.mfa_code = CODE
    mfa = ("--external-id", TRAY_EXTERNAL_ID, "--mfa-serial", serial(alice))
    tray = start_tray(
        settings=f'mfa_prompt = "{driver}"',
        extra_roles=(("mfa", *mfa),),
        env={"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
    )
    assert tray.choose("mfa") == ["assume", "mfa"]
    if driver == "ykman":
        touch = tray.desktop.wait_notification(r"^RoleTray$")
        assert touch["body"] == "Touch your YubiKey for the MFA code of mfa."
        touched.touch()
    else:
        _type_into(tray, "^RoleTray$" if driver == "zenity" else "^RoleTray .+ mfa$", CODE)
    wait_for(lambda: tray.profile("mfa"), "profile [mfa] to be written")
    assert tray.desktop.wait_notification(r"^mfa ready until")


def test_cancelling_the_prompt_is_quiet(
    start_tray: Callable[..., Tray], alice: User, proxy: FaultProxy
) -> None:
    proxy.faults.mfa_code = CODE
    mfa = ("--external-id", TRAY_EXTERNAL_ID, "--mfa-serial", serial(alice))
    tray = start_tray(settings='mfa_prompt = "zenity"', extra_roles=(("mfa", *mfa),))
    tray.choose("mfa")
    tray.dialog("^RoleTray$")
    tray.desktop.keys("Escape")
    tray.wait_label("mfa — not assumed")
    wait_for(lambda: "was cancelled" in tray.log.read_text(), "the cancel in the log")
    assert not any(n["summary"] == "mfa failed" for n in tray.desktop.notifications())
    assert tray.profile("mfa") is None
