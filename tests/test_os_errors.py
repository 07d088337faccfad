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
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Home, sha256
from tests.harness.fault_proxy import FaultProxy
from tests.test_cli_real import EXTERNAL_ID, ready
from tray_app.errors import CredentialsFileError

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
    ready: tuple[Home, object, str], tiny_disk: Path, proxy: FaultProxy
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
    assert proxy.faults.actions.count("AssumeRole") == 0, "refused before STS: nothing wasted"
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["credentials", "filler"], (
        "no temp file left behind"
    )

    (tiny_disk / "filler").unlink()
    remount_read_only(tiny_disk)
    read_only = home.roletray("assume", "app")
    assert read_only.returncode == 1
    assert f"Cannot write {credentials}: the file system is read-only" in read_only.stderr
    assert sha256(credentials) == before
    assert proxy.faults.actions.count("AssumeRole") == 0


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


NOBODY = 65534


def write_foreign(home: Home) -> None:
    """The user's own credentials file: profiles roletray did not write."""
    home.credentials.parent.mkdir(mode=0o700, exist_ok=True)
    home.credentials.write_bytes(FOREIGN)


def test_the_file_keeps_its_owner_and_group_when_root_writes_it(
    ready: tuple[Home, object, str], proxy: FaultProxy
) -> None:
    """`sudo -E roletray assume`: the user's file must stay the user's."""
    home = ready[0]
    write_foreign(home)
    os.chown(home.credentials, NOBODY, NOBODY)
    os.chmod(home.credentials, 0o600)
    result = home.roletray("assume", "app")
    assert result.returncode == 0, result.stderr
    info = home.credentials.stat()
    assert (info.st_uid, info.st_gid, info.st_mode & 0o777) == (NOBODY, NOBODY, 0o600)
    assert ":assumed-role/" in home.caller_arn("app", endpoint=proxy.url)


def test_a_read_only_file_is_refused_before_sts_unless_forced(
    ready: tuple[Home, object, str], proxy: FaultProxy
) -> None:
    home = ready[0]
    write_foreign(home)
    os.chmod(home.credentials, 0o400)
    refused = home.roletray("assume", "app")
    assert refused.returncode == 1
    assert f"{home.credentials} is read-only (mode 0400)" in refused.stderr
    assert "or pass --force" in refused.stderr
    assert home.credentials.read_bytes() == FOREIGN
    assert proxy.faults.actions.count("AssumeRole") == 0

    forced = home.roletray("assume", "app", "--force")
    assert forced.returncode == 0, forced.stderr
    assert home.credentials.stat().st_mode & 0o777 == 0o400, "its mode is kept"
    assert home.credentials.read_bytes().startswith(FOREIGN)

    clear = home.roletray("clear", "app")
    assert clear.returncode == 1 and "chmod u+w" in clear.stderr
    assert "--force" not in clear.stderr, "clear has no --force: no dead end"


def test_a_malformed_aws_config_file_does_not_matter(ready: tuple[Home, object, str]) -> None:
    home = ready[0]
    aws_config = home.root / ".aws" / "config"
    aws_config.parent.mkdir(mode=0o700, exist_ok=True)
    aws_config.write_text("[default\nregion = us-east-1\n")  # no closing bracket
    result = home.roletray("assume", "app")
    assert result.returncode == 0, result.stderr


def test_a_reader_that_leaves_early_is_no_crash(ready: tuple[Home, object, str]) -> None:
    home = ready[0]
    config = home.config.read_text()
    arn = ready[2]
    extra = "".join(f'[roles.r{n}]\nrole_arn = "{arn}"\nkeys = "work"\n' for n in range(3000))
    home.config.write_text(config + extra)
    head = subprocess.run(
        [sys.executable, "-m", "tray_app", "status"],
        env=home.env, capture_output=True, timeout=120, cwd=home.root,
    )  # fmt: skip
    assert head.returncode == 0 and head.stdout.count(b"\n") > 3000
    with subprocess.Popen(
        [sys.executable, "-m", "tray_app", "status"],
        env=home.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=home.root,
    ) as proc:  # fmt: skip
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.readline()
        proc.stdout.close()  # like `| head -1`
        err = proc.stderr.read()
        assert proc.wait(120) == 1
    assert err == b"", err


