"""A YubiKey's OATH code through ``ykman oath accounts code --single ACCOUNT``.

The account is ``ykman_account`` from the config, else the role's MFA serial
(the name aws-vault and the AWS docs suggest when adding the key). When the
account needs a touch, ykman says so on stderr; that line becomes a
notification, since the tray has no terminal to show it on.
"""

from __future__ import annotations

import shutil
import subprocess
import threading

from tray_app.config import Role
from tray_app.errors import PromptError
from tray_app.prompt import PromptCancelled, Tell

TIMEOUT = 60  # a touch not given by then is a cancel


def command(role: Role, account: str) -> list[str]:
    return ["ykman", "oath", "accounts", "code", "--single", account or str(role.mfa_serial)]


def ask_mfa_code(role: Role, account: str, tell: Tell) -> str:
    argv = command(role, account)
    if not shutil.which(argv[0]):
        raise PromptError(
            f"Role {role.name} needs an MFA code and mfa_prompt is ykman, which is not "
            "installed — install yubikey-manager, or choose another mfa_prompt."
        )
    process = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    said: list[str] = []
    reader = threading.Thread(target=_relay_touch, args=(process, role, tell, said), daemon=True)
    reader.start()
    try:
        process.wait(TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise PromptCancelled(f"No YubiKey touch for {role.name}; nothing changed.") from None
    reader.join(5)
    code = process.stdout.read().strip() if process.stdout else ""
    if process.returncode != 0:
        why = said[-1][:120] if said else f"exit status {process.returncode}"
        raise PromptError(
            f"ykman gave no code for {role.name} ({why}) — check the YubiKey is plugged in and "
            f"that `ykman oath accounts list` shows {argv[-1]} (else set ykman_account)."
        )
    return code


def _relay_touch(process: subprocess.Popen[str], role: Role, tell: Tell, said: list[str]) -> None:
    for line in process.stderr or ():
        said.append(line.strip())
        if "touch" in line.lower():
            tell(f"Touch your YubiKey for the MFA code of {role.name}.")
