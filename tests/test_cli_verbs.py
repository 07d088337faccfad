"""The verbs people reach for: roles edit, settings, several roles at once, --all.

Real parts: the CLI against moto (IAM auth on) through the fault proxy, and the
AWS CLI reading the profiles written.
"""

from __future__ import annotations

import json

from tests.conftest import Home
from tests.harness.fault_proxy import FaultProxy
from tests.test_cli_real import EXTERNAL_ID, add_role, ready

__all__ = ["ready"]  # the fixture: keys and a role "app" (external ID, 900 s) from the CLI


def roles(home: Home) -> dict[str, dict]:
    listed = home.roletray("roles", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return {r["name"]: r for r in json.loads(listed.stdout)}


def test_roles_edit_changes_only_what_is_given(
    ready: tuple[Home, object, str], proxy: FaultProxy
) -> None:
    home = ready[0]
    edited = home.roletray("roles", "edit", "app", "--duration", "1800")
    assert edited.returncode == 0, edited.stderr
    assert edited.stdout.strip() == "Changed role app: duration."
    app = roles(home)["app"]
    assert app["duration"] == 1800 and app["external_id"] == EXTERNAL_ID, "the rest was kept"

    assert home.roletray("assume", "app").returncode == 0
    moved = home.roletray("roles", "edit", "app", "--profile", "app2", "--auto-refresh")
    assert moved.returncode == 0, moved.stderr
    assert "auto_refresh, profile" in moved.stdout
    assert "Removed its credentials from profile app; assume it again." in moved.stdout
    assert "[app]" not in home.credentials.read_text()
    assert home.roletray("assume", "app").returncode == 0
    assert ":assumed-role/" in home.caller_arn("app2", endpoint=proxy.url)

    unset = home.roletray("roles", "edit", "app", "--unset", "external_id", "--unset", "profile")
    assert unset.returncode == 0, unset.stderr
    app = roles(home)["app"]
    assert app["external_id"] is None and app["profile"] == "app"

    before = home.config.read_text()
    bad = home.roletray("roles", "edit", "app", "--duration", "60")
    assert bad.returncode == 1 and "duration 60 is out of range" in bad.stderr
    nothing = home.roletray("roles", "edit", "app")
    assert nothing.returncode == 1 and "Nothing to change" in nothing.stdout
    unknown = home.roletray("roles", "edit", "nope", "--duration", "900")
    assert unknown.returncode == 1 and "nope" in unknown.stderr
    assert home.config.read_text() == before


def test_settings_list_get_set_unset_are_typed_validated_and_keep_comments(
    ready: tuple[Home, object, str],
) -> None:
    home = ready[0]
    home.config.write_text("# my notes stay\n" + home.config.read_text())
    listed = home.roletray("settings", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["key"]: r for r in json.loads(listed.stdout)}
    assert rows["warn_before"] == {"key": "warn_before", "value": "600", "default": "600"}

    for key, value, shown in [
        ("warn_before", "300", "300"),
        ("clear_on_quit", "yes", "true"),
        ("sts_timeout", "2.5", "2.5"),
        ("region", "eu-west-1", "eu-west-1"),
    ]:
        result = home.roletray("settings", "set", key, value)
        assert result.returncode == 0, result.stderr
        assert home.roletray("settings", "get", key).stdout.strip() == shown
    assert "warn_before = 300" in home.config.read_text()
    assert home.config.read_text().startswith("# my notes stay\n")

    before = home.config.read_text()
    for key, value, phrase in [
        ("sts_attempts", "0", "out of range"),
        ("sts_attempts", "2.5", "not a whole number"),
        ("clear_on_quit", "maybe", "true or false"),
        ("region", "moon-1", "not valid"),
    ]:
        result = home.roletray("settings", "set", key, value)
        assert result.returncode == 1 and phrase in result.stderr, (key, result.stderr)
    assert home.config.read_text() == before

    reset = home.roletray("settings", "unset", "warn_before")
    assert reset.returncode == 0 and "back to its default, 600" in reset.stdout
    assert home.roletray("settings", "get", "warn_before").stdout.strip() == "600"


def test_several_roles_or_all_in_one_command(
    ready: tuple[Home, object, str], proxy: FaultProxy
) -> None:
    home, _, arn = ready
    add_role(home, "other", arn, "--external-id", EXTERNAL_ID, "--duration", "900")
    both = home.roletray("assume", "app", "other")
    assert both.returncode == 0, both.stderr
    assert both.stdout.count("is ready until") == 2
    for profile in ("app", "other"):
        assert ":assumed-role/" in home.caller_arn(profile, endpoint=proxy.url)

    status = home.roletray("status", "other", "--json")
    assert [row["role"] for row in json.loads(status.stdout)] == ["other"]

    add_role(home, "bad", arn, "--external-id", "wrong-external-id", "--duration", "900")
    everything = home.roletray("assume", "--all")
    assert everything.returncode == 1, "one of them failed"
    assert everything.stdout.count("is ready until") == 2, "the others still ran"
    assert everything.stderr.count("roletray: AccessDenied assuming bad:") == 1

    cleared = home.roletray("clear", "--all")
    assert cleared.returncode == 0, cleared.stderr
    assert "[app]" not in home.credentials.read_text()
    assert "[other]" not in home.credentials.read_text()

    for args, phrase in [
        (("assume", "app", "--all"), "not both"),
        (("assume",), "Name the roles"),
        (("assume", "app", "nope"), "nope"),
        (("assume", "app", "other", "--mfa-code", "123456"), "Role app has no MFA device"),
    ]:
        result = home.roletray(*args)
        assert result.returncode == 1 and phrase in result.stderr, (args, result.stderr)
    assert "[app]" not in home.credentials.read_text(), "an unknown name stops it all first"
