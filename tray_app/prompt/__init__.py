"""MFA code prompts, one module per driver, chosen by name (like aws-vault's prompt/).

``terminal`` (the CLI), ``dialog`` (zenity, kdialog, osascript), ``tk`` (a
portable Tk dialog in a subprocess), ``none``; ``desktop`` is the tray's
default: the desktop's own dialog where one exists, else the Tk one.
"""

from __future__ import annotations

from collections.abc import Callable

from tray_app.config import Role
from tray_app.errors import PromptError

MfaPrompt = Callable[[Role], str]
NAMES = ("terminal", "dialog", "tk", "desktop", "none")


def no_prompt(role: Role) -> str:
    raise PromptError(
        f"Role {role.name} needs an MFA code for {role.mfa_serial} — pass --mfa-code CODE."
    )


def desktop_prompt(role: Role) -> str:
    """The desktop's own dialog (zenity, kdialog, osascript) if installed, else Tk's."""
    from tray_app.prompt import dialog, tk

    command = dialog.available(role) or tk.command(role)
    return dialog.run_dialog(command, role)


def get_prompt(name: str) -> MfaPrompt:
    if name == "terminal":
        from tray_app.prompt.terminal import ask_mfa_code

        return ask_mfa_code
    if name == "dialog":
        from tray_app.prompt.dialog import ask_mfa_code as ask_in_dialog

        return ask_in_dialog
    if name == "tk":
        from tray_app.prompt.tk import ask_mfa_code as ask_in_tk

        return ask_in_tk
    if name == "desktop":
        return desktop_prompt
    if name == "none":
        return no_prompt
    raise PromptError(f"Unknown MFA prompt '{name}' — use {', '.join(NAMES)}.")
