"""Crash safety: SIGKILL a writer at random moments; the file is always the old or the new one.

ROLETRAY_CRASH_KILLS sets the number of kills (default and CI: 1000, ~35 s;
the README documents a longer run). The same harness run against a naive
truncate-and-write writer must find corruption, or it proves nothing.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

import pytest
from botocore.configloader import raw_config_parse

from tests.fixtures.crash_writer import PROFILE, VERSIONS
from tray_app.atomicfile import TMP_SUFFIX
from tray_app.credentials_file import CredentialsFile

KILLS = int(os.environ.get("ROLETRAY_CRASH_KILLS", "1000"))
HEAD = b"# my profiles\r\n[default]\r\naws_access_key_id = AKIAOLDOLDOLDOLDOLD0\r\n\r\n"
TAIL = b"\r\n; work\r\n[work]\r\nregion = eu-west-1\r\n"


def expected_versions(tmp_path: Path) -> set[bytes]:
    """The two files a correct writer may leave: foreign bytes identical, section A or B."""
    versions = set()
    for creds in VERSIONS:
        probe = tmp_path / f"probe-{len(versions)}"
        probe.write_bytes(HEAD + b"[managed]\r\nx_roletray_role = crash\r\n" + TAIL)
        CredentialsFile(probe).write_profile(PROFILE, "crash", creds)
        versions.add(probe.read_bytes())
    return versions


def kill_loop(tmp_path: Path, kills: int, naive: bool) -> dict[str, int]:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.fixtures.crash_writer"])
    from tests.fixtures.crash_writer import write_forever

    allowed = expected_versions(tmp_path)
    path = tmp_path / "credentials"
    path.write_bytes(sorted(allowed)[0])
    figures = {"kills": 0, "mid_write": 0, "corrupt": 0, "unparseable": 0}
    for _ in range(kills):
        ready = ctx.Event()
        child = ctx.Process(target=write_forever, args=(str(path), ready, naive), daemon=True)
        child.start()
        ready.wait(30)
        time.sleep(random.uniform(0.0, 0.03))
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        figures["kills"] += 1
        if any(tmp_path.glob(f"*{TMP_SUFFIX}")):
            figures["mid_write"] += 1
        data = path.read_bytes()
        if data not in allowed:
            figures["corrupt"] += 1
        try:
            parsed = raw_config_parse(str(path))
            assert parsed["work"]["region"] == "eu-west-1"
        except Exception:
            figures["unparseable"] += 1
    return figures


def test_sigkill_at_random_moments_never_corrupts_the_file(tmp_path: Path) -> None:
    figures = kill_loop(tmp_path, KILLS, naive=False)
    print(f"\ncrash figures: {figures}")
    assert figures["kills"] == KILLS
    assert figures["corrupt"] == 0 and figures["unparseable"] == 0
    assert figures["mid_write"] > 0, "no kill landed inside a write: the test proved nothing"
    path = tmp_path / "credentials"
    CredentialsFile(path).write_profile(PROFILE, "crash", VERSIONS[0])
    assert list(tmp_path.glob(f"*{TMP_SUFFIX}")) == [], "the next write removes stale temps"


@pytest.mark.parametrize("kills", [60])
def test_the_harness_catches_a_naive_writer(tmp_path: Path, kills: int) -> None:
    figures = kill_loop(tmp_path, kills, naive=True)
    assert figures["corrupt"] > 0, "a truncate-and-write writer must be caught"
