"""macOS: AppKit objects may be touched only on the main thread.

pystray's darwin backend applies ``icon``, ``menu``, ``title`` and ``notify`` on
the calling thread, so every UI change is sent to the main run loop with
``AppHelper.callAfter``, and the tray refuses to start off the main thread.
Quit signals are Mach-port handlers (PyObjCTools.MachSignals), which run on the
main run loop; pystray's own SIGINT handler terminates NSApp at once, skipping
our clean-up, so ours replace it once the loop runs. Logout, restart and shut
down announce themselves with NSWorkspaceWillPowerOffNotification.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tray_app.platform import UiCall
from tray_app.platform.signals import QUIT_SIGNALS

POWER_OFF = "NSWorkspaceWillPowerOffNotification"


class DarwinBridge:
    needs_main_thread = True

    def __init__(
        self, app_helper: Any = None, mach_signals: Any = None, appkit: Any = None
    ) -> None:
        if app_helper is None:
            import AppKit
            from PyObjCTools import AppHelper, MachSignals

            app_helper, mach_signals, appkit = AppHelper, MachSignals, AppKit
        self._helper = app_helper
        self._signals = mach_signals
        self._appkit = appkit
        self._observer: object = None

    def attach(self, icon: Any) -> None:
        pass

    def call_on_ui(self, fn: UiCall) -> None:
        self._helper.callAfter(fn)

    def install_quit(self, icon: Any, quit: UiCall) -> None:
        self.call_on_ui(lambda: self._install(quit))

    def _install(self, quit: UiCall) -> None:
        for number in QUIT_SIGNALS:
            self._signals.signal(number, lambda *_: quit())
        center = self._appkit.NSWorkspace.sharedWorkspace().notificationCenter()
        self._observer = center.addObserverForName_object_queue_usingBlock_(
            POWER_OFF, None, None, lambda _note: quit()
        )

    def watch_menu(self, icon: Any, shown: Callable[[bool], None]) -> None:
        pass

    def finished(self) -> None:
        pass
