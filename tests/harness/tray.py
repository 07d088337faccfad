"""Driving the roletray tray process on the virtual desktop, as a person would.

The tray publishes what it shows (``ROLETRAY_OBSERVE``, see
``tray_app/tray/observer.py``): the menu as applied on its UI thread, whether it
is open, each action the menu dispatched, and when its next planned change is
due. Items are found by their label in that menu, never by position; the keys a
person would press to reach them are worked out from it, and each step waits
on an event (the menu window appearing, the action arriving), not on a sleep.
"""

from __future__ import annotations

import configparser
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.harness.desktop import Desktop, wait_for
from tray_app.credentials_file import CredentialsFile

QUIET = 3.0  # seconds without a planned menu change needed before opening the menu
MENU_TRIES, MENU_WAIT = 3, 8.0  # right-clicks on the icon, and seconds each waits for the menu


def matches(label: str, wanted: str) -> bool:
    """``wanted`` is a whole label, or the role/item name before " — status" or " (…)"."""
    return label == wanted or label.startswith((f"{wanted} — ", f"{wanted} ("))


def keys_to(menu: list[dict[str, Any]], path: tuple[str, ...]) -> list[str]:
    """The keys that reach ``path`` in a GTK menu just opened with the mouse.

    GTK skips separators and disabled items; Down from a fresh menu selects the
    first item; Right opens a submenu with its first item selected.
    """
    keys: list[str] = []
    items = menu
    for depth, wanted in enumerate(path):
        usable = [i for i in items if not i.get("separator") and i["enabled"]]
        found = [n for n, item in enumerate(usable) if matches(item["label"], wanted)]
        if len(found) != 1:
            labels = [i.get("label") for i in items]
            raise AssertionError(f"{wanted!r} is not one enabled item of {labels}")
        index = found[0]
        keys += ["Down"] * (index + 1) if depth == 0 else ["Down"] * index
        items = usable[index]["children"]
        keys.append("Right" if depth < len(path) - 1 else "Return")
    return keys


@dataclass
class Tray:
    home: Any  # tests.conftest.Home
    desktop: Desktop
    proc: subprocess.Popen
    log: Path
    shots: Path
    observe: Path

    # -- what the tray shows ------------------------------------------------------
    def state(self) -> dict[str, Any]:
        try:
            return json.loads(self.observe.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def menu(self) -> list[dict[str, Any]]:
        return self.state().get("menu", [])

    def menu_labels(self) -> list[str]:
        return [i["label"] for i in self.menu() if not i.get("separator")]

    def actions(self) -> list[list[str]]:
        return self.state().get("actions", [])

    def wait_label(self, label: str, timeout: float = 30) -> None:
        wait_for(lambda: label in self.menu_labels(), f"the menu to show {label!r}", timeout)

    def icon(self) -> dict[str, int]:
        icons: list[dict[str, int]] = []
        wait_for(lambda: bool(icons.extend(self.desktop.tray_icons()) or icons), "the tray icon")
        return icons[0]

    # -- acting -------------------------------------------------------------------
    def choose(self, *path: str, busy_ok: bool = False) -> list[str]:
        """Open the menu, pick the item at ``path`` by label; return the action it dispatched.

        ``busy_ok``: do not wait for roles in flight to finish first (quit mid-call).
        """
        self._wait_settled(busy_ok)
        keys = keys_to(self.menu(), path)
        before = len(self.actions())
        windows = self.desktop.visible_windows()
        self._open_menu(windows)
        self.shot("menu-" + "-".join(p.split()[0] for p in path))
        self.desktop.keys(*keys)
        wait_for(lambda: len(self.actions()) > before, f"the menu to dispatch {path}")
        wait_for(lambda: not self.desktop.popups(windows), "the menu to close")
        return self.actions()[before]

    def _open_menu(self, windows: set[str]) -> None:
        """Right-click the icon until its menu shows. A click that lands just as the tray
        swaps in a new menu (its labels changed) opens none: a person clicks again."""
        for attempt in range(1, MENU_TRIES + 1):
            self.desktop.click_icon(self.icon(), button=3)
            try:
                wait_for(lambda: self.desktop.popups(windows), "the menu to open", MENU_WAIT)
                return
            except TimeoutError:
                if attempt == MENU_TRIES:
                    raise

    def _wait_settled(self, busy_ok: bool = False) -> None:
        """No role in flight, the menu closed, and no label change due within QUIET s."""

        def settled() -> bool:
            state = self.state()
            busy = not busy_ok and any("working…" in label for label in self.menu_labels())
            soon = state.get("quiet_until", 0) - time.time() < QUIET
            return bool(state) and not busy and not state.get("menu_open") and not soon

        wait_for(settled, "the tray to settle", timeout=60)

    def dialog(self, title: str) -> Callable[[], bool]:
        """Wait for roletray's dialog ``title`` (a regex), give it the keyboard (there is no
        window manager to), and return a check that it is still shown."""

        def shown() -> bool:
            return bool(self.desktop.windows_named(title))

        wait_for(shown, f"the {title!r} dialog")
        self.shot("dialog")
        window = self.desktop.windows_named(title)[-1]
        self.desktop.run("xdotool", "windowfocus", "--sync", window, check=False)
        return shown

    def shot(self, name: str) -> Path:
        return self.desktop.screenshot(self.shots / f"{name}.png")

    def profile(self, name: str) -> Any:
        return CredentialsFile(self.home.credentials).managed_profiles().get(name)

    def key_id(self, profile: str) -> str | None:
        """The profile's access key id as botocore's parser reads it: a renewal changes it."""
        parser = configparser.RawConfigParser()
        parser.read(self.home.credentials)
        return parser.get(profile, "aws_access_key_id", fallback=None)


def start_demo(home: Any, desktop: Desktop, tmp_path: Path) -> tuple[Tray, Path]:
    """`roletray demo` on the desktop, its menu drawn; the tray and its credentials file."""
    out, observe = tmp_path / "demo.out", tmp_path / "observe.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tray_app", "--verbose", "demo"],
        env={**home.env, **desktop.env, "ROLETRAY_OBSERVE": str(observe)},
        stdout=out.open("w"),
        stderr=subprocess.STDOUT,
        cwd=home.root,
    )
    tray = Tray(home, desktop, proc, out, tmp_path, observe)
    tray.wait_label("demo-admin — not assumed")
    found = re.search(r"credentials file: (\S+)", out.read_text())
    assert found is not None, out.read_text()
    return tray, Path(found.group(1))


def assert_demo_left_nothing(home: Any, credentials: Path) -> None:
    """The demo's temp dir (config, credentials) and its keyring item are gone."""
    assert not credentials.parent.exists(), "the demo's temp dir is gone"
    assert home.keyring.lookup("roletray", "roletray-demo") is None, "its key left the keyring"
