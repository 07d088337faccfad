"""Platform code that cannot run here (macOS, Windows), checked by what it produces.

The tray loop is driven against a fake pystray backend that records the thread
of every UI call, with the real macOS and Windows bridges around fake AppKit /
Win32 entry points: every icon, menu, title, visibility and notify call must
reach the toolkit's thread. The Windows handler table, console events and the
Credential Locker limit, the osascript and Tk argv, the console-less entry
point and the bridge chosen per backend are checked as values.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.test_engine import FakeSts, MemoryKeystore
from tray_app.config import ConfigStore, KeySet, Role
from tray_app.credentials_file import CredentialsFile
from tray_app.engine import Engine
from tray_app.errors import KeystoreError, RoleTrayError
from tray_app.keystore import WINDOWS_BLOB_LIMIT, OsKeystore
from tray_app.notify.pystray_notify import PystrayNotifier
from tray_app.platform import bridge_for
from tray_app.platform.darwin import DarwinBridge
from tray_app.platform.direct import DirectBridge
from tray_app.platform.windows import (
    CTRL_C,
    CTRL_CLOSE,
    WM_ENDSESSION,
    WM_QUERYENDSESSION,
    WM_ROLETRAY_CALL,
    WindowsBridge,
)
from tray_app.prompt import dialogs, osascript, tk
from tray_app.tray.controller import Controller
from tray_app.tray.ui import TrayUI

ARN = "arn:aws:iam::123456789012:role/Admin"
ROLE = Role("prod", ARN, "work", mfa_serial='arn:aws:iam::1:mfa/a" & do shell script "x')


# -- a fake pystray backend with a main loop on the main thread ------------------------
class MainLoop:
    """What AppKit's run loop (or Win32's message loop) is: a queue drained on one thread."""

    def __init__(self) -> None:
        self.calls: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self.thread: threading.Thread | None = None
        self.icon: Any = None  # the window whose messages this loop dispatches

    def run_until(self, done: threading.Event) -> None:
        self.thread = threading.current_thread()
        while not done.is_set():
            with contextlib.suppress(queue.Empty):
                self.calls.get(timeout=0.05)()


class FakeIcon:
    HAS_NOTIFICATION = True
    UI_ATTRS = ("icon", "menu", "title", "visible")

    def __init__(self, name: str, icon: object, title: str, loop: MainLoop) -> None:
        object.__setattr__(self, "ui_calls", [])
        object.__setattr__(self, "loop", loop)
        object.__setattr__(self, "stopped", threading.Event())
        object.__setattr__(self, "_message_handlers", {})  # pystray's win32 dispatch table
        object.__setattr__(self, "_hwnd", 0x1234)
        loop.icon = self

    def __setattr__(self, name: str, value: object) -> None:
        if name in self.UI_ATTRS:
            self.ui_calls.append((name, threading.current_thread().name))
        object.__setattr__(self, name, value)

    def notify(self, body: str, title: str) -> None:
        self.ui_calls.append(("notify", threading.current_thread().name))

    def stop(self) -> None:
        self.ui_calls.append(("stop", threading.current_thread().name))
        self.stopped.set()

    def run(self, setup: Callable[[Any], None]) -> None:
        threading.Thread(target=setup, args=(self,), name="pystray-setup").start()
        self.loop.run_until(self.stopped)


def fake_pystray() -> Any:
    class Menu:
        SEPARATOR = object()

        def __init__(self, *items: object) -> None:
            self.items = items

    def menu_item(label: str, action: object, enabled: bool = True, checked: object = None) -> Any:
        return SimpleNamespace(label=label, action=action, enabled=enabled)

    return SimpleNamespace(Menu=Menu, MenuItem=menu_item)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    store = ConfigStore(tmp_path / "config.toml")
    store.put_keyset(KeySet("work", "AKIAFAKEFAKEFAKEFAKE"))
    store.put_role(Role("prod", ARN, "work", duration=900))
    keystore = MemoryKeystore()
    keystore.set("work", "secret")
    return Engine(store, keystore, lambda _c: FakeSts(), CredentialsFile(tmp_path / "creds"))


def run_tray(engine: Engine, bridge_for_loop: Callable[[MainLoop], Any]) -> FakeIcon:
    """The real TrayUI on the main thread; a worker clicks a role, then quits."""
    loop = MainLoop()
    bridge = bridge_for_loop(loop)
    icon = FakeIcon("roletray", None, "RoleTray", loop)
    bridge.attach(icon)
    wake = threading.Event()
    notifier = PystrayNotifier(icon, bridge.call_on_ui)
    ui = TrayUI(
        Controller(engine, notifier, on_change=wake.set), fake_pystray(), icon, bridge, wake
    )

    def user() -> None:
        assert ui.controller.wait_idle(10)
        future = ui.controller.assume("prod")  # as a menu click does, from another thread
        assert future is not None
        future.result(10)
        ui.controller.dispatch(("about", ""))  # a notification through pystray's notify
        ui.quit()

    clicker = threading.Thread(target=user, name="user")
    clicker.start()
    ui.run()
    clicker.join(10)
    return icon


class FakeAppHelper:
    def __init__(self, loop: MainLoop) -> None:
        self.loop = loop

    def callAfter(self, fn: Callable[[], None]) -> None:
        self.loop.calls.put(fn)


class FakeMachSignals:
    def __init__(self) -> None:
        self.handlers: dict[int, Callable[..., None]] = {}

    def signal(self, number: int, handler: Callable[..., None]) -> None:
        self.handlers[number] = handler


class FakeCenter:
    def __init__(self) -> None:
        self.observers: dict[str, Callable[[object], None]] = {}

    def addObserverForName_object_queue_usingBlock_(
        self, name: str, _obj: object, _queue: object, block: Callable[[object], None]
    ) -> object:
        self.observers[name] = block
        return object()


def fake_appkit(center: FakeCenter) -> Any:
    workspace = SimpleNamespace(notificationCenter=lambda: center)
    return SimpleNamespace(NSWorkspace=SimpleNamespace(sharedWorkspace=lambda: workspace))


def test_on_macos_every_ui_call_runs_on_the_main_thread(engine: Engine) -> None:
    signals, center = FakeMachSignals(), FakeCenter()
    made: list[DarwinBridge] = []

    def bridge(loop: MainLoop) -> DarwinBridge:
        made.append(DarwinBridge(FakeAppHelper(loop), signals, fake_appkit(center)))
        return made[0]

    icon = run_tray(engine, bridge)
    main = threading.main_thread().name
    kinds = {kind for kind, _ in icon.ui_calls}
    assert {"icon", "menu", "title", "visible", "notify", "stop"} <= kinds, icon.ui_calls
    assert {thread for _, thread in icon.ui_calls} == {main}, icon.ui_calls
    assert set(signals.handlers) == {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    assert "NSWorkspaceWillPowerOffNotification" in center.observers


def test_the_same_loop_without_a_bridge_would_touch_the_ui_from_other_threads(
    engine: Engine,
) -> None:
    """The control: DirectBridge calls in place, so the check above can fail."""
    icon = run_tray(engine, lambda _loop: DirectBridge())
    threads = {thread for _, thread in icon.ui_calls}
    assert threads - {threading.main_thread().name}, "UI calls came from worker threads"


def test_on_macos_the_tray_refuses_to_run_off_the_main_thread(engine: Engine) -> None:
    loop = MainLoop()
    bridge = DarwinBridge(FakeAppHelper(loop), FakeMachSignals(), fake_appkit(FakeCenter()))
    icon = FakeIcon("roletray", None, "RoleTray", loop)
    wake = threading.Event()
    ui = TrayUI(Controller(engine, on_change=wake.set), fake_pystray(), icon, bridge, wake)
    failure: list[BaseException] = []

    def start() -> None:
        try:
            ui.run()
        except RoleTrayError as exc:
            failure.append(exc)

    worker = threading.Thread(target=start)
    worker.start()
    worker.join(10)
    assert failure and "main thread" in str(failure[0])
    assert icon.ui_calls == [], "nothing was drawn"


# -- Windows -------------------------------------------------------------------------
class FakeWin32:
    """PostMessageW queues to the window's loop, which calls the window's handler."""

    def __init__(self, loop: MainLoop) -> None:
        self.loop = loop
        self.posted: list[tuple[int, int]] = []
        self.console_handler: Callable[[int], bool] | None = None

    def post_message(self, hwnd: int, message: int, wparam: int, lparam: int) -> None:
        self.posted.append((hwnd, message))
        self.loop.calls.put(lambda: self.loop.icon._message_handlers[message](wparam, lparam))

    def set_console_ctrl_handler(self, handler: Callable[[int], bool]) -> None:
        self.console_handler = handler


def test_on_windows_ui_calls_are_posted_to_pystrays_window_thread(engine: Engine) -> None:
    apis: list[FakeWin32] = []

    def bridge(loop: MainLoop) -> WindowsBridge:
        apis.append(FakeWin32(loop))
        return WindowsBridge(api=apis[0])

    icon = run_tray(engine, bridge)
    assert {thread for _, thread in icon.ui_calls} == {threading.main_thread().name}
    assert apis[0].posted and {m for _, m in apis[0].posted} == {WM_ROLETRAY_CALL}
    assert apis[0].console_handler is not None


def test_windows_session_end_and_console_events_quit_and_wait_for_clean_up() -> None:
    api = FakeWin32(MainLoop())
    icon = SimpleNamespace(_message_handlers={}, _hwnd=1)
    bridge = WindowsBridge(api=api)
    bridge.attach(icon)
    quits: list[str] = []
    bridge.install_quit(icon, lambda: quits.append(threading.current_thread().name))
    handlers = icon._message_handlers
    assert handlers[WM_QUERYENDSESSION](1, 0) == 1, "never blocks a logoff"

    finished_at: list[float] = []

    def clean_up_later() -> None:
        threading.Event().wait(0.3)
        finished_at.append(1)
        bridge.finished()

    threading.Thread(target=clean_up_later).start()
    assert handlers[WM_ENDSESSION](1, 0) == 0
    assert quits and finished_at, "WM_ENDSESSION returned only after the clean-up"
    assert api.console_handler is not None
    assert api.console_handler(CTRL_C) is True and api.console_handler(CTRL_CLOSE) is True
    assert len(quits) == 3


def test_windows_credential_locker_limit_is_checked_before_storing() -> None:
    class WinVaultKeyring:
        priority = 5
        stored: dict[str, str] = {}  # noqa: RUF012

        def set_password(self, service: str, name: str, secret: str) -> None:
            self.stored[name] = secret

    WinVaultKeyring.__module__ = "keyring.backends.Windows"
    store = OsKeystore(timeout=5)
    store._backend = WinVaultKeyring()  # type: ignore[assignment]
    store.set("work", "x" * 40)  # an IAM secret access key: 80 bytes as UTF-16
    too_big = "y" * (WINDOWS_BLOB_LIMIT // 2 + 1)
    with pytest.raises(KeystoreError, match=r"over the Credential Locker's limit of 2560"):
        store.set("session", too_big)
    assert set(WinVaultKeyring.stored) == {"work"}


# -- prompts -------------------------------------------------------------------------
def test_osascript_gets_the_question_as_an_argument_never_as_script_text() -> None:
    command = osascript.command(ROLE)
    script = " ".join(command[1:-1])
    assert command[-1] == dialogs.question(ROLE), "the question is the last argument"
    assert "mfa/a" not in script and "item 1 of argv" in script
    assert "with hidden answer" in script


def test_the_tk_prompt_runs_in_its_own_process_with_no_code_in_argv() -> None:
    command = tk.command(ROLE)
    assert command[:3] == [sys.executable, "-m", "tray_app.prompt.tk"]
    assert command[3:] == ["prod", dialogs.question(ROLE)]


# -- entry points and the choice of bridge -------------------------------------------
def test_roletrayw_is_a_gui_script_and_writes_to_a_log_file(tmp_path: Path) -> None:
    entries = importlib.metadata.entry_points(group="gui_scripts")
    assert {e.name: e.value for e in entries}.get("roletrayw") == "tray_app.cli:main_gui"
    code = (
        "import sys; sys.stdout = sys.stderr = None; sys.argv = ['roletrayw', 'roles', 'list'];"
        "from tray_app.cli import main_gui; raise SystemExit(main_gui())"
    )
    env = {"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state"), "PATH": "/usr/bin"}
    env["PYTHONPATH"] = str(Path(__file__).parent.parent)
    env["ROLETRAY_CONFIG"] = str(tmp_path / "config.toml")
    result = subprocess.run([sys.executable, "-c", code], env=env, timeout=60)
    assert result.returncode == 0
    log = tmp_path / "state" / "roletray" / "log" / "roletray.log"
    assert log.read_text() == "(none)\n"


@pytest.mark.parametrize(
    ("backend", "platform", "kind"),
    [
        ("appindicator", "linux", "GtkBridge"),
        ("gtk", "linux", "GtkBridge"),
        ("xorg", "linux", "DirectBridge"),
    ],
)
def test_one_place_chooses_the_bridge(backend: str, platform: str, kind: str) -> None:
    assert type(bridge_for(backend, platform)).__name__ == kind
