"""A real (virtual) desktop: Xvfb, trayer as the tray host, dunst as the notification server.

dunst runs on the same private D-Bus bus as gnome-keyring; a dunst rule runs a
recorder script for every notification it *displays*, so tests read what
really arrived (not what the app thinks it sent). Actions are taken the way a
user takes them: dunstctl opens the notification's context menu and the dmenu
script picks the button by its label. Every process is stopped by its PID.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.harness.keyring_bus import KeyringBus, stop_process

RECORDER = """#!/bin/sh
# dunst runs this for every notification it shows.
printf '{"id": "%s", "app": "%s", "summary": "%s", "body": "%s"}\\n' \\
  "$DUNST_ID" "$DUNST_APP_NAME" "$DUNST_SUMMARY" "$(printf %s "$DUNST_BODY" | tr '\\n"' ' ')" \\
  >> "{log}"
"""
DMENU = """#!/bin/sh
# dunst's context menu: choose the line whose label is in {choice}.
grep -m1 -F "$(cat "{choice}")"
"""
DUNSTRC = """[global]
    dmenu = {dmenu}
    mouse_left_click = do_action, close_current
    sort = no
[urgency_low]
    timeout = 0
[urgency_normal]
    timeout = 0
[urgency_critical]
    timeout = 0
[record]
    summary = "*"
    script = {recorder}
