"""gnome-keyring's Secret Service on a private D-Bus session bus, unlocked without a prompt.

The bus config activates no services: if the daemon dies (gnome-keyring 42
sometimes aborts when many short-lived clients come and go) nothing restarts a
*locked* one behind our back; ``ensure_running`` restarts it unlocked instead.
Every process is started by us and stopped by its PID.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""
PASSWORD = "roletray-test-keyring"  # unlocks the throwaway test keyring only


def stop_process(proc: subprocess.Popen | None) -> None:
    """SIGTERM by PID, then SIGKILL after 5 s."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


class KeyringBus:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.runtime = root / "run"
        self.data = root / "data"
        self.bus: subprocess.Popen | None = None
        self.daemon: subprocess.Popen | None = None
        self.address = ""

    @property
    def env(self) -> dict[str, str]:
        return {
            "DBUS_SESSION_BUS_ADDRESS": self.address,
            "XDG_RUNTIME_DIR": str(self.runtime),
            "XDG_DATA_HOME": str(self.data),
        }

    def start(self) -> KeyringBus:
        for tool in ("dbus-daemon", "gnome-keyring-daemon", "dbus-send"):
            if not shutil.which(tool):
                raise RuntimeError(f"{tool} is missing: run tests/run.sh, which installs it")
        self.runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.data.mkdir(parents=True, exist_ok=True)
        config = self.root / "bus.conf"
        config.write_text(BUS_CONFIG.format(socket=self.root / "bus"))
        self.bus = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.bus.stdout is not None
        self.address = self.bus.stdout.readline().strip()
        if not self.address:
            raise RuntimeError("dbus-daemon did not start")
        self.start_daemon()
        return self

    def start_daemon(self, unlock: bool = True) -> None:
        stop_process(self.daemon)
        args = ["gnome-keyring-daemon", "--foreground", "--components=secrets", "--replace"]
        if unlock:
            args.insert(1, "--unlock")
        self.daemon = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **self.env},
            text=True,
        )
        assert self.daemon.stdin is not None
        if unlock:
            self.daemon.stdin.write(PASSWORD)
        self.daemon.stdin.close()
        self._wait_for_name()

    def stop_daemon(self) -> None:
        stop_process(self.daemon)
        self.daemon = None

    def ensure_running(self) -> None:
        if self.daemon is None or self.daemon.poll() is not None or not self.has_owner():
            self.start_daemon()

    def has_owner(self, name: str = "org.freedesktop.secrets") -> bool:
        result = subprocess.run(
            [
                "dbus-send",
                f"--bus={self.address}",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/",
                "org.freedesktop.DBus.NameHasOwner",
                f"string:{name}",
            ],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return "boolean true" in result.stdout

    def _wait_for_name(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.has_owner():
                return
            time.sleep(0.05)
        raise RuntimeError("gnome-keyring-daemon did not take org.freedesktop.secrets")

    def lookup(self, service: str, username: str) -> str | None:
        """What secret-tool (another real client) sees in the keyring."""
        result = subprocess.run(
            ["secret-tool", "lookup", "service", service, "username", username],
            capture_output=True,
            text=True,
            env={**os.environ, **self.env},
            timeout=10,
        )
        return result.stdout if result.returncode == 0 else None

    def stop(self) -> None:
        stop_process(self.daemon)
        stop_process(self.bus)