@pytest.fixture
def immutable(ready: tuple[Home, object, str]) -> Iterator[Path]:
    home = ready[0]
    write_foreign(home)
    if subprocess.run(["chattr", "+i", str(home.credentials)], capture_output=True).returncode:
        pytest.skip("this file system has no immutable flag")
    try:
        yield home.credentials
    finally:
        subprocess.run(["chattr", "-i", str(home.credentials)], check=False)


def test_an_immutable_file_is_refused_before_sts_even_when_forced(
    ready: tuple[Home, object, str], immutable: Path, proxy: FaultProxy
) -> None:
    home = ready[0]
    for args in (("assume", "app"), ("assume", "app", "--force"), ("clear", "app")):
        result = home.roletray(*args)
        assert result.returncode == 1, args
        assert f"{immutable} is marked immutable or append-only" in result.stderr, result.stderr
        assert f"chattr -i -a {immutable}" in result.stderr
    assert immutable.read_bytes() == FOREIGN
    assert proxy.faults.actions.count("AssumeRole") == 0


def as_nobody(home: Home, shared: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """roletray run as another, unprivileged user (root would bypass every permission)."""
    env = {
        **home.env,
        "HOME": str(shared),
        "ROLETRAY_CONFIG": str(shared / "config" / "config.toml"),
        "AWS_SHARED_CREDENTIALS_FILE": str(shared / ".aws" / "credentials"),
    }
    return subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--",
         sys.executable, "-m", "tray_app", *args],
        env=env, capture_output=True, text=True, timeout=60, cwd=shared,
    )  # fmt: skip


@pytest.fixture
def shared(ready: tuple[Home, object, str]) -> Iterator[Path]:
    """A home for nobody whose ~/.aws and config folder belong to root (0755)."""
    if not shutil.which("setpriv"):
        pytest.skip("needs setpriv (util-linux)")
    folder = Path(tempfile.mkdtemp(prefix="roletray-nobody-"))
    try:
        os.chmod(folder, 0o755)
        for sub in (".aws", "config"):
            (folder / sub).mkdir(mode=0o755)
        shutil.copy(ready[0].config, folder / "config" / "config.toml")
        (folder / ".aws" / "credentials").write_bytes(FOREIGN)
        for path in (folder / "config" / "config.toml", folder / ".aws" / "credentials"):
            os.chown(path, NOBODY, NOBODY)
        probe = as_nobody(ready[0], folder, "--version")
        if probe.returncode != 0:
            pytest.skip(f"python cannot run as nobody here: {probe.stderr.strip()[:200]}")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_folders_the_user_may_not_write_are_one_sentence_before_sts(
    ready: tuple[Home, object, str], shared: Path, proxy: FaultProxy
) -> None:
    home, _, arn = ready
    assumed = as_nobody(home, shared, "assume", "app")
    credentials = shared / ".aws" / "credentials"
    assert assumed.returncode == 1
    assert assumed.stderr.strip() == (
        f"roletray: Cannot write {credentials}: permission was denied — check the owner and "
        "permissions of the file and its folder; the file was not changed."
    )
    assert credentials.read_bytes() == FOREIGN
    assert proxy.faults.actions.count("AssumeRole") == 0

    config = shared / "config" / "config.toml"
    before = config.read_bytes()
    added = as_nobody(home, shared, "roles", "add", "more", "--role-arn", arn, "--keys", "work")
    assert added.returncode == 1
    assert f"Cannot write {config}: permission was denied" in added.stderr
    assert "unexpected" not in added.stderr and config.read_bytes() == before


def test_the_quick_check_of_a_warm_click_still_sees_a_disk_that_filled(tiny_disk: Path) -> None:
    """A click with no code at stake skips what the file's unchanged state proves, but
    not the free space: a disk that filled since the last write is refused before STS."""
    from datetime import UTC, datetime

    from tray_app.credentials_file import CredentialsFile, TemporaryCredentials

    file = CredentialsFile(tiny_disk / "credentials")
    creds = TemporaryCredentials("ASIAQUICKQUICKQUICK0", "s" * 40, "t" * 300,
                                 datetime(2030, 1, 1, tzinfo=UTC), "arn:aws:sts::1:x")  # fmt: skip
    file.write_profile("app", "app", creds)
    file.check_writable("app", thorough=False)
    fill(tiny_disk)
    with pytest.raises(CredentialsFileError, match="the disk is full"):
        file.check_writable("app", thorough=False)
    (tiny_disk / "filler").unlink()
    file.check_writable("app", thorough=False)
