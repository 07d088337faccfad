"""Sleep/wake and clock jumps with a real jump of the tray process's wall clock.

libfaketime shifts the tray's CLOCK_REALTIME by +2 h mid-run while its
monotonic clock keeps running, which is what a suspended laptop sees on wake.
The fault proxy shifts STS's <Expiration> by the same 2 h, as if STS lived in
that future too (real STS and a woken laptop agree on the time). Expected:
within 60 s the manual session shows expired with exactly one notice and no
stale warning, and the auto-refresh session is renewed. The injectable-clock
version of the same checks is in test_tray_logic.py.
"""

from __future__ import annotations

import glob
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import TRAY_EXTERNAL_ID
from tests.harness.fault_proxy import FaultProxy
from tests.harness.tray import Tray, wait_for

pytestmark = pytest.mark.real
LIBFAKETIME = sorted(glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1"))


@pytest.mark.skipif(not LIBFAKETIME, reason="needs libfaketime: run tests/run.sh")
def test_a_two_hour_jump_expires_once_and_auto_refresh_resumes(
    start_tray: Callable[..., Tray], proxy: FaultProxy, tmp_path: Path
) -> None:
    offset = tmp_path / "faketime"
    offset.write_text("+0\n")
    env = {
        "LD_PRELOAD": LIBFAKETIME[0],
        "FAKETIME_TIMESTAMP_FILE": str(offset),
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "DONT_FAKE_MONOTONIC": "1",
    }
    auto = ("auto", "--external-id", TRAY_EXTERNAL_ID, "--auto-refresh")
    tray = start_tray(
        settings="warn_before = 600\nrefresh_before = 300", extra_roles=(auto,), env=env
    )
    tray.choose("app")
    wait_for(lambda: tray.profile("app"), "profile [app]")
    tray.choose("auto")
    wait_for(lambda: tray.profile("auto"), "profile [auto]")
    tray.desktop.close_all()
    before = tray.profile("auto").expiration

    proxy.faults.time_offset = 7200
    offset.write_text("+2h\n")
    jumped = time.monotonic()
    tray.desktop.wait_notification(r"^app expired$", timeout=75)
    assert time.monotonic() - jumped < 65, "expired within a minute of the jump"
    wait_for(
        lambda: tray.profile("auto").expiration > datetime.now(UTC) + timedelta(hours=1),
        "auto-refresh to renew in the new time",
        timeout=75,
    )
    assert tray.profile("auto").expiration > before
    _ = wait_for(lambda: "app — expired" in tray.menu_labels(), "the menu to say expired")
    time.sleep(3)
    summaries = [n["summary"] for n in tray.desktop.notifications()]
    assert summaries.count("app expired") == 1, summaries
    assert not any(s.startswith("app expires in") for s in summaries), "no stale warning"
    assert tray.proc.poll() is None
    tray.shot("after-jump")
