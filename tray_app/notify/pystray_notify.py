"""pystray's own notify(): no buttons, but works where desktop-notifier cannot (macOS)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tray_app.notify import Button


class PystrayNotifier:
    supports_buttons = False

    def __init__(self, icon: Any) -> None:
        self._icon = icon

    def notify(self, title: str, body: str, buttons: Sequence[Button] = ()) -> None:
        if getattr(self._icon, "HAS_NOTIFICATION", False):
            self._icon.notify(body, title)

    def close(self) -> None:
        pass
