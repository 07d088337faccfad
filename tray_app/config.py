"""The roletray config file (TOML): key sets, roles, settings.

Loading validates everything and names the file, the entry and the field in
each message. Changes go through ``ConfigStore``: the file is re-read under a
lock, edited with tomlkit (the user's comments and layout stay), validated
again, and replaced atomically. The file never holds a secret.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tray_app import partitions
from tray_app.errors import ConfigError
from tray_app.paths import APP_NAME as APP_NAME
from tray_app.paths import config_path as default_config_path

if TYPE_CHECKING:  # tomlkit loads only when the config is changed
    import tomlkit

DEFAULT_REGION = "us-east-1"
MIN_DURATION, MAX_DURATION, DEFAULT_DURATION = 900, 43200, 3600
# AWS caps a role session assumed with session credentials (GetSessionToken's, or another
# role's) at one hour, whatever the role's maximum.
CHAINED_MAX_DURATION = 3600
MFA_STRATEGIES = ("direct", "session")
PROMPTS = (
    "auto", "terminal", "zenity", "kdialog", "osascript", "tk", "ykman", "mfa_process", "none",
)  # fmt: skip

# Profile names the AWS tools read specially in a credentials file.
SPECIAL_PROFILES = {
    "DEFAULT": "is the INI parser's defaults section: botocore and the AWS CLI copy its keys "
    "into every other profile and never show it as a profile — choose another name "
    "(the AWS default profile is 'default', in lower case)",
}
# AWS documents [\w+=,.@-] for these as ASCII word characters: so do we, everywhere.
_NAME = re.compile(r"[A-Za-z0-9][\w.@+=-]{0,63}", re.ASCII)
_PROFILE = re.compile(r"[A-Za-z0-9_][\w.@+=,:-]{0,63}", re.ASCII)
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}", re.ASCII)
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII)
_MFA_SERIAL = re.compile(r"[\w+=/:,.@-]{9,256}", re.ASCII)
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", re.ASCII)
_ACCESS_KEY_ID = re.compile(r"[A-Z0-9]{16,128}")
BROWSER_KINDS = ("firefox-container", "firefox", "chrome", "chromium", "brave", "edge")
BROWSER_PROFILE = re.compile(rf"({'|'.join(BROWSER_KINDS)}):[^\x00-\x1f]{{1,128}}")
_USER_ARN = re.compile(r"arn:aws[a-z-]*:(iam|sts)::\d{12}:\S+", re.ASCII)


@dataclass(frozen=True)
class KeySet:
    """A long-lived IAM user key: the id here, the secret only in the OS keyring."""

    name: str
    access_key_id: str
    user_arn: str | None = None

    @property
    def user_name(self) -> str | None:
        """'alice' from arn:aws:iam::123456789012:user/path/alice."""
        if self.user_arn and ":user/" in self.user_arn:
            return self.user_arn.rsplit("/", 1)[-1]
        return None


@dataclass(frozen=True)
class Role:
    name: str
    role_arn: str
    keys: str
    profile: str = ""  # "" means: the role name
    session_name: str | None = None  # None means: derived from the key set's user
    external_id: str | None = None
    duration: int = DEFAULT_DURATION
    mfa_serial: str | None = None
    region: str | None = None
    auto_refresh: bool = False  # re-assume shortly before expiry (tray)
    group: str | None = None  # menu group; default: the account id
    # direct: a code on every AssumeRole; session: one GetSessionToken with MFA per key set,
    # kept in the OS keyring, then AssumeRole from it with no prompt (sessions capped at 1 h).
    mfa_strategy: str = "direct"
    source_identity: str | None = None  # sent as AssumeRole's SourceIdentity (CloudTrail)
    # Served to SDKs by `credential_process` in ~/.aws/config; the session is kept in the
    # OS keyring, not the credentials file (botocore reads that file first: it would shadow).
    credential_process: bool = False
    # Where `console` opens it: KIND:NAME, a browser profile or Firefox container (browser.py).
    browser_profile: str | None = None

    @property
    def target_profile(self) -> str:
        return self.profile or self.name

    @property
    def mfa_session(self) -> bool:
        """True when this role signs with its key set's cached MFA session."""
        return bool(self.mfa_serial) and self.mfa_strategy == "session"

    @property
    def mfa_each_time(self) -> bool:
        """True when every AssumeRole of this role needs a code (mfa_strategy direct)."""
        return bool(self.mfa_serial) and not self.mfa_session

    @property
    def assume_duration(self) -> int:
        """The DurationSeconds asked for: the 1-hour cap applies from an MFA session."""
        return min(self.duration, CHAINED_MAX_DURATION) if self.mfa_session else self.duration

    @property
    def account(self) -> str:
        return self.role_arn.split(":")[4]

    @property
    def menu_group(self) -> str:
        return self.group or self.account


