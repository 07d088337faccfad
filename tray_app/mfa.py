"""MFA codes: one prompt at a time per device, and never the same code twice.

AWS refuses a TOTP code that was already used. When two roles (or a renewal
and a click) need a code from one device, the second waits for the first; if a
code was used in the current 30-second window, the next prompt waits for the
next window and says so ("waiting for the next code") instead of sending a
code AWS would reject. A code typed twice is caught here, not by AWS.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tray_app.config import Role, Settings
from tray_app.errors import PromptError
from tray_app.prompt import MfaPrompt, Tell, no_prompt

log = logging.getLogger(__name__)
STEP = 30  # seconds per TOTP code (RFC 6238's default, and every authenticator's)
REMEMBER = 3  # windows a used code stays refused (AWS accepts a code ±1 window)
TRIES = 3
_CODE = re.compile(r"\d{6}")


class MfaNeeded(PromptError):
    """A code is needed but nobody may be asked now (an auto-refresh)."""

    def __init__(self, role: Role) -> None:
        super().__init__(
            f"Role {role.name} needs a new MFA code — renew it from the RoleTray menu to enter one."
        )
        self.role = role.name
        self.keyset = role.keys


class KeyedLocks:
    """One lock per name (an MFA device, a key set), made on first use."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def __call__(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())


@dataclass(frozen=True)
class _Used:
    code: str
    window: int


class MfaCodes:
    def __init__(
        self,
        prompt_for: Callable[[Settings], MfaPrompt] = lambda _settings: no_prompt,
        tell: Tell = log.info,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        step: float = STEP,
    ) -> None:
        self.prompt_for = prompt_for
        self.tell = tell
        self.clock, self.sleep, self.step = clock, sleep, step
        self._lock_for = KeyedLocks()
        self._used: dict[str, _Used] = {}

    def code(
        self, role: Role, settings: Settings, given: str | None = None, interactive: bool = True
    ) -> str:
        """A fresh code for ``role``'s device: ``given`` (checked), else asked for."""
        serial = str(role.mfa_serial)
        with self._lock_for(serial):
            if given is not None:
                code = _checked(role, given)
                if self._reused(serial, code):
                    raise PromptError(
                        f"Role {role.name}: that MFA code was just used, and AWS accepts a code "
                        "once — wait for the next code and try again."
                    )
            elif not interactive:
                raise MfaNeeded(role)
            else:
                code = self._ask(role, settings)
            self._used[serial] = _Used(code, self._window())
            return code

    def _ask(self, role: Role, settings: Settings) -> str:
        prompt = self.prompt_for(settings)
        for _ in range(TRIES):
            self._wait_for_next_window(role)
            code = _checked(role, prompt(role))
            if not self._reused(str(role.mfa_serial), code):
                return code
            self.tell(f"That MFA code for {role.name} was just used — enter the next one.")
        raise PromptError(
            f"Role {role.name}: the MFA code entered was already used {TRIES} times — wait for "
            "your authenticator to show a new code and try again."
        )

    def _wait_for_next_window(self, role: Role) -> None:
        used = self._used.get(str(role.mfa_serial))
        if used is None or used.window < self._window():
            return
        wait = (used.window + 1) * self.step - self.clock()
        self.tell(f"Waiting {math.ceil(wait)} s for the next MFA code for {role.name}.")
        self.sleep(wait + 0.2)

    def _reused(self, serial: str, code: str) -> bool:
        used = self._used.get(serial)
        return used is not None and used.code == code and self._window() - used.window < REMEMBER

    def _window(self) -> int:
        return int(self.clock() // self.step)


def _checked(role: Role, code: str) -> str:
    code = code.strip()
    if not _CODE.fullmatch(code):
        raise PromptError(
            f"Role {role.name}: an MFA code is 6 digits from your authenticator — "
            "try again with the current code."
        )
    return code


def refuse_code_without_mfa(role: Role, mfa_code: str | None) -> None:
    if mfa_code is not None and not role.mfa_serial:
        raise PromptError(
            f"Role {role.name} has no MFA device (mfa_serial) — drop --mfa-code, or set "
            f"--mfa-serial with `roletray roles add {role.name} …`; nothing was changed."
        )
