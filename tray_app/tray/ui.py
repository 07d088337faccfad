"""Renders the controller's view with pystray, and runs the tick loop.

pystray's loop owns the main thread; the loop here runs in pystray's setup
thread and sleeps on an Event until the next due moment (or a state change
wakes it): no busy polling. It works out what changed in plain data, then hands
every toolkit call to ``bridge.call_on_ui`` (the main run loop on macOS, the
GLib loop on Linux, pystray's window thread on Windows): no UI call is made
from the loop thread itself. A menu the user has open is not rebuilt under
them; the change lands when it closes.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any

from tray_app.errors import RoleTrayError
from tray_app.platform import Bridge
from tray_app.tray.controller import Controller
from tray_app.tray.icon import IconState, render
from tray_app.tray.menu import SEPARATOR, Item, build_menu, countdown, overall_state, title
from tray_app.tray.observer import Observer

log = logging.getLogger(__name__)
ICON_SIZE = 64  # pystray scales it to the panel; 64 keeps the glyph crisp when it does
RING_STEPS = 24  # the countdown ring moves in steps: the icon changes at most this often


class TrayUI:
    def __init__(
        self,
        controller: Controller,
        pystray: Any,
        icon: Any,
        bridge: Bridge,
        wake: threading.Event,
        observer: Observer | None = None,
    ) -> None:
        self.controller = controller
        self.pystray = pystray
        self.icon = icon  # made (and attached to the bridge) by tray_app.app
        self.bridge = bridge
        self.observer = observer or Observer(None)
        self._wake = wake  # the controller's on_change sets it
        self._menu: tuple[Item, ...] | None = None
        self._menu_open = False
        self._held_back = False  # a menu change waits for the open menu to close
        self._clicked = False  # an item's action just ran (UI thread)
        if hasattr(icon, "update_menu"):
            icon.update_menu = self._rebuilt_unless_clicked(icon.update_menu)
        self._look: tuple[IconState, int | None] | None = None
        self._title = ""

    def run(self) -> None:
        """Blocks in the toolkit's main loop until Quit (or a quit signal)."""
        if (
            self.bridge.needs_main_thread
            and threading.current_thread() is not threading.main_thread()
        ):
            raise RoleTrayError(
                "The tray must run on the main thread on this OS (AppKit) — start it with "
                "`roletray`, not from a thread."
            )
        self.bridge.install_quit(self.icon, self.quit)
        try:
            self.icon.run(setup=self._loop)
        except Exception as exc:
            if not self.controller.quit_requested.is_set():
                raise
            # pystray's own teardown after our clean-up, e.g. its GTK finalize hides a
            # notification through a service that is not there: the quit itself is done.
            log.debug("toolkit teardown after quit: %s: %s", type(exc).__name__, exc)

    def quit(self) -> None:
        self.controller.request_quit()
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    def _loop(self, icon: Any) -> None:
        try:
            self._render()
            self.bridge.call_on_ui(lambda: setattr(icon, "visible", True))
            while not self.controller.quit_requested.is_set():
                timeout = self.controller.tick()
                self._render()
                self.observer.quiet_until(timeout)
                self._wake.wait(timeout)
                self._wake.clear()
                self._let_quick_work_end()
        except Exception:
            log.exception("tray loop failed")
        finally:
            try:
                self.controller.shutdown()
            finally:
                self.bridge.finished()
                self.bridge.call_on_ui(icon.stop)

    def _let_quick_work_end(self) -> None:
        """Hold the render while an assume begun moments ago may still end quickly (see
        QUICK_WORK): its end wakes us, and the tray then draws it once, done."""
        while not self.controller.quit_requested.is_set():
            hold = self.controller.settling()
            if hold <= 0:
                return
            if self._wake.wait(hold):
                self._wake.clear()

    def _render(self) -> None:
        """Work out what changed (here), apply it (on the UI thread)."""
        view = self.controller.view()
        menu = build_menu(view)
        if menu != self._menu:
            if self._menu_open:
                self._held_back = True
                if not self._menu_open:  # it closed meanwhile, before seeing the flag
                    self.wake()
            else:
                self._menu, self._held_back = menu, False
                log.debug("menu: %s", " | ".join(i.label for i in menu if i is not SEPARATOR))
                self.bridge.call_on_ui(lambda: self._apply_menu(menu))
        state, left = overall_state(view), countdown(view)
        look = (state, None if left is None else round(left * RING_STEPS))
        if look != self._look:
            self._look = look
            image = _icon(*look)
            log.debug("icon: %s", state)
            self.bridge.call_on_ui(lambda: self._apply_icon(image, state))
        text = title(view)
        if text != self._title:
            self._title = text
            self.bridge.call_on_ui(lambda: self._apply_title(text))

    # -- on the UI thread ------------------------------------------------------
    def _rebuilt_unless_clicked(self, rebuild: Any) -> Any:
        """pystray rebuilds the whole native menu after every item's action (for menus whose
        items compute their state when shown). Ours is replaced whole when the view changes:
        the rebuild after a click would only compete with the click's own work for the GIL,
        and swap in a menu nobody watches for open and close."""

        def update_menu() -> None:
            if self._clicked:
                self._clicked = False
                return
            rebuild()

        return update_menu

    def _apply_menu(self, menu: tuple[Item, ...]) -> None:
        if self._menu_open:  # opened since the render: hold it back until it closes
            self._menu, self._held_back = None, True
            return
        self.icon.menu = self.pystray.Menu(*(self._item(i) for i in menu))
        # pystray may defer its own rebuild to the same loop: watch and publish after it.
        self.bridge.call_on_ui(lambda: self._menu_applied(menu))

    def _menu_applied(self, menu: tuple[Item, ...]) -> None:
        self.bridge.watch_menu(self.icon, self._menu_shown)
        self.observer.menu_applied(menu)

    def _apply_icon(self, image: Any, state: IconState) -> None:
        self.icon.icon = image
        self.observer.update(icon=str(state))

    def _apply_title(self, text: str) -> None:
        self.icon.title = text
        self.observer.update(title=text)

    def _menu_shown(self, shown: bool) -> None:
        self._menu_open = shown
        self.observer.update(menu_open=shown)
        if not shown and self._held_back:
            self.wake()  # a change held back while it was open lands now

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
            self._clicked = True  # pystray's update_menu comes next: see _rebuilt_unless_clicked
            if action is not None:
                log.debug("menu action: %s %s", *action)
                self.observer.action(action)
                self.controller.dispatch(action)

        checked = item.checked
        return pystray.MenuItem(
            item.label,
            on_click,
            enabled=item.enabled,
            checked=(lambda _i: checked) if checked is not None else None,
        )


@functools.lru_cache(maxsize=8)
def _icon(state: IconState, step: int | None) -> Any:
    """The icon for one look, drawn once (0.8 ms each time otherwise): the same few looks
    recur, busy and its outcome on every click."""
    return render(state, ICON_SIZE, None if step is None else step / RING_STEPS)
