"""The dialog drivers (zenity, kdialog, osascript, tk): each builds an argv, one runner runs it.

The code comes back on the tool's stdout and never enters argv; nothing the user
typed or configured is interpolated into script text. Each tool's argv lives in
its own module; this one only picks the module and runs what it builds.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
from collections.abc import Callable

from tray_app.config import Role
from tray_app.errors import PromptError

TIMEOUT = 120
INSTALL = {"zenity": "zenity", "kdialog": "kdialog", "osascript": "osascript (macOS only)"}


def question(role: Role) -> str:
    return f"MFA code for {role.name} ({role.mfa_serial})"


def driver(name: str) -> Callable[[Role], str]:
    """``name``'s module builds the argv; the tool must be installed (tk always is)."""
    module = importlib.import_module(f"tray_app.prompt.{name}")

    def ask(role: Role) -> str:
        command = module.command(role)
        if name in INSTALL and not shutil.which(command[0]):
            raise PromptError(
                f"Role {role.name} needs an MFA code and mfa_prompt is {name}, which is not "
                f'installed — install {INSTALL[name]}, or set mfa_prompt = "auto" with '
                "`roletray settings set mfa_prompt auto`."
            )
        return run_dialog(command, role)

    return ask


def run_dialog(command: list[str], role: Role) -> str:
    from tray_app.prompt import PromptCancelled

    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise PromptCancelled(f"No MFA code entered for {role.name}; nothing changed.") from None
    if result.returncode != 0:
        raise PromptCancelled(f"MFA code entry for {role.name} was cancelled; nothing changed.")
    return result.stdout.strip()
