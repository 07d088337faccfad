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
    #: Where notices go, for the menu: "desktop", "tray" or "log".
    where: str

    def notify(self, title: str, body: str, buttons: Sequence[Button] = ()) -> None: ...
    def close(self) -> None: ...


class LogNotifier:
    """Where no notification service exists: the log still tells the story."""

    supports_buttons = False
    where = "log"

    def notify(self, title: str, body: str, buttons: Sequence[Button] = ()) -> None:
        log.warning("%s: %s", title, body)

    def close(self) -> None:
        pass


def get_notifier(name: str, fallbacks: Sequence[Callable[[], Notifier | None]] = ()) -> Notifier:
    """``desktop`` (desktop-notifier, with buttons) or ``log``; ``auto`` tries in order.

    ``auto``: the desktop's own service if it proves to be there, then each
    fallback (e.g. pystray's notify where the backend has one), then the log.
    """
    if name in ("desktop", "auto"):
        try:
            from tray_app.notify.desktop import DesktopNotifierDriver

            return DesktopNotifierDriver()
        except Exception as exc:  # missing package or no notification service
            if name == "desktop":
                raise
            log.warning("desktop notifications unavailable (%s); falling back", exc)
    for make in fallbacks if name == "auto" else ():
        notifier = make()
        if notifier is not None:
            return notifier
    return LogNotifier()
