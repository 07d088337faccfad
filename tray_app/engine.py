"""The engine: key sets, roles, assume, status, clear. No UI, no globals.

Every side effect comes in through a seam (config store, keystore, STS, the
credentials file, the clock, the MFA prompt), so the CLI and the tray are thin
shells and tests can swap any one part for a real stand-in or a fake.

One assume: config → role and key set → credentials file checked writable →
the role's credential source (the key set's key from the keystore, or its MFA
session) → MFA code where the role asks on every assume → STS AssumeRole →
profile written atomically → status read back from the file.
"""

from __future__ import annotations

import getpass
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from tray_app.atomicfile import stamp
from tray_app.config import (
    KEY_FIELDS,
    Config,
    ConfigStore,
    KeySet,
    Role,
    as_name,
    check_name,
    check_role,
)
from tray_app.credentials_file import CredentialsFile, ManagedProfile, TemporaryCredentials
from tray_app.errors import ConfigError, KeystoreError, PromptError, RoleTrayError, StsError
from tray_app.keystore import Keystore
from tray_app.mfa import KeyedLocks, MfaCodes, refuse_code_without_mfa
from tray_app.process_profile import ProcessProfiles, command_line
from tray_app.process_sessions import ProcessSessions
from tray_app.session_notes import SessionNotes
from tray_app.sessions import RoleStatus, held_sessions, role_status, statuses
from tray_app.sources import Source
from tray_app.sources.keyring_key import KeyMemory, KeyringKey
from tray_app.sources.mfa_session import MfaSession, SessionCache
from tray_app.sts import AssumeRequest, Limits, SigningKey, Sts

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
StsFactory = Callable[[Config], Sts]
# What STS says when a session we signed with was revoked or ended early: make a new one.
_STALE_SESSION = {"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId"}
# What STS says when a key's secret is not the one AWS holds: a kept copy may be outdated.
_STALE_SECRET = {"SignatureDoesNotMatch", "InvalidClientTokenId"}
_SESSION_CHARS = re.compile(r"[^\w+=,.@-]")
CONSOLE_MIN_LEFT = timedelta(minutes=5)
# botocore refreshes process credentials with under 15 minutes left (its advisory window):
# a session handed to it must have more, or every SDK call would run the process again.
PROCESS_MIN_LEFT = timedelta(minutes=15)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Engine:
    def __init__(
        self,
        store: ConfigStore,
        keystore: Keystore,
        sts: StsFactory,
        credentials: CredentialsFile,
        clock: Clock = utc_now,
        mfa: MfaCodes | None = None,
        aws_config: ProcessProfiles | None = None,
        process_command: Callable[[str], str] = command_line,
    ) -> None:
        self.store = store
        self.keystore = keystore
        self._sts = sts
        self.credentials = credentials
        self.clock = clock
        self.mfa = mfa or MfaCodes()
        self.mfa_sessions = SessionCache(keystore)
        self.process_sessions = ProcessSessions(keystore, SessionNotes.beside(store.path))
        self.aws_config = aws_config or ProcessProfiles()
        self.process_command = process_command  # role → the credential_process line
        self._delivering = KeyedLocks()  # one AssumeRole per role, however many SDKs ask
        self.key_memory: KeyMemory | None = None  # the tray keeps secrets it read (see there)
        self.status_trust: float | None = None  # MFA status's trust in kept sessions (tray)
        self._config: Config | None = None
        self._config_stamp: tuple[int, int, int] | None = None
        self._closed = False

    @property
    def config(self) -> Config:
        """The config, re-read when the file changed (the CLI may edit it under the tray)."""
        current = stamp(self.store.path)
        if self._config is None or current != self._config_stamp:
            self._config, self._config_stamp = self.store.load(), current
        return self._config

    def close(self) -> None:
        """From now on no assume writes a profile (the tray is quitting and clearing)."""
        self._closed = True

    def worst_case(self) -> float:
        """Seconds one assume may take at most: the keyring's bound plus STS's."""
        settings = self.config.settings
        sts = Limits.from_settings(settings.sts_timeout, settings.sts_attempts).worst_case
        return sts + float(getattr(self.keystore, "timeout", 0.0))

    def reload(self) -> Config:
        self._config = None
        return self.config

    # -- key sets ------------------------------------------------------------
    def add_keys(
        self,
        name: str,
        access_key_id: str,
        secret: str,
        verify: bool = True,
        region: str | None = None,
    ) -> KeySet:
        """Check the key with STS (unless told not to), then keyring first, config second.

        ``region``: where to check it (a key of aws-cn or aws-us-gov answers only there);
        default settings.region.
        """
        check_name("key set", name)
        problem = KEY_FIELDS["access_key_id"](access_key_id)
        if problem:
            raise ConfigError(f"Key set '{name}': access key id {problem}.")
        if not secret or any(ch.isspace() for ch in secret):
            raise PromptError(f"Key set '{name}': the secret access key is empty or has spaces.")
        user_arn = None
        if verify:
            key = SigningKey(name, access_key_id, secret)
            where = region or self.config.settings.region
            user_arn = self._sts(self.config).caller_identity(key, where)
        keyset = KeySet(name=name, access_key_id=access_key_id, user_arn=user_arn)
        self.keystore.set(name, secret)  # a refused keyring leaves the config as it was
        self._forget_secret(name)
        try:
            self._config = self.store.put_keyset(keyset)
        except Exception:
            self.keystore.delete(name)
            raise
        return keyset

    def import_key(
        self, profile: str, access_key_id: str, secret: str, verify: bool, scrub: bool
    ) -> str:
        """A plaintext key of the credentials file into the keyring as key set ``profile``
        (made a valid name); with ``scrub`` its lines leave the file, but only once the
        keyring gives the same secret back. Returns what happened, in words."""
        name = as_name(profile)
        existing = self.config.keys.get(name)
        if existing and existing.access_key_id != access_key_id:
            raise ConfigError(
                f"Key set {name} already holds another key ({existing.access_key_id}) — import "
                f"this one by hand with `roletray keys add NAME --access-key-id {access_key_id}`."
            )
        done = "already in the keyring" if existing else "stored in the keyring"
        if not existing:
            self.add_keys(name, access_key_id, secret, verify=verify)
        if self.keystore.find(name) != secret:
            raise KeystoreError(
                f"The OS keyring does not give back the secret of [{profile}] for key set "
                f"{name}; the credentials file was left as it was — run `roletray keys add "
                f"{name} --access-key-id {access_key_id}` with the secret from [{profile}]."
            )
        if scrub and self.credentials.scrub_keys(profile, access_key_id):
            done += "; removed from the credentials file"
        return done

    def identity(self, key: SigningKey) -> tuple[str, datetime | None]:
        """Who ``key`` is, and STS's clock (for a skew check)."""
        config = self.config
        return self._sts(config).identity(key, config.settings.region)

    def remove_keys(self, name: str) -> None:
        self._config = self.store.remove_keyset(name)
        self.keystore.delete(name)
        self._forget_secret(name)
        self.mfa_sessions.clear(name)

    def _forget_secret(self, name: str) -> None:
        if self.key_memory is not None:
            self.key_memory.forget(name)

    # -- roles ---------------------------------------------------------------
    def add_role(self, role: Role) -> Role:
        before = self.config.roles.get(role.name)
        check_role(role, f"role '{role.name}'")
        self._check_delivery(role)
        self._config = self.store.put_role(role)
        self._follow(before, role)
        return self._config.roles[role.name]

    def add_roles(self, roles: list[Role]) -> None:
        """Several roles in one change of the config (an import): all, or none."""
        for role in roles:
            self._check_delivery(role)
        self._config = self.store.put_roles(roles)
        for role in roles:
            self._follow(None, role)

    def edit_role(
        self, name: str, changes: Mapping[str, Any], unset: Iterable[str] = ()
    ) -> tuple[Role, bool]:
        """Change some fields (``unset`` ones go back to their defaults), keep the rest.

        A changed profile takes the role's temporary credentials out of the old one (it
        would be left for nothing to manage); True as the second value when it did.
        """
        before = self.config.role(name)
        defaults = {f.name: f.default for f in fields(Role)}
        role = replace(before, **{**{key: defaults[key] for key in unset}, **changes})
        check_role(role, f"role '{name}'")  # validated before anything else changes
        self._check_delivery(role)
        self._config = self.store.put_role(role)
        old = before.target_profile
        moved = old != role.target_profile and self._clear_if_ours(old)
        served = self._follow(before, role)  # a credential_process role has no file profile
        return self._config.roles[name], moved or served

    def remove_role(self, name: str) -> bool:
        """Forget a role and clear the profile it wrote (else nothing would know it any more,
        and `clear` could not reach it); True when a profile was removed. A credentials
        file that cannot be edited stops it before anything changes."""
        role = self.config.role(name)
        cleared = self._clear_if_ours(role.target_profile)
        self._config = self.store.remove_role(name)
        self._follow(role, None)
        return cleared

    def _check_delivery(self, role: Role) -> None:
        """A credential_process role needs its profile free in ~/.aws/config, and no
        foreign profile of that name in the credentials file (botocore reads it first)."""
        if role.credential_process:
            self.aws_config.check(role.target_profile, role.name)
            self.credentials.check_writable(role.target_profile)

    def _follow(self, before: Role | None, after: Role | None) -> bool:
        """Keep ~/.aws/config's credential_process line, and the keyring session, in step
        with the role (added, moved to another profile, turned off, removed). True when a
        copy of a credential_process role's profile left the credentials file."""
        if before and before.credential_process:
            gone = after is None or not after.credential_process
            if gone or after.target_profile != before.target_profile:
                self.aws_config.remove(before.target_profile, before.name)
            if gone or after.role_arn != before.role_arn:
                self.process_sessions.clear(before.name)
        if not (after and after.credential_process):
            return False
        cleared = self._clear_if_ours(after.target_profile)  # a copy there would shadow it
        self.aws_config.set(
            after.target_profile, after.name, self.process_command(after.name), after.region
        )
        return cleared

    def _clear_if_ours(self, profile: str) -> bool:
        """Remove ``profile`` if roletray wrote it (a foreign section stays as is)."""
        return profile in self.credentials.managed_profiles() and (
            self.credentials.remove_profile(profile)
        )

    # -- sessions ------------------------------------------------------------
    def assume(
        self,
        name: str,
        mfa_code: str | None = None,
        force: bool = False,
        interactive: bool = True,
    ) -> RoleStatus:
        """Assume ``name`` and write its profile. ``interactive=False`` (an auto-refresh)
        never prompts: a role that needs a code then raises ``MfaNeeded``."""
        return self._assume(name, mfa_code, force, interactive)[0]

    def _assume(
        self, name: str, mfa_code: str | None, force: bool, interactive: bool
    ) -> tuple[RoleStatus, TemporaryCredentials]:
        """The assume, with the session it got (`delivered` hands it out as is)."""
        config = self.config
        role = config.role(name)
        refuse_code_without_mfa(role, mfa_code)
        if not role.credential_process:  # before the network; thorough when a code is at stake
            thorough = bool(role.mfa_serial)
            self.credentials.check_writable(role.target_profile, force, thorough)
        creds = self._fetch(config, role, mfa_code, interactive)
        if self._closed:
            raise RoleTrayError(f"Not writing profile {role.target_profile}: roletray is quitting.")
        if role.credential_process:
            self.process_sessions.put(role.name, role.role_arn, creds)
        else:
            self.credentials.write_profile(
                role.target_profile, role.name, creds, region=role.region, force=force
            )
            log.debug("wrote profile %s to %s", role.target_profile, self.credentials.path)
        held = {role.target_profile: _held_session(role, creds)}
        return role_status(role, held, self.clock()), creds

    def session(self, name: str) -> TemporaryCredentials | None:
        """The role's current session: from the keyring for a credential_process role,
        else from its profile in the credentials file."""
        role = self.config.role(name)
        if role.credential_process:
            return self.process_sessions.get(role.name, role.role_arn)
        return self.credentials.session(role.target_profile)

    def fresh(self, name: str, min_left: timedelta | None = None) -> TemporaryCredentials | None:
        """The role's session when it has more than ``min_left`` to go, else None.

        By default botocore's 15 minutes, or half the session for roles of 15-30 minutes
        (else each of their SDK calls would assume again; botocore only refuses a session
        that has run out)."""
        if min_left is None:
            half = timedelta(seconds=self.config.role(name).assume_duration / 2)
            min_left = min(PROCESS_MIN_LEFT, half)
        creds = self.session(name)
        return creds if creds and creds.expiration - self.clock() > min_left else None

    def delivered(
        self, name: str, min_left: timedelta | None = None, interactive: bool = True
    ) -> TemporaryCredentials:
        """A session with more than ``min_left`` to go: the one held, else a new one. One
        AssumeRole per role however many callers ask at once (Terraform runs several)."""
        with self._delivering(name):
            creds = self.fresh(name, min_left)
            if creds is None:
                creds = self._assume(name, None, False, interactive)[1]
        return creds

    def console_url(
        self, name: str, destination: str | None = None, region: str | None = None
    ) -> str:
        """A console sign-in URL for the role's session (assumed first when it has under
        five minutes left). A secret: the caller opens it, never logs it."""
        from tray_app import console, partitions

        config = self.config
        role = config.role(name)
        creds = self.delivered(name, CONSOLE_MIN_LEFT)
        partition = partitions.of_arn(role.role_arn)
        duration = None if role.mfa_session else role.duration  # chained: AWS refuses one
        where = region or config.region_for(role)
        return console.login_url(creds, partition, where, destination, duration)

    def try_role(self, name: str) -> str:
        """AssumeRole and throw the session away (never prompts): the ARN it gave."""
        config = self.config
        return self._fetch(config, config.role(name), None, interactive=False).principal_arn

    def _fetch(
        self, config: Config, role: Role, mfa_code: str | None, interactive: bool
    ) -> TemporaryCredentials:
        """The role's credential source signs AssumeRole (with a code where it asks)."""
        keyset = config.keyset(role.keys)
        code = partial(self.mfa.code, role, config.settings, mfa_code, interactive)
        source = self._source(role, keyset, config, code)
        signer = source.retrieve()
        direct = role.mfa_each_time
        request = AssumeRequest(
            role=role.name,
            role_arn=role.role_arn,
            session_name=role.session_name or default_session_name(keyset),
            duration=role.assume_duration,
            region=config.region_for(role),
            external_id=role.external_id,
            mfa_serial=role.mfa_serial if direct else None,
            mfa_code=code() if direct else None,
            source_identity=role.source_identity,
        )
        log.debug(
            "assuming %s in %s as session %s with key set %s (%s)",
            role.role_arn, request.region, request.session_name, keyset.name, signer.access_key_id,
        )  # fmt: skip
        return self._assume_role(config, source, signer, request)

    def _assume_role(
        self, config: Config, source: Source, signer: SigningKey, request: AssumeRequest
    ) -> TemporaryCredentials:
        sts = self._sts(config)
        try:
            return sts.assume_role(signer, request)
        except StsError as exc:
            if signer.remembered and exc.code in _STALE_SECRET:
                log.info("the kept secret of %s was refused (%s); reading the keyring again",
                         signer.keyset, exc.code)  # fmt: skip
            elif signer.session_token and exc.code in _STALE_SESSION:
                log.info("the MFA session of %s was refused (%s); starting a new one",
                         signer.keyset, exc.code)  # fmt: skip
            else:
                raise
            return sts.assume_role(source.retrieve(fresh=True), request)

    def _source(
        self, role: Role, keyset: KeySet, config: Config, code: Callable[[], str]
    ) -> Source:
        """The role's credential source: the key set's key, or its MFA session."""
        key = KeyringKey(self.keystore, keyset, self.key_memory)
        if not role.mfa_session:
            return key
        return MfaSession(
            base=key,
            sts=self._sts(config),
            cache=self.mfa_sessions,
            code=code,
            keyset=keyset,
            serial=str(role.mfa_serial),
            duration=config.settings.mfa_session_duration,
            region=config.region_for(role),
            clock=self.clock,
        )

    def renew_mfa_session(self, keyset: str) -> SigningKey:
        """Ask for a code now and start a new MFA session for ``keyset``."""
        config = self.config
        role = next((r for r in config.roles.values() if r.keys == keyset and r.mfa_session), None)
        if role is None:
            raise ConfigError(f"No role with mfa_strategy = \"session\" uses key set '{keyset}'.")
        code = partial(self.mfa.code, role, config.settings, None, True)
        return self._source(role, config.keyset(keyset), config, code).retrieve(fresh=True)

    def mfa_status(self) -> dict[str, SigningKey | None]:
        """Each key set that a session-strategy role uses, and its cached MFA session."""
        config = self.config
        used = sorted({r.keys for r in config.roles.values() if r.mfa_session})
        trust = self.status_trust
        return {name: self.mfa_sessions.get(config.keyset(name), trust) for name in used}

    def clear_mfa(self, keyset: str) -> bool:
        self.config.keyset(keyset)
        return self.mfa_sessions.clear(keyset)

    def status(self) -> list[RoleStatus]:
        config = self.config
        held = held_sessions(config, self.credentials, self.process_sessions.notes)
        return statuses(config, held, self.clock())

    def clear(self, name: str) -> bool:
        """Remove a role's temporary credentials; False when there were none."""
        role = self.config.role(name)
        if role.credential_process:
            return self.process_sessions.clear(role.name)
        return self.credentials.remove_profile(role.target_profile)


def _held_session(role: Role, creds: TemporaryCredentials) -> ManagedProfile:
    """What status needs of a role's session, as its profile (or keyring item) holds it."""
    return ManagedProfile(role.target_profile, role.name, creds.expiration, creds.principal_arn)


def default_session_name(keyset: KeySet) -> str:
    """The IAM user's name (as CloudTrail shows it), else roletray-<local user>."""
    base = keyset.user_name or f"roletray-{_local_user()}"
    name = _SESSION_CHARS.sub("-", base)[:64]
    return name if len(name) >= 2 else f"roletray-{name}"


def _local_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers): any stable name will do
        return "user"
