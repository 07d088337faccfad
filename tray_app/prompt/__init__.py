"""MFA code prompts, one module per driver, chosen by name (like aws-vault's prompt/).

Drivers: ``terminal`` (hidden, CLI only), ``zenity``, ``kdialog``, ``osascript``,
``tk`` (a portable dialog in its own process), ``ykman`` (a YubiKey's OATH
code), ``mfa_process`` (any command that prints a code), ``none``. The config's
``mfa_prompt`` picks one; ``auto`` is the best for the OS and the shell: the
terminal in the CLI, the desktop's own dialog in the tray (osascript on macOS,
zenity or kdialog on Linux, else Tk, which is also Windows').
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from tray_app.config import Role, Settings
from tray_app.errors import PromptError

MfaPrompt = Callable[[Role], str]
Tell = Callable[[str], None]  # a short status line for the user (a notification, stderr)


class PromptCancelled(PromptError):
    """The user closed the prompt: nothing to report beyond "cancelled"."""


def no_prompt(role: Role) -> str:
    raise PromptError(
        f"Role {role.name} needs an MFA code for {role.mfa_serial} — pass --mfa-code CODE."
    )


def driver_name(settings: Settings, shell: str, platform: str = sys.platform) -> str:
    """The driver ``settings.mfa_prompt`` means for this shell ("cli" or "tray") and OS."""
    name = settings.mfa_prompt
    if name == "terminal" and shell == "tray":
        name = "auto"  # a tray has no terminal to ask on
    if name != "auto":
        return name
    if shell == "cli":
        return "terminal"
    if platform == "darwin":
        return "osascript"
    if platform == "win32":
        return "tk"
    import shutil  # here: it loads bz2 and lzma, and only the tray on Linux needs it

    return next((tool for tool in ("zenity", "kdialog") if shutil.which(tool)), "tk")


def choose(settings: Settings, shell: str, tell: Tell) -> MfaPrompt:
    """The prompt callable for ``settings`` in this shell; ``tell`` shows status lines."""
    name = driver_name(settings, shell)
    if name in ("zenity", "kdialog", "osascript", "tk"):
        from tray_app.prompt import dialogs

        return dialogs.driver(name)
    if name == "terminal":
        from tray_app.prompt.terminal import ask_mfa_code

        return ask_mfa_code
    if name == "ykman":
        from tray_app.prompt import ykman

        return lambda role: ykman.ask_mfa_code(role, settings.ykman_account, tell)
    if name == "mfa_process":
        from tray_app.prompt import mfa_process

        return lambda role: mfa_process.ask_mfa_code(role, settings.mfa_process)
    return no_prompt
