"""Fixtures: a hermetic HOME, moto (auth on) behind a fault proxy, gnome-keyring on a private bus.

Nothing here touches the developer's real ~/.aws, keyring or session bus: the
environment is replaced for the whole session before any test runs, and every
process a fixture starts is stopped by its PID.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.harness.aws import REGION, MotoWorld, User
from tests.harness.desktop import Desktop
from tests.harness.fault_proxy import FaultProxy
from tests.harness.keyring_bus import KeyringBus, stop_process
from tests.harness.tray import Tray, wait_for

REPO = Path(__file__).resolve().parent.parent
LEAKY_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "ROLETRAY_CONFIG",
    "PYTHON_KEYRING_BACKEND",
    "DBUS_SESSION_BUS_ADDRESS",
    "DISPLAY",
    "WAYLAND_DISPLAY",
)


@pytest.fixture(scope="session", autouse=True)
def hermetic_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point HOME, XDG and AWS paths at a temp dir for the whole session."""
    root = tmp_path_factory.mktemp("session-home")
    patch = pytest.MonkeyPatch()
    for name in LEAKY_ENV:
        patch.delenv(name, raising=False)
    patch.setenv("HOME", str(root))
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data")):
        patch.setenv(var, str(root / sub))
    patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(root / ".aws" / "credentials"))
    patch.setenv("AWS_CONFIG_FILE", str(root / ".aws" / "config"))
    patch.setenv("NO_AT_BRIDGE", "1")
    runtime = root / "run"  # the tray's lock and broker socket: never the machine's own
    runtime.mkdir(mode=0o700)
    patch.setenv("XDG_RUNTIME_DIR", str(runtime))
    yield root
    patch.undo()


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoWorld]:
    world = MotoWorld().start()
    yield world
    world.stop()


@pytest.fixture(scope="session")
def _proxy(moto: MotoWorld) -> Iterator[FaultProxy]:
    proxy = FaultProxy(moto.url).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxy(_proxy: FaultProxy) -> Iterator[FaultProxy]:
    _proxy.reset()
    yield _proxy
    _proxy.reset()


@pytest.fixture(scope="session")
def _keyring_bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeyringBus]:
    bus = KeyringBus(tmp_path_factory.mktemp("keyring")).start()
    patch = pytest.MonkeyPatch()
    for name, value in bus.env.items():
        patch.setenv(name, value)  # for in-process keyring calls
    yield bus
    patch.undo()
    bus.stop()


@pytest.fixture(scope="session")
def _sni_bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeyringBus]:
    """The SNI desktop's own bus: its StatusNotifierWatcher must not be seen by the
    XEmbed desktop's trays (AppIndicator would then register with it instead)."""
    bus = KeyringBus(tmp_path_factory.mktemp("keyring-sni")).start()
    yield bus
    bus.stop()


@pytest.fixture
def tray_host(request: pytest.FixtureRequest) -> str:
    """Which tray host the desktop runs: parametrize with indirect=True; xembed by default."""
    return getattr(request, "param", "xembed")


@pytest.fixture
def keyring_bus(request: pytest.FixtureRequest, tray_host: str) -> KeyringBus:
    bus: KeyringBus = request.getfixturevalue("_sni_bus" if tray_host == "sni" else "_keyring_bus")
    bus.ensure_running()  # restart unlocked if the daemon died
    return bus


_user_count = 0


@pytest.fixture
def alice(moto: MotoWorld) -> User:
    """A fresh IAM user allowed to call sts:AssumeRole (unique per test)."""
    global _user_count
    _user_count += 1
    return moto.user(f"alice{_user_count}")