@dataclass(frozen=True)
class Settings:
    region: str = DEFAULT_REGION  # STS region for roles that name none
    sts_timeout: float = 10.0  # seconds one STS attempt may wait for an answer
    sts_attempts: int = 3  # attempts per STS call, first one included
    warn_before: int = 600  # notify this many seconds before a session expires
    refresh_before: int = 300  # auto-refresh this many seconds before expiry
    clear_on_expiry: bool = False  # remove a session's credentials when it expires
    clear_on_quit: bool = False  # remove every managed profile when the tray quits
    mfa_prompt: str = "auto"  # which driver asks for MFA codes (auto: the best for this OS)
    mfa_process: str = ""  # for mfa_prompt = "mfa_process": a command that prints the code
    ykman_account: str = ""  # for mfa_prompt = "ykman": the OATH account (default: the serial)
    mfa_session_duration: int = 43200  # GetSessionToken's DurationSeconds (strategy session)


@dataclass(frozen=True)
class Config:
    path: Path
    settings: Settings = field(default_factory=Settings)
    keys: Mapping[str, KeySet] = field(default_factory=dict)
    roles: Mapping[str, Role] = field(default_factory=dict)

    def role(self, name: str) -> Role:
        return self._named(self.roles, name, "role", "roles")

    def keyset(self, name: str) -> KeySet:
        return self._named(self.keys, name, "key set", "keys")

    def _named(self, entries: Mapping[str, Any], name: str, kind: str, verb: str) -> Any:
        if name not in entries:
            raise ConfigError(
                f"No {kind} named '{name}' in {self.path} — see `roletray {verb} list`, "
                f"or add it with `roletray {verb} add`."
            )
        return entries[name]

    def region_for(self, role: Role) -> str:
        """The role's region; else settings.region if it is in the role's partition; else
        that partition's first region (an aws-cn role with no region uses cn-north-1)."""
        if role.region:
            return role.region
        if partitions.region_problem(role.role_arn, self.settings.region) is None:
            return self.settings.region
        return partitions.default_region(partitions.of_arn(role.role_arn))


# -- validation --------------------------------------------------------------
Check = Callable[[Any], str | None]  # returns a problem, or None when fine


def _text(pattern: re.Pattern[str], hint: str) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            return f"{shown(value)} is not valid — {hint}"
        return None

    return check


def shown(value: Any, limit: int = 40) -> str:
    """A bad value as a message shows it: quoted, and cut when long (an external ID may
    be 1,224 characters of something meant to stay out of logs)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 12]}… ({len(str(value))} chars)"


def _duration(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{shown(value)} is not a whole number of seconds"
    if not MIN_DURATION <= value <= MAX_DURATION:
        return f"{value} is out of range — use {MIN_DURATION} to {MAX_DURATION} seconds"
    return None


def _one_of(choices: tuple[str, ...]) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"{shown(value)} is not one of {', '.join(choices)}"

    return check


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"{shown(value)} is not true or false"


def _access_key_id(value: Any) -> str | None:
    problem = _text(_ACCESS_KEY_ID, "expected 16-128 capital letters and digits, like AKIA…")(value)
    if problem is None and value.startswith("ASIA"):
        return (
            f"{shown(value)} is a temporary key (ASIA…) — store a long-lived IAM user key (AKIA…)"
        )
    return problem


NAME_HINT = "use letters, digits and . @ + = _ -, at most 64, starting with a letter or digit"
ROLE_FIELDS: dict[str, Check] = {
    "role_arn": _text(_ROLE_ARN, "expected arn:aws:iam::<12-digit account>:role/<name>"),
    "keys": _text(_NAME, NAME_HINT),
    "profile": _text(_PROFILE, "use letters, digits and . @ + = , : _ -, at most 64"),
    "session_name": _text(_SESSION_NAME, "use 2-64 of letters, digits and + = , . @ _ -"),
    "external_id": _text(_EXTERNAL_ID, "use 2-1224 of letters, digits and + = , . @ : / _ -"),
    "duration": _duration,
    "mfa_serial": _text(_MFA_SERIAL, "expected arn:aws:iam::<account>:mfa/<name> or a serial"),
    "region": _text(_REGION, "expected a region code like us-east-1"),
    "auto_refresh": _boolean,
    "mfa_strategy": _one_of(MFA_STRATEGIES),
    "source_identity": _text(_SESSION_NAME, "use 2-64 of letters, digits and + = , . @ _ -"),
    "credential_process": _boolean,
    "browser_profile": _text(
        BROWSER_PROFILE, f"expected KIND:NAME, KIND one of {', '.join(BROWSER_KINDS)}"
    ),
    "group": _text(re.compile(r"[^\x00-\x1f]{1,64}"), "use 1-64 printable characters"),
}
KEY_FIELDS: dict[str, Check] = {
    "access_key_id": _access_key_id,
    "user_arn": _text(_USER_ARN, "expected arn:aws:iam::<account>:user/<name>"),
}


def _bounded_number(low: float, high: float, whole: bool) -> Check:
    def check(value: Any) -> str | None:
        kinds = (int,) if whole else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            return f"{shown(value)} is not a {'whole ' if whole else ''}number"
        if not low <= value <= high:
            return f"{value} is out of range — use {low:g} to {high:g}"
        return None

    return check


SETTINGS_FIELDS: dict[str, Check] = {
    "region": ROLE_FIELDS["region"],
    "sts_timeout": _bounded_number(0.1, 120, whole=False),
    "sts_attempts": _bounded_number(1, 10, whole=True),
    "warn_before": _bounded_number(0, 43200, whole=True),
    "refresh_before": _bounded_number(60, 43200, whole=True),
    "clear_on_expiry": _boolean,
    "clear_on_quit": _boolean,
    "mfa_prompt": _one_of(PROMPTS),
    "mfa_process": _text(re.compile(r"[^\x00-\x1f]{0,1024}"), "use one line, at most 1024"),
    "ykman_account": _text(re.compile(r"[^\x00-\x1f]{0,256}"), "use one line, at most 256"),
    "mfa_session_duration": _bounded_number(900, 129600, whole=True),
}
REQUIRED = {"role": ("role_arn", "keys"), "key set": ("access_key_id",)}


def _check_table(
    where: str, table: Any, schema: Mapping[str, Check], required: tuple[str, ...] = ()
) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table of settings, found {shown(table)}.")
    for key, value in table.items():
        if key not in schema:
            raise ConfigError(
                f"{where}: unknown field '{key}' — allowed: {', '.join(sorted(schema))}."
            )
        problem = schema[key](value)
        if problem:
            raise ConfigError(f"{where}: {key} {problem}.")
    for key in required:
        if key not in table:
            raise ConfigError(f"{where}: missing required field '{key}'.")
    return table


def check_role(role: Role, where: str) -> None:
    """The checks loading applies to one role's fields (not its references)."""
    if not _NAME.fullmatch(role.name):
        raise ConfigError(f"{where}: the name {shown(role.name)} is not valid — {NAME_HINT}.")
    _check_table(where, dict(_to_table(role)), ROLE_FIELDS, REQUIRED["role"])


