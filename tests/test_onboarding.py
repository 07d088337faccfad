"""Arriving with an existing AWS setup, on real parts: a realistic ~/.aws/config and a
credentials file with plaintext keys; `keys import --scrub` and `roles import` against
moto (auth on) and gnome-keyring; the AWS CLI and the tray use what was imported."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Home
from tests.harness.aws import MotoWorld, User
from tests.harness.desktop import wait_for
from tests.harness.fault_proxy import FaultProxy
from tests.harness.tray import Tray

pytestmark = pytest.mark.real
FIXTURES = Path(__file__).parent / "fixtures" / "aws"
EXTERNAL_ID = "client-a-ext-7"
IMPORTED = {  # profile → (role name, profile written)
    "client-a-admin": ("client-a-admin", "client-a-admin-roletray"),
    "client-a-readonly": ("client-a-readonly", "client-a-readonly-roletray"),
    "Client-A-ReadOnly": ("Client-A-ReadOnly", "Client-A-ReadOnly-roletray"),
    "client-a-mfa": ("client-a-mfa", "client-a-mfa-roletray"),
    "client-a/billing": ("client-a-billing", "client-a-billing-roletray"),
}
SKIPPED = {
    "default": "not a role",
    "work": "not a role",
    "client-a-deploy": "role chain: source_profile client-a-admin is itself a role",
    "ec2-role": "credential_source = Ec2InstanceMetadata",
    "ci": "web identity profile",
    "vault": "credential_process profile",
    "sso-dev": "IAM Identity Center",
    "legacy-sso": "IAM Identity Center",
    "bad-duration": "duration_seconds 86400 is out of range",
    "no-source": "role_arn without source_profile",
    "eu": "not a role",
}


@dataclass
class Setup:
    home: Home
    alice: User
    bob: User
    aws_config: bytes
    credentials: str


@pytest.fixture
def setup(home: Home, moto: MotoWorld, alice: User) -> Setup:
    bob = moto.user(f"bob-{alice.name}")
    values = {
        "ROLE_A": moto.role(f"imp-a-{alice.name}", alice, external_id=EXTERNAL_ID),
        "ROLE_B": moto.role(f"imp-b-{alice.name}", alice),
        "ROLE_C": moto.role(f"imp-c-{alice.name}", bob),
        "EXTERNAL_ID": EXTERNAL_ID,
        "WORK_KEY": alice.access_key_id,
        "WORK_SECRET": alice.secret_access_key,
        "PERSONAL_KEY": bob.access_key_id,
        "PERSONAL_SECRET": bob.secret_access_key,
    }
    aws = home.root / ".aws"
    aws.mkdir(mode=0o700)
    for name in ("config", "credentials"):
        text = (FIXTURES / name).read_text()
        for key, value in values.items():
            text = text.replace("{" + key + "}", value)
        (aws / name).write_text(text)
    (aws / "credentials").chmod(0o600)
    return Setup(home, alice, bob, (aws / "config").read_bytes(), (aws / "credentials").read_text())


def import_everything(setup: Setup) -> None:
    home = setup.home
    early = home.roletray("roles", "import", "--dry-run", "--json")
    rows = {r["from"]: r for r in json.loads(early.stdout)}
    assert rows["client-a-admin"]["action"] == "skip", "no key set yet: said so"
    assert "roletray keys import --profile work" in rows["client-a-admin"]["reason"]

    moved = home.roletray("keys", "import", "--scrub")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert moved.stdout.count("stored in the keyring; removed from the credentials file") == 2
    assert "pasted" not in moved.stdout, "temporary keys are not long-lived keys"

    added = home.roletray("roles", "import")
    assert added.returncode == 0, added.stderr
    assert f"Added {len(IMPORTED)} of {len(IMPORTED) + len(SKIPPED)} from" in added.stdout


def test_keys_and_roles_come_in_from_the_aws_files_and_nothing_else_changes(
    setup: Setup, proxy: FaultProxy
) -> None:
    home = setup.home
    import_everything(setup)

    # The credentials file: only the four key lines went, and [personal], which held no more.
    expected = setup.credentials
    for line in (
        f"aws_access_key_id = {setup.alice.access_key_id}\n",
        f"aws_secret_access_key = {setup.alice.secret_access_key}\n",
        f"[personal]\naws_access_key_id = {setup.bob.access_key_id}\n"
        f"aws_secret_access_key = {setup.bob.secret_access_key}\n",
    ):
        assert line in expected
        expected = expected.replace(line, "")
    assert home.credentials.read_text() == expected
    assert (home.root / ".aws" / "config").read_bytes() == setup.aws_config, "never edited"

    again = home.roletray("roles", "import", "--json")
    plan = json.loads(again.stdout)
    by_source = {row["from"]: row for row in plan}
    for profile, (role, written) in IMPORTED.items():
        assert by_source[profile]["action"] == "present", by_source[profile]
        assert (by_source[profile]["role"], by_source[profile]["profile"]) == (role, written)
    for profile, reason in SKIPPED.items():
        assert by_source[profile]["action"] == "skip"
        assert reason in by_source[profile]["reason"], by_source[profile]
    assert "Added 0 of" in again.stderr, "idempotent"

    proxy.faults.mfa_code = "123456"
    sessions = {"client-a-admin": "alice-admin", "client-a-billing": setup.bob.name}
    for role, written in IMPORTED.values():
        code = ("--mfa-code", "123456") if role == "client-a-mfa" else ()
        result = home.roletray("assume", role, *code)
        assert result.returncode == 0, (role, result.stderr)
        session = sessions.get(role, setup.alice.name)  # role_session_name came along
        assert home.caller_arn(written, proxy.url).endswith(f"/{session}")

    secrets = [setup.alice.secret_access_key.encode(), setup.bob.secret_access_key.encode()]
    holding = [
        p for p in home.root.rglob("*") if p.is_file() and any(s in p.read_bytes() for s in secrets)
    ]
    assert holding == [], "no long-lived secret in any file"


def test_a_shared_catalogue_goes_out_without_secrets_and_comes_back_mapped(
    setup: Setup, tmp_path: Path
) -> None:
    home = setup.home
    import_everything(setup)
    exported = home.roletray("roles", "export")
    assert exported.returncode == 0
    text = exported.stdout
    assert "[roles.client-a-admin]" in text and EXTERNAL_ID in text
    assert setup.alice.access_key_id not in text and "secret" not in text
    team = tmp_path / "team.toml"
    team.write_text(text)

    other = Home(tmp_path / "other", home.keyring, home.sts_url)
    other.root.mkdir()
    keys = other.roletray(
        "keys", "add", "mine", "--access-key-id", setup.alice.access_key_id,
        input=setup.alice.secret_access_key + "\n",
    )  # fmt: skip
    assert keys.returncode == 0, keys.stderr
    skipped = other.roletray("roles", "import", str(team))
    assert "Added 0 of" in skipped.stdout and "key set work does not exist" in skipped.stdout
    mapped = other.roletray(
        "roles", "import", str(team), "--keys", "work=mine", "--keys", "personal=mine"
    )
    assert mapped.returncode == 0, mapped.stderr
    assert f"Added {len(IMPORTED)} of {len(IMPORTED)}" in mapped.stdout
    again = other.roletray(
        "roles", "import", str(team), "--keys", "work=mine", "--keys", "personal=mine"
    )
    assert "Added 0 of" in again.stdout and again.stdout.count("present") == len(IMPORTED)
    listed = json.loads(other.roletray("roles", "list", "--json").stdout)
    assert {r["keys"] for r in listed} == {"mine"}


def test_an_imported_role_is_assumed_from_the_tray_menu(
    setup: Setup, start_tray: Callable[..., Tray], proxy: FaultProxy
) -> None:
    import_everything(setup)
    tray = start_tray()
    label = "client-a-readonly (client-a-readonly-roletray) — not assumed"
    assert label in tray.menu_labels()
    tray.choose(label)
    wait_for(lambda: tray.profile("client-a-readonly-roletray"), "the imported role's profile")
    arn = setup.home.caller_arn("client-a-readonly-roletray", proxy.url)
    assert arn.endswith(f"/{setup.alice.name}")


def _press_in_dialog(tray: Tray, title: str, *keys: str) -> None:
    shown = tray.dialog(title)
    tray.desktop.keys(*keys)
    wait_for(lambda: not shown(), f"the {title!r} dialog to close")


def test_the_tray_imports_keys_and_roles_after_asking(
    setup: Setup, start_tray: Callable[..., Tray], proxy: FaultProxy
) -> None:
    tray = start_tray(settings='mfa_prompt = "zenity"')
    assert tray.choose("Import from ~/.aws/config…") == ["import-aws", ""]
    _press_in_dialog(tray, "move keys into the keyring", "Tab", "Tab", "Return")
    _press_in_dialog(tray, "import roles", "Tab", "Tab", "Return")
    tray.wait_label("client-a-readonly (client-a-readonly-roletray) — not assumed")
    done = tray.desktop.wait_notification(rf"^Imported {len(IMPORTED)} roles$")
    assert "client-a-admin" in done["body"]
    assert setup.alice.secret_access_key not in setup.home.credentials.read_text()
    assert "[personal]" not in setup.home.credentials.read_text()

    assert tray.choose("Check setup") == ["doctor", ""]
    report = tray.desktop.wait_notification(r"^Setup check: \d+ broken")
    assert report["body"] == "The report is open."
    _press_in_dialog(tray, "check setup", "Return")
