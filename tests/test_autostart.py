"""Start at login: the XDG entry for real (desktop-file-validate, its Exec run, the tray's
menu toggle on the virtual desktop); the macOS plist and the Windows Run key by what
they write (a stand-in winreg module), since only Linux runs here."""

from __future__ import annotations

import plistlib
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.conftest import Home
from tests.harness.desktop import wait_for
from tests.harness.tray import Tray
from tray_app import __version__
from tray_app.autostart import for_platform, launch_agent, run_key, tray_command, xdg


def entry_of(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def test_the_cli_enables_a_valid_xdg_entry_whose_exec_runs_roletray(home: Home) -> None:
    assert home.roletray("autostart", "status").stdout.strip() == "disabled"
    enabled = home.roletray("autostart", "enable")
    assert enabled.returncode == 0, enabled.stderr
    path = home.root / "config" / "autostart" / "roletray.desktop"
    assert f"RoleTray starts at login: {path}" in enabled.stdout
    check = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout == "", check.stdout + check.stderr
    entry = entry_of(path)
    icon = Path(entry["Icon"])
    data = Path(home.env.get("XDG_DATA_HOME") or home.root / ".local" / "share")
    assert icon == data / "icons" / "hicolor" / "64x64" / "apps" / "roletray.png"
    assert Image.open(icon).size == (64, 64)
    argv = shlex.split(entry["Exec"])  # the spec's double quotes read as a shell reads them
    ran = subprocess.run([*argv, "--version"], capture_output=True, text=True, env=home.env)
    assert ran.stdout.strip() == f"roletray {__version__}", ran.stderr
    assert home.roletray("autostart", "status").stdout.startswith("enabled: ")
    assert home.roletray("autostart", "disable").stdout.strip() == f"Removed {path}."
    assert not path.exists()
    assert home.roletray("autostart", "disable").stdout.strip() == (
        "RoleTray was not starting at login."
    )


def test_exec_quoting_follows_the_desktop_entry_spec() -> None:
    line = xdg.desktop_entry(["/opt/a b/python", "-m", "tray_app", "50%", '$x"`'], Path("/i.png"))
    assert 'Exec="/opt/a b/python" -m tray_app 50%% "\\\\$x\\\\"\\\\`"\n' in line


def test_the_macos_launch_agent_runs_the_tray_at_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    command = ["/Users/a/.venv/bin/roletray"]
    path = launch_agent.enable(command)
    assert path == tmp_path / "Library" / "LaunchAgents" / "io.github.roletray.tray.plist"
    agent = plistlib.loads(path.read_bytes())
    assert agent == {
        "Label": "io.github.roletray.tray",
        "ProgramArguments": command,
        "RunAtLoad": True,
        "KeepAlive": False,
        "ProcessType": "Interactive",
        "LimitLoadToSessionType": "Aqua",
    }
    assert launch_agent.status() == path
    assert launch_agent.disable() == path and launch_agent.status() is None
    assert for_platform("darwin") is launch_agent


class FakeWinreg:
    """The few winreg calls run_key makes, over a dict."""

    HKEY_CURRENT_USER, REG_SZ, KEY_SET_VALUE = "HKCU", 1, 2

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], tuple[int, str]] = {}

    class _Key:
        def __init__(self, path: str) -> None:
            self.path = path

        def __enter__(self) -> FakeWinreg._Key:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

    def CreateKey(self, root: str, path: str) -> Any:
        return self._Key(path)

    def OpenKey(self, root: str, path: str, *access: object) -> Any:
        return self._Key(path)

    def SetValueEx(self, key: Any, name: str, _: int, kind: int, value: str) -> None:
        self.values[(key.path, name)] = (kind, value)

    def QueryValueEx(self, key: Any, name: str) -> tuple[str, int]:
        if (key.path, name) not in self.values:
            raise FileNotFoundError(name)
        kind, value = self.values[(key.path, name)]
        return value, kind

    def DeleteValue(self, key: Any, name: str) -> None:
        if self.values.pop((key.path, name), None) is None:
            raise FileNotFoundError(name)


def test_the_windows_run_key_starts_roletrayw_quoted_for_createprocess() -> None:
    reg = FakeWinreg()
    command = [r"C:\Program Files\Python312\Scripts\roletrayw.exe"]
    assert run_key.enable(command, reg) == (
        r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run\RoleTray"
    )
    key = (r"Software\Microsoft\Windows\CurrentVersion\Run", "RoleTray")
    assert reg.values[key] == (reg.REG_SZ, r'"C:\Program Files\Python312\Scripts\roletrayw.exe"')
    assert run_key.status(reg) == r'"C:\Program Files\Python312\Scripts\roletrayw.exe"'
    assert run_key.disable(reg) is not None and run_key.status(reg) is None
    assert run_key.disable(reg) is None
    assert for_platform("win32") is run_key


def test_the_login_command_prefers_the_console_less_entry_point_on_windows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripts = tmp_path / "Scripts"
    scripts.mkdir()
    monkeypatch.setattr("sys.executable", str(scripts / "python.exe"))
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert tray_command("win32") == [str(scripts / "pythonw.exe"), "-m", "tray_app"]
    (scripts / "roletrayw.exe").write_text("")
    assert tray_command("win32") == [str(scripts / "roletrayw.exe")]


@pytest.mark.real
def test_the_tray_menu_toggles_start_at_login(start_tray: Callable[..., Tray], home: Home) -> None:
    tray = start_tray()
    path = home.root / "config" / "autostart" / "roletray.desktop"
    assert tray.choose("Start at login") == ["autostart", ""]
    wait_for(path.exists, "the autostart entry")
    wait_for(lambda: _checked(tray, "Start at login") is True, "the item to be checked")
    tray.choose("Start at login")
    wait_for(lambda: not path.exists(), "the autostart entry to go")
    wait_for(lambda: _checked(tray, "Start at login") is False, "the item to be unchecked")


def _checked(tray: Tray, label: str) -> bool | None:
    return next((i.get("checked") for i in tray.menu() if i.get("label") == label), None)
