"""A backend whose toolkit calls are safe from any thread (or that has no loop of its own)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tray_app.platform import UiCall
from tray_app.platform.signals import install_python_handlers


class DirectBridge:
    needs_main_thread = False

    def attach(self, icon: Any) -> None:
        pass

    def call_on_ui(self, fn: UiCall) -> None:
        fn()

    def install_quit(self, icon: Any, quit: UiCall) -> None:
        install_python_handlers(quit)

    def watch_menu(self, icon: Any, shown: Callable[[bool], None]) -> None:
        pass

    def finished(self) -> None:
        pass
