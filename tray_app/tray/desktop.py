"""The two things the tray asks of the desktop: open a file, put text on the clipboard."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tray_app.errors import RoleTrayError

_COPY_COMMANDS = (
    ["wl-copy"],
    ["xclip", "-selection", "clipboard"],
    ["xsel", "--clipboard", "--input"],
    ["pbcopy"],
    ["clip"],
)


def open_path(path: Path) -> None:
    """Open with the user's default app (xdg-open, open, or the Windows shell)."""
    if sys.platform == "win32":
        os.startfile(path)  # type: ignore[attr-defined]
        return
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    if not shutil.which(opener):
        raise RoleTrayError(f"Cannot open {path}: {opener} is not installed — open it by hand.")
    subprocess.Popen([opener, str(path)], stdin=subprocess.DEVNULL, start_new_session=True)


def copy_text(text: str) -> None:
    """GTK's clipboard when the tray runs on GTK, else the platform's copy command."""
    if "gi.repository.Gtk" in sys.modules:
        _gtk_copy(text)
        return
    for command in _COPY_COMMANDS:
        if shutil.which(command[0]):
            subprocess.run(command, input=text, text=True, timeout=5, check=False)
            return
    raise RoleTrayError(f"No clipboard tool found — type it yourself: {text}")


def _gtk_copy(text: str) -> None:
    from gi.repository import Gdk, GLib, Gtk

    def copy() -> bool:
        clipboard = Gtk.Clipboard.get(Gdk.SELECTION_CLIPBOARD)
        clipboard.set_text(text, -1)
        clipboard.store()  # keep it after we exit, where a clipboard manager runs
        return False

    GLib.idle_add(copy)  # GTK objects belong to the main loop's thread
