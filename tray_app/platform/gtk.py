"""Linux with pystray's GTK or AppIndicator backend (GLib main loop on the main thread).

pystray already defers its own setters to the GLib loop; ``call_on_ui`` does the
same for ours, so everything a frame shows is applied on the loop's thread, in
order. Quit signals are GLib sources (a Python handler would wait for the loop
to run Python), installed once the loop runs, because pystray resets SIGINT to
its default (kill, no clean-up) when it starts. The end of the desktop session
arrives as SIGTERM from systemd-logind, or through GNOME's session manager when
one is on the bus (``session.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from tray_app.platform import UiCall
from tray_app.platform.session import SessionClient, watch_session_end
from tray_app.platform.signals import QUIT_SIGNALS

log = logging.getLogger(__name__)


class GtkBridge:
    needs_main_thread = False  # GLib lets any thread own the default main context

    def __init__(self) -> None:
        from gi.repository import GLib

        self._glib = GLib
        self._session: SessionClient | None = None

    def attach(self, icon: Any) -> None:
        pass

    def call_on_ui(self, fn: UiCall) -> None:
        def once() -> bool:
            try:
                fn()
            except Exception:
                log.exception("UI update failed")
            return False  # run once

        self._glib.idle_add(once)

    def install_quit(self, icon: Any, quit: UiCall) -> None:
        self.call_on_ui(lambda: self._install(quit))

    def _install(self, quit: UiCall) -> None:
        def handler(*_: object) -> bool:
            quit()
            return True  # keep the source: a second Ctrl+C is still ours

        for number in QUIT_SIGNALS:
            self._glib.unix_signal_add(self._glib.PRIORITY_HIGH, number, handler)
        self._session = watch_session_end(quit)

    def finished(self) -> None:
        if self._session is not None:
            self._session.finished()

    def watch_menu(self, icon: Any, shown: Callable[[bool], None]) -> None:
        """Follow the Gtk.Menu pystray built (XEmbed/GTK icons show it themselves).

        With a StatusNotifierItem host the host draws the menu from D-Bus and this
        menu is never shown; nothing to watch then.
        """
        menu = getattr(icon, "_menu_handle", None)
        if menu is None or not hasattr(menu, "connect"):
            return
        if getattr(menu, "_roletray_watched", False):
            return
        menu._roletray_watched = True
        menu.connect("show", lambda *_: shown(True))
        menu.connect("hide", lambda *_: shown(False))
