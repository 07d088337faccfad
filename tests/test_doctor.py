"""`roletray doctor` and `roletray iam-setup` on real parts: moto (auth on, IAM too),
gnome-keyring (also locked), the virtual desktop, and a credentials file left 0644."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Home
from tests.harness.aws import MotoWorld, User
from tests.harness.desktop import Desktop
from tests.harness.keyring_bus import KeyringBus
from tests.test_cli_real import add_keys, add_role

pytestmark = pytest.mark.real


def doctor(home: Home, *args: str) -> tuple[int, dict[str, dict[str, str]]]:
    result = home.roletray("doctor", "--json", *args)
    assert result.stderr == "", result.stderr
    return result.returncode, {f["check"]: f for f in json.loads(result.stdout)}


@pytest.fixture
def set_up(home: Home, moto: MotoWorld, alice: User) -> Home:
    add_keys(home, alice)
    add_role(home, "good", moto.role(f"doc-good-{alice.name}", alice))
    home.credentials.parent.mkdir(mode=0o700, exist_ok=True)
    home.credentials.write_text("[default]\nregion = eu-west-1\n")
    home.credentials.chmod(0o600)
    return home


def test_a_sound_setup_is_all_ok_and_exits_0(set_up: Home, alice: User) -> None:
    code, found = doctor(set_up, "--assume", "--no-desktop")
    assert code == 0, found
    assert {f["status"] for f in found.values()} == {"ok"}, found
    assert found["keyring"]["detail"].startswith("keyring.backends.SecretService.Keyring")
    assert found["key set work"]["detail"].startswith(f"{alice.access_key_id} is {alice.arn}")
    assert found["role good"]["detail"].startswith("assumed as arn:aws:sts::")
    text = set_up.roletray("doctor", "--no-desktop")
    assert text.returncode == 0 and text.stdout.splitlines()[0].startswith("OK      keyring")


def test_an_open_file_a_rejecting_role_and_a_deleted_key_are_each_reported(
    set_up: Home, moto: MotoWorld, alice: User
) -> None:
    home = set_up
    home.credentials.chmod(0o644)
    stranger = moto.user(f"stranger-{alice.name}")
    add_role(home, "rejects", moto.role(f"doc-rejects-{alice.name}", stranger))
    home.credentials.write_text(
        "[default]\nregion = eu-west-1\n[old]\naws_access_key_id = AKIAOLDOLDOLDOLDOLD0\n"
        "aws_secret_access_key = plaintext\n"
    )
    code, found = doctor(home, "--assume", "--no-desktop")
    assert code == 1
    assert found["credentials file"]["status"] == "warn"
    assert "mode 0644" in found["credentials file"]["detail"]
    assert "long-lived keys in plaintext in [old]" in found["credentials file"]["detail"]
    assert found["role good"]["status"] == "ok"
    assert found["role rejects"]["status"] == "broken"
    assert found["role rejects"]["detail"].startswith("AccessDenied assuming rejects:")

    home.credentials.chmod(0o600)
    moto.delete_key(alice)
    code, found = doctor(home, "--no-desktop")
    assert code == 1
    assert found["key set work"]["status"] == "broken"
    assert "InvalidClientTokenId" in found["key set work"]["detail"]


def test_a_locked_keyring_is_broken_and_said_so(set_up: Home, keyring_bus: KeyringBus) -> None:
    set_up.extra_env["ROLETRAY_KEYRING_TIMEOUT"] = "3"
    keyring_bus.stop_daemon()
    keyring_bus.start_daemon(unlock=False)
    try:
        code, found = doctor(set_up, "--no-desktop")
    finally:
        keyring_bus.stop_daemon()
        keyring_bus.start_daemon(unlock=True)
    assert code == 1
    assert found["keyring"]["status"] == "broken"
    assert "unlock" in found["keyring"]["detail"]
    assert found["key set work"]["status"] == "broken"


def test_on_the_desktop_the_tray_and_notifications_are_checked(
    set_up: Home, desktop: Desktop
) -> None:
    set_up.extra_env.update(desktop.env)
    code, found = doctor(set_up)
    assert code == 0, found
    assert found["tray"]["detail"].startswith("pystray backend ")
    assert found["notifications"]["status"] == "ok"
    set_up.extra_env["DISPLAY"] = ""
    set_up.extra_env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent"
    code, found = doctor(set_up)
    assert found["tray"]["status"] == "warn" and "No desktop session" in found["tray"]["detail"]
    assert found["notifications"]["status"] == "warn"


def test_iam_setup_prints_then_applies_the_admin_half_and_the_user_can_assume(
    home: Home, moto: MotoWorld, alice: User
) -> None:
    admin = moto.user(f"admin-{alice.name}", may_assume=False)
    with moto.seeding() as iam:
        iam.put_user_policy(
            UserName=admin.name, PolicyName="admin",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}),
        )  # fmt: skip
    carol = moto.user(f"carol-{alice.name}", may_assume=False)
    role = moto.role(f"setup-{alice.name}", carol)
    home.extra_env["AWS_ENDPOINT_URL_IAM"] = moto.url
    add_keys(home, admin, "admin")
    args = ("iam-setup", "--role-arn", role, "--user", carol.name, "--keys", "admin")

    shown = home.roletray(*args)
    assert shown.returncode == 0, shown.stderr
    assert f'"Resource": "{role}"' in shown.stdout and '"AWS": "' in shown.stdout
    assert "nothing created" in shown.stdout

    add_keys(home, carol, "carol")
    home.roletray("roles", "add", "setup", "--role-arn", role, "--keys", "carol")
    before = home.roletray("assume", "setup")
    assert before.returncode == 1 and "AccessDenied" in before.stderr, "not allowed yet"

    applied = home.roletray(*args, "--apply")
    assert applied.returncode == 0, applied.stderr
    assert "done: created group assume-" in applied.stdout
    assert f"done: added user {carol.name} to group" in applied.stdout
    assert f"roletray roles add setup-{alice.name} --role-arn {role}" in applied.stdout
    after = home.roletray("assume", "setup")
    assert after.returncode == 0, after.stderr

    again = home.roletray(*args, "--apply")
    assert again.returncode == 0, again.stderr
    assert "already exists" in again.stdout, "idempotent"
