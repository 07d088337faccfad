"""Ask on the terminal, the code hidden; refuse (never block) when there is none."""

from __future__ import annotations

import getpass
import sys

from tray_app.config import Role
from tray_app.errors import PromptError
from tray_app.prompt import PromptCancelled, no_prompt


def ask_mfa_code(role: Role) -> str:
    if not sys.stdin.isatty():
        return no_prompt(role)
    try:
        return getpass.getpass(f"MFA code for {role.name} ({role.mfa_serial}): ").strip()
    except (EOFError, KeyboardInterrupt):
        raise PromptCancelled(f"No MFA code entered for {role.name}; nothing changed.") from None


def read_secret(label: str) -> str:
    """The secret from a hidden prompt on a terminal, else the first line of stdin."""
    try:
        if sys.stdin.isatty():
            return getpass.getpass(f"Secret access key for {label}: ").strip()
        return sys.stdin.readline().strip()
    except (EOFError, KeyboardInterrupt):
        raise PromptError("No secret access key entered; nothing was stored.") from None