def as_name(text: str) -> str:
    """A profile name made into a valid key set or role name ('team/prod' → 'team-prod')."""
    name = re.sub(r"[^\w.@+=-]", "-", text, flags=re.ASCII).lstrip("_.@+=-")[:64]
    return name or "profile"


def check_name(kind: str, name: str) -> None:
    if not _NAME.fullmatch(name):
        raise ConfigError(f"The {kind} name {shown(name)} is not valid — {NAME_HINT}.")


def _named(path: Path, kind: str, tables: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    section = "roles" if kind == "role" else "keys"
    if not isinstance(tables, dict):
        raise ConfigError(f"{path}: [{section}] must be a table of named entries.")
    schema = ROLE_FIELDS if kind == "role" else KEY_FIELDS
    for name, table in tables.items():
        where = f"{path}: {kind} '{name}'"
        if not _NAME.fullmatch(name):
            raise ConfigError(f"{where}: the name is not valid — {NAME_HINT}.")
        yield name, _check_table(where, table, schema, REQUIRED[kind])


def parse_config(data: Mapping[str, Any], path: Path) -> Config:
    """Validate plain TOML data into a Config; ConfigError names file, entry and field."""
    unknown = set(data) - {"settings", "keys", "roles"}
    if unknown:
        raise ConfigError(
            f"{path}: unknown table '{sorted(unknown)[0]}' — allowed: settings, keys, roles."
        )
    settings = Settings(
        **_check_table(f"{path}: [settings]", data.get("settings", {}), SETTINGS_FIELDS)
    )
    keys = {n: KeySet(name=n, **t) for n, t in _named(path, "key set", data.get("keys", {}))}
    roles = {n: Role(name=n, **t) for n, t in _named(path, "role", data.get("roles", {}))}
    _check_references(path, keys, roles)
    return Config(path=path, settings=settings, keys=keys, roles=roles)


def _check_references(path: Path, keys: Mapping[str, KeySet], roles: Mapping[str, Role]) -> None:
    owners: dict[str, str] = {}
    for role in roles.values():
        _check_partition(path, role, keys.get(role.keys))
        if role.target_profile in SPECIAL_PROFILES:
            raise ConfigError(
                f"{path}: role '{role.name}': profile '{role.target_profile}' "
                f"{SPECIAL_PROFILES[role.target_profile]}."
            )
        if role.keys not in keys:
            raise ConfigError(
                f"{path}: role '{role.name}': keys '{role.keys}' names no key set — "
                "add it with `roletray keys add` or fix the name."
            )
        other = owners.setdefault(role.target_profile, role.name)
        if other != role.name:
            raise ConfigError(
                f"{path}: role '{role.name}': profile '{role.target_profile}' is already the "
                f"profile of role '{other}' — give one of them another profile."
            )


def _check_partition(path: Path, role: Role, keyset: KeySet | None) -> None:
    where = f"{path}: role '{role.name}'"
    problem = role.region and partitions.region_problem(role.role_arn, role.region)
    if problem:
        raise ConfigError(f"{where}: {problem}.")
    if keyset and keyset.user_arn:
        mine, theirs = partitions.of_arn(role.role_arn), partitions.of_arn(keyset.user_arn)
        if mine != theirs:
            raise ConfigError(
                f"{where}: role_arn is in partition {mine} but key set '{keyset.name}' belongs "
                f"to {theirs} — a key can only assume roles in its own partition."
            )


def load_config(path: Path | None = None) -> Config:
    """Read and validate; a missing file is an empty config."""
    path = path or default_config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config(path=path)
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror} — check its permissions.") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}) — fix it by hand.") from None
    return parse_config(data, path)


