"""Where the tray meets one OS's toolkit: chosen here, in one place.

A ``Bridge`` answers the few questions that differ per platform and per pystray
backend: how to run a UI change on the toolkit's thread (``call_on_ui``), which
thread may run the toolkit at all, and how the OS asks us to quit (signals,
console events, the end of the desktop session). Each module is small and
produces plain values (argv, handler tables, registered signals) that the tests
check here, since only Linux runs on these machines.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

UiCall = Callable[[], None]


def windowless_python(platform: str = sys.platform) -> str:
    """This Python, as ``pythonw.exe`` on Windows: a child process (a dialog, a login
    item) opens no console window."""
    python = sys.executable
    if platform == "win32" and python.lower().endswith("python.exe"):
        python = python[: -len("python.exe")] + "pythonw.exe"
    return python


def roletray_command(platform: str = sys.platform, windowless: bool = False) -> list[str]:
    """How another program starts roletray: the installed entry point beside this Python
    (``roletrayw`` on Windows when ``windowless``: no console), else ``python -m tray_app``."""
    import shutil  # here, not at the top: it loads bz2, lzma and zlib on every CLI run

    win = platform == "win32"
    name = ("roletrayw.exe" if windowless else "roletray.exe") if win else "roletray"
    scripts = Path(sys.executable).parent
    found = scripts / name if (scripts / name).exists() else shutil.which(name)
    if found:
        return [str(found)]
    python = windowless_python(platform) if windowless else sys.executable
    return [python, "-m", "tray_app"]


class Bridge(Protocol):
    #: True when pystray must run on the process's main thread (AppKit).
    needs_main_thread: bool

    def attach(self, icon: Any) -> None:
        """Hook into the pystray icon, once, right after it is made (main thread)."""

    def call_on_ui(self, fn: UiCall) -> None:
        """Run ``fn`` on the toolkit's thread, soon; never block the caller."""

    def install_quit(self, icon: Any, quit: UiCall) -> None:
        """Route every way the OS asks us to stop to ``quit``.

        Called on the main thread just before pystray's loop starts; a bridge whose
        toolkit resets handlers when its loop starts installs them from that loop.
        """

    def watch_menu(self, icon: Any, shown: Callable[[bool], None]) -> None:
        """Report when the menu opens or closes, where the toolkit can tell (UI thread)."""

    def finished(self) -> None:
        """Clean-up after a quit is done (a session manager waiting on us may go on)."""


def bridge_for(backend: str, platform: str = sys.platform) -> Bridge:
    """The bridge for pystray's ``backend`` (appindicator, gtk, darwin, win32, xorg)."""
    if backend in ("appindicator", "gtk"):
        from tray_app.platform.gtk import GtkBridge

        return GtkBridge()
    if backend == "darwin" or platform == "darwin":
        from tray_app.platform.darwin import DarwinBridge

        return DarwinBridge()
    if backend == "win32" or platform == "win32":
        from tray_app.platform.windows import WindowsBridge

        return WindowsBridge()
    from tray_app.platform.direct import DirectBridge

    return DirectBridge()
