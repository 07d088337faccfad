"""The AWS shared credentials file: read managed profiles, write one, remove one.

The promise: bytes outside the managed section never change. Each write is a
splice, not a re-serialisation: configupdater splits the file into blocks that
join back to the exact original text (checked, or we refuse), only the target
section's block is replaced, and both the old and new texts are parsed with the
parser botocore uses to confirm every other profile reads the same afterwards.
The replacement is atomic (see ``atomicfile``) and serialised by a lock file.

A section is *managed* when it carries the ``x_roletray_role`` key; roletray
never overwrites a section without it unless forced.
"""

from __future__ import annotations

import codecs
import configparser
import functools
import io
import logging
import os
import re
import stat
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tray_app import file_lock
from tray_app.atomicfile import (
    OWN_FILE,
    FileChanged,
    Fingerprint,
    atomic_write,
    check_room,
    fingerprint,
    has_room,
    is_immutable,
    os_errors_as,
    remove_stale_temps,
    stamp,
)
from tray_app.credentials_index import Indexes, parse_sections, sections_named
from tray_app.errors import CredentialsFileError
from tray_app.paths import credentials_path as default_path
from tray_app.sessions import format_expiry

if TYPE_CHECKING:  # configupdater loads only to write: reading needs the stdlib's parser
    from configupdater import ConfigUpdater
    from configupdater.section import Section

log = logging.getLogger(__name__)
MARKER_KEY = "x_roletray_role"
EXPIRES_KEY = "x_security_token_expires"  # the key saml2aws uses
PRINCIPAL_KEY = "x_principal_arn"
ID_KEY, SECRET_KEY = "aws_access_key_id", "aws_secret_access_key"
TOKEN_KEY = "aws_session_token"
LOCK_TIMEOUT = 10.0
EDIT_ATTEMPTS = 5  # re-reads when a writer that takes no lock changes the file under us
SETTLE_NS = 100_000_000  # a foreign write younger than this may still be in progress
SETTLE_EMPTY_NS = 2_000_000_000  # the same for a file someone just emptied
SETTLE_STEP = 0.05
SETTLE_MAX_STEPS = 100
ROOM = 4096  # bytes beyond the current file a write needs: one managed section
_INDEXES = Indexes()  # texts parsed in full once, so later writes to them splice by index


@dataclass(frozen=True)
class TemporaryCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime
    principal_arn: str

    def __repr__(self) -> str:  # keep secrets out of logs and tracebacks
        return (
            f"TemporaryCredentials(access_key_id={self.access_key_id!r}, "
            f"expiration={self.expiration.isoformat()}, principal_arn={self.principal_arn!r})"
        )

    def process_output(self) -> dict[str, object]:
        """What a ``credential_process`` prints: botocore's Version 1 JSON."""
        return {
            "Version": 1,
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "SessionToken": self.session_token,
            "Expiration": format_expiry(self.expiration),
        }


@dataclass(frozen=True)
class ManagedProfile:
    """What the file says about a profile roletray wrote (no secrets kept)."""

    profile: str
    role: str
    expiration: datetime | None
    principal_arn: str | None


