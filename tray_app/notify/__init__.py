"""Desktop notifications, one module per driver, chosen by name.

The engine never notifies; the tray does, through this seam. Titles and bodies
are built from role names, profile names, times and the engine's one-sentence
errors: never from credentials.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol

log = logging.getLogger(__name__)
Button = tuple[str, Callable[[], None]]  # label, what pressing it does


class Notifier(Protocol):
    #: False where buttons cannot be shown (the caller then says how to act instead).
    supports_buttons: bool

    def notify(self, title: str, body: str, buttons: Sequence[Button] = ()) -> None: ...
    def close(self) -> None: ...


class LogNotifier:
    """Where no notification service exists: the log still tells the story."""

    supports_buttons = False

    def notify(self, title: str, body: str, buttons: Sequence[Button] = ()) -> None:
        log.warning("%s: %s", title, body)

    def close(self) -> None:
        pass


def get_notifier(name: str, fallback: Notifier | None = None) -> Notifier:
    """``desktop`` (desktop-notifier, with buttons) or ``log``; ``auto`` tries in order."""
    if name in ("desktop", "auto"):
        try:
            from tray_app.notify.desktop import DesktopNotifierDriver

            return DesktopNotifierDriver()
        except Exception as exc:  # missing package or no notification service
            if name == "desktop":
                raise
            log.info("desktop notifications unavailable (%s); falling back", exc)
    return fallback or LogNotifier()
