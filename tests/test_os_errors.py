"""Ordinary OS errors on a write are one sentence naming the file, and nothing is lost.

Real failures, not injected ones: a 64 KiB tmpfs filled to the last block (ENOSPC)
and then remounted read-only (EROFS), holding the credentials file or the config.
Needs root to mount (CI runs as root); the injected variants of every errno,
including a Windows sharing violation, are in test_credentials_file.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Home, sha256
from tests.test_cli_real import EXTERNAL_ID, ready

__all__ = ["ready"]  # the fixture: keys and a role added through the CLI

pytestmark = [
    pytest.mark.real,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("mount"), reason="needs root"),
]
FOREIGN = b"# my keys\n[default]\nregion = eu-west-1\n\n[other]\naws_access_key_id = AKIAOTHER\n"


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "tiny"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> None:
    """Write until the file system refuses: ENOSPC for every later write."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 512)
    finally:
        os.close(fd)


def remount_read_only(folder: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)


def test_a_full_then_read_only_disk_under_the_credentials_file(
    ready: tuple[Home, object, str], tiny_disk: Path
) -> None:
    home = ready[0]
    credentials = tiny_disk / "credentials"
    credentials.write_bytes(FOREIGN)
    home.extra_env = {"AWS_SHARED_CREDENTIALS_FILE": str(credentials)}
    fill(tiny_disk)
    before = sha256(credentials)

    full = home.roletray("assume", "app")
    assert full.returncode == 1, full.stderr
    assert full.stderr.strip() == (
        f"roletray: Cannot write {credentials}: the disk is full — free some space and try "
        "again; the file was not changed."
    )
    assert sha256(credentials) == before
    assert sorted(p.name for p in tiny_disk.iterdir()) == [
        ".credentials.roletray-lock", "credentials", "filler",
    ], "no temp file left behind"  # fmt: skip

    (tiny_disk / "filler").unlink()
    remount_read_only(tiny_disk)
    read_only = home.roletray("assume", "app")
    assert read_only.returncode == 1
    assert f"Cannot write {credentials}: the file system is read-only" in read_only.stderr
    assert sha256(credentials) == before


def test_a_full_disk_under_the_config_file(
    ready: tuple[Home, object, str], tiny_disk: Path
) -> None:
    home, _, arn = ready
    config = tiny_disk / "config.toml"
    shutil.copy(home.config, config)
    home.extra_env = {"ROLETRAY_CONFIG": str(config)}
    fill(tiny_disk)
    before = sha256(config)
    result = home.roletray(
        "roles", "add", "more", "--role-arn", arn, "--keys", "work", "--external-id", EXTERNAL_ID
    )
    assert result.returncode == 1
    assert f"Cannot write {config}: the disk is full" in result.stderr
    assert "unexpected" not in result.stderr and sha256(config) == before
