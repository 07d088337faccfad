"""The `roletray` CLI end to end on real parts: moto (auth on), gnome-keyring, the AWS CLI."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import Home
from tests.harness.aws import MotoWorld, User
from tests.harness.fault_proxy import FaultProxy

pytestmark = pytest.mark.real

EXTERNAL_ID = "ext-Id_42"


def add_keys(home: Home, user: User, name: str = "work", *extra: str) -> None:
    result = home.roletray(
        "keys", "add", name, "--access-key-id", user.access_key_id, *extra,
        input=user.secret_access_key + "\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def add_role(home: Home, name: str, arn: str, *extra: str) -> None:
    result = home.roletray("roles", "add", name, "--role-arn", arn, "--keys", "work", *extra)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def ready(home: Home, moto: MotoWorld, alice: User) -> tuple[Home, User, str]:
    """A key set in the keyring and a role that needs an external ID, from the CLI."""
    arn = moto.role(f"app-{alice.name}", alice, external_id=EXTERNAL_ID)
    add_keys(home, alice)
    add_role(home, "app", arn, "--external-id", EXTERNAL_ID, "--duration", "900")
    return home, alice, arn


def test_keys_add_role_add_assume_then_aws_cli_uses_the_profile(
    ready: tuple[Home, User, str], proxy: FaultProxy
) -> None:
    home, alice, arn = ready
    home.credentials.parent.mkdir(mode=0o700, exist_ok=True)
    original = "# my keys\n[default]\naws_access_key_id = AKIAOLDOLDOLDOLDOLD0\n"
    home.credentials.write_text(original)

    result = home.roletray("assume", "app")

    assert result.returncode == 0, result.stderr
    assert "Profile app is ready until" in result.stdout
    role_name = arn.rsplit("/", 1)[-1]
    assumed = home.caller_arn("app", endpoint=proxy.url)
    assert assumed == f"arn:aws:sts::123456789012:assumed-role/{role_name}/{alice.name}"
    text = home.credentials.read_text()
    assert text.startswith(original), "the user's [default] and comment must be kept as they were"
    assert "x_principal_arn = " + assumed in text
    assert home.credentials.stat().st_mode & 0o777 == 0o600


def test_long_lived_secret_is_only_in_the_keyring(ready: tuple[Home, User, str]) -> None:
    home, alice, _ = ready
    assert home.roletray("assume", "app").returncode == 0
    assert home.keyring is not None
    assert home.keyring.lookup("roletray", "work") == alice.secret_access_key
    secret = alice.secret_access_key.encode()
    hits = [p for p in home.root.rglob("*") if p.is_file() and secret in p.read_bytes()]
    keyring_files = [
        p for p in home.keyring.data.rglob("*") if p.is_file() and secret in p.read_bytes()
    ]
    assert hits == [] and keyring_files == []  # the keyring's store is encrypted
    config = home.config.read_text()
    assert alice.access_key_id in config and alice.arn in config


def test_status_reads_the_file_and_clear_removes_the_profile(
    ready: tuple[Home, User, str],
) -> None:
    home, _, _ = ready
    before = json.loads(home.roletray("status", "--json").stdout)
    assert [(r["role"], r["state"]) for r in before] == [("app", "never")]

    assert home.roletray("assume", "app").returncode == 0
    after = json.loads(home.roletray("status", "--json").stdout)[0]
    expiry = datetime.fromisoformat(after["expiration"])
    assert after["state"] == "active"
    assert timedelta(minutes=14) < expiry - datetime.now(UTC) <= timedelta(minutes=15)
    assert 840 < after["seconds_left"] <= 900

    table = home.roletray("status").stdout
    assert "app" in table and "active" in table and "min" in table

    cleared = home.roletray("clear", "app")
    assert cleared.returncode == 0 and "Removed profile app" in cleared.stdout
    assert "[app]" not in home.credentials.read_text()
    assert json.loads(home.roletray("status", "--json").stdout)[0]["state"] == "never"


def _assert_refused(home: Home, result, *phrases: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]


def test_wrong_external_id_is_access_denied_and_writes_nothing(
    ready: tuple[Home, User, str], moto: MotoWorld
) -> None:
    home, _, arn = ready
    add_role(home, "bad-ext", arn, "--external-id", "not-the-right-one")
    before = home.digest()
    result = home.roletray("assume", "bad-ext")
    _assert_refused(home, result, "AccessDenied assuming bad-ext", "external_id")
    assert home.digest() == before


def test_user_without_permission_is_access_denied(home: Home, moto: MotoWorld) -> None:
    bob = moto.user(f"bob-{uuid.uuid4().hex[:8]}", may_assume=False)
    arn = moto.role(f"r-{bob.name}", bob)
    add_keys(home, bob)
    add_role(home, "r", arn)
    result = home.roletray("assume", "r")
    _assert_refused(home, result, "AccessDenied assuming r", "trust policy")
    assert not home.credentials.exists()


def test_deleted_key_is_invalid_client_token(
    ready: tuple[Home, User, str], moto: MotoWorld
) -> None:
    home, alice, _ = ready
    moto.delete_key(alice)
    result = home.roletray("assume", "app")
    _assert_refused(home, result, "InvalidClientTokenId", alice.access_key_id, "keys add work")
    assert not home.credentials.exists()


def test_keys_add_verifies_with_sts(home: Home, alice: User) -> None:
    result = home.roletray(
        "keys", "add", "bad", "--access-key-id", alice.access_key_id,
        input="x" * 40 + "\n",
    )  # fmt: skip
    _assert_refused(home, result, "SignatureDoesNotMatch", "key set 'bad'")
    assert not home.config.exists() or "bad" not in home.config.read_text()
    assert home.keyring is not None and home.keyring.lookup("roletray", "bad") is None


def test_network_faults_are_retried_then_explained(
    ready: tuple[Home, User, str], proxy: FaultProxy
) -> None:
    home, _, _ = ready
    proxy.faults.drops = 1
    proxy.faults.errors = ["503"]
    assert home.roletray("assume", "app").returncode == 0  # retried within its 3 attempts

    before = home.digest()
    proxy.faults.errors = ["503"] * 3
    _assert_refused(home, home.roletray("assume", "app"), "ServiceUnavailable", "try again")
    proxy.faults.errors = ["throttle"] * 3
    _assert_refused(home, home.roletray("assume", "app"), "Throttling", "wait a minute")
    assert home.digest() == before


def test_a_slow_sts_times_out_within_the_bound(
    ready: tuple[Home, User, str], proxy: FaultProxy
) -> None:
    home, _, _ = ready
    settings = "[settings]\nsts_timeout = 0.5\nsts_attempts = 2\n\n"
    home.config.write_text(settings + home.config.read_text())
    proxy.faults.delay = 3.0
    started = datetime.now(UTC)
    result = home.roletray("assume", "app")
    elapsed = (datetime.now(UTC) - started).total_seconds()
    _assert_refused(home, result, "Timeout assuming app", "did not answer in time")
    assert elapsed < 10
    assert not home.credentials.exists()


def test_unreachable_sts_is_a_network_error(ready: tuple[Home, User, str]) -> None:
    home, _, _ = ready
    home.sts_url = "http://127.0.0.1:9"  # discard port: nothing listens
    result = home.roletray("assume", "app")
    _assert_refused(home, result, "Network error assuming app", "check your network")


def test_mfa_code_is_required_checked_and_explained(
    ready: tuple[Home, User, str], proxy: FaultProxy, moto: MotoWorld
) -> None:
    home, alice, arn = ready
    serial = f"arn:aws:iam::123456789012:mfa/{alice.name}"
    add_role(home, "mfa", arn, "--external-id", EXTERNAL_ID, "--mfa-serial", serial)
    proxy.faults.mfa_code = "123456"

    _assert_refused(home, home.roletray("assume", "mfa"), "needs an MFA code", "--mfa-code")
    wrong = home.roletray("assume", "mfa", "--mfa-code", "000000")
    _assert_refused(home, wrong, "MFA code was wrong")
    _assert_refused(home, home.roletray("assume", "mfa", "--mfa-code", "12ab"), "6 digits")
    assert not home.credentials.exists()
    assert home.roletray("assume", "mfa", "--mfa-code", "123456").returncode == 0


def test_duration_above_the_roles_maximum(ready: tuple[Home, User, str], proxy: FaultProxy) -> None:
    home, _, arn = ready
    add_role(home, "long", arn, "--external-id", EXTERNAL_ID, "--duration", "7200")
    proxy.faults.max_duration = 3600
    result = home.roletray("assume", "long")
    _assert_refused(home, result, "ValidationError", "7200 s is above", "MaxSessionDuration")


@pytest.mark.parametrize(
    ("fault", "phrases"),
    [
        ("skew", ("clock", "NTP")),
        ("expired", ("ExpiredToken",)),
        ("region", ("RegionDisabledException", "us-east-1")),
    ],
)
def test_canned_sts_errors(
    ready: tuple[Home, User, str], proxy: FaultProxy, fault: str, phrases: tuple[str, ...]
) -> None:
    home, _, _ = ready
    proxy.faults.errors = [fault]
    _assert_refused(home, home.roletray("assume", "app"), *phrases)


def test_a_foreign_profile_is_never_overwritten_without_force(
    ready: tuple[Home, User, str], proxy: FaultProxy
) -> None:
    home, _, _ = ready
    home.credentials.parent.mkdir(mode=0o700, exist_ok=True)
    home.credentials.write_text("[app]\naws_access_key_id = AKIAMINEMINEMINEMINE\n")
    before, calls = home.digest(), proxy.faults.requests
    result = home.roletray("assume", "app")
    _assert_refused(home, result, "not written by roletray", "--force")
    assert home.digest() == before
    assert proxy.faults.requests == calls, "refused before any STS call"
    assert home.roletray("assume", "app", "--force").returncode == 0
    assert "x_roletray_role = app" in home.credentials.read_text()


def test_an_unparseable_credentials_file_is_left_untouched(
    ready: tuple[Home, User, str], proxy: FaultProxy
) -> None:
    home, _, _ = ready
    home.credentials.parent.mkdir(mode=0o700, exist_ok=True)
    home.credentials.write_text("[a]\nk = 1\n[a]\nk = 2\n")
    before, calls = home.digest(), proxy.faults.requests
    result = home.roletray("assume", "app")
    _assert_refused(home, result, "line 3", "[a] appears twice", "untouched")
    assert home.digest() == before
    assert proxy.faults.requests == calls


def test_lists_and_removal(ready: tuple[Home, User, str]) -> None:
    home, alice, arn = ready
    keys = json.loads(home.roletray("keys", "list", "--json").stdout)
    assert keys == [{"name": "work", "access_key_id": alice.access_key_id, "user_arn": alice.arn}]
    roles = json.loads(home.roletray("roles", "list", "--json").stdout)
    assert roles[0]["name"] == "app" and roles[0]["role_arn"] == arn
    assert roles[0]["external_id"] == EXTERNAL_ID and roles[0]["duration"] == 900

    in_use = home.roletray("keys", "remove", "work")
    _assert_refused(home, in_use, "used by role(s) app")
    assert home.roletray("roles", "remove", "app").returncode == 0
    assert home.roletray("keys", "remove", "work").returncode == 0
    assert home.keyring is not None and home.keyring.lookup("roletray", "work") is None
    assert json.loads(home.roletray("roles", "list", "--json").stdout) == []


def test_keys_add_from_env_and_secret_never_in_argv(home: Home, alice: User) -> None:
    home.extra_env = {
        "AWS_ACCESS_KEY_ID": alice.access_key_id,
        "AWS_SECRET_ACCESS_KEY": alice.secret_access_key,
    }
    result = home.roletray("keys", "add", "envkeys", "--from-env")
    assert result.returncode == 0, result.stderr
    assert alice.arn in result.stdout
    assert alice.secret_access_key not in result.stdout + result.stderr
    # There is no option that takes the secret itself.
    assert "secret" not in " ".join(
        line
        for line in home.roletray("keys", "add", "--help").stdout.splitlines()
        if line.strip().startswith("--")
    ).replace("--from-env", "")


def test_no_verb_without_a_desktop_starts_no_tray_and_says_why(home: Home) -> None:
    result = home.roletray()
    assert result.returncode == 1
    assert "No desktop session" in result.stderr and "CLI commands work" in result.stderr


def test_cli_paths_stay_light(home: Home) -> None:
    probe = (
        "import sys; from tray_app.cli import main; main(['status']); "
        "print(sorted(m for m in ('boto3', 'botocore', 'pystray', 'PIL', 'keyring') "
        "if m in sys.modules))"
    )
    import subprocess
    import sys as _sys

    result = subprocess.run(
        [_sys.executable, "-c", probe], capture_output=True, text=True, env=home.env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_every_verb_has_help(home: Home) -> None:
    for verb in (
        ["keys", "add"], ["keys", "list"], ["keys", "remove"], ["roles", "add"],
        ["roles", "list"], ["roles", "remove"], ["assume"], ["status"], ["clear"],
    ):  # fmt: skip
        result = home.roletray(*verb, "--help")
        assert result.returncode == 0 and "usage: roletray" in result.stdout, verb


def test_bad_arguments_are_one_line_not_a_traceback(home: Home) -> None:
    cases = [
        ("roles", "add", "x", "--role-arn", "arn:aws:iam::12:role/x", "--keys", "k"),
        ("roles", "add", "x y", "--role-arn", "arn:aws:iam::123456789012:role/x", "--keys", "k"),
        ("assume", "nope"),
        ("clear", "nope"),
        ("keys", "add", "k", "--access-key-id", "ASIA0000000000000000"),
    ]
    for case in cases:
        result = home.roletray(*case, input="secret\n")
        assert result.returncode == 1, (case, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not Path(home.credentials).exists()


def test_verbose_shows_detail_but_no_secret(ready: tuple[Home, User, str]) -> None:
    home, alice, _ = ready
    result = home.roletray("--verbose", "assume", "app")
    assert result.returncode == 0, result.stderr
    assert "DEBUG" in result.stderr or "INFO" in result.stderr
    written = home.credentials.read_text()
    secrets = [alice.secret_access_key] + [
        line.split(" = ", 1)[1]
        for line in written.splitlines()
        if line.startswith(("aws_secret_access_key", "aws_session_token"))
    ]
    assert len(secrets) == 3
    for secret in secrets:
        assert secret not in result.stdout + result.stderr


def test_log_redaction_scrubs_token_and_secret_shapes() -> None:
    from tray_app.logs import redact

    token = "FQoGZXIvYXdzE" + "A1b2C3d4" * 20
    assert redact(f"X-Amz-Security-Token: {token}") == "X-Amz-Security-Token: [redacted]"
    line = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert redact(line) == "aws_secret_access_key = [redacted]"
    xml = "<SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY</SecretAccessKey>"
    assert "wJalr" not in redact(xml)
    assert redact("assumed prod: profile prod") == "assumed prod: profile prod"
