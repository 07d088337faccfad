"""The config file: validation messages, comment-keeping edits, where it lives."""

from __future__ import annotations

from pathlib import Path

import pytest

from tray_app.config import ConfigStore, KeySet, Role, default_config_path, load_config
from tray_app.errors import ConfigError

ARN = "arn:aws:iam::123456789012:role/MyApp/MyS3Access"
GOOD = f"""\
# my roletray config
[settings]
region = "eu-west-1"  # most of my work is here

[keys.work]
access_key_id = "AKIAIOSFODNN7EXAMPLE"

[roles.prod]
role_arn = "{ARN}"
keys = "work"
external_id = "ext-1234"
duration = 7200
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_a_good_config_loads_with_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    role = config.role("prod")
    assert role.target_profile == "prod"
    assert role.duration == 7200 and role.external_id == "ext-1234"
    assert config.region_for(role) == "eu-west-1"
    assert role.account == "123456789012"
    assert config.keyset("work").access_key_id == "AKIAIOSFODNN7EXAMPLE"


@pytest.mark.parametrize(
    ("field", "value", "phrase"),
    [
        (
            "role_arn",
            '"arn:aws:iam::1234:role/x"',
            "role_arn 'arn:aws:iam::1234:role/x' is not valid",
        ),
        ("role_arn", '"arn:aws:iam::123456789012:user/x"', "expected arn:aws:iam::<12-digit"),
        ("session_name", '"a"', "session_name 'a' is not valid"),
        ("session_name", '"has space"', "use 2-64 of letters"),
        ("external_id", '"x"', "external_id 'x' is not valid"),
        ("external_id", '"no#hash"', "use 2-1224"),
        ("duration", "899", "duration 899 is out of range — use 900 to 43200 seconds"),
        ("duration", "43201", "duration 43201 is out of range"),
        ("duration", '"3600"', "is not a whole number of seconds"),
        ("duration", "true", "is not a whole number of seconds"),
        ("mfa_serial", '"short"', "mfa_serial 'short' is not valid"),
        ("region", '"Europe"', "region 'Europe' is not valid"),
        ("profile", '"has space"', "profile 'has space' is not valid"),
        ("profile", '"[x]"', "profile '[x]' is not valid"),
        ("colour", '"red"', "unknown field 'colour' — allowed:"),
        ("keys", '"nope"', "keys 'nope' names no key set"),
    ],
)
def test_each_bad_field_is_named_with_file_and_role(
    tmp_path: Path, field: str, value: str, phrase: str
) -> None:
    lines = [ln for ln in GOOD.splitlines() if not ln.startswith(f"{field} =")]
    path = write(tmp_path, "\n".join([*lines, f"{field} = {value}", ""]))
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: role 'prod': ")
    assert phrase in message


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("[roles.x]\nkeys = 'work'\n", "role 'x': missing required field 'role_arn'"),
        ("[keys.work]\naccess_key_id = 'ASIAIOSFODNN7EXAMPLE'\n", "is a temporary key"),
        ("[keys.work]\naccess_key_id = 'akia-lower'\n", "access_key_id 'akia-lower' is not valid"),
        (
            "[keys.work]\naccess_key_id = 'AKIAIOSFODNN7EXAMPLE'\nsecret = 'x'\n",
            "unknown field 'secret'",
        ),
        ("[roels.x]\n", "unknown table 'roels'"),
        ("[settings]\nsts_attempts = 0\n", "sts_attempts 0 is out of range"),
        ("[roles]\n'bad name' = {}\n", "role 'bad name': the name is not valid"),
        ("[roles.x\n", "not valid TOML"),
    ],
)
def test_other_problems_are_one_clear_message(tmp_path: Path, text: str, phrase: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value).startswith(str(path))
    assert phrase in str(raised.value)


def test_two_roles_may_not_share_a_profile(tmp_path: Path) -> None:
    text = GOOD + f'\n[roles.dev]\nrole_arn = "{ARN}"\nkeys = "work"\nprofile = "prod"\n'
    with pytest.raises(ConfigError, match="profile 'prod' is already the profile of role 'prod'"):
        load_config(write(tmp_path, text))


def test_missing_file_is_an_empty_config(tmp_path: Path) -> None:
    config = load_config(tmp_path / "none.toml")
    assert dict(config.roles) == {} and dict(config.keys) == {}
    with pytest.raises(ConfigError, match=r"No role named 'x'.*roletray roles add"):
        config.role("x")


def test_edits_keep_comments_and_layout(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    store = ConfigStore(path)
    store.put_role(Role(name="dev", role_arn=ARN, keys="work", region="us-west-2"))
    text = path.read_text()
    assert text.startswith(GOOD), "the user's text stays as it was"
    assert '[roles.dev]\nrole_arn = "' in text and 'region = "us-west-2"' in text
    assert "duration" not in text.split("[roles.dev]")[1], "defaults are not written"
    store.remove_role("dev")
    assert path.read_text().rstrip() == GOOD.rstrip()


def test_an_invalid_edit_is_refused_and_the_file_kept(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    with pytest.raises(ConfigError, match="duration 60 is out of range"):
        ConfigStore(path).put_role(Role(name="dev", role_arn=ARN, keys="work", duration=60))
    with pytest.raises(ConfigError, match="keys 'ghost' names no key set"):
        ConfigStore(path).put_role(Role(name="dev", role_arn=ARN, keys="ghost"))
    assert path.read_text() == GOOD


def test_a_key_set_in_use_cannot_be_removed(tmp_path: Path) -> None:
    store = ConfigStore(write(tmp_path, GOOD))
    with pytest.raises(ConfigError, match="used by role\\(s\\) prod"):
        store.remove_keyset("work")
    store.remove_role("prod")
    assert dict(store.remove_keyset("work").keys) == {}


def test_a_new_config_is_created_with_a_header(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.toml"
    store = ConfigStore(path)
    store.put_keyset(KeySet(name="work", access_key_id="AKIAIOSFODNN7EXAMPLE"))
    assert path.read_text().startswith("# roletray config")
    assert store.load().keys["work"].access_key_id == "AKIAIOSFODNN7EXAMPLE"


def test_where_the_config_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("ROLETRAY_CONFIG", raising=False)
    assert default_config_path() == tmp_path / "xdg" / "roletray" / "config.toml"
    monkeypatch.setenv("ROLETRAY_CONFIG", str(tmp_path / "mine.toml"))
    assert default_config_path() == tmp_path / "mine.toml"


def test_session_name_from_the_users_arn() -> None:
    from tray_app.engine import default_session_name

    assert (
        default_session_name(
            KeySet("w", "AKIAIOSFODNN7EXAMPLE", "arn:aws:iam::123456789012:user/team/alice")
        )
        == "alice"
    )
    fallback = default_session_name(KeySet("w", "AKIAIOSFODNN7EXAMPLE"))
    assert fallback.startswith("roletray-")