def role_table(role: Role) -> tomlkit.items.Table:
    """A role as the config (and a shared catalogue) writes it."""
    return _to_table(role)


def _to_table(entry: KeySet | Role) -> tomlkit.items.Table:
    """Only the fields that differ from their defaults, so defaults can evolve."""
    import tomlkit

    table = tomlkit.table()
    for item in fields(entry):
        value = getattr(entry, item.name)
        if item.name != "name" and value != item.default:
            table[item.name] = value
    return table


class ConfigStore:
    """Edits the config file: re-read under a lock, change, validate, replace."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_config_path()
        # Chosen by --config or $ROLETRAY_CONFIG, not found in the usual place.
        self.explicit = path is not None or bool(os.environ.get("ROLETRAY_CONFIG"))

    def load(self) -> Config:
        return load_config(self.path)

    def put_keyset(self, keyset: KeySet) -> Config:
        return self._change(lambda doc: _put(doc, "keys", keyset))

    def put_role(self, role: Role) -> Config:
        return self._change(lambda doc: _put(doc, "roles", role))

    def put_roles(self, roles: list[Role]) -> Config:
        """Several roles in one change: all of them, or (on any problem) none."""

        def put(doc: tomlkit.TOMLDocument) -> None:
            for role in roles:
                _put(doc, "roles", role)

        return self._change(put)

    def remove_keyset(self, name: str) -> Config:
        config = self.load()
        config.keyset(name)
        users = sorted(r.name for r in config.roles.values() if r.keys == name)
        if users:
            raise ConfigError(
                f"Key set '{name}' is used by role(s) {', '.join(users)} — remove or change "
                "those roles first."
            )
        return self._change(lambda doc: doc["keys"].pop(name))

    def put_setting(self, key: str, value: object) -> Config:
        def put(doc: tomlkit.TOMLDocument) -> None:
            import tomlkit

            if "settings" not in doc:
                doc["settings"] = tomlkit.table()
            doc["settings"][key] = value

        return self._change(put)

    def remove_setting(self, key: str) -> Config:
        return self._change(lambda doc: doc.get("settings", {}).pop(key, None))

    def remove_role(self, name: str) -> Config:
        self.load().role(name)
        return self._change(lambda doc: doc["roles"].pop(name))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        from tray_app import file_lock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            lock = file_lock.acquire(self.path.parent / f".{self.path.name}.lock", timeout=10)
        except file_lock.LockTimeout:
            raise ConfigError(
                f"{self.path} is being changed by another roletray process — try again."
            ) from None
        with lock:
            yield

    def _change(self, edit: Callable[[tomlkit.TOMLDocument], object]) -> Config:
        import tomlkit

        from tray_app.atomicfile import atomic_write, os_errors_as  # writers only

        with os_errors_as(ConfigError, self.path), self._locked():
            load_config(self.path)  # refuse to edit a file that is already invalid
            try:
                doc = tomlkit.parse(self.path.read_text("utf-8"))
            except FileNotFoundError:
                doc = tomlkit.document()
                doc.add(tomlkit.comment("roletray config: key sets and roles; no secrets here."))
            edit(doc)
            text = tomlkit.dumps(doc)
            config = parse_config(tomllib.loads(text), self.path)
            atomic_write(self.path, text.encode("utf-8"), mode=0o600)
            return config


def _put(doc: tomlkit.TOMLDocument, section: str, entry: KeySet | Role) -> None:
    import tomlkit

    if section not in doc:
        doc.add(tomlkit.nl())
        doc[section] = tomlkit.table(is_super_table=True)
    doc[section][entry.name] = _to_table(entry)