"""


SNI_BACKGROUND = "#202020"  # the SNI bar's colour: the icon is what differs from it


class Desktop:
    """``host``: "xembed" (trayer, the XEmbed system tray of older panels and the
    AppIndicator fallback) or "sni" (gtk-sni-tray-standalone with its own
    StatusNotifierWatcher: how KDE, and GNOME with the AppIndicator extension, host
    icons; the host draws the menu from D-Bus)."""

    def __init__(self, root: Path, bus: KeyringBus, host: str = "xembed") -> None:
        self.root = root
        self.bus = bus
        self.host = host
        self.display = ""
        self.procs: dict[str, subprocess.Popen] = {}
        self.log = root / "notifications.jsonl"
        self.choice = root / "dmenu-choice"

    @property
    def env(self) -> dict[str, str]:
        """What a client of this desktop needs: its display and its bus. Not the bus's
        XDG_RUNTIME_DIR: each test HOME has its own (the tray's lock and broker socket)."""
        bus = {k: v for k, v in self.bus.env.items() if k != "XDG_RUNTIME_DIR"}
        return {**bus, "DISPLAY": self.display, "NO_AT_BRIDGE": "1"}

    def start(self) -> Desktop:
        self.root.mkdir(parents=True, exist_ok=True)
        self._start_xvfb()
        # The desktop's own processes keep the bus's runtime dir, as a session would.
        environ = {**os.environ, **self.bus.env, **self.env}
        if self.host == "sni":
            self.procs["host"] = subprocess.Popen(
                ["gtk-sni-tray-standalone", "--watcher", "--bottom", "--end", "--size", "32",
                 "--color", SNI_BACKGROUND],
                env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            self._wait(
                lambda: self.bus.has_owner("org.kde.StatusNotifierWatcher"), "the watcher", 30
            )
        else:
            self.procs["host"] = subprocess.Popen(
                ["trayer", "--edge", "top", "--align", "right", "--SetDockType", "true",
                 "--widthtype", "request", "--height", "32", "--iconspacing", "4"],
                env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        self._start_dunst(environ)
        self._wait(lambda: self.panel() is not None, f"the {self.host} tray host's panel")
        return self

    def _start_xvfb(self) -> None:
        read, write = os.pipe()
        self.procs["xvfb"] = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as pipe:
            self.display = f":{pipe.readline().strip()}"

    def _start_dunst(self, environ: dict[str, str]) -> None:
        recorder, dmenu, rc = (
            self.root / "recorder.sh",
            self.root / "dmenu.sh",
            self.root / "dunstrc",
        )
        recorder.write_text(RECORDER.replace("{log}", str(self.log)))
        dmenu.write_text(DMENU.replace("{choice}", str(self.choice)))
        for script in (recorder, dmenu):
            script.chmod(0o755)
        rc.write_text(DUNSTRC.format(dmenu=dmenu, recorder=recorder))
        self.procs["dunst"] = subprocess.Popen(
            ["dunst", "-config", str(rc)],
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait(lambda: self.bus.has_owner("org.freedesktop.Notifications"), "dunst")

    def stop_notifications(self) -> None:
        """No notification service, as on a bare window manager."""
        stop_process(self.procs.pop("dunst", None))
        self._wait(lambda: not self.bus.has_owner("org.freedesktop.Notifications"), "dunst gone")

    def start_notifications(self) -> None:
        if "dunst" not in self.procs:
            self._start_dunst({**os.environ, **self.env})

    def stop(self) -> None:
        for name in ("dunst", "host", "xvfb"):
            stop_process(self.procs.pop(name, None))

    # -- looking -----------------------------------------------------------------
    def run(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(
            args, capture_output=True, text=True, env={**os.environ, **self.env}, timeout=30
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stderr.strip()}")
        return result.stdout

    def screenshot(self, path: Path) -> Path:
        self.run("import", "-window", "root", str(path))
        return path

    def panel(self) -> str | None:
        name = "^gtk-sni-tray-standalone$" if self.host == "sni" else "^panel$"
        found = self.run("xdotool", "search", "--onlyvisible", "--name", name, check=False)
        for window in found.split():
            geometry = self.geometry(window)
            if geometry and geometry["HEIGHT"] == 32:  # the bar, not a menu it shows
                return window
        return None

    def geometry(self, window: str) -> dict[str, int] | None:
        shell = self.run("xdotool", "getwindowgeometry", "--shell", window, check=False)
        values = dict(line.split("=", 1) for line in shell.split() if "=" in line)
        try:
            return {k: int(values[k]) for k in ("X", "Y", "WIDTH", "HEIGHT")}
        except (KeyError, ValueError):
            return None

    def visible_windows(self) -> set[str]:
        return set(self.windows_named(".*"))

    def windows_named(self, pattern: str) -> list[str]:
        """Visible windows whose title matches ``pattern`` (a regex), oldest first."""
        found = self.run("xdotool", "search", "--onlyvisible", "--name", pattern, check=False)
        return found.split()

    def popups(self, known: set[str]) -> list[str]:
        """Windows shown since ``known`` was taken that are big enough to be a menu: not
        dunst's notifications, and not roletray's own dialogs (titled "RoleTray…"), which
        a menu action may open before the menu has gone."""
        return [
            w
            for w in self.visible_windows() - known
            if (g := self.geometry(w))
            and g["WIDTH"] > 40
            and g["HEIGHT"] > 40
            and not self._not_a_menu(w)
        ]

    def _not_a_menu(self, window: str) -> bool:
        name = self.run("xdotool", "getwindowname", window, check=False).strip()
        return name == "Dunst" or name.startswith("RoleTray")

    def tray_icons(self) -> list[dict[str, int]]:
        """Geometry of every icon in the tray host."""
        panel = self.panel()
        if panel is None:
            return []
        if self.host == "sni":
            return self._sni_icons(panel)
        tree = self.run("xwininfo", "-id", panel, "-tree", check=False)
        icons = []
        for match in re.finditer(r"^\s+(0x[0-9a-f]+) .*?: \(.*?\)\s+(\d+)x(\d+)", tree, re.M):
            window, width, height = match.group(1), int(match.group(2)), int(match.group(3))
            if width > 4 and height > 4:
                shell = self.run("xdotool", "getwindowgeometry", "--shell", window, check=False)
                values = dict(line.split("=", 1) for line in shell.split() if "=" in line)
                icons.append({k: int(values[k]) for k in ("X", "Y", "WIDTH", "HEIGHT")})
        return icons

    def _sni_icons(self, panel: str) -> list[dict[str, int]]:
        """The SNI host draws icons inside its bar: find what differs from its background."""
        bar = self.geometry(panel)
        assert bar is not None
        shot = self.screenshot(self.root / "bar.png")
        crop = f"{bar['WIDTH']}x{bar['HEIGHT']}+{bar['X']}+{bar['Y']}"
        box = subprocess.run(
            ["convert", str(shot), "-crop", crop, "+repage", "-fuzz", "5%", "-trim",
             "-format", "%w %h %X %Y %W", "info:"],
            capture_output=True, text=True, timeout=30,
        ).stdout.split()  # fmt: skip
        if len(box) < 5 or int(box[0]) >= int(box[4]) or int(box[0]) < 8:
            return []  # nothing drawn yet (trim keeps the whole bar)
        width, height, x, y = (int(v.lstrip("+")) for v in box[:4])
        return [{"X": bar["X"] + x, "Y": bar["Y"] + y, "WIDTH": width, "HEIGHT": height}]

    def icon_pixels(self, icon: dict[str, int], path: Path) -> bytes:
        """The icon's pixels as RGB bytes, cut from a real screenshot."""
        shot = self.screenshot(path)
        crop = f"{icon['WIDTH']}x{icon['HEIGHT']}+{icon['X']}+{icon['Y']}"
        return subprocess.run(
            ["convert", str(shot), "-crop", crop, "+repage", "-depth", "8", "rgb:-"],
            capture_output=True,
            check=True,
            timeout=30,
        ).stdout

    # -- acting ------------------------------------------------------------------
    def click(self, x: int, y: int, button: int = 3) -> None:
        self.run("xdotool", "mousemove", str(x), str(y), "click", str(button))

    def click_icon(self, icon: dict[str, int], button: int = 3) -> None:
        self.click(icon["X"] + icon["WIDTH"] // 2, icon["Y"] + icon["HEIGHT"] // 2, button)

    def keys(self, *keys: str) -> None:
        self.run("xdotool", "key", "--delay", "100", *keys)

    # -- notifications -----------------------------------------------------------
    def notifications(self) -> list[dict[str, str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

    def wait_notification(self, pattern: str, timeout: float = 30) -> dict[str, str]:
        regex = re.compile(pattern)
        found: list[dict[str, str]] = []

        def arrived() -> bool:
            found[:] = [n for n in self.notifications() if regex.search(n["summary"])]
            return bool(found)

        self._wait(arrived, f"a notification matching {pattern!r}", timeout)
        return found[-1]

    def close_all(self) -> None:
        self.run("dunstctl", "close-all", check=False)

    def press_button(self, label: str, summary: str) -> None:
        """Open dunst's action menu and choose ``label`` of the notification ``summary``.

        dunst lists each button as ``#Label (Summary) [id,action]``; the dmenu
        script picks that line, as a user picks it in the menu.
        """
        self.choice.write_text(f"#{label} ({summary})")
        self.run("dunstctl", "context")

    def _wait(self, condition: Callable[[], object], what: str, timeout: float = 15) -> None:
        wait_for(condition, what, timeout)


def wait_for(condition: Callable[[], object], what: str, timeout: float = 20) -> None:
    """Poll ``condition`` every 0.1 s; TimeoutError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise TimeoutError(f"timed out waiting for {what}")
