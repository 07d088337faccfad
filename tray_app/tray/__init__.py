"""The tray shell: pystray loaded only where it can work, and where its lock lives.

Importing this package imports no toolkit; ``pystray`` is loaded by
``load_pystray`` only (it fails at import time without a display). The tray is
put together in ``tray_app.app``.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from tray_app.errors import RoleTrayError

log = logging.getLogger(__name__)
BACKEND_HELP = (
    "install AppIndicator support — on Debian/Ubuntu: `sudo apt install "
    "gir1.2-ayatanaappindicator3-0.1 gir1.2-gtk-3.0 libgirepository1.0-dev libcairo2-dev` "
    "then `pip install 'roletray[gtk]'`"
)


def load_pystray() -> Any:
    """pystray with a backend that has a menu, or one sentence saying what to install."""
    linux = sys.platform.startswith("linux")
    if linux and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise RoleTrayError(
            "No desktop session (DISPLAY and WAYLAND_DISPLAY are unset) — start roletray from "
            "your desktop; the CLI commands work without one."
        )
    if linux:
        # GTK 3 loads OpenGL (Mesa, and with it LLVM: ~45 MiB here) at start only to pick
        # GL-capable visuals; a tray icon and its menu draw nothing with GL.
        os.environ.setdefault("GDK_GL", "disable")
    try:
        import pystray
    except Exception as exc:  # Xlib raises DisplayNameError and friends, not ImportError
        raise RoleTrayError(
            f"Cannot start the tray ({type(exc).__name__}) — check that your desktop session "
            f"is reachable, or {BACKEND_HELP}."
        ) from None
    if backend_name(pystray) == "xorg":
        # pystray 0.19.5's xorg icon has no menu and never receives clicks (upstream #151).
        raise RoleTrayError(
            "Only pystray's xorg backend is available, which has no menu and ignores clicks "
            f"— {BACKEND_HELP}."
        )
    return pystray


def backend_name(pystray: Any) -> str:
    """pystray's backend: appindicator, gtk, xorg, darwin or win32."""
    return pystray.Icon.__module__.rsplit("_", 1)[-1]


def runtime_dir() -> Path:
    folder = runtime_path()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def runtime_path() -> Path:
    """Where the tray's lock and broker socket live (not made here)."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base:
        return Path(base) / "roletray"
    import tempfile  # here: it loads shutil, bz2, lzma and random (~3 ms of every command)

    return Path(tempfile.gettempdir()) / _private_name()


def _private_name() -> str:
    uid = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return f"roletray-{uid}"
