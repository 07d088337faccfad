"""macOS: a LaunchAgent in ~/Library/LaunchAgents, run at load (that is, at login)."""

from __future__ import annotations

import os
import plistlib
from pathlib import Path

from tray_app.atomicfile import atomic_write, os_errors_as
from tray_app.errors import ConfigError

LABEL = "io.github.roletray.tray"


def path() -> Path:
    return Path(os.path.expanduser("~/Library/LaunchAgents")) / f"{LABEL}.plist"


def plist(command: list[str]) -> bytes:
    return plistlib.dumps(
        {
            "Label": LABEL,
            "ProgramArguments": command,
            "RunAtLoad": True,
            "KeepAlive": False,  # Quit means quit until the next login
            "ProcessType": "Interactive",  # a UI the user sees: not throttled
            "LimitLoadToSessionType": "Aqua",  # the graphical login, not ssh sessions
        }
    )


def enable(command: list[str]) -> Path:
    target = path()
    with os_errors_as(ConfigError, target):
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, plist(command), mode=0o644)
    return target


def disable() -> Path | None:
    target = path()
    if not target.exists():
        return None
    with os_errors_as(ConfigError, target):
        target.unlink()
    return target


def status() -> Path | None:
    target = path()
    return target if target.exists() else None
