"""desktop-notifier on its own asyncio loop thread (it needs a running loop).

On Linux this is the freedesktop Notifications D-Bus service (dunst, GNOME
Shell, KDE Plasma …) with real action buttons; on Windows, toast notifications.
On macOS desktop-notifier needs a signed app bundle or drops everything, so the
tray falls back to pystray's notify there.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from tray_app.notify import Button

log = logging.getLogger(__name__)
SEND_TIMEOUT = 5.0
PROBE_TIMEOUT = 3.0
SERVICE = "org.freedesktop.Notifications"


class DesktopNotifierDriver:
    supports_buttons = True
    where = "desktop"

    def __init__(self, app_name: str = "RoleTray", icon: Path | None = None) -> None:
        if sys.platform == "darwin":
            raise RuntimeError("desktop-notifier needs a signed app bundle on macOS")
        from desktop_notifier import DesktopNotifier, Icon

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="notifier", daemon=True)
        self._thread.start()
        if sys.platform.startswith("linux"):
            self._prove_service()
        self._notifier = DesktopNotifier(
            app_name=app_name, app_icon=Icon(path=icon) if icon else None
        )

    def _prove_service(self) -> None:
        """desktop-notifier connects on first send; find out now, not at the first failure."""
        future = asyncio.run_coroutine_threadsafe(_service_present(), self._loop)
        try:
            present = future.result(PROBE_TIMEOUT)
        except Exception as exc:  # no session bus, or it does not answer
            self.close()
            raise RuntimeError(
                f"no notification service (the session bus is unreachable: {type(exc).__name__})"
            ) from None
        if not present:
            self.close()
            raise RuntimeError(f"no notification service ({SERVICE} has no owner on the bus)")

    def notify(self, title: str, body: str, buttons: Sequence[Button] = ()) -> None:
        from desktop_notifier import Button as DnButton

        dn_buttons = [DnButton(title=label, on_pressed=action) for label, action in buttons]
        future = asyncio.run_coroutine_threadsafe(
            self._notifier.send(title=title, message=body, buttons=dn_buttons), self._loop
        )
        future.add_done_callback(_log_failure)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(SEND_TIMEOUT)


def _log_failure(future: object) -> None:
    exc = future.exception()  # type: ignore[attr-defined]
    if exc is not None:
        log.warning("notification not shown: %s", type(exc).__name__)


async def _service_present() -> bool:
    """Someone owns the freedesktop Notifications name, or the bus can start one."""
    from dbus_fast import Message
    from dbus_fast.aio import MessageBus

    bus = await MessageBus().connect()
    try:
        for method, args in (("NameHasOwner", [SERVICE]), ("ListActivatableNames", [])):
            reply = await bus.call(
                Message(
                    destination="org.freedesktop.DBus",
                    path="/org/freedesktop/DBus",
                    interface="org.freedesktop.DBus",
                    member=method,
                    signature="s" if args else "",
                    body=args,
                )
            )
            value = reply.body[0] if reply and reply.body else None
            if value is True or (isinstance(value, list) and SERVICE in value):
                return True
        return False
    finally:
        bus.disconnect()
