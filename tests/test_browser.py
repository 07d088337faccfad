"""Where `console` opens the sign-in URL: the argv per browser profile and per OS (macOS
and Windows by what they produce), and on Linux the real launch of a stand-in browser."""

from __future__ import annotations

import stat
import urllib.parse
from pathlib import Path

import pytest

from tests.harness.desktop import wait_for
from tray_app.browser import command, open_url
from tray_app.errors import RoleTrayError

URL = "https://signin.aws.amazon.com/federation?Action=login&SigninToken=abc%2Bdef&Issuer="


def fake(bin_dir: Path, name: str, record: Path) -> Path:
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / name
    script.write_text(f'#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done > {record}\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_each_kind_on_linux_finds_its_browser_and_names_the_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    chrome = fake(bin_dir, "google-chrome-stable", tmp_path / "x")
    firefox = fake(bin_dir, "firefox-esr", tmp_path / "x")
    monkeypatch.setenv("PATH", str(bin_dir))
    assert command("chrome:Profile 2", URL, "linux") == [
        str(chrome), "--profile-directory=Profile 2", URL,
    ]  # fmt: skip
    assert command("firefox:work", URL, "linux") == [str(firefox), "-P", "work", "--new-tab", URL]
    container = command("firefox-container:client a", URL, "linux")
    assert container[0] == str(firefox)
    query = dict(urllib.parse.parse_qsl(container[1].removeprefix("ext+container:")))
    assert query == {"name": "client a", "url": URL}, "the add-on gets the URL back whole"
    with pytest.raises(RoleTrayError, match=r"No brave found .*brave-browser, brave"):
        command("brave:Default", URL, "linux")
    with pytest.raises(RoleTrayError, match="not KIND:NAME"):
        command("opera:x", URL, "linux")


def test_macos_goes_through_open_and_windows_through_app_paths() -> None:
    assert command("edge:Default", URL, "darwin") == [
        "open", "-na", "Microsoft Edge", "--args", "--profile-directory=Default", URL,
    ]  # fmt: skip
    mac = command("firefox-container:prod", URL, "darwin")
    assert mac[:3] == ["open", "-a", "Firefox"] and mac[3].startswith("ext+container:name=prod&")

    class Registry:
        HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE = "HKCU", "HKLM"

        def __init__(self) -> None:
            self.asked: list[tuple[str, str]] = []

        def QueryValue(self, hive: str, key: str) -> str:  # winreg's name
            self.asked.append((hive, key))
            if hive == "HKLM" and key.endswith(r"\chrome.exe"):
                return r"C:\Program Files\Google\Chrome\Application\chrome.exe"
            raise OSError(2, "not found")

    registry = Registry()
    assert command("chrome:Default", URL, "win32", registry) == [
        r"C:\Program Files\Google\Chrome\Application\chrome.exe", "--profile-directory=Default",
        URL,
    ]  # fmt: skip
    assert registry.asked[0] == (
        "HKCU",
        r"SOFTWARE\Microsoft\Windows\CurrentVersion\App Paths\chrome.exe",
    ), "the user's own install first"


def test_open_url_starts_the_browser_with_the_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "argv"
    fake(tmp_path / "bin", "chromium", record)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    open_url(URL, "chromium:Client A", "linux")
    wait_for(record.exists, "the browser to start")
    wait_for(lambda: len(record.read_text().splitlines()) == 2, "its arguments")
    assert record.read_text().splitlines() == ["--profile-directory=Client A", URL]
