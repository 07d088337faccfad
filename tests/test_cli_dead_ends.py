"""No dead ends in the CLI: every refusal names a way forward that exists.

Real parts: the CLI against moto (auth on) through the fault proxy, the AWS CLI
reading the file, the real file system (a dangling symlink).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tests.conftest import Home
from tests.harness.fault_proxy import FaultProxy
from tests.test_cli_real import EXTERNAL_ID, add_role, ready
from tray_app.cli import VERBS, _verb_module, build_parser

__all__ = ["ready"]  # the fixture: keys and a role "app" added through the CLI
FOREIGN = "[mine]\naws_access_key_id = AKIAMINEMINEMINEMINE\naws_secret_access_key = x\n"


def test_clear_of_a_foreign_profile_offers_no_missing_flag(
    ready: tuple[Home, object, str],
) -> None:
    home, _, arn = ready
    home.credentials.parent.mkdir(mode=0o700, exist_ok=True)
    home.credentials.write_text(FOREIGN)
    add_role(home, "other", arn, "--profile", "mine", "--external-id", EXTERNAL_ID)
    result = home.roletray("clear", "other")
    assert result.returncode == 1
    assert "was not written by roletray" in result.stderr and "delete it by hand" in result.stderr
    assert "--force" not in result.stderr
    assert home.credentials.read_text() == FOREIGN


def test_removing_a_role_removes_its_profile_and_keeps_foreign_ones(
    ready: tuple[Home, object, str], proxy: FaultProxy
) -> None:
    home, _, arn = ready
    home.credentials.parent.mkdir(mode=0o700, exist_ok=True)
    home.credentials.write_text(FOREIGN)
    assert home.roletray("assume", "app").returncode == 0
    assert ":assumed-role/" in home.caller_arn("app", endpoint=proxy.url)
    add_role(home, "other", arn, "--profile", "mine", "--external-id", EXTERNAL_ID)

    removed = home.roletray("roles", "remove", "app")
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.strip() == f"Removed role app and profile app from {home.credentials}."
    assert "[app]" not in home.credentials.read_text()
    gone = home.aws("sts", "get-caller-identity", "--profile", "app", endpoint=proxy.url)
    assert gone.returncode != 0 and "could not be found" in gone.stderr

    kept = home.roletray("roles", "remove", "other")  # its profile is the user's own
    assert kept.returncode == 0 and kept.stdout.strip() == "Removed role other."
    # The blank line roletray put before [app] when it appended it stays behind.
    assert home.credentials.read_text() == FOREIGN + "\n"


def test_a_dangling_symlink_is_refused_and_creates_nothing(
    ready: tuple[Home, object, str], tmp_path: Path, proxy: FaultProxy
) -> None:
    home = ready[0]
    nowhere = tmp_path / "not" / "there" / "credentials"
    home.credentials.parent.mkdir(mode=0o700, exist_ok=True)
    home.credentials.symlink_to(nowhere)
    result = home.roletray("assume", "app")
    assert result.returncode == 1
    assert f"is a link to {nowhere}, which does not exist" in result.stderr
    assert not (tmp_path / "not").exists()
    assert proxy.faults.actions.count("AssumeRole") == 0


def test_an_overlong_external_id_is_not_echoed_in_full(ready: tuple[Home, object, str]) -> None:
    home, _, arn = ready
    secretish = "x" * 1300
    result = home.roletray("roles", "add", "long", "--role-arn", arn, "--keys", "work",
                           "--external-id", secretish)  # fmt: skip
    assert result.returncode == 1 and "external_id" in result.stderr
    assert "(1300 chars)" in result.stderr and secretish not in result.stderr
    assert len(result.stderr) < 300


def test_names_and_aws_fields_take_ascii_only_wherever_the_letter_stands(
    ready: tuple[Home, object, str],
) -> None:
    home, _, arn = ready
    cases = [
        ("éx", ()),
        ("xé", ()),
        ("s1", ("--session-name", "alicé")),
        ("s2", ("--external-id", "idé-42")),
    ]
    for name, extra in cases:
        result = home.roletray("roles", "add", name, "--role-arn", arn, "--keys", "work", *extra)
        assert result.returncode == 1, (name, extra)
        assert "is not valid" in result.stderr, result.stderr
    assert all(f"[roles.{n}]" not in home.config.read_text() for n, _ in cases)


def test_an_mfa_code_for_a_role_without_mfa_says_so(
    ready: tuple[Home, object, str], proxy: FaultProxy
) -> None:
    home = ready[0]
    result = home.roletray("assume", "app", "--mfa-code", "123456")
    assert result.returncode == 1
    assert "Role app has no MFA device (mfa_serial) — drop --mfa-code" in result.stderr
    assert proxy.faults.actions.count("AssumeRole") == 0
    assert not home.credentials.exists() or "[app]" not in home.credentials.read_text()


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


def test_every_positional_argument_has_help() -> None:
    missing = [
        f"{parser.prog} {action.dest}"
        for parser in _parsers(build_parser())
        for action in parser._actions
        if not action.option_strings
        and not isinstance(action, argparse._SubParsersAction)
        and not action.help
    ]
    assert missing == []
    assert len(_parsers(build_parser())) >= 12, "every verb was walked"


def _verbs(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_a_command_builds_only_its_own_verbs_and_each_verb_is_in_the_table() -> None:
    """The cold path builds one module's parsers: the table must name every verb, and a
    verb's parser must be the one the full parser has."""
    full = _verbs(build_parser())
    assert set(VERBS) == set(full) - {"tray", "demo"}
    for verb, module in VERBS.items():
        alone = _verbs(build_parser(module))
        assert verb in alone
        assert alone[verb].format_help() == full[verb].format_help()
    assert _verb_module(["--config", "c.toml", "-v", "assume", "app"]) == "sessions"
    assert _verb_module(["--config=c.toml", "--no-tray", "credential-process", "x"]) == "process"
    assert _verb_module(["--help"]) is None, "the whole list"
    assert _verb_module(["-v", "--version"]) == "", "no verbs at all"
    assert _verb_module(["assum"]) is None, "argparse says what is wrong, with every choice"
    assert _verb_module(["-v", "--config", "c.toml"]) == "", "the tray: no verb to build"
