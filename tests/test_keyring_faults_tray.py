"""Keyring faults seen from the tray: one clear notification, in bounded time, and the tray
keeps working (its menu still opens and Quit still quits). Nothing falls back to plaintext."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.harness.aws import User
from tests.harness.desktop import wait_for
from tests.harness.keyring_bus import KeyringBus
from tests.harness.tray import Tray

pytestmark = pytest.mark.real
FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent


def _backend(name: str) -> dict[str, str]:
    return {
        "PYTHON_KEYRING_BACKEND": f"fake_backends.{name}",
        "PYTHONPATH": f"{FIXTURES}:{REPO}",
        "ROLETRAY_KEYRING_TIMEOUT": "1",
    }


CASES = {
    "prompts and never answers": (_backend("HangingKeyring"), None, "did not answer within 1 s"),
    "plaintext only": (_backend("PlaintextKeyring"), None, "is not a secure store"),
    "no Secret Service": ({}, "stop", "No secure OS keyring is available"),
    "locked": ({}, "lock", "The OS keyring is locked"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_keyring_fault_is_a_notification_and_the_tray_stays_usable(
    start_tray: Callable[..., Tray], keyring_bus: KeyringBus, case: str
) -> None:
    env, daemon, phrase = CASES[case]
    tray = start_tray(env=env)
    try:
        if daemon == "stop":
            keyring_bus.stop_daemon()
        elif daemon == "lock":
            keyring_bus.start_daemon(unlock=False)
        started = time.monotonic()
        tray.choose("app")
        failed = tray.desktop.wait_notification(r"^app failed$", timeout=20)
        elapsed = time.monotonic() - started
        assert phrase in failed["body"], failed["body"]
        assert elapsed < 15, elapsed
        assert tray.profile("app") is None
        assert not any(p.name.endswith((".cfg", ".keyring")) for p in tray.home.root.rglob("*"))
        tray.choose("Quit")  # Quit still works
        assert tray.proc.wait(15) == 0
    finally:
        keyring_bus.start_daemon(unlock=True)


def test_a_click_signs_with_the_secret_the_tray_kept_and_rereads_one_aws_refused(
    start_tray: Callable[..., Tray], keyring_bus: KeyringBus, alice: User
) -> None:
    """The tray reads a key set's secret once (a Secret Service read costs more than the
    AssumeRole); a copy STS refuses is read again, so a secret fixed by the CLI is used."""
    tray = start_tray()
    home = tray.home
    key = ("keys", "add", "work", "--access-key-id", alice.access_key_id)
    typo = home.roletray(*key, "--no-verify", input="x" * 40 + "\n")
    assert typo.returncode == 0, typo.stderr
    tray.choose("app")
    failed = tray.desktop.wait_notification(r"^app failed$", timeout=30)
    assert "x" * 40 not in failed["body"]
    assert tray.profile("app") is None
    fixed = home.roletray(*key, input=alice.secret_access_key + "\n")  # checked with STS
    assert fixed.returncode == 0, fixed.stderr
    tray.choose("app")
    wait_for(lambda: tray.profile("app") is not None, "the profile written with the fixed secret")
    assert "the kept secret of work was refused (SignatureDoesNotMatch)" in tray.log.read_text()
    first = tray.key_id("app")
    try:
        keyring_bus.start_daemon(unlock=False)  # a locked keyring: no read would succeed
        tray.choose("app")
        wait_for(lambda: tray.key_id("app") != first, "a new session with the kept secret")
    finally:
        keyring_bus.start_daemon(unlock=True)
    assert "locked" not in tray.log.read_text()
