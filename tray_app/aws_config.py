"""Arriving with an existing AWS setup: role profiles in ~/.aws/config, shared catalogues.

The AWS config is read with botocore's own loader (the parser the SDKs and the
CLI use) and never edited. Each profile gets one verdict — add, already
present, or skipped with the reason — so ``roles import`` can show the plan
before it changes anything, and a second run adds nothing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import tomlkit

from tray_app.config import (
    MAX_DURATION,
    MIN_DURATION,
    Config,
    Role,
    as_name,
    check_role,
    role_table,
)
from tray_app.errors import ConfigError
from tray_app.paths import aws_config_path as aws_config_path  # re-exported

PROFILE_FORMAT = "{name}-roletray"  # never the config's own profile: its role_arn would win
ADD, PRESENT, SKIP = "add", "present", "skip"


@dataclass(frozen=True)
class Verdict:
    source: str  # the profile (or catalogue entry) it came from
    action: str  # add, present or skip
    reason: str = ""
    role: Role | None = None


def load_profiles(path: Path) -> dict[str, dict[str, Any]]:
    """Every profile of an AWS config file, as botocore reads it."""
    import botocore.configloader
    import botocore.exceptions

    if not path.exists():
        raise ConfigError(f"There is no AWS config file at {path} — nothing to import.")
    try:
        return dict(botocore.configloader.load_config(str(path)).get("profiles", {}))
    except botocore.exceptions.BotoCoreError as exc:
        raise ConfigError(f"{path} cannot be read ({exc}) — fix it, then import again.") from None


def plan_from_aws_config(
    profiles: Mapping[str, Mapping[str, Any]],
    config: Config,
    keys: Mapping[str, str],
    only: Iterable[str] = (),
    profile_format: str = PROFILE_FORMAT,
) -> list[Verdict]:
    """One verdict per profile (only those named in ``only``, when given)."""
    wanted = set(only)
    verdicts = []
    for profile, values in profiles.items():
        if wanted and profile not in wanted:
            continue
        reason = _not_importable(profile, values, profiles)
        if reason:
            verdicts.append(Verdict(profile, SKIP, reason))
            continue
        source = str(values["source_profile"])
        try:
            role = _role_from(profile, values, keys.get(source, as_name(source)), profile_format)
        except (ConfigError, ValueError) as exc:
            verdicts.append(Verdict(profile, SKIP, str(exc)))
            continue
        taken = set(profiles) - {profile}
        verdicts.append(_verdict(profile, role, config, source, taken))
    for missing in sorted(wanted - set(profiles)):
        verdicts.append(Verdict(missing, SKIP, "no such profile in the AWS config"))
    return verdicts


def _not_importable(
    profile: str, values: Mapping[str, Any], profiles: Mapping[str, Mapping[str, Any]]
) -> str:
    """Why this profile cannot become a roletray role ("" when it can)."""
    if any(key.startswith("sso_") for key in values):
        return "IAM Identity Center (sso_*) profile — keep using `aws sso login` for it"
    if "credential_process" in values:
        return "credential_process profile — its command supplies the credentials"
    if "web_identity_token_file" in values:
        return "web identity profile (web_identity_token_file) — for workloads, not people"
    if "role_arn" not in values:
        return "not a role (no role_arn)"
    if "credential_source" in values:
        return (
            f"credential_source = {values['credential_source']} takes credentials from the "
            "machine, not from a key set"
        )
    source = values.get("source_profile")
    if not source:
        return "role_arn without source_profile — no key to assume it with"
    if "role_arn" in profiles.get(str(source), {}):
        return (
            f"role chain: source_profile {source} is itself a role — roletray assumes roles "
            "from key sets (AWS caps chained sessions at 1 hour); import the role from "
            f"{source}'s own source_profile instead"
        )
    return ""


def _role_from(profile: str, values: Mapping[str, Any], keys: str, profile_format: str) -> Role:
    name = as_name(profile)
    duration = int(values.get("duration_seconds", 3600))
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise ConfigError(
            f"duration_seconds {duration} is out of range ({MIN_DURATION}-{MAX_DURATION})"
        )
    role = Role(
        name=name,
        role_arn=str(values["role_arn"]),
        keys=keys,
        profile=profile_format.format(name=name),
        session_name=values.get("role_session_name"),
        external_id=values.get("external_id"),
        duration=duration,
        mfa_serial=values.get("mfa_serial"),
        region=values.get("region"),
        source_identity=values.get("source_identity"),
    )
    check_role(role, f"profile {profile}")
    return role


def _verdict(source: str, role: Role, config: Config, key_source: str, taken: set[str]) -> Verdict:
    existing = config.roles.get(role.name)
    if existing is not None:
        same = (existing.role_arn, existing.keys) == (role.role_arn, role.keys)
        if same:
            return Verdict(source, PRESENT, "", existing)
        return Verdict(source, SKIP, f"a different role named {role.name} exists", role)
    if role.keys not in config.keys:
        return Verdict(
            source,
            SKIP,
            f"key set {role.keys} does not exist — run `roletray keys import --profile "
            f"{key_source}` first, or map it with --keys {key_source}=NAME",
            role,
        )
    owners = {r.target_profile for r in config.roles.values()}
    if role.target_profile in owners or role.target_profile in taken:
        return Verdict(
            source, SKIP, f"profile {role.target_profile} is already used — pick --profile-format"
        )
    return Verdict(source, ADD, "", role)


def additions(verdicts: Iterable[Verdict]) -> list[Role]:
    """The roles a plan adds."""
    return [v.role for v in verdicts if v.action == ADD and v.role]


PLAN_COLUMNS = ("from", "action", "role", "profile", "keys", "reason")


def plan_rows(verdicts: Iterable[Verdict], dry_run: bool = False) -> list[dict[str, Any]]:
    """The plan as rows of PLAN_COLUMNS (the CLI prints them; the tray shows them)."""
    return [
        {
            "from": v.source,
            "action": "would add" if dry_run and v.action == ADD else v.action,
            "role": v.role.name if v.role else None,
            "profile": v.role.target_profile if v.role else None,
            "keys": v.role.keys if v.role else None,
            "reason": v.reason,
        }
        for v in verdicts
    ]


# -- shared catalogues -------------------------------------------------------------------
def export_catalogue(config: Config, group: str | None = None) -> str:
    """The roles (never a secret, never a key id) as TOML a team can hand around."""
    doc = tomlkit.document()
    doc.add(tomlkit.comment("roletray role catalogue: `roletray roles import THIS.toml`"))
    roles = tomlkit.table(is_super_table=True)
    for role in config.roles.values():
        if group is None or role.menu_group == group:
            roles[role.name] = role_table(role)
    doc["roles"] = roles
    return tomlkit.dumps(doc)


def plan_from_catalogue(
    path: Path,
    config: Config,
    keys: Mapping[str, str],
) -> list[Verdict]:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read the catalogue {path} ({exc}) — check the file.") from None
    tables = data.get("roles")
    if not isinstance(tables, dict):
        raise ConfigError(f"{path} has no [roles.NAME] tables — is it a roletray catalogue?")
    verdicts = []
    for name, table in tables.items():
        try:
            role = Role(name=name, **table) if isinstance(table, dict) else None
            if role is None:
                raise ConfigError("not a table")
            role = replace(role, keys=keys.get(role.keys, role.keys))
            check_role(role, f"{path}: role {name}")
        except (ConfigError, TypeError) as exc:
            verdicts.append(Verdict(name, SKIP, str(exc).split(": ")[-1]))
            continue
        verdicts.append(_verdict(name, role, config, role.keys, set()))
    return verdicts


def key_map(pairs: Iterable[str]) -> dict[str, str]:
    """``--keys work=mykeys`` options as a mapping."""
    mapping = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old or not new:
            raise ConfigError(f"--keys takes FROM=TO, like work=mykeys; got {pair!r}.")
        mapping[old] = new
    return mapping
