"""credential_process on real parts: the AWS CLI (PyPI) and a boto3 script run `roletray
credential-process` through ~/.aws/config against moto (auth on) behind the counting
proxy, with the tray running (its broker answers) and without it; another user is
refused by the broker; an MFA role gets its code from a real dialog on Xvfb."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import TRAY_EXTERNAL_ID, Home
from tests.harness.aws import REGION, MotoWorld, User
from tests.harness.desktop import wait_for
from tests.harness.fault_proxy import FaultProxy
from tests.harness.tray import Tray
from tests.test_cli_real import EXTERNAL_ID, add_keys, add_role
from tests.test_mfa_real import CODE, _type_into, serial
from tray_app.session_notes import SessionNotes

pytestmark = pytest.mark.real
AWS_CONFIG = """\
# my AWS config: roletray must keep every byte of this
[default]
region = eu-west-1
output = json

[profile tools]
region = us-west-2
s3 =
  max_concurrent_requests = 20
"""
BOTO3_SCRIPT = """
import sys, boto3
session = boto3.Session(profile_name=sys.argv[1], region_name="us-east-1")
print(session.client("sts", endpoint_url=sys.argv[2]).get_caller_identity()["Arn"])
"""


def aws_config(home: Home) -> Path:
    return home.root / ".aws" / "config"


def assumes(proxy: FaultProxy) -> int:
    return proxy.faults.actions.count("AssumeRole")


def shows_session(tray: Tray, role: str) -> None:
    def shown() -> bool:
        return any(
            label.startswith(f"{role} — ") and "left" in label for label in tray.menu_labels()
        )

    wait_for(shown, f"the menu to show {role}'s session")


def boto3_arn(home: Home, profile: str, endpoint: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", BOTO3_SCRIPT, profile, endpoint],
        capture_output=True, text=True, env=home.env, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def served(home: Home, moto: MotoWorld, alice: User) -> tuple[Home, str]:
    """Role app (one hour) served through credential_process, into an existing config."""
    arn = moto.role(f"cp-{alice.name}", alice, external_id=EXTERNAL_ID)
    add_keys(home, alice)
    aws_config(home).parent.mkdir(mode=0o700, exist_ok=True)
    aws_config(home).write_text(AWS_CONFIG)
    add_role(home, "app", arn, "--external-id", EXTERNAL_ID, "--credential-process")
    return home, arn


def test_alone_the_aws_cli_and_boto3_get_the_role_through_credential_process(
    served: tuple[Home, str], alice: User, proxy: FaultProxy
) -> None:
    home, arn = served
    text = aws_config(home).read_text()
    assert text.startswith(AWS_CONFIG), "every byte of the user's config is kept"
    assert "[profile app]\n" in text and "credential-process app\n" in text

    role = arn.rsplit("/", 1)[-1]
    assumed = f"arn:aws:sts::123456789012:assumed-role/{role}/{alice.name}"
    assert home.caller_arn("app", proxy.url) == assumed  # no tray: roletray works alone
    assert assumes(proxy) == 1
    assert home.caller_arn("app", proxy.url) == assumed
    assert boto3_arn(home, "app", proxy.url) == assumed
    assert assumes(proxy) == 1, "later processes reuse the session from the keyring"
    assert not home.credentials.exists() or "[app]" not in home.credentials.read_text(), (
        "the credentials file would shadow credential_process"
    )

    printed = home.roletray("credential-process", "app")
    assert printed.returncode == 0 and printed.stderr == ""
    assert printed.stdout.count("\n") == 1, "stdout carries the JSON and nothing else"
    output = json.loads(printed.stdout)
    assert output["Version"] == 1 and output["AccessKeyId"].startswith("ASIA")
    assert output["Expiration"].endswith("Z") and output["SessionToken"]
    secret = output["SecretAccessKey"]
    assert not [
        p for p in home.root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()
    ]

    assert home.keyring is not None
    home.keyring.stop_daemon()  # status shows the session's note: it needs no keyring
    try:
        status = json.loads(home.roletray("status", "--json").stdout)
    finally:
        home.keyring.start_daemon()
    assert [(s["role"], s["state"]) for s in status] == [("app", "active")]
    removed = home.roletray("roles", "remove", "app")
    assert removed.returncode == 0, removed.stderr
    assert "app" not in SessionNotes.beside(home.config).read(), "its note went with it"
    assert aws_config(home).read_text() == AWS_CONFIG, "roles remove takes its lines out"


def test_a_profile_with_credentials_of_its_own_is_refused(
    home: Home, moto: MotoWorld, alice: User
) -> None:
    arn = moto.role(f"cp-own-{alice.name}", alice)
    add_keys(home, alice)
    aws_config(home).parent.mkdir(mode=0o700, exist_ok=True)
    original = AWS_CONFIG + "\n[profile prod]\nrole_arn = " + arn + "\nsource_profile = x\n"
    aws_config(home).write_text(original)
    result = home.roletray(
        "roles", "add", "prod", "--role-arn", arn, "--keys", "work", "--credential-process"
    )
    assert result.returncode == 1
    assert "gets credentials its own way (role_arn)" in result.stderr
    assert "another --profile" in result.stderr
    assert aws_config(home).read_text() == original
    assert "prod" not in home.roletray("roles", "list").stdout


@pytest.fixture
def tray_served(start_tray: Callable[..., Tray]) -> Tray:
    """The tray running, its role app (one hour) served through credential_process."""
    tray = start_tray(
        extra_roles=(("cp", "--external-id", TRAY_EXTERNAL_ID, "--credential-process"),)
    )
    tray.wait_label("cp — not assumed")
    wait_for(lambda: (tray.home.runtime / "roletray" / "broker.sock").exists(), "the broker")
    return tray


def test_with_the_tray_ten_aws_cli_calls_and_boto3_cause_one_assume_role(
    tray_served: Tray, proxy: FaultProxy
) -> None:
    tray, home = tray_served, tray_served.home
    arns = {home.caller_arn("cp", proxy.url) for _ in range(10)}
    arns.add(boto3_arn(home, "cp", proxy.url))
    assert len(arns) == 1 and ":assumed-role/" in arns.pop()
    assert assumes(proxy) == 1, "ten AWS CLI calls and a boto3 script: one AssumeRole"
    shows_session(tray, "cp")
    log = tray.log.read_text()  # (AWS CLI v1 runs the process twice per command)
    assert "broker listening on" in log and log.count("broker: credentials cp") >= 10

    via_tray = home.roletray("status", "--json")
    alone = home.roletray("--no-tray", "status", "--json")
    assert via_tray.returncode == alone.returncode == 0
    rows = [json.loads(result.stdout) for result in (via_tray, alone)]
    for row in (*rows[0], *rows[1]):
        assert row.pop("seconds_left") >= 0  # taken a moment apart
    assert rows[0] == rows[1], "the same answers"

    assumed = home.roletray("assume", "app")  # through the tray: its menu follows at once
    assert assumed.returncode == 0, assumed.stderr
    assert "Profile app is ready until" in assumed.stdout
    assert assumes(proxy) == 2
    shows_session(tray, "app")


def test_the_broker_refuses_another_user(start_tray: Callable[..., Tray], tmp_path: Path) -> None:
    if os.getuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to act as another user")
    # A runtime dir nobody can reach once its mode allows (pytest's own tmp is 0700).
    runtime = Path(tempfile.mkdtemp(prefix="roletray-run-"))
    try:
        tray = start_tray(env={"XDG_RUNTIME_DIR": str(runtime)})
        sock = runtime / "roletray" / "broker.sock"
        wait_for(sock.exists, "the broker")
        assert oct(sock.stat().st_mode & 0o777) == "0o600"
        assert oct(sock.parent.stat().st_mode & 0o777) == "0o700"
        runtime.chmod(0o755)
        assert "Permission" in _as_nobody(sock), "the folder and socket modes keep others out"

        sock.parent.chmod(0o755)  # a mistake that opens them up: the uid check still holds
        sock.chmod(0o666)
        answer = _as_nobody(sock)
        assert json.loads(answer) == {"ok": False, "error": "Refused: not the tray's user."}
        wait_for(lambda: "refused a connection from uid 65534" in tray.log.read_text(),
                 "the refusal in the log")  # fmt: skip
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


def _as_nobody(sock: Path) -> str:
    """Ask for credentials over ``sock`` as user nobody; the answer, or the OS error."""
    client = (
        "import socket, sys\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        "try:\n"
        f"    s.connect({str(sock)!r})\n"
        "except OSError as e:\n"
        "    print(e.strerror); sys.exit(0)\n"
        "try:\n"
        '    s.sendall(b\'{"op": "credentials", "role": "app"}\\n\')\n'
        "except BrokenPipeError:  # refused before its request was read\n"
        "    pass\n"
        "print(s.makefile().readline().strip())\n"
    )
    result = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
         "/usr/bin/python3", "-c", client],
        capture_output=True, text=True, timeout=30, cwd="/",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_an_mfa_role_through_credential_process_asks_in_the_trays_dialog(
    start_tray: Callable[..., Tray], alice: User, proxy: FaultProxy
) -> None:
    proxy.faults.mfa_code = CODE
    mfa = ("--external-id", TRAY_EXTERNAL_ID, "--mfa-serial", serial(alice))
    tray = start_tray(
        settings='mfa_prompt = "zenity"', extra_roles=(("mfa", *mfa, "--credential-process"),)
    )
    wait_for(lambda: (tray.home.runtime / "roletray" / "broker.sock").exists(), "the broker")
    aws = subprocess.Popen(
        [str(Path(sys.executable).parent / "aws"), "sts", "get-caller-identity", "--profile",
         "mfa", "--endpoint-url", proxy.url, "--region", REGION, "--output", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env=tray.home.env,
    )  # fmt: skip
    try:
        _type_into(tray, "^RoleTray$", CODE)
        out, err = aws.communicate(timeout=60)
    finally:
        aws.kill()
    assert aws.returncode == 0, err
    assert ":assumed-role/" in json.loads(out)["Arn"]
    assert tray.home.caller_arn("mfa", proxy.url) == json.loads(out)["Arn"], "no second code"
    assert proxy.faults.actions.count("AssumeRole") == 1
    assert tray.log.read_text().count("broker: credentials mfa") >= 2, "the tray asked, alone"


def test_doctor_checks_each_served_role(served: tuple[Home, str], alice: User) -> None:
    home, _ = served
    report = home.roletray("doctor", "--no-desktop", "--json")
    found = {f["check"]: f for f in json.loads(report.stdout)}
    assert found["role app: credential_process"]["status"] == "ok", report.stdout
    home.credentials.parent.mkdir(mode=0o700, exist_ok=True)
    home.credentials.write_text(
        f"[app]\naws_access_key_id = {alice.access_key_id}\n"
        f"aws_secret_access_key = {alice.secret_access_key}\n"
    )
    report = home.roletray("doctor", "--no-desktop", "--json")
    assert report.returncode == 1
    finding = {f["check"]: f for f in json.loads(report.stdout)}["role app: credential_process"]
    assert finding["status"] == "broken" and "shadows it" in finding["detail"]
