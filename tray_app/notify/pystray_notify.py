"""pystray's own notify(): no buttons, but works where desktop-notifier cannot (macOS)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tray_app.notify import Button


class PystrayNotifier:
    supports_buttons = False
    where = "tray"

    def __init__(self, icon: Any, call_on_ui: Callable[[Callable[[], None]], None]) -> None:
        self._icon = icon
        self._call_on_ui = call_on_ui  # AppKit's notify must run on the main thread

    @classmethod
    def usable(cls, icon: Any, call_on_ui: Callable[[Callable[[], None]], None]) -> Any:
        """The notifier, or None where this backend cannot notify."""
        return cls(icon, call_on_ui) if getattr(icon, "HAS_NOTIFICATION", False) else None

    def notify(self, title: str, body: str, buttons: Sequence[Button] = ()) -> None:
        self._call_on_ui(lambda: self._icon.notify(body, title))

    def close(self) -> None:
        pass