@dataclass
class Home:
    root: Path
    keyring: KeyringBus | None
    sts_url: str
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def credentials(self) -> Path:
        return self.root / ".aws" / "credentials"

    @property
    def config(self) -> Path:
        return self.root / "config" / "roletray" / "config.toml"

    @property
    def runtime(self) -> Path:
        """XDG_RUNTIME_DIR: the tray's instance lock and broker socket."""
        folder = self.root / "run"
        folder.mkdir(mode=0o700, exist_ok=True)
        return folder

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in LEAKY_ENV}
        env.update(
            HOME=str(self.root),
            XDG_CONFIG_HOME=str(self.root / "config"),
            AWS_SHARED_CREDENTIALS_FILE=str(self.credentials),
            AWS_CONFIG_FILE=str(self.root / ".aws" / "config"),
            AWS_ENDPOINT_URL_STS=self.sts_url,
            PYTHONPATH=str(REPO),
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        if self.keyring is not None:
            env.update(self.keyring.env)
        env["XDG_RUNTIME_DIR"] = str(self.runtime)  # not the bus's: this home's own
        env.update(self.extra_env)
        return env

    def roletray(
        self, *args: str, input: str | None = None, timeout: float = 90
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tray_app", *args],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout,
            cwd=self.root,
        )

    def aws(self, *args: str, endpoint: str | None = None) -> subprocess.CompletedProcess[str]:
        """The real AWS CLI (the venv's, by path) reading the files we wrote."""
        aws = Path(sys.executable).parent / "aws"
        extra = ["--endpoint-url", endpoint] if endpoint else []
        return subprocess.run(
            [str(aws), *args, *extra, "--region", REGION, "--output", "json"],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
        )

    def caller_arn(self, profile: str, endpoint: str) -> str:
        result = self.aws("sts", "get-caller-identity", "--profile", profile, endpoint=endpoint)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)["Arn"]

    def digest(self) -> str:
        return sha256(self.credentials)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


@pytest.fixture
def home(tmp_path: Path, keyring_bus: KeyringBus, proxy: FaultProxy) -> Home:
    root = tmp_path / "home"
    root.mkdir()
    return Home(root=root, keyring=keyring_bus, sts_url=proxy.url)


def _start_desktop(
    factory: pytest.TempPathFactory, bus: KeyringBus, host: str, tool: str
) -> Iterator[Desktop]:
    for needed in ("Xvfb", tool):
        if not shutil.which(needed):
            pytest.skip(f"needs {needed}: run tests/run.sh")
    screen = Desktop(factory.mktemp(f"desktop-{host}"), bus, host).start()
    yield screen
    screen.stop()


@pytest.fixture(scope="session")
def _desktop_xembed(
    _keyring_bus: KeyringBus, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desktop]:
    yield from _start_desktop(tmp_path_factory, _keyring_bus, "xembed", "trayer")


@pytest.fixture(scope="session")
def _desktop_sni(
    _sni_bus: KeyringBus, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desktop]:
    yield from _start_desktop(tmp_path_factory, _sni_bus, "sni", "gtk-sni-tray-standalone")


@pytest.fixture
def desktop(request: pytest.FixtureRequest, tray_host: str, keyring_bus: KeyringBus) -> Desktop:
    return request.getfixturevalue(f"_desktop_{tray_host}")


TRAY_EXTERNAL_ID = "ext-tray-42"


@pytest.fixture
def start_tray(
    home: Home, desktop: Desktop, moto: MotoWorld, alice: User, tmp_path: Path
) -> Iterator[Callable[..., Tray]]:
    """Keys and roles through the CLI, then `roletray --verbose` on the desktop."""
    started: list[subprocess.Popen] = []
    arn = moto.role(f"tray-{alice.name}", alice, external_id=TRAY_EXTERNAL_ID)

    def start(
        settings: str = "",
        extra_roles: tuple[tuple[str, ...], ...] = (),
        env: dict[str, str] | None = None,
        prefix: tuple[str, ...] = (),
    ) -> Tray:
        add = home.roletray(
            "keys", "add", "work", "--access-key-id", alice.access_key_id,
            input=alice.secret_access_key + "\n",
        )  # fmt: skip
        assert add.returncode == 0, add.stderr
        for name, *extra in (("app", "--external-id", TRAY_EXTERNAL_ID), *extra_roles):
            result = home.roletray(
                "roles", "add", name, "--role-arn", arn, "--keys", "work", "--duration", "900",
                *extra,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr
        home.config.write_text(f"[settings]\n{settings}\n" + home.config.read_text())
        desktop.close_all()
        desktop.log.unlink(missing_ok=True)
        log = tmp_path / "tray.log"
        observe = tmp_path / "observe.json"
        proc = subprocess.Popen(
            [*prefix, sys.executable, "-m", "tray_app", "--verbose"],
            env={**home.env, **desktop.env, "ROLETRAY_OBSERVE": str(observe), **(env or {})},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            cwd=home.root,
        )
        started.append(proc)
        shots = tmp_path / "screenshots"
        shots.mkdir(exist_ok=True)
        tray = Tray(home, desktop, proc, log, shots, observe)
        wait_for(lambda: tray.menu_labels() or proc.poll() is not None, "the tray's menu")
        assert proc.poll() is None, log.read_text()
        tray.icon()
        return tray

    yield start
    for proc in started:
        stop_process(proc)
    desktop.close_all()
