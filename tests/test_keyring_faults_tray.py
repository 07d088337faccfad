"""Keyring faults seen from the tray: one clear notification, in bounded time, and the tray
keeps working (its menu still opens and Quit still quits). Nothing falls back to plaintext."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

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