class LockedIniFile:
    """An AWS INI file (credentials or config) that every write edits under our lock."""

    def __init__(self, path: Path, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        # Our latest write: its stamp and its text. While the file keeps that stamp (the
        # test every write makes before its rename), its text need not be read back.
        self.last_written: tuple[tuple[int, int, int], _Text] | None = None

    def _edit(
        self, change: Callable[[_Text | None], _Text | None], force: bool | None = False
    ) -> bool:
        """Under the lock: read, ``change``, replace atomically. False when nothing changed.

        The file is re-read if it changed between our read and our rename: our
        lock serialises roletray, but `aws configure set` and editors take none.
        """
        with os_errors_as(CredentialsFileError, self.path):  # disk full, read-only, sharing
            return self._edit_locked(change, force)

    def _edit_locked(
        self, change: Callable[[_Text | None], _Text | None], force: bool | None
    ) -> bool:
        target = self._writable_target(force)
        lock = target.parent / f".{target.name}.roletray-lock"
        try:
            with file_lock.acquire(lock, self.lock_timeout):
                remove_stale_temps(target)
                ours = target.parent / f".{target.name}.roletray-stamp"
                for _ in range(EDIT_ATTEMPTS):
                    last = self.last_written
                    before = _settled(target, ours, last[0] if last else None)
                    if last is not None and before == last[0]:
                        new = change(last[1])  # the file still holds our last write
                    else:
                        new = change(self._load())
                    if new is None:
                        return False
                    try:
                        written = atomic_write(
                            target, new.encode(), unchanged=partial(_same, target, before)
                        )
                    except FileChanged:
                        continue
                    self.last_written = (written, new)
                    _write_stamp(ours, written)
                    return True
        except file_lock.LockTimeout:
            # Never "remove the lock file": only a running process holds it (see file_lock).
            raise CredentialsFileError(
                f"{self.path} is locked by another roletray process for over "
                f"{self.lock_timeout:.0f} s — wait for it to finish, or quit the roletray "
                "command or tray that hangs."
            ) from None
        raise _still_changing(self.path)

    def _writable_target(self, force: bool | None) -> Path:
        """The file a write replaces (a link's target: the link stays), after refusing one
        roletray must not or cannot replace; its folder made when missing."""
        target = Path(os.path.realpath(self.path))  # a symlink stays a symlink
        _refuse_unwritable(self.path, target, force)
        if not target.parent.exists():
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # two first writes race
        return target

    def _load(self) -> _Text | None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CredentialsFileError(
                f"Cannot read {self.path}: {exc.strerror} — check its permissions."
            ) from None
        return _Text.decode(data, self.path)


class CredentialsFile(LockedIniFile):
    """One credentials file; every write goes through ``_edit`` under the lock."""

    def __init__(self, path: Path | None = None, lock_timeout: float = LOCK_TIMEOUT) -> None:
        super().__init__(path or default_path(), lock_timeout)
        # The file as it was when a profile last passed check_writable, or as our write
        # of that profile left it: while nothing about it changes, neither can the verdict.
        self._passed: tuple[Fingerprint, str] | None = None

    # -- reading -----------------------------------------------------------
    def managed_profiles(self) -> dict[str, ManagedProfile]:
        """Every managed section, by profile name; empty when the file does not exist."""
        text = self._load()
        if text is None:
            return {}
        index = _INDEXES.get(text.body)
        if index is not None:
            found = sections_named(index, index.managed)
            return {name: _managed_profile(name, values) for name, values in found.items()}
        parser = _read(text.body, self.path)
        return {
            name: _managed_profile(name, parser[name])
            for name in parser.sections()
            if MARKER_KEY in parser[name]
        }

    def session(self, profile: str) -> TemporaryCredentials | None:
        """The temporary credentials roletray wrote to ``profile`` (None: none there)."""
        section = self._managed_section(profile)
        if section is None:
            return None
        managed = _managed_profile(profile, section)
        values = {key: section[key].strip() for key in (ID_KEY, SECRET_KEY, TOKEN_KEY)
                  if key in section}  # fmt: skip
        if managed.expiration is None or len(values) < 3:
            return None
        return TemporaryCredentials(
            values[ID_KEY], values[SECRET_KEY], values[TOKEN_KEY], managed.expiration,
            managed.principal_arn or "",
        )  # fmt: skip

    def _managed_section(self, profile: str) -> Mapping[str, str] | None:
        text = self._load()
        if text is None:
            return None
        index = _INDEXES.get(text.body)
        if index is not None:
            return sections_named(index, [profile])[profile] if profile in index.managed else None
        parser = _read(text.body, self.path)
        if not parser.has_section(profile) or MARKER_KEY not in parser[profile]:
            return None
        return parser[profile]

    def long_lived_keys(self) -> dict[str, tuple[str, str]]:
        """Profiles holding a long-lived key in plaintext: profile → (key id, secret)."""
        text = self._load()
        if text is None:
            return {}
        parser = _raw_parse(text.body, self.path)
        found = {}
        for name in parser.sections():
            section = parser[name]
            key, secret = section.get(ID_KEY), section.get(SECRET_KEY)
            temporary = "aws_session_token" in section or MARKER_KEY in section
            if key and secret and not temporary and not key.strip().startswith("ASIA"):
                found[name] = (key.strip(), secret.strip())
        return found

    def check_writable(self, profile: str, force: bool = False, thorough: bool = True) -> None:
        """Fail now, before any STS call, if writing ``profile`` would be refused or fail.

        ``thorough=False`` (no MFA code at stake): when the file and its folder are just
        as they were when ``profile`` last passed, or as our write of it left them, only
        the free space is looked at again (statvfs; a trial write when it is tight).
        """
        seen = fingerprint(self.path)
        if not thorough and not force and seen is not None and self._passed == (seen, profile):
            size = seen[0][2] + ROOM
            if has_room(self.path.parent, size):
                return
        text = self._load()
        if text is not None:
            self._splice(text, profile, None, force, role=None)
        with os_errors_as(CredentialsFileError, self.path):  # only ever one sentence
            target = Path(os.path.realpath(self.path))
            _refuse_unwritable(self.path, target, force)
            if target.parent.exists():  # else the write makes it (~/.aws, 0700)
                check_room(target, len(text.encode()) + ROOM if text else ROOM)
        if seen is not None and not force:
            self._passed = (seen, profile)

    def _writable_target(self, force: bool | None) -> Path:
        passed = self._passed
        if not force and passed is not None and fingerprint(self.path) == passed[0]:
            return Path(os.path.abspath(self.path))  # a plain file, as when it last passed
        return super()._writable_target(force)

    # -- writing -----------------------------------------------------------
    def write_profile(
        self,
        profile: str,
        role: str,
        creds: TemporaryCredentials,
        region: str | None = None,
        force: bool = False,
    ) -> None:
        section = _render_section(profile, role, creds, region)
        self._edit(lambda text: self._splice(text, profile, section, force, role), force)
        seen = fingerprint(self.path)
        last = self.last_written
        if seen is not None and last is not None and seen[0][1:4] == last[0]:  # still ours
            self._passed = (seen, profile)

    def remove_profile(self, profile: str) -> bool:
        """Delete a managed section; False when it was not there. Foreign sections are refused."""

        def remove(text: _Text | None) -> _Text | None:
            if text is None:
                return None
            new = self._splice(text, profile, "", force=False, role=None)
            return None if new == text else new

        return self._edit(remove, force=None)

    def scrub_keys(self, profile: str, access_key_id: str) -> bool:
        """Take the long-lived key lines out of ``profile`` (the section goes too when
        nothing else is left in it); every other byte stays. False when the profile no
        longer holds that key."""

        def scrub(text: _Text | None) -> _Text | None:
            if text is None:
                return None
            found = _section_of(text, profile, self.path)
            if found is None:
                return None
            updater, blocks, section = found
            if ID_KEY not in section or section[ID_KEY].value.strip() != access_key_id:
                return None
            if all(o.key in (ID_KEY, SECRET_KEY) for o in section.option_blocks()):
                # The whole section goes; the comments after it introduce the next one.
                body = "".join(_trailing_lines(b) if b is section else str(b) for b in blocks)
            else:
                for key in (ID_KEY, SECRET_KEY):
                    if key in section:
                        del section[key]
                body = str(updater)
            _verify_scrub(text.body, body, profile, self.path)
            return _Text(body, text.newline)

        return self._edit(scrub, force=None)

    # -- internals ---------------------------------------------------------
    def _splice(
        self, text: _Text | None, profile: str, section: str | None, force: bool, role: str | None
    ) -> _Text:
        """Replace (or append, or with "" remove) one section; None only checks.

        ``role`` is the marker the new section must carry, None when removing.
        """
        text = text or _Text("", newline="\n")
        indexed = _splice_indexed(text, profile, section, force, role, self.path)
        if indexed is None and section != "" and _INDEXES.get(text.body) is None:
            _read(text.body, self.path)  # parsed in full once: indexed when its layout allows
            indexed = _splice_indexed(text, profile, section, force, role, self.path)
        if indexed is not None:
            return indexed
        updater = _parse(text.body, self.path)
        blocks = _check_round_trip(updater, text.body, self.path)
        existing = updater[profile] if updater.has_section(profile) else None
        if existing is not None and MARKER_KEY not in existing and not force:
            raise _foreign(profile, self.path, removing=section == "")
        if section is None or (section == "" and existing is None):
            return text  # only a check, or nothing to remove
        section = section.replace("\n", text.newline)
        if existing is None:
            body = _append(text.body, section, text.newline)
        else:
            body = "".join(
                section + _trailing_lines(block) if block is existing else str(block)
                for block in blocks
            )
        _verify(text.body, body, profile, role, self.path)
        _INDEXES.learn(body, _raw_parse(body, self.path), MARKER_KEY)
        return _Text(body, text.newline)


def _splice_indexed(
    text: _Text, profile: str, section: str | None, force: bool, role: str | None, path: Path
) -> _Text | None:
    """The write (or the check, ``section`` None) by the text's index, without parsing
    the file again (see ``credentials_index``); None: take the full path."""
    index = _INDEXES.get(text.body)
    if index is None or section == "":
        return None
    if profile in index.sections and profile not in index.managed:
        if force:
            return None
        raise _foreign(profile, path, removing=False)
    if section is None:
        return text
    block = section.replace("\n", text.newline)
    if not _reads_as(block, profile, role):
        return None  # a profile name the parser reads otherwise: the full path refuses it
    if profile not in index.managed:
        new = index.appended(profile, _append(text.body, block, text.newline), block)
    elif (span := index.span(profile)) is not None:
        new = index.replaced(profile, *span, block)
    else:
        return None
    _INDEXES.put(new)
    return _Text(new.body, text.newline)


# A session's values: one line of visible ASCII each. Such a line reads as that key
# whatever its value, so a section's shape (these values blanked) reads as it does.
_SESSION_VALUE = re.compile(
    rf"^((?:{ID_KEY}|{SECRET_KEY}|{TOKEN_KEY}|{EXPIRES_KEY}|{PRINCIPAL_KEY}) = )[!-~]+(?=\r?$)",
    re.MULTILINE,
)


def _reads_as(block: str, profile: str, role: str | None) -> bool:
    """True when botocore's parser reads ``block`` as one section, ``profile``, marked
    ``role`` (a value with a line break in it would add more). Parsed once per shape:
    a parser per click cost a twentieth of a millisecond."""
    return _shape_reads_as(_SESSION_VALUE.sub(r"\1-", block), profile, role)


@functools.lru_cache(maxsize=16)
def _shape_reads_as(shape: str, profile: str, role: str | None) -> bool:
    try:
        sections = parse_sections(shape)
    except configparser.Error:
        return False
    return list(sections) == [profile] and sections[profile].get(MARKER_KEY) == role


def _foreign(profile: str, path: Path, removing: bool) -> CredentialsFileError:
    fix = (
        "roletray removes only profiles it wrote; delete it by hand if you mean to"
        if removing
        else "set another profile for this role, or pass --force to replace it"
    )
    return CredentialsFileError(
        f"Profile [{profile}] in {path} was not written by roletray; it was left untouched — {fix}."
    )


def _refuse_unwritable(shown: Path, target: Path, force: bool | None) -> None:
    """Refuse, with the fix, a file roletray must not or cannot replace.

    A link to nowhere (writing would make folders wherever it points); a file marked
    immutable (rename fails with EPERM, even for root); a file its owner made
    read-only, unless --force. ``force`` None: the caller (``clear``) has no --force.
    """
    if shown.is_symlink() and not target.exists():
        raise CredentialsFileError(
            f"{shown} is a link to {os.readlink(shown)}, which does not exist; nothing was "
            "written — fix the link, or remove it to let roletray create the file."
        )
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return
    if is_immutable(target):
        raise CredentialsFileError(
            f"{shown} is marked immutable or append-only (chattr +i/+a); it was left untouched "
            f"— remove the mark (sudo chattr -i -a {shown}) if roletray should write it."
        )
    if not mode & stat.S_IWUSR and not force:
        also = "" if force is None else " or pass --force to write it and keep its mode"
        raise CredentialsFileError(
            f"{shown} is read-only (mode {mode:04o}); it was left untouched — make it writable "
            f"(chmod u+w {shown}){also}."
        )


def _still_changing(path: Path) -> CredentialsFileError:
    return CredentialsFileError(
        f"{path} kept changing while roletray wrote it (another program is writing it); "
        "nothing was written — try again."
    )


def _same(path: Path, before: tuple[int, int, int] | None) -> bool:
    return stamp(path) == before


def _settled(
    target: Path, ours: Path, known: tuple[int, int, int] | None
) -> tuple[int, int, int] | None:
    """The file's stamp once no foreign writer is mid-write.

    `aws configure set` truncates the file and then writes it, in place. Read
    between the two and we would splice into an empty file, and our rename
    would orphan its write: every other profile gone. So when the file was
    changed a moment ago by someone other than us, wait until it holds still.
    """
    current = stamp(target)
    if current is not None and current == known:
        return current  # this process's own last write (the stamp file would say so too)
    last_ours = _read_stamp(ours)
    for _ in range(SETTLE_MAX_STEPS):
        if current is None or repr(current) == last_ours:
            return current
        # An emptied file is most likely a truncate-then-write in progress whose write a
        # loaded machine delays: give that one longer than a file with content.
        settle = SETTLE_EMPTY_NS if current[1] == 0 else SETTLE_NS
        if time.time_ns() - current[2] > settle:
            return current
        time.sleep(SETTLE_STEP)
        current = stamp(target)
    raise _still_changing(target)


def _read_stamp(ours: Path) -> str:
    """The stamp of our last write ("" when there is none)."""
    try:
        descriptor = os.open(ours, os.O_RDONLY | OWN_FILE)
    except OSError:
        return ""
    try:
        return os.read(descriptor, 256).decode("ascii", "replace")
    except OSError:
        return ""
    finally:
        os.close(descriptor)


def _write_stamp(ours: Path, written: tuple[int, int, int]) -> None:
    """Note what we wrote, in place: truncating the file first makes ext4 flush it (its
    auto_da_alloc), a tenth of a millisecond of every click. Best effort: without the
    note, the next write only waits the settle time once."""
    data = repr(written).encode()
    try:
        descriptor = os.open(ours, os.O_WRONLY | os.O_CREAT | OWN_FILE, 0o600)
    except OSError as exc:
        log.debug("cannot note the stamp of %s: %s", ours, exc.strerror)
        return
    try:
        os.write(descriptor, data)
        os.ftruncate(descriptor, len(data))
    except OSError as exc:
        log.debug("cannot note the stamp of %s: %s", ours, exc.strerror)
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class _Text:
    """The file decoded, with the newline style new lines must follow.

    A UTF-8 byte-order mark is dropped on write: botocore (so every AWS CLI and
    SDK) cannot parse a credentials file that starts with one, so keeping it
    would write credentials no tool can read.
    """

    body: str
    newline: str

    @classmethod
    def decode(cls, data: bytes, path: Path) -> _Text:
        if b"\x00" in data:
            line = data[: data.index(b"\x00")].count(b"\n") + 1
            raise CredentialsFileError(
                f"{path} line {line}: the file is binary, not an INI file; it was left untouched "
                "— restore it from a backup or move it away."
            )
        bom = data.startswith(codecs.BOM_UTF8)
        try:
            body = data[len(codecs.BOM_UTF8) if bom else 0 :].decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise CredentialsFileError(
                f"{path} line {line}: not UTF-8 text; the file was left untouched — "
                "fix that line by hand."
            ) from None
        lone_cr = re.search(r"\r(?!\n)", body)
        if lone_cr:
            # botocore reads with universal newlines, so a lone CR splits lines for it
            # and not for an editor: the two would disagree on the file's structure.
            line = body.count("\n", 0, lone_cr.start()) + 1
            raise CredentialsFileError(
                f"{path} line {line}: a lone carriage return (old Mac line ending); the file "
                "was left untouched — convert it to \\n or \\r\\n line endings."
            )
        newline = "\r\n" if body.partition("\n")[0].endswith("\r") else "\n"
        return cls(body, newline)

    def encode(self) -> bytes:
        return self.body.encode("utf-8")


def _parse(body: str, path: Path) -> ConfigUpdater:
    from configupdater import ConfigUpdater

    updater = ConfigUpdater()
    try:
        updater.read_string(body, source=str(path))
        _raw_parse(body, path)  # botocore's parser must agree, or the CLIs break
    except configparser.Error as exc:
        raise CredentialsFileError(_parse_error_message(exc, path)) from None
    return updater


def _check_round_trip(updater: ConfigUpdater, body: str, path: Path) -> list[Any]:
    """The parsed blocks, which must give back the file byte for byte."""
    blocks = list(updater.iter_blocks())
    if "".join(str(block) for block in blocks) != body:
        raise CredentialsFileError(
            f"{path} uses a layout roletray cannot edit without changing other lines; "
            "it was left untouched — move your profiles into plain [name] sections."
        )
    return blocks


def _section_of(
    text: _Text, name: str, path: Path
) -> tuple[ConfigUpdater, list[Any], Section] | None:
    """The parsed file (checked to join back to the exact text), its blocks, and section
    ``name`` of it; None when there is no such section."""
    updater = _parse(text.body, path)
    blocks = _check_round_trip(updater, text.body, path)
    if not updater.has_section(name):
        return None
    return updater, blocks, updater[name]


def _read(body: str, path: Path) -> configparser.RawConfigParser:
    """The file as botocore reads it, for reading only (a parse error is one sentence)."""
    try:
        parser = _raw_parse(body, path)
    except configparser.Error as exc:
        raise CredentialsFileError(_parse_error_message(exc, path)) from None
    _INDEXES.learn(body, parser, MARKER_KEY)
    return parser


def _raw_parse(body: str, path: Path) -> configparser.RawConfigParser:
    """The text as botocore reads it. One write reads the same text several times (the
    agreement check, the verify, the status after it): each text is parsed once. The
    parser returned is shared, so it is only ever read."""
    return _raw_parse_cached(body, str(path))


@functools.lru_cache(maxsize=4)
def _raw_parse_cached(body: str, source: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()  # exactly what botocore.configloader uses
    parser.read_file(io.StringIO(body, newline=None), source=source)  # as open() reads
    return parser


def _parse_error_message(exc: configparser.Error, path: Path) -> str:
    tail = "the file was left untouched — fix it by hand and try again."
    if isinstance(exc, configparser.DuplicateSectionError):
        return f"{path} line {exc.lineno}: section [{exc.section}] appears twice; {tail}"
    if isinstance(exc, configparser.DuplicateOptionError):
        return (
            f"{path} line {exc.lineno}: key '{exc.option}' appears twice in [{exc.section}]; {tail}"
        )
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"{path} line {exc.lineno}: text before the first [section] header; {tail}"
    if isinstance(exc, configparser.ParsingError):
        lines = getattr(exc, "errors", [])
        where = f" line {lines[0][0]}" if lines else ""
        return f"{path}{where}: not a 'key = value' line or a [section] header; {tail}"
    return f"{path}: cannot be parsed as an INI file; {tail}"


def _render_section(
    profile: str, role: str, creds: TemporaryCredentials, region: str | None
) -> str:
    lines = [
        f"[{profile}]",
        f"# managed by roletray (role {role}): rewritten on assume, removed by `roletray clear`",
        f"{MARKER_KEY} = {role}",
        f"aws_access_key_id = {creds.access_key_id}",
        f"aws_secret_access_key = {creds.secret_access_key}",
        f"aws_session_token = {creds.session_token}",
        f"{EXPIRES_KEY} = {format_expiry(creds.expiration)}",
        f"{PRINCIPAL_KEY} = {creds.principal_arn}",
    ]
    if region:
        lines.append(f"region = {region}")
    return "\n".join(lines) + "\n"


def _append(body: str, section: str, newline: str) -> str:
    if not body:
        return section
    if not body.endswith("\n"):
        body += newline
    if not body.endswith(newline * 2) and body.strip():
        body += newline  # one blank line between sections, but never a growing gap
    return body + section


def _trailing_lines(section: Section) -> str:
    """Comments and blank lines after a section's last key usually introduce the next one."""
    from configupdater.block import Comment, Space

    children = list(section.iter_blocks())
    keep: list[str] = []
    for block in reversed(children):
        if not isinstance(block, Comment | Space):
            break
        keep.append(str(block))
    return "".join(reversed(keep))


def _both_parsed(
    old: str, new: str, path: Path
) -> tuple[configparser.RawConfigParser, configparser.RawConfigParser]:
    """The file before and after an edit, as botocore's parser reads them."""
    try:
        return _raw_parse(old, path), _raw_parse(new, path)
    except configparser.Error as exc:
        raise CredentialsFileError(_parse_error_message(exc, path)) from None


def _sections(parser: configparser.RawConfigParser) -> dict[str, dict[str, str]]:
    return {name: dict(parser[name]) for name in parser.sections()}


def _verify(old: str, new: str, profile: str, role: str | None, path: Path) -> None:
    """Belt and braces: botocore's parser must see every other profile unchanged."""
    before, after = _both_parsed(old, new, path)
    others_before = {s: v for s, v in _sections(before).items() if s != profile}
    others_after = {s: v for s, v in _sections(after).items() if s != profile}
    if role is None:
        written_ok = not after.has_section(profile)
    else:
        written_ok = after.get(profile, MARKER_KEY, fallback=None) == role
    if others_before != others_after or not written_ok:
        raise CredentialsFileError(
            f"Refusing to write {path}: the edit would have changed other profiles; the file "
            "was left untouched — please report this with a copy of the file's layout."
        )


def _verify_scrub(old: str, new: str, profile: str, path: Path) -> None:
    """Only the two key lines of ``profile`` went (and the section, when nothing else was
    in it); botocore sees every other profile exactly as before."""
    before, after = _both_parsed(old, new, path)
    expected = _sections(before)
    rest = {k: v for k, v in expected.pop(profile).items() if k not in (ID_KEY, SECRET_KEY)}
    if rest:
        expected[profile] = rest
    if _sections(after) != expected:
        raise CredentialsFileError(
            f"Refusing to write {path}: removing the key of [{profile}] would have changed "
            "other lines; the file was left untouched — remove the key by hand."
        )


def _managed_profile(name: str, section: Mapping[str, str]) -> ManagedProfile:
    def value(key: str) -> str | None:
        return section[key].strip() if key in section else None

    expires = value(EXPIRES_KEY)
    try:
        expiration = datetime.fromisoformat(expires) if expires else None
    except ValueError:
        expiration = None
    if expiration is not None and expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=UTC)
    return ManagedProfile(name, value(MARKER_KEY) or "", expiration, value(PRINCIPAL_KEY))
