"""Start the tray at login, one module per OS, chosen here and nowhere else.

Linux (and other XDG desktops): an autostart ``.desktop`` file. macOS: a
LaunchAgent plist. Windows: the per-user Run key, pointing at ``roletrayw``
(no console window). Each module has ``enable(command)``, ``disable()`` and
``status()`` and builds what it writes with a pure function, tested here on
Linux for all three.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
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
    """How to start the tray from a login item: the installed entry point beside this
    Python (``roletrayw`` on Windows: no console), else ``python -m tray_app``."""
    scripts = Path(sys.executable).parent
    name = "roletrayw.exe" if platform == "win32" else "roletray"
    found = scripts / name if (scripts / name).exists() else shutil.which(name)
    if found:
        return [str(found)]
    from tray_app.platform import windowless_python

    return [windowless_python(platform), "-m", "tray_app"]
