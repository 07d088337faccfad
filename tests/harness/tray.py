"""Driving the roletray tray process on the virtual desktop, as a person would."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.harness.desktop import Desktop, wait_for
from tray_app.credentials_file import CredentialsFile


@dataclass
class Tray:
    home: Any  # tests.conftest.Home
    desktop: Desktop
    proc: subprocess.Popen
    log: Path
    shots: Path

    def icon(self) -> dict[str, int]:
        icons: list[dict[str, int]] = []
        wait_for(lambda: bool(icons.extend(self.desktop.tray_icons()) or icons), "the tray icon")
        return icons[0]

    def open_menu(self) -> None:
        self.desktop.click_icon(self.icon(), button=3)
        time.sleep(0.6)

    def choose(self, *keys: str) -> None:
        """Open the menu and press keys (Down, Up, Right, Return) as a user would.

        First let the menu settle: a rebuild (after an assume) closes an open menu.
        """
        wait_for(lambda: not any("working…" in x for x in self.menu_labels()), "idle menu")
        time.sleep(0.3)
        self.open_menu()
        self.desktop.keys(*keys)

    def shot(self, name: str) -> Path:
        return self.desktop.screenshot(self.shots / f"{name}.png")

    def profile(self, name: str) -> Any:
        return CredentialsFile(self.home.credentials).managed_profiles().get(name)

    def menu_labels(self) -> list[str]:
        lines = [ln for ln in self.log.read_text().splitlines() if "menu: " in ln]
        return lines[-1].split("menu: ", 1)[1].split(" | ") if lines else []
