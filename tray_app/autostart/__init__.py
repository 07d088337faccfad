"""Start the tray at login, one module per OS, chosen here and nowhere else.

Linux (and other XDG desktops): an autostart ``.desktop`` file. macOS: a
LaunchAgent plist. Windows: the per-user Run key, pointing at ``roletrayw``
(no console window). Each module has ``enable(command)``, ``disable()`` and
``status()`` and builds what it writes with a pure function, tested here on
Linux for all three.
"""

from __future__ import annotations

import sys
from types import ModuleType


def for_platform(platform: str = sys.platform) -> ModuleType:
    if platform == "darwin":
        from tray_app.autostart import launch_agent

        return launch_agent
    if platform == "win32":
        from tray_app.autostart import run_key

        return run_key
    from tray_app.autostart import xdg

    return xdg


def tray_command(platform: str = sys.platform) -> list[str]:
    """How a login item starts the tray: ``roletrayw`` on Windows (no console)."""
    from tray_app.platform import roletray_command

    return roletray_command(platform, windowless=True)
