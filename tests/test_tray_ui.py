"""What the tray draws around a click: the real TrayUI loop, controller and engine, with a
toolkit that records what it is given and an STS the test holds or lets answer.

A click that ends quickly is drawn once, done: no busy icon flashes by, and no render
competes with the click. A slow one shows busy. pystray's rebuild of its menu after an
item's action is skipped. A menu change waits while the menu is open and lands when
it closes. (The same on the real desktop: test_tray_desktop.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness.settled import Settled
from tests.test_engine import NOW, FakeSts, MemoryKeystore
from tests.test_platform import fake_pystray
from tray_app.config import ConfigStore, KeySet, Role
from tray_app.credentials_file import CredentialsFile
from tray_app.engine import Engine
from tray_app.sts import AssumeRequest, SigningKey
from tray_app.tray import controller as controller_module
from tray_app.tray.controller import Controller
from tray_app.tray.ui import TrayUI

ARN = "arn:aws:iam::123456789012:role/Admin"
WAIT = 10.0


class HeldSts(FakeSts):
    """Answers once ``answer`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.answer = threading.Event()
        self.answer.set()

    def assume_role(self, key: SigningKey, request: AssumeRequest) -> Any:
        assert self.answer.wait(WAIT), "the test never let STS answer"
        return super().assume_role(key, request)


class Seen(Settled):
    """Every icon state and menu the UI applied, in order; and when the loop is at rest."""

    def __init__(self, controller: Controller, wake: threading.Event) -> None:
        super().__init__(controller, wake)
        self.icons: list[str] = []
        self.menus: list[list[str]] = []

    def update(self, **changes: Any) -> None:
        if "icon" in changes:
            self.icons.append(changes["icon"])
        self.noted()

    def menu_applied(self, menu: tuple[Any, ...]) -> None:
        self.menus.append([getattr(item, "label", "") for item in menu])
        self.noted()

    def role(self) -> str:
        """The role's label in the latest menu applied."""
        return next(label for label in self.menus[-1] if label.startswith("prod — "))

    def wait(self, what: Callable[[], bool], timeout: float = WAIT) -> bool:
        return super().wait(what, timeout)


class Toolkit:
    """A pystray icon and a bridge in one: UI calls run in place; the menu's open and
    close are reported by the test; update_menu counts pystray's rebuilds."""

    needs_main_thread = False

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self.rebuilds = 0
        self.shown: Callable[[bool], None] | None = None
        self.icon: Any = None
        self.menu: Any = None
        self.title = ""
        self.visible = False

    def update_menu(self) -> None:
        self.rebuilds += 1

    def run(self, setup: Callable[[Any], None]) -> None:
        threading.Thread(target=setup, args=(self,), daemon=True).start()
        self.stopped.wait(WAIT * 3)

    def stop(self) -> None:
        self.stopped.set()

    # the bridge
    def attach(self, icon: Any) -> None:
        pass

    def call_on_ui(self, fn: Callable[[], None]) -> None:
        fn()

    def install_quit(self, icon: Any, quit: Callable[[], None]) -> None:
        pass

    def watch_menu(self, icon: Any, shown: Callable[[bool], None]) -> None:
        self.shown = shown

    def finished(self) -> None:
        pass


@pytest.fixture
def sts() -> HeldSts:
    return HeldSts()


@pytest.fixture
def tray(tmp_path: Path, sts: HeldSts) -> Iterator[tuple[TrayUI, Toolkit, Seen]]:
    store = ConfigStore(tmp_path / "config.toml")
    store.put_keyset(KeySet("work", "AKIAFAKEFAKEFAKEFAKE"))
    store.put_role(Role("prod", ARN, "work", duration=3600))
    keystore = MemoryKeystore()
    keystore.set("work", "secret")
    engine = Engine(
        store, keystore, lambda _c: sts, CredentialsFile(tmp_path / "creds"), clock=lambda: NOW
    )
    toolkit, wake = Toolkit(), threading.Event()
    controller = Controller(engine, on_change=wake.set)
    seen = Seen(controller, wake)
    ui = TrayUI(controller, fake_pystray(), toolkit, toolkit, wake, seen)
    runner = threading.Thread(target=ui.run, daemon=True)
    runner.start()
    assert seen.wait(lambda: bool(seen.icons) and bool(seen.menus)), "the first frame"
    # Parked once (its first tick has started what it starts), then after those jobs.
    at_rest = seen.settled(WAIT) and controller.wait_idle(WAIT) and seen.settled(WAIT)
    assert at_rest, "the tray at rest"
    yield ui, toolkit, seen
    ui.quit()
    runner.join(WAIT)


def click(toolkit: Toolkit, label: str) -> None:
    """As pystray does on a click: the item's action, then its own update_menu."""
    item = next(i for i in toolkit.menu.items if getattr(i, "label", "").startswith(label))
    item.action(toolkit, item)
    toolkit.update_menu()


def test_a_quick_click_is_drawn_once_done_and_never_busy(
    tray: tuple[TrayUI, Toolkit, Seen], sts: HeldSts, monkeypatch: pytest.MonkeyPatch
) -> None:
    ui, toolkit, seen = tray
    monkeypatch.setattr(controller_module, "QUICK_WORK", WAIT * 3)  # "quick": any fake call
    holding = threading.Event()
    settling = ui.controller.settling

    def noted() -> float:
        hold = settling()
        if hold > 0:
            holding.set()
        return hold

    monkeypatch.setattr(ui.controller, "settling", noted)
    sts.answer.clear()
    before = len(seen.icons)
    click(toolkit, "prod — ")
    assert holding.wait(WAIT), "the loop holds its render while the click is in flight"
    sts.answer.set()
    # Drawn when the job ends, well before QUICK_WORK has passed.
    assert seen.wait(lambda: "active" in seen.icons[before:]), seen.icons
    assert "busy" not in seen.icons, seen.icons
    assert seen.wait(lambda: seen.role().startswith("prod — 1 h")), seen.menus


def test_a_slow_click_shows_busy_until_it_ends(
    tray: tuple[TrayUI, Toolkit, Seen], sts: HeldSts, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, toolkit, seen = tray
    monkeypatch.setattr(controller_module, "QUICK_WORK", 0.05)
    sts.answer.clear()
    click(toolkit, "prod — ")
    assert seen.wait(lambda: "busy" in seen.icons), seen.icons
    assert seen.wait(lambda: seen.role() == "prod — working…"), seen.menus
    sts.answer.set()
    assert seen.wait(lambda: seen.icons[-1] == "active"), seen.icons


def test_pystrays_rebuild_after_a_click_is_skipped_and_ours_are_not(
    tray: tuple[TrayUI, Toolkit, Seen],
) -> None:
    _, toolkit, _ = tray
    rebuilds = toolkit.rebuilds
    click(toolkit, "About")
    assert toolkit.rebuilds == rebuilds, "the rebuild pystray makes after an action"
    toolkit.update_menu()  # as pystray's menu setter calls it
    assert toolkit.rebuilds == rebuilds + 1


def test_a_change_waits_while_the_menu_is_open_and_lands_when_it_closes(
    tray: tuple[TrayUI, Toolkit, Seen],
) -> None:
    ui, toolkit, seen = tray
    assert toolkit.shown is not None, "the UI watches the menu it applied"
    toolkit.shown(True)
    shown_menus = len(seen.menus)
    click(toolkit, "prod — ")
    assert seen.wait(lambda: "active" in seen.icons), "the icon still changes"
    assert ui.controller.wait_idle(WAIT)
    assert len(seen.menus) == shown_menus, "no menu swapped under the user"
    toolkit.shown(False)
    assert seen.wait(lambda: seen.role().startswith("prod — 1 h")), seen.menus
