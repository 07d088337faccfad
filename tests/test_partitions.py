"""AWS partitions and profile names the AWS tools read specially.

The region, and so the STS endpoint botocore picks, follows the role ARN's
partition; mismatches are refused when added, with the fix; `--verbose` names
the endpoint. ``DEFAULT`` is refused as a profile (botocore would copy its keys
into every profile). Real parts: botocore's own endpoint resolution and
partition data, the CLI against moto.
"""

from __future__ import annotations

import re
from pathlib import Path

import botocore.loaders
import pytest

from tests.conftest import Home
from tests.harness.aws import MotoWorld, User
from tests.harness.fault_proxy import FaultProxy
from tests.test_cli_real import add_keys
from tray_app import partitions
from tray_app.config import Config, Role, Settings
from tray_app.sts import BotoSts, SigningKey

CN_ROLE = "arn:aws-cn:iam::123456789012:role/Admin"
GOV_ROLE = "arn:aws-us-gov:iam::123456789012:role/Admin"
AWS_ROLE = "arn:aws:iam::123456789012:role/Admin"


def test_our_partition_table_is_botocores() -> None:
    data = botocore.loaders.create_loader().load_data("endpoints")
    for partition in data["partitions"]:
        name = partition["partition"]
        assert partitions.PARTITIONS[name][0] == partition["regionRegex"], name
        assert partitions.default_region(name) in partition["regions"], name
        for region in partition["regions"]:
            assert partitions.of_region(region) == name, region


@pytest.mark.parametrize(
    ("arn", "settings_region", "expected"),
    [
        (AWS_ROLE, "eu-west-1", "eu-west-1"),
        (CN_ROLE, "us-east-1", "cn-north-1"),
        (GOV_ROLE, "us-east-1", "us-gov-west-1"),
        (CN_ROLE, "cn-northwest-1", "cn-northwest-1"),
    ],
)
def test_a_role_with_no_region_uses_one_of_its_partition(
    arn: str, settings_region: str, expected: str
) -> None:
    config = Config(Path("c.toml"), Settings(region=settings_region), {}, {})
    assert config.region_for(Role("r", arn, "k")) == expected


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("cn-north-1", "https://sts.cn-north-1.amazonaws.com.cn"),
        ("us-gov-west-1", "https://sts.us-gov-west-1.amazonaws.com"),
        ("eu-west-1", "https://sts.eu-west-1.amazonaws.com"),
    ],
)
def test_botocore_sends_that_region_to_its_partitions_sts(
    region: str, host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_STS", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    key = SigningKey("work", "AKIAFAKEFAKEFAKEFAKE", "secret")
    assert BotoSts()._client(key, region).meta.endpoint_url == host


def roles_add(home: Home, *args: str) -> tuple[int, str]:
    result = home.roletray("roles", "add", *args, "--keys", "work")
    return result.returncode, result.stderr.strip()


def test_mismatched_partitions_and_special_profiles_are_refused_with_the_fix(
    home: Home, alice: User
) -> None:
    add_keys(home, alice)
    code, err = roles_add(home, "x", "--role-arn", AWS_ROLE, "--region", "cn-north-1")
    assert code == 1
    assert "region cn-north-1 is in partition aws-cn but arn:aws:iam::123456789012:role" in err
    assert "use a region of aws such as us-east-1" in err

    code, err = roles_add(home, "y", "--role-arn", CN_ROLE)
    assert code == 1, "alice's key is in aws: it cannot assume an aws-cn role"
    assert "key set 'work' belongs to aws — a key can only assume roles in its own" in err

    for args in (
        ("DEFAULT", "--role-arn", AWS_ROLE),
        ("z", "--role-arn", AWS_ROLE, "--profile", "DEFAULT"),
    ):
        code, err = roles_add(home, *args)
        assert code == 1 and "profile 'DEFAULT' is the INI parser's defaults section" in err
        assert "'default', in lower case" in err
    assert "[roles.x]" not in home.config.read_text() and "DEFAULT" not in home.config.read_text()


def test_a_key_set_is_checked_in_the_region_given_and_verbose_names_the_endpoint(
    home: Home, alice: User, moto: MotoWorld, proxy: FaultProxy
) -> None:
    added = home.roletray(
        "--verbose", "keys", "add", "work", "--access-key-id", alice.access_key_id,
        "--region", "eu-west-1", input=alice.secret_access_key + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert f"STS endpoint for key set work: {proxy.url}" in added.stderr
    arn = moto.role(f"part-{alice.name}", alice)
    code, err = roles_add(home, "app", "--role-arn", arn, "--duration", "900")
    assert code == 0, err
    assumed = home.roletray("--verbose", "assume", "app")
    assert assumed.returncode == 0, assumed.stderr
    assert re.search(rf"STS endpoint for app: {re.escape(proxy.url)}", assumed.stderr)


def test_config_validation_also_refuses_a_key_of_another_partition(tmp_path: Path) -> None:
    from tray_app.config import parse_config
    from tray_app.errors import ConfigError

    data = {
        "keys": {
            "cn": {
                "access_key_id": "AKIAFAKEFAKEFAKEFAKE",
                "user_arn": "arn:aws-cn:iam::123456789012:user/a",
            }
        },
        "roles": {"r": {"role_arn": AWS_ROLE, "keys": "cn"}},
    }
    with pytest.raises(ConfigError, match="belongs to aws-cn"):
        parse_config(data, tmp_path / "c.toml")


def test_one_sts_client_per_key_and_region_is_reused_and_a_new_key_gets_its_own() -> None:
    from tray_app.sts import MAX_CLIENTS

    sts = BotoSts()
    key = SigningKey("work", "AKIAFAKEFAKEFAKEFAKE", "secret")
    first = sts._client(key, "eu-west-1")
    assert sts._client(key, "eu-west-1") is first, "reused"
    assert sts._client(key, "us-east-1") is not first, "another region, another client"
    rekeyed = SigningKey("work", "AKIAFAKEFAKEFAKEFAKE", "a new secret")
    assert sts._client(rekeyed, "eu-west-1") is not first, "a changed secret is not reused"
    for i in range(MAX_CLIENTS + 5):
        sts._client(SigningKey("k", f"AKIAFAKE{i:012d}", "s"), "eu-west-1")
    assert len(sts._clients) == MAX_CLIENTS, "bounded"
