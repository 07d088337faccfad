"""The keystore on a real Secret Service (gnome-keyring), and every way a keyring can fail."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import keyring.core
import pytest

from tests.conftest import Home
from tray_app import secret_service
from tray_app.errors import KeystoreError
from tray_app.keystore import (
    OsKeystore,
    is_secure,
    native_backend,
    reads_secret_service_directly,
)

FIXTURES = Path(__file__).parent / "fixtures"
pytestmark = pytest.mark.real


@pytest.fixture
def keystore(home: Home) -> Iterator[OsKeystore]:
    keyring.core.init_backend()  # detect again now that the private bus is in the env
    yield OsKeystore(timeout=10)


def test_set_get_delete_on_the_real_secret_service(keystore: OsKeystore, home: Home) -> None:
    assert type(keystore.backend).__module__ == "keyring.backends.SecretService"
    keystore.set("ks-test", "s3cr3t/value+1")
    assert keystore.get("ks-test") == "s3cr3t/value+1"
    assert home.keyring is not None
    assert home.keyring.lookup("roletray", "ks-test") == "s3cr3t/value+1"  # secret-tool sees it
    keystore.delete("ks-test")
    keystore.delete("ks-test")  # deleting twice is fine
    with pytest.raises(KeystoreError, match=r"no secret for key set 'ks-test'.*keys add ks-test"):
        keystore.get("ks-test")


def _keys_add(home: Home) -> tuple[float, str]:
    started = time.monotonic()
    result = home.roletray(
        "keys", "add", "w", "--access-key-id", "AKIAIOSFODNN7EXAMPLE", "--no-verify",
        input="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    )  # fmt: skip
    assert result.returncode == 1, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "wJalrXUtnFEMI" not in result.stderr
    assert not home.config.exists(), "nothing recorded when the secret could not be stored"
    return time.monotonic() - started, result.stderr


@pytest.mark.parametrize(
    ("backend", "phrase"),
    [
        ("keyring.backends.fail.Keyring", "PYTHON_KEYRING_BACKEND selects keyring.backends.fail"),
        ("keyring.backends.null.Keyring", "is not a secure store"),
        ("fake_backends.PlaintextKeyring", "is not a secure store"),
    ],
)
def test_insecure_backends_are_refused(home: Home, backend: str, phrase: str) -> None:
    home.extra_env = {"PYTHON_KEYRING_BACKEND": backend, "PYTHONPATH": f"{FIXTURES}"}
    home.extra_env["PYTHONPATH"] += f":{Path(__file__).parent.parent}"
    _, message = _keys_add(home)
    assert phrase in message


def test_no_secret_service_says_what_to_start(home: Home) -> None:
    home.extra_env = {"DBUS_SESSION_BUS_ADDRESS": f"unix:path={home.root}/no-bus-here"}
    elapsed, message = _keys_add(home)
    assert "No secure OS keyring is available" in message and "gnome-keyring" in message
    assert elapsed < 10


def test_a_keyring_that_never_answers_gives_up_in_bounded_time(home: Home) -> None:
    home.extra_env = {
        "PYTHON_KEYRING_BACKEND": "fake_backends.HangingKeyring",
        "PYTHONPATH": f"{FIXTURES}:{Path(__file__).parent.parent}",
        "ROLETRAY_KEYRING_TIMEOUT": "1",
    }
    elapsed, message = _keys_add(home)
    assert "did not answer within 1 s" in message and "unlock" in message
    assert elapsed < 6


def test_a_locked_keyring_is_one_clear_error(home: Home) -> None:
    assert home.keyring is not None
    home.keyring.start_daemon(unlock=False)
    try:
        elapsed, message = _keys_add(home)
    finally:
        home.keyring.start_daemon(unlock=True)
    assert "keyring is locked" in message and "unlock it" in message
    assert elapsed < 10


def test_is_secure_classifies_backends() -> None:
    from keyring.backends import SecretService, chainer, fail, null

    assert is_secure(SecretService.Keyring())
    assert not is_secure(fail.Keyring())
    assert not is_secure(null.Keyring())
    assert not is_secure(chainer.ChainerBackend())


def test_the_native_store_is_taken_directly_unless_another_is_asked_for(
    home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No keyring discovery (~100 ms of imports) when it would pick the OS's store anyway."""
    chosen = native_backend()
    assert type(chosen).__module__ == "keyring.backends.SecretService" and is_secure(chosen)
    env = dict(os.environ)
    assert native_backend(environ={**env, "PYTHON_KEYRING_BACKEND": "x.Keyring"}) is None
    assert native_backend(environ={**env, "XDG_CURRENT_DESKTOP": "KDE"}) is None, "KWallet"
    assert native_backend(platform="sunos5") is None
    monkeypatch.setattr("keyring.util.platform_.config_root", lambda: tmp_path)
    (tmp_path / "keyringrc.cfg").write_text("[backend]\ndefault-keyring=x.Keyring\n")
    assert native_backend() is None, "keyring's own config file decides"


