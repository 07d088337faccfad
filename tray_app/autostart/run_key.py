"""Windows: the per-user Run key, HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run."""

from __future__ import annotations

import subprocess
from typing import Any

from tray_app.errors import ConfigError

KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
VALUE = "RoleTray"


def value(command: list[str]) -> str:
    """The command line Windows runs at login, quoted as CreateProcess parses it."""
    return subprocess.list2cmdline(command)


def _winreg() -> Any:
    import winreg  # only on Windows; tests pass a stand-in module

    return winreg


def enable(command: list[str], winreg: Any = None) -> str:
    reg = winreg or _winreg()
    try:
        with reg.CreateKey(reg.HKEY_CURRENT_USER, KEY) as key:
            reg.SetValueEx(key, VALUE, 0, reg.REG_SZ, value(command))
    except OSError as exc:
        raise ConfigError(f"Cannot write HKCU\\{KEY}\\{VALUE}: {exc.strerror}.") from None
    return f"HKCU\\{KEY}\\{VALUE}"


def disable(winreg: Any = None) -> str | None:
    reg = winreg or _winreg()
    try:
        with reg.OpenKey(reg.HKEY_CURRENT_USER, KEY, 0, reg.KEY_SET_VALUE) as key:
            reg.DeleteValue(key, VALUE)
    except FileNotFoundError:
        return None
    return f"HKCU\\{KEY}\\{VALUE}"


def status(winreg: Any = None) -> str | None:
    reg = winreg or _winreg()
    try:
        with reg.OpenKey(reg.HKEY_CURRENT_USER, KEY) as key:
            return str(reg.QueryValueEx(key, VALUE)[0])
    except FileNotFoundError:
        return None
