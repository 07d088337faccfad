"""The ``credential_process`` line of a role's profile in ~/.aws/config.

SDKs, Terraform and IDEs that read ``credential_process`` run `roletray
credential-process ROLE` for such a profile. The edit is made like every
credentials-file edit: under our lock, as a splice that keeps every other byte
(comments included), checked with botocore's own parser, replaced atomically.
roletray marks what it wrote (``x_roletray_role``) and removes only that.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tray_app.credentials_file import (
    MARKER_KEY,
    LockedIniFile,
    _append,
    _both_parsed,
    _check_round_trip,
    _parse,
    _section_of,
    _sections,
    _Text,
    _trailing_lines,
)
from tray_app.errors import CredentialsFileError
from tray_app.paths import aws_config_path

if TYPE_CHECKING:
    from configupdater.section import Section

KEY = "credential_process"
# Keys by which a profile already gets credentials: botocore would use them before (or
# instead of) our line, so a profile holding one is not ours to take.
OWN_CREDENTIALS = (
    "role_arn", "source_profile", "credential_source", "web_identity_token_file",
    "sso_start_url", "sso_session", "sso_account_id", "sso_role_name",
    "aws_access_key_id", "aws_secret_access_key", "aws_session_token",
)  # fmt: skip
OURS = {KEY, MARKER_KEY, "region"}
Expect = Callable[
    [dict[str, str]], dict[str, str] | None
]  # a profile before → after  # a section holding only these, marked, is all ours


def section_name(profile: str) -> str:
    return profile if profile == "default" else f"profile {profile}"


def command_line(role: str, config: Path | None = None, platform: str = sys.platform) -> str:
    """The line botocore runs, split as botocore splits it (shlex; Windows' own rules)."""
    from tray_app.platform import roletray_command

    argv = [*roletray_command(platform)]
    if config is not None:
        argv += ["--config", str(config)]
    argv += ["credential-process", role]
    if platform == "win32":
        import subprocess  # for list2cmdline: the rest of subprocess is not needed here

        return subprocess.list2cmdline(argv)
    return shlex.join(argv)


class ProcessProfiles(LockedIniFile):
    def __init__(self, path: Path | None = None) -> None:
        super().__init__(path or aws_config_path())

    def check(self, profile: str, role: str) -> None:
        """Fail now if the profile gets credentials its own way or is another role's."""
        text = self._load()
        if text is not None:
            updater = _parse(text.body, self.path)
            name = section_name(profile)
            if updater.has_section(name):
                self._refuse_foreign(updater[name], profile, role)

    def set(self, profile: str, role: str, command: str, region: str | None = None) -> bool:
        """Point ``profile`` at `roletray credential-process`; False when it already was."""
        name = section_name(profile)

        def change(text: _Text | None) -> _Text | None:
            text = text or _Text("", newline="\n")
            updater = _parse(text.body, self.path)
            _check_round_trip(updater, text.body, self.path)
            wanted = {KEY: command, MARKER_KEY: role}
            added = dict(wanted)
            if updater.has_section(name):
                section = updater[name]
                self._refuse_foreign(section, profile, role)
                if all(k in section and section[k].value.strip() == v for k, v in wanted.items()):
                    return None
                for key, value in wanted.items():
                    section[key] = value
                body = str(updater)
            else:
                lines = [
                    f"[{name}]",
                    f"# managed by roletray (role {role}): removed by `roletray roles remove`",
                    f"{KEY} = {command}",
                    f"{MARKER_KEY} = {role}",
                    *([f"region = {region}"] if region else []),
                ]
                added.update({"region": region} if region else {})
                section_text = text.newline.join(lines) + text.newline
                body = _append(text.body, section_text, text.newline)
            self._verify(text.body, body, name, lambda was: {**was, **added})
            return _Text(body, text.newline)

        return self._edit(change, force=None)

    def remove(self, profile: str, role: str) -> bool:
        """Take our line out (the whole section when we made all of it); False: none."""
        name = section_name(profile)

        def change(text: _Text | None) -> _Text | None:
            if text is None:
                return None
            found = _section_of(text, name, self.path)
            if found is None:
                return None
            updater, blocks, section = found
            if MARKER_KEY not in section or section[MARKER_KEY].value.strip() != role:
                return None
            if {o.key for o in section.option_blocks()} <= OURS:
                body = "".join(_trailing_lines(b) if b is section else str(b) for b in blocks)
                if blocks[-1] is section and body.endswith(text.newline * 2):
                    body = body[: -len(text.newline)]  # the blank line `set` put before it
                self._verify(text.body, body, name, lambda was: None)
            else:  # the user's own keys stay
                for key in (KEY, MARKER_KEY):
                    del section[key]
                body = str(updater)
                self._verify(text.body, body, name, _without_ours)
            return _Text(body, text.newline)

        return self._edit(change, force=None)

    def _refuse_foreign(self, section: Section, profile: str, role: str) -> None:
        keys = {o.key: (o.value or "").strip() for o in section.option_blocks()}
        own = next((k for k in OWN_CREDENTIALS if k in keys), None)
        owner = keys.get(MARKER_KEY)
        if own or (owner is None and KEY in keys) or (owner not in (None, role)):
            why = (
                f"gets credentials its own way ({own})" if own
                else f"belongs to roletray role {owner}" if owner
                else "has a credential_process of its own"
            )  # fmt: skip
            raise CredentialsFileError(
                f"Profile {profile} in {self.path} already {why}; it was left untouched — "
                f"give role {role} another --profile."
            )

    def _verify(self, old: str, new: str, name: str, expect: Expect) -> None:
        """botocore's parser sees every other profile as before, and ours as ``expect`` makes
        it from what it was (None: gone)."""
        before, after = _both_parsed(old, new, self.path)
        wanted = _sections(before)
        mine = expect(wanted.pop(name, {}))
        if mine is not None:
            wanted[name] = mine
        if _sections(after) != wanted:
            raise CredentialsFileError(
                f"Refusing to write {self.path}: the edit would have changed other profiles; "
                "the file was left untouched — please report this with the file's layout."
            )


def _without_ours(section: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in section.items() if k not in (KEY, MARKER_KEY)}
