"""MFA code prompts, one module per driver, chosen by name (like aws-vault's prompt/)."""

from __future__ import annotations

from collections.abc import Callable

from tray_app.config import Role
from tray_app.errors import PromptError

MfaPrompt = Callable[[Role], str]


def no_prompt(role: Role) -> str:
    raise PromptError(
        f"Role {role.name} needs an MFA code for {role.mfa_serial} — pass --mfa-code CODE."
    )


def get_prompt(name: str) -> MfaPrompt:
    if name == "terminal":
        from tray_app.prompt.terminal import ask_mfa_code

        return ask_mfa_code
    if name == "dialog":
        from tray_app.prompt.dialog import ask_mfa_code as ask_in_dialog

        return ask_in_dialog
    if name == "none":
        return no_prompt
    raise PromptError(f"Unknown MFA prompt '{name}' — use terminal, dialog or none.")
