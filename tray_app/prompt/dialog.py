"""Ask for the MFA code in the desktop's own dialog: zenity, kdialog or osascript.

The code comes back on the tool's stdout and never enters argv; nothing the
user typed or configured is interpolated into script text (osascript gets the
question as an argument of its ``on run`` handler).
"""

from __future__ import annotations

import shutil
import subprocess

from tray_app.config import Role
from tray_app.errors import PromptError

TIMEOUT = 120
OSASCRIPT = (
    "on run argv",
    'text returned of (display dialog (item 1 of argv) default answer "" with title "RoleTray" '
    "with hidden answer)",
    "end run",
)


def question(role: Role) -> str:
    return f"MFA code for {role.name} ({role.mfa_serial})"


def commands(role: Role) -> list[list[str]]:
    text = question(role)
    script = [arg for line in OSASCRIPT for arg in ("-e", line)]
    return [
        ["zenity", "--entry", "--title=RoleTray", f"--text={text}"],
        ["kdialog", "--title", "RoleTray", "--inputbox", text],
        ["osascript", *script, text],
    ]


def available(role: Role) -> list[str] | None:
    return next((c for c in commands(role) if shutil.which(c[0])), None)


def run_dialog(command: list[str], role: Role) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise PromptError(f"No MFA code entered for {role.name}; nothing changed.") from None
    if result.returncode != 0:
        raise PromptError(f"MFA code entry for {role.name} was cancelled; nothing changed.")
    return result.stdout.strip()


def ask_mfa_code(role: Role) -> str:
    command = available(role)
    if command is None:
        raise PromptError(
            f"Role {role.name} needs an MFA code and no dialog tool (zenity or kdialog) is "
            f"installed — install zenity, or run `roletray assume {role.name} --mfa-code CODE`."
        )
    return run_dialog(command, role)
