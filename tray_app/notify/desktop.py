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


class DesktopNotifierDriver:
    supports_buttons = True

    def __init__(self, app_name: str = "RoleTray", icon: Path | None = None) -> None:
        if sys.platform == "darwin":
            raise RuntimeError("desktop-notifier needs a signed app bundle on macOS")
        from desktop_notifier import DesktopNotifier, Icon

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="notifier", daemon=True)
        self._thread.start()
        self._notifier = DesktopNotifier(
            app_name=app_name, app_icon=Icon(path=icon) if icon else None
        )

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
