"""Show the user a report (an import plan, the doctor's findings) and, optionally, ask.

The dialog is the tray's MFA dialog tool (``mfa_prompt``; zenity, kdialog,
osascript or Tk, whichever the desktop has); each tool's module builds its argv.
Runs in its own process, never on the tray's thread.
"""

from __future__ import annotations

import importlib
import subprocess

from tray_app.config import Settings
from tray_app.errors import PromptError
from tray_app.prompt import driver_name

TIMEOUT = 600
DIALOGS = ("zenity", "kdialog", "osascript", "tk")


def ask(settings: Settings, title: str, text: str, ok: str | None = None) -> bool:
    """True when the user pressed ``ok`` (with ``ok=None``: a report that is only closed)."""
    name = driver_name(settings, "tray")
    if name not in DIALOGS:  # ykman, mfa_process, none: no window of their own
        name = driver_name(Settings(), "tray")
    module = importlib.import_module(f"tray_app.prompt.{name}")
    argv, stdin = module.report_command(title, text, ok)
    try:
        result = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return False
    except OSError as exc:
        raise PromptError(
            f"Cannot show the {title} dialog: {argv[0]} does not run ({exc.strerror}) — install "
            "zenity (or kdialog), or set mfa_prompt to one that is installed."
        ) from None
    return result.returncode == 0 and ok is not None
