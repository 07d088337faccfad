"""XDG autostart: $XDG_CONFIG_HOME/autostart/roletray.desktop, with the tray's icon."""

from __future__ import annotations

import os
import re
from pathlib import Path

from tray_app.atomicfile import atomic_write, os_errors_as
from tray_app.errors import ConfigError

NAME = "roletray.desktop"


def folder() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return Path(base) / "autostart"


def icon_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return Path(base) / "icons" / "hicolor" / "64x64" / "apps" / "roletray.png"


def desktop_entry(command: list[str], icon: Path) -> str:
    """The entry (Desktop Entry Specification 1.4); Exec quoted as the spec asks."""
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Version=1.4",
            "Name=RoleTray",
            "GenericName=AWS role sessions",
            "Comment=Assume AWS IAM roles from the tray; keys stay in the OS keyring",
            f"Exec={_exec(command)}",
            f"Icon={icon}",
            "Terminal=false",
            "Categories=Utility;",
            "X-GNOME-Autostart-enabled=true",
            "",
        ]
    )


_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def _exec(command: list[str]) -> str:
    """Exec's quoting: reserved characters → the argument in double quotes, with " ` $ \\
    escaped; % doubled; then the string escape of backslashes (the spec's own order)."""
    return " ".join(_quote(arg) for arg in command).replace("\\", "\\\\")


def _quote(arg: str) -> str:
    arg = arg.replace("%", "%%")
    if not any(ch in _RESERVED for ch in arg):
        return arg
    return '"' + re.sub(r'(["`$\\])', r"\\\1", arg) + '"'


def enable(command: list[str]) -> Path:
    from tray_app.tray.icon import IconState, render

    icon = icon_path()
    path = folder() / NAME
    with os_errors_as(ConfigError, path):
        icon.parent.mkdir(parents=True, exist_ok=True)
        render(IconState.IDLE, 64).save(icon)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, desktop_entry(command, icon).encode(), mode=0o644)
    return path


def disable() -> Path | None:
    path = folder() / NAME
    if not path.exists():
        return None
    with os_errors_as(ConfigError, path):
        path.unlink()
    return path


def status() -> Path | None:
    path = folder() / NAME
    return path if path.exists() else None
