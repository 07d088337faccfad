"""`roletray doctor`: every part roletray relies on, checked and explained with its fix.

Each check gives one ``Finding``: ok, warn (works, but something is off), or
broken (something fails). Nothing here writes a file; ``assume=True`` calls
AssumeRole for each role and throws the session away.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tray_app.config import Config
from tray_app.engine import Engine
from tray_app.errors import RoleTrayError
from tray_app.keystore import OsKeystore
from tray_app.mfa import MfaNeeded
from tray_app.sources.keyring_key import KeyringKey

OK, WARN, BROKEN = "ok", "warn", "broken"
KEY_AGE_WARN = timedelta(days=90)
SKEW_WARN = timedelta(seconds=60)


@dataclass(frozen=True)
class Finding:
    check: str
    status: str
    detail: str


def run(engine: Engine, assume: bool = False, desktop: bool = True) -> list[Finding]:
    """Every check, in the order a user would fix them."""
    findings = [_keyring(engine)]
    if desktop:
        findings += [_tray_backend(), _notifications()]
    findings += [_credentials_file(engine), _aws_config()]
    try:
        config = engine.config
    except RoleTrayError as exc:
        return [*findings, Finding("roletray config", BROKEN, str(exc))]
    findings.append(Finding("roletray config", OK, f"{config.path}: {_counts(config)}"))
    findings += list(_key_sets(engine, config))
    findings += list(_roles(engine, config, assume))
    findings += list(_served(engine, config))
    return findings


def broken(findings: list[Finding]) -> bool:
    return any(f.status == BROKEN for f in findings)


def _counts(config: Config) -> str:
    return f"{len(config.keys)} key set(s), {len(config.roles)} role(s)"


def _keyring(engine: Engine) -> Finding:
    keystore = engine.keystore
    if not isinstance(keystore, OsKeystore):
        return Finding("keyring", OK, type(keystore).__name__)
    started = time.monotonic()
    try:
        keystore.find("doctor-probe")  # a read the backend must answer (locked: it cannot)
    except RoleTrayError as exc:
        return Finding("keyring", BROKEN, str(exc))
    took = (time.monotonic() - started) * 1000
    backend = type(keystore.backend)
    name = f"{backend.__module__}.{backend.__name__}"
    return Finding("keyring", OK, f"{name}: secure, unlocked, answered in {took:.0f} ms")


def _tray_backend() -> Finding:
    try:
        from tray_app.tray import backend_name, load_pystray

        pystray = load_pystray()
    except RoleTrayError as exc:
        return Finding("tray", WARN, f"{exc} (the CLI works without a tray)")
    backend = backend_name(pystray)
    return Finding("tray", OK, f"pystray backend {backend}, with a menu")


def _notifications() -> Finding:
    try:
        from tray_app.notify.desktop import DesktopNotifierDriver

        DesktopNotifierDriver().close()
    except Exception as exc:
        return Finding(
            "notifications",
            WARN,
            f"{exc} — the tray shows errors in its menu instead; start your desktop's "
            "notification service (GNOME Shell, KDE Plasma, dunst, mako) to get them",
        )
    return Finding("notifications", OK, "the desktop's notification service answers")


def _credentials_file(engine: Engine) -> Finding:
    credentials = engine.credentials
    path = credentials.path
    if not path.exists() and not path.is_symlink():
        return Finding("credentials file", OK, f"{path} does not exist yet (roletray makes it)")
    try:
        credentials.managed_profiles()
        plaintext = sorted(credentials.long_lived_keys())
        info = os.stat(path)
    except (RoleTrayError, OSError) as exc:
        return Finding("credentials file", BROKEN, str(exc))
    problems = []
    if info.st_mode & 0o077:
        mode = stat.S_IMODE(info.st_mode)
        problems.append(f"others may read it (mode {mode:04o}) — run `chmod 600 {path}`")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        problems.append(f"it belongs to uid {info.st_uid}, not you — `chown` it back")
    if plaintext:
        problems.append(
            f"long-lived keys in plaintext in [{'], ['.join(plaintext)}] — run "
            "`roletray keys import --scrub` to move them into the OS keyring"
        )
    link = f" (a link to {os.path.realpath(path)})" if path.is_symlink() else ""
    if problems:
        return Finding("credentials file", WARN, f"{path}{link}: " + "; ".join(problems))
    return Finding("credentials file", OK, f"{path}{link}: parses, mode 0600, yours")


def _aws_config() -> Finding:
    from tray_app.aws_config import aws_config_path, load_profiles

    path = aws_config_path()
    if not path.exists():
        return Finding("AWS config", OK, f"{path} does not exist (roletray does not need it)")
    try:
        profiles = load_profiles(path)
    except RoleTrayError as exc:
        return Finding("AWS config", WARN, f"{exc} (roletray does not read it; the AWS CLI does)")
    return Finding("AWS config", OK, f"{path}: {len(profiles)} profile(s) parse")


def _key_sets(engine: Engine, config: Config) -> Iterator[Finding]:
    from tray_app import iam

    now = datetime.now(UTC)
    for keyset in config.keys.values():
        check = f"key set {keyset.name}"
        try:
            key = KeyringKey(engine.keystore, keyset).retrieve()
            arn, server_time = engine.identity(key)
        except RoleTrayError as exc:
            yield Finding(check, BROKEN, str(exc))
            continue
        notes = [f"{keyset.access_key_id} is {arn}"]
        status = OK
        created = iam.key_created(key)
        if created is None:
            notes.append("its age is unknown (iam:ListAccessKeys is not allowed)")
        elif now - created > KEY_AGE_WARN:
            status = WARN
            notes.append(
                f"it is {(now - created).days} days old — rotate it: create a new key in IAM, "
                f"`roletray keys add {keyset.name} --access-key-id …`, then delete the old one"
            )
        else:
            notes.append(f"{(now - created).days} days old")
        if server_time and abs(server_time - now) > SKEW_WARN:
            status = WARN
            notes.append(
                f"this computer's clock is {abs(server_time - now).total_seconds():.0f} s off "
                "AWS's — sync it (NTP); past 5 minutes AWS refuses every request"
            )
        yield Finding(check, status, "; ".join(notes))


def _roles(engine: Engine, config: Config, assume: bool) -> Iterator[Finding]:
    for role in config.roles.values():
        check = f"role {role.name}"
        if not assume:
            yield Finding(check, OK, f"key set {role.keys} exists (--assume tries the role)")
            continue
        yield _tried(check, lambda name=role.name: engine.try_role(name))


def _served(engine: Engine, config: Config) -> Iterator[Finding]:
    """Each credential_process role: its line in ~/.aws/config runs an existing roletray,
    and no credentials-file profile of that name shadows it (botocore reads that first)."""
    import shlex
    import shutil

    from tray_app.aws_config import load_profiles

    roles = [r for r in config.roles.values() if r.credential_process]
    if not roles:
        return
    path = engine.aws_config.path
    try:
        profiles = load_profiles(path) if path.exists() else {}
        shadowing = engine.credentials.long_lived_keys() | engine.credentials.managed_profiles()
    except RoleTrayError as exc:
        yield Finding("credential_process", BROKEN, str(exc))
        return
    for role in roles:
        check, profile = f"role {role.name}: credential_process", role.target_profile
        line = str(profiles.get(profile, {}).get("credential_process", ""))
        argv = shlex.split(line) if line else []
        fix = f"run `roletray roles edit {role.name} --credential-process` to write it again"
        if f"credential-process {role.name}" not in line:
            yield Finding(check, BROKEN, f"profile {profile} in {path} does not run it — {fix}")
        elif not (shutil.which(argv[0]) or os.path.exists(argv[0])):
            yield Finding(check, BROKEN, f"{argv[0]} (in {path}) does not exist — {fix}")
        elif profile in shadowing:
            yield Finding(
                check, BROKEN,
                f"profile [{profile}] in {engine.credentials.path} shadows it (SDKs read that "
                f"file first) — remove that section, or give the role another --profile",
            )  # fmt: skip
        else:
            yield Finding(check, OK, f"profile {profile} runs {argv[0]}")


def _tried(check: str, attempt: Callable[[], str]) -> Finding:
    try:
        arn = attempt()
    except MfaNeeded:
        return Finding(check, OK, "needs an MFA code: not tried (assume it to check)")
    except RoleTrayError as exc:
        return Finding(check, BROKEN, str(exc))
    return Finding(check, OK, f"assumed as {arn}")


def render(findings: list[Finding]) -> str:
    width = max((len(f.check) for f in findings), default=0)
    return "\n".join(f"{f.status.upper():6}  {f.check:{width}}  {f.detail}" for f in findings)
