"""Renders the controller's view with pystray, and runs the tick loop.

pystray's loop owns the main thread; the loop here runs in pystray's setup
thread and sleeps on an Event until the next due moment (or a state change
wakes it): no busy polling. The menu is rebuilt only when its model changed.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from tray_app.tray.controller import Controller
from tray_app.tray.icon import IconState, render
from tray_app.tray.menu import SEPARATOR, Item, build_menu, countdown, overall_state, title

log = logging.getLogger(__name__)
ICON_SIZE = 64  # pystray scales it to the panel; 64 keeps the glyph crisp when it does


class TrayUI:
    def __init__(self, controller: Controller, pystray: Any) -> None:
        self.controller = controller
        self.pystray = pystray
        self._wake = threading.Event()
        self._menu: tuple[Item, ...] | None = None
        self._look: tuple[IconState, int | None] | None = None
        self.icon = pystray.Icon("roletray", render(IconState.IDLE, ICON_SIZE), "RoleTray")
        controller.on_change = self.wake

    def run(self) -> None:
        """Blocks in the toolkit's main loop until Quit."""
        self.icon.run(setup=self._loop)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self, icon: Any) -> None:
        try:
            self._render()
            icon.visible = True
            while not self.controller.quit_requested.is_set():
                timeout = self.controller.tick()
                self._render()
                self._wake.wait(timeout)
                self._wake.clear()
        except Exception:
            log.exception("tray loop failed")
        finally:
            self.controller.shutdown()
            icon.stop()

    def _render(self) -> None:
        view = self.controller.view()
        menu = build_menu(view)
        if menu != self._menu:
            self._menu = menu
            log.debug("menu: %s", " | ".join(i.label for i in menu if i is not SEPARATOR))
            self.icon.menu = self.pystray.Menu(*(self._item(i) for i in menu))
        state, left = overall_state(view), countdown(view)
        look = (state, None if left is None else round(left * 24))  # 24 ring steps
        if look != self._look:
            self._look = look
            self.icon.icon = render(state, ICON_SIZE, left)
            log.debug("icon: %s", state)
        text = title(view)
        if text != self.icon.title:
            self.icon.title = text

    def _item(self, item: Item) -> Any:
        pystray = self.pystray
        if item == SEPARATOR:
            return pystray.Menu.SEPARATOR
        if item.children:
            return pystray.MenuItem(
                item.label, pystray.Menu(*(self._item(c) for c in item.children))
            )
        action = item.action

        def on_click(_icon: Any, _item: Any) -> None:
            if action is not None:
                self.controller.dispatch(action)

        checked = item.checked
        return pystray.MenuItem(
            item.label,
            on_click,
            enabled=item.enabled,
            checked=(lambda _i: checked) if checked is not None else None,
        )
