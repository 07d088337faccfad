"""Any command that prints the current code (a password manager's CLI, a TOTP tool).

``mfa_process`` in the config is split like a shell would (no shell runs it);
the role's name and MFA serial come in the environment as ROLETRAY_ROLE and
ROLETRAY_MFA_SERIAL, and the code is the last line it prints.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

from tray_app.config import Role
from tray_app.errors import PromptError
from tray_app.prompt import PromptCancelled

TIMEOUT = 60


def argv(command: str) -> list[str]:
    return shlex.split(command, posix=sys.platform != "win32")


def ask_mfa_code(role: Role, command: str) -> str:
    if not command.strip():
        raise PromptError(
            f"Role {role.name} needs an MFA code and mfa_prompt is mfa_process, but no command "
            'is set — run `roletray settings set mfa_process "COMMAND"`.'
        )
    env = {**os.environ, "ROLETRAY_ROLE": role.name, "ROLETRAY_MFA_SERIAL": str(role.mfa_serial)}
    try:
        result = subprocess.run(
            argv(command), stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=TIMEOUT, env=env,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise PromptCancelled(f"mfa_process gave no code for {role.name} in {TIMEOUT} s.") from None
    except OSError as exc:
        raise PromptError(
            f"mfa_process cannot run ({exc.strerror}) — check the command with "
            "`roletray settings get mfa_process`."
        ) from None
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise PromptError(
            f"mfa_process gave no code for {role.name} (exit status {result.returncode}) — run "
            "the command by hand to see why."
        )
    return lines[-1].strip()
