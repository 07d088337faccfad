"""The end of a Linux desktop session, through GNOME's session manager when it runs.

GNOME (and desktops that run gnome-session) ask registered clients before
logging out: ``QueryEndSession`` (we never object), then ``EndSession`` (quit
now; answer once clean-up is done) or ``Stop``. This is what GtkApplication's
``register-session`` does; pystray uses no GtkApplication, so we register
ourselves. Elsewhere the session's end is SIGTERM from systemd-logind or SIGHUP.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

log = logging.getLogger(__name__)
MANAGER = "org.gnome.SessionManager"
CLIENT = "org.gnome.SessionManager.ClientPrivate"
TIMEOUT_MS = 2000


class SessionClient:
    def __init__(self, bus: object, path: str, quit: Callable[[], None]) -> None:
        self.bus = bus
        self.path = path
        self.quit = quit
        self.ending = False

    def on_signal(self, name: str) -> None:
        if name == "QueryEndSession":
            self._respond()  # we never hold up a logout
        elif name in ("EndSession", "Stop"):
            log.info("desktop session ending (%s): quitting", name)
            self.ending = name == "EndSession"
            self.quit()

    def finished(self) -> None:
        """Clean-up is done: let the session manager go on."""
        if self.ending:
            self.ending = False
            self._respond()

    def _respond(self) -> None:
        from gi.repository import Gio, GLib

        self.bus.call_sync(  # type: ignore[attr-defined]
            MANAGER, self.path, CLIENT, "EndSessionResponse",
            GLib.Variant("(bs)", (True, "")), None, Gio.DBusCallFlags.NONE, TIMEOUT_MS, None,
        )  # fmt: skip


def watch_session_end(quit: Callable[[], None]) -> SessionClient | None:
    """Register with gnome-session if it is on the session bus; None where it is not."""
    try:
        from gi.repository import Gio, GLib

        bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        owner = bus.call_sync(
            "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
            "NameHasOwner", GLib.Variant("(s)", (MANAGER,)), GLib.VariantType("(b)"),
            Gio.DBusCallFlags.NONE, TIMEOUT_MS, None,
        )  # fmt: skip
        if not owner.unpack()[0]:
            return None
        reply = bus.call_sync(
            MANAGER, "/org/gnome/SessionManager", MANAGER, "RegisterClient",
            GLib.Variant("(ss)", ("roletray", os.environ.get("DESKTOP_AUTOSTART_ID", ""))),
            GLib.VariantType("(o)"), Gio.DBusCallFlags.NONE, TIMEOUT_MS, None,
        )  # fmt: skip
    except Exception as exc:  # no bus, no GLib: signals still cover us
        log.debug("session manager not used: %s", exc)
        return None
    client = SessionClient(bus, reply.unpack()[0], quit)
    bus.signal_subscribe(
        MANAGER, CLIENT, None, client.path, None, Gio.DBusSignalFlags.NONE,
        lambda *args: client.on_signal(args[4]),
    )  # fmt: skip
    log.info("registered with the session manager as %s", client.path)
    return client
