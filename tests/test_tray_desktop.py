"""The tray on a real virtual desktop: Xvfb + trayer + dunst + gnome-keyring + moto.

A person's actions, a person's view: xdotool right-clicks the icon trayer
docked and walks the GTK menu with the keyboard; dunst shows the notifications
and its context menu presses their buttons; screenshots are kept under the
test's temp dir (never in git); the AWS CLI reads the profile the click wrote.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import TRAY_EXTERNAL_ID, Home
from tests.harness.desktop import Desktop
from tests.harness.fault_proxy import FaultProxy
from tests.harness.keyring_bus import stop_process
from tests.harness.tray import Tray, assert_demo_left_nothing, start_demo, wait_for
from tray_app import __version__

pytestmark = [
    pytest.mark.real,
    pytest.mark.skipif(not shutil.which("Xvfb"), reason="needs Xvfb: run tests/run.sh"),
]
# Every desktop test runs under both tray hosts: XEmbed (trayer; the menu is the
# tray's own GTK menu) and StatusNotifierItem (the host draws the menu from D-Bus).
both_hosts = pytest.mark.parametrize("tray_host", ["xembed", "sni"], indirect=True)
EXTERNAL_ID = TRAY_EXTERNAL_ID


def _mean_colour(pixels: bytes) -> tuple[int, int, int]:
    count = len(pixels) // 3
    return tuple(sum(pixels[i::3]) // count for i in range(3))  # type: ignore[return-value]


def icon_turns(tray: Tray, name: str, colour: Callable[[int, int, int], bool]) -> bytes:
    """Wait until the icon as the host draws it on screen has ``colour``; its pixels."""
    seen: list[bytes] = []

    def drawn() -> bool:
        seen[:] = [tray.desktop.icon_pixels(tray.icon(), tray.shots / f"{name}.png")]
        return colour(*_mean_colour(seen[0]))

    wait_for(drawn, f"the icon to turn {name}")
    return seen[0]


@both_hosts
def test_icon_appears_menu_lists_roles_and_a_click_writes_the_profile(
    start_tray: Callable[..., Tray], proxy: FaultProxy
) -> None:
    tray = start_tray(extra_roles=(("other", "--external-id", EXTERNAL_ID),))
    icon = tray.icon()
    assert icon["WIDTH"] >= 16 and icon["HEIGHT"] >= 16
    idle = tray.desktop.icon_pixels(icon, tray.shots / "idle.png")
    assert len(set(idle)) > 2, "the icon is drawn, not blank"
    labels = tray.menu_labels()
    assert labels[:2] == ["app — not assumed", "other — not assumed"]
    assert labels[-1] == "Quit" and "Role actions" in labels

    assert tray.choose("other") == ["assume", "other"]
    wait_for(lambda: tray.profile("other"), "profile [other] to be written")
    assert tray.profile("app") is None, "only the clicked role was assumed"
    arn = tray.home.caller_arn("other", endpoint=proxy.url)
    assert ":assumed-role/tray-alice" in arn
    ready = tray.desktop.wait_notification(r"^other ready until \d\d:\d\d$")
    assert "Profile other is ready" in ready["body"]
    tray.wait_label("other — 15 min left")
    active = icon_turns(tray, "active", lambda r, g, b: g > r and g > b)  # green
    assert active != idle
    maps = Path(f"/proc/{tray.proc.pid}/maps").read_text()
    assert "libLLVM" not in maps and "_dri.so" not in maps, "GTK loaded OpenGL (GDK_GL)"


@both_hosts
def test_warning_arrives_before_expiry_and_its_renew_button_renews(
    start_tray: Callable[..., Tray],
) -> None:
    tray = start_tray(settings="warn_before = 895")  # 900 s sessions: warn after ~5 s
    tray.choose("app")
    wait_for(lambda: tray.profile("app"), "profile [app]")
    first = tray.key_id("app")
    tray.desktop.wait_notification(r"^app ready")
    tray.desktop.close_all()
    warning = tray.desktop.wait_notification(r"^app expires in 15 min$")
    assert "Profile app expires at" in warning["body"]
    tray.shot("warning")
    icon_turns(tray, "expiring", lambda r, g, b: r > b and g > b)  # amber

    tray.desktop.press_button("Renew", warning["summary"])
    wait_for(
        lambda: tray.key_id("app") not in (None, first),
        "the Renew button to write new credentials",
    )
    assert tray.proc.poll() is None


@both_hosts
def test_a_failure_is_one_sentence_in_a_notification_and_the_tray_keeps_running(
    start_tray: Callable[..., Tray],
) -> None:
    tray = start_tray(extra_roles=(("bad", "--external-id", "wrong-external-id"),))
    tray.choose("bad")
    failed = tray.desktop.wait_notification(r"^bad failed$")
    assert failed["body"].startswith("AccessDenied assuming bad:")
    assert "external_id" in failed["body"]
    tray.wait_label("bad — failed — see notification")
    icon_turns(tray, "error", lambda r, g, b: r > g and r > b)  # red
    assert tray.proc.poll() is None and tray.profile("bad") is None


@both_hosts
def test_quit_ends_the_process_and_a_second_start_says_already_running(
    start_tray: Callable[..., Tray], home: Home, desktop: Desktop
) -> None:
    tray = start_tray(settings="clear_on_quit = true")
    second = subprocess.run(
        [sys.executable, "-m", "tray_app"],
        env={**home.env, **desktop.env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert second.returncode == 0 and "already running" in second.stdout
    tray.choose("app")
    wait_for(lambda: tray.profile("app"), "profile [app]")
    tray.choose("Quit")
    assert tray.proc.wait(15) == 0
    assert tray.profile("app") is None, "clear_on_quit removed the profile"
    threads = [ln for ln in tray.log.read_text().splitlines() if "Traceback" in ln]
    assert threads == []


@both_hosts
def test_copy_export_puts_the_line_on_the_clipboard(start_tray: Callable[..., Tray]) -> None:
    if not shutil.which("xclip"):
        pytest.skip("needs xclip to read the clipboard: run tests/run.sh")
    tray = start_tray()
    assert tray.choose("Role actions", "app", "Copy export AWS_PROFILE=app") == ["copy", "app"]

    def clipboard() -> str:
        return tray.desktop.run("xclip", "-selection", "clipboard", "-o", check=False)

    wait_for(lambda: clipboard() == "export AWS_PROFILE=app", "the clipboard to hold the line")


def test_no_display_and_xorg_only_are_refused_with_the_fix(home: Home, desktop: Desktop) -> None:
    no_display = home.roletray()
    assert no_display.returncode == 1 and "No desktop session" in no_display.stderr
    xorg = subprocess.run(
        [sys.executable, "-m", "tray_app"],
        env={**home.env, **desktop.env, "PYSTRAY_BACKEND": "xorg"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert xorg.returncode == 1
    assert "xorg backend" in xorg.stderr and "gir1.2-ayatanaappindicator3-0.1" in xorg.stderr
    assert os.environ.get("DISPLAY") is None  # the test process itself never had one


@both_hosts
def test_demo_runs_anywhere_and_cleans_up(home: Home, desktop: Desktop, tmp_path: Path) -> None:
    desktop.close_all()
    tray, creds = start_demo(home, desktop, tmp_path)
    try:
        text = tray.log.read_text()
        url = re.search(r"local STS at (http://127\.0\.0\.1:\d+)", text).group(1)  # type: ignore[union-attr]
        assert "demo key stored in the OS keyring" in text
        assert home.keyring is not None and home.keyring.lookup("roletray", "roletray-demo")
        tray.shot("demo")
        tray.choose("demo-admin")  # it needs an external ID
        wait_for(lambda: creds.exists() and "[demo-admin]" in creds.read_text(), "the demo profile")
        home.extra_env = {"AWS_SHARED_CREDENTIALS_FILE": str(creds)}
        arn = home.caller_arn("demo-admin", endpoint=url)
        assert arn.startswith("arn:aws:sts::123456789012:assumed-role/DemoAdmin/demo-user")
        desktop.wait_notification(r"^demo-admin ready")
        tray.choose("Quit")
        assert tray.proc.wait(20) == 0
    finally:
        stop_process(tray.proc)
    assert_demo_left_nothing(home, creds)


@both_hosts
def test_open_config_about_and_the_backend_log(
    start_tray: Callable[..., Tray], tmp_path: Path
) -> None:
    shim = tmp_path / "bin"
    shim.mkdir()
    opened = tmp_path / "opened.txt"
    (shim / "xdg-open").write_text(f'#!/bin/sh\nprintf %s "$1" > "{opened}"\n')
    (shim / "xdg-open").chmod(0o755)
    tray = start_tray(env={"PATH": f"{shim}:{os.environ['PATH']}"})
    assert "tray backend: appindicator" in tray.log.read_text()
    assert "notifications: DesktopNotifierDriver" in tray.log.read_text()
    tray.choose("Open config file")
    wait_for(opened.exists, "xdg-open to be called")
    assert opened.read_text() == str(tray.home.config)
    tray.choose(f"About RoleTray {__version__}")
    about = tray.desktop.wait_notification(r"^RoleTray \d+\.\d+\.\d+$")
    assert str(tray.home.config) in about["body"]


def test_after_a_click_that_changes_nothing_the_open_menu_is_still_seen(
    start_tray: Callable[..., Tray],
) -> None:
    """pystray rebuilds its native menu after every item's action. The tray watches the
    menu it shows (a change waits while the menu is open); after a click that changes
    nothing it must still see that menu open and close."""
    tray = start_tray()
    tray.choose(f"About RoleTray {__version__}")
    tray.desktop.wait_notification(r"^RoleTray \d+\.\d+\.\d+$")
    windows = tray.desktop.visible_windows()
    tray.desktop.click_icon(tray.icon(), button=3)
    wait_for(lambda: tray.desktop.popups(windows), "the menu to open")
    wait_for(lambda: tray.state().get("menu_open"), "the tray to see its menu open")
    tray.desktop.keys("Escape")
    wait_for(lambda: not tray.state().get("menu_open"), "the tray to see its menu close")
