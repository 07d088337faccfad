"""Start the tray: one instance per user, a backend that has a menu, a clean quit.

Importing this package imports no toolkit; ``pystray`` is loaded by ``run``
only (it fails at import time without a display).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from tray_app.engine import Engine
from tray_app.errors import RoleTrayError

log = logging.getLogger(__name__)
BACKEND_HELP = (
    "install AppIndicator support — on Debian/Ubuntu: `sudo apt install "
    "gir1.2-ayatanaappindicator3-0.1 gir1.2-gtk-3.0 libgirepository1.0-dev libcairo2-dev` "
    "then `pip install 'roletray[gtk]'`"
)


def run(engine: Engine, instance: str = "tray") -> int:
    """Run the tray until Quit; 0 also when another instance already runs."""
    lock = FileLock(_runtime_dir() / f"{instance}.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(f"roletray: the {instance} is already running.")
        return 0
    try:
        pystray = load_pystray()
        from tray_app.notify import get_notifier
        from tray_app.notify.pystray_notify import PystrayNotifier
        from tray_app.prompt import get_prompt
        from tray_app.tray.controller import Controller
        from tray_app.tray.ui import TrayUI

        engine.mfa_prompt = get_prompt("dialog")
        controller = Controller(engine)
        ui = TrayUI(controller, pystray)
        controller.notifier = get_notifier("auto", fallback=PystrayNotifier(ui.icon))
        log.info("notifications: %s", type(controller.notifier).__name__)
        _quit_on_sigterm(controller.request_quit, ui.wake)
        ui.run()
        return 0
    finally:
        lock.release()


def load_pystray() -> Any:
    """pystray with a backend that has a menu, or one sentence saying what to install."""
    linux = sys.platform.startswith("linux")
    if linux and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise RoleTrayError(
            "No desktop session (DISPLAY and WAYLAND_DISPLAY are unset) — start roletray from "
            "your desktop; the CLI commands work without one."
        )
    try:
        import pystray
    except Exception as exc:  # Xlib raises DisplayNameError and friends, not ImportError
        raise RoleTrayError(
            f"Cannot start the tray ({type(exc).__name__}) — check that your desktop session "
            f"is reachable, or {BACKEND_HELP}."
        ) from None
    backend = pystray.Icon.__module__.rsplit("_", 1)[-1]
    log.info("tray backend: %s", backend)
    if backend == "xorg":
        # pystray 0.19.5's xorg icon has no menu and never receives clicks (upstream #151).
        raise RoleTrayError(
            "Only pystray's xorg backend is available, which has no menu and ignores clicks "
            f"— {BACKEND_HELP}."
        )
    return pystray


def _runtime_dir() -> Path:
    base = os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(base) / "roletray" if base else Path(tempfile.gettempdir()) / _private_name()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _private_name() -> str:
    uid = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return f"roletray-{uid}"


def _quit_on_sigterm(request_quit: Any, wake: Any) -> None:
    """SIGTERM quits like the menu does (clear-on-quit runs, threads stop)."""

    def handler(*_: object) -> bool:
        request_quit()
        wake()
        return True

    try:
        from gi.repository import GLib  # the GTK loop would delay a Python handler

        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, handler)
    except ImportError:
        signal.signal(signal.SIGTERM, handler)
