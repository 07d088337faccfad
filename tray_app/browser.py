"""Open a console sign-in URL: in the default browser, or in one browser profile or
Firefox container, so each account keeps its own console tab and cookies.

A profile is ``KIND:NAME`` (a role's ``browser_profile``, or `console
--browser-profile`):

- ``firefox-container:NAME`` — a Firefox container, through the "Open external
  links in a container" add-on's ``ext+container:`` URLs;
- ``firefox:PROFILE`` — a Firefox profile (``-P``);
- ``chrome:DIR``, ``chromium:DIR``, ``brave:DIR``, ``edge:DIR`` — a Chromium
  profile directory ("Default", "Profile 2").

The URL is a secret for 15 minutes: it reaches the browser's command line, as
it does with ``webbrowser`` and every tool that opens one, and nothing else.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import urllib.parse
import webbrowser
from typing import Any

from tray_app.config import BROWSER_KINDS as KINDS
from tray_app.config import BROWSER_PROFILE as PATTERN
from tray_app.errors import RoleTrayError

# What each browser is called: Linux commands, macOS app names, Windows App Paths entries.
LINUX = {
    "firefox": ("firefox", "firefox-esr"),
    "chrome": ("google-chrome", "google-chrome-stable"),
    "chromium": ("chromium", "chromium-browser"),
    "brave": ("brave-browser", "brave"),
    "edge": ("microsoft-edge", "microsoft-edge-stable"),
}
MACOS = {
    "firefox": "Firefox", "chrome": "Google Chrome", "chromium": "Chromium",
    "brave": "Brave Browser", "edge": "Microsoft Edge",
}  # fmt: skip
WINDOWS = {
    "firefox": "firefox.exe", "chrome": "chrome.exe", "chromium": "chromium.exe",
    "brave": "brave.exe", "edge": "msedge.exe",
}  # fmt: skip
APP_PATHS = r"SOFTWARE\Microsoft\Windows\CurrentVersion\App Paths"


def open_url(url: str, profile: str | None = None, platform: str = sys.platform) -> None:
    """Open ``url``; one sentence with the fix when no browser can be started."""
    if not profile:
        if not webbrowser.open(url):
            raise RoleTrayError(
                "No browser could be started — run `roletray console --print` and open the URL."
            )
        return
    argv = command(profile, url, platform)
    try:
        subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=platform != "win32",
        )  # fmt: skip
    except OSError as exc:
        raise RoleTrayError(
            f"Cannot start {argv[0]} for browser profile {profile}: {exc.strerror} — check "
            "that the browser is installed, or use another --browser-profile."
        ) from None


def command(
    profile: str, url: str, platform: str = sys.platform, registry: Any = None
) -> list[str]:
    """The argv that opens ``url`` in ``profile`` on ``platform``."""
    if not PATTERN.fullmatch(profile):
        raise RoleTrayError(
            f"Browser profile {profile!r} is not KIND:NAME with KIND one of {', '.join(KINDS)}."
        )
    kind, _, name = profile.partition(":")
    browser = "firefox" if kind.startswith("firefox") else kind
    if kind == "firefox-container":
        quoted = urllib.parse.quote(url, safe="")
        target = f"ext+container:name={urllib.parse.quote(name)}&url={quoted}"
        return [*_launcher(browser, platform, registry, new_instance=False), target]
    if kind == "firefox":
        return [*_launcher(browser, platform, registry, new_instance=True), "-P", name,
                "--new-tab", url]  # fmt: skip
    return [*_launcher(browser, platform, registry, new_instance=True),
            f"--profile-directory={name}", url]  # fmt: skip


def _launcher(browser: str, platform: str, registry: Any, new_instance: bool) -> list[str]:
    if platform == "darwin":  # a URL goes to the running app; arguments need a new one
        return (
            ["open", "-na", MACOS[browser], "--args"]
            if new_instance
            else ["open", "-a", MACOS[browser]]
        )
    if platform == "win32":
        return [_windows_exe(WINDOWS[browser], registry)]
    for name in LINUX[browser]:
        found = shutil.which(name)
        if found:
            return [found]
    raise RoleTrayError(
        f"No {browser} found (looked for {', '.join(LINUX[browser])} on PATH) — install it, or "
        "use another --browser-profile."
    )


def _windows_exe(exe: str, registry: Any = None) -> str:
    """Where Windows says the browser is (App Paths, per user then per machine)."""
    if registry is None:
        import winreg as registry  # type: ignore[import-not-found,no-redef]
    for hive in (registry.HKEY_CURRENT_USER, registry.HKEY_LOCAL_MACHINE):
        try:
            return str(registry.QueryValue(hive, rf"{APP_PATHS}\{exe}"))
        except OSError:
            continue
    found = shutil.which(exe)
    if found:
        return found
    raise RoleTrayError(f"No {exe} is registered — install it, or use another --browser-profile.")
