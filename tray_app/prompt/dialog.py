"""Ask for the MFA code in a desktop dialog (zenity or kdialog); the code never enters argv."""

from __future__ import annotations

import shutil
import subprocess

from tray_app.config import Role
from tray_app.errors import PromptError

TIMEOUT = 120


def _commands(role: Role) -> list[list[str]]:
    text = f"MFA code for {role.name} ({role.mfa_serial})"
    return [
        ["zenity", "--entry", "--title=RoleTray", f"--text={text}"],
        ["kdialog", "--title", "RoleTray", "--inputbox", text],
        ["osascript", "-e", f'text returned of (display dialog "{text}" default answer "")'],
    ]


def ask_mfa_code(role: Role) -> str:
    for command in _commands(role):
        if shutil.which(command[0]):
            try:
                result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                raise PromptError(
                    f"No MFA code entered for {role.name}; nothing changed."
                ) from None
            if result.returncode != 0:
                raise PromptError(f"MFA code entry for {role.name} was cancelled; nothing changed.")
            return result.stdout.strip()
    raise PromptError(
        f"Role {role.name} needs an MFA code and no dialog tool (zenity or kdialog) is "
        f"installed — install zenity, or run `roletray assume {role.name} --mfa-code CODE`."
    )