READ_ALONE = """
import sys
from tray_app.keystore import OsKeystore
print(OsKeystore(timeout=10).find(sys.argv[1]))
print("keyring loaded" if "keyring" in sys.modules else "keyring not loaded")
"""


def test_a_read_takes_the_secret_keyring_wrote_without_loading_keyring(
    keystore: OsKeystore, home: Home
) -> None:
    """A cold read (every CLI assume) asks the Secret Service directly: same item, same
    secret, and none of keyring's ~60 ms of imports and checks."""
    keystore.set("direct", "wJalrXUtnFEMI/K7MDENG+direct")
    try:
        read = subprocess.run(
            [sys.executable, "-c", READ_ALONE, "direct"], env=home.env, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip
        assert read.stdout.splitlines() == ["wJalrXUtnFEMI/K7MDENG+direct", "keyring not loaded"]
        assert secret_service.read("roletray", "direct") == "wJalrXUtnFEMI/K7MDENG+direct"
        assert secret_service.read("roletray", "no-such-item") is None
        assert secret_service.read("another-service", "direct") is None
    finally:
        keystore.delete("direct")
    assert OsKeystore(timeout=10).find("direct") is None


def test_a_direct_read_is_only_made_where_keyring_would_pick_the_secret_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keyring.util import platform_

    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    monkeypatch.setenv("HOME", str(tmp_path))
    for xdg in (str(tmp_path / "xdg"), None):
        if xdg:
            monkeypatch.setenv("XDG_CONFIG_HOME", xdg)
        else:
            monkeypatch.delenv("XDG_CONFIG_HOME")
            env.pop("XDG_CONFIG_HOME")
        assert secret_service.keyring_config_root(env) == Path(platform_.config_root())
    assert reads_secret_service_directly("linux", env)
    assert not reads_secret_service_directly("darwin", env)
    assert not reads_secret_service_directly(
        "linux", {**env, "PYTHON_KEYRING_BACKEND": "x.Keyring"}
    )
    assert not reads_secret_service_directly("linux", {**env, "XDG_CURRENT_DESKTOP": "ubuntu:KDE"})
    (tmp_path / ".config" / "python_keyring").mkdir(parents=True)
    (tmp_path / ".config" / "python_keyring" / "keyringrc.cfg").write_text("[backend]\n")
    assert not reads_secret_service_directly("linux", env), "keyring's own config file decides"


def test_a_direct_read_without_a_secret_service_leaves_the_sentence_to_keyring(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={home.root}/no-bus-here")
    assert isinstance(secret_service.read("roletray", "x"), secret_service.Unavailable)


def test_a_direct_read_of_a_locked_keyring_leaves_the_unlock_to_keyring(
    keystore: OsKeystore, home: Home
) -> None:
    """Locked: keyring does the read (its unlock prompt, its sentence), not the direct one."""
    assert home.keyring is not None
    keystore.set("locked-read", "wJalrXUtnFEMI/K7MDENG+locked")
    home.keyring.start_daemon(unlock=False)
    try:
        found = secret_service.read("roletray", "locked-read")
        assert isinstance(found, secret_service.Unavailable)
    finally:
        home.keyring.start_daemon(unlock=True)
    assert secret_service.read("roletray", "locked-read") == "wJalrXUtnFEMI/K7MDENG+locked"
    keystore.delete("locked-read")
