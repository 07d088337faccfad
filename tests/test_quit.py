"""Every way out of the tray and the demo runs the same clean quit, on the real desktop.

Quit from the menu while an assume is still in flight, SIGINT (Ctrl+C), SIGTERM,
SIGHUP and the desktop session ending (a gnome-session stand-in on the bus):
each ends the process with status 0 after clear_on_quit removed every profile,
and the demo removes its keyring item and its temp dir. Also: with no
notification service on the bus, the menu says where notices went.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import Home
from tests.harness.desktop import Desktop
from tests.harness.fault_proxy import FaultProxy
from tests.harness.keyring_bus import stop_process
from tests.harness.session_manager import FakeSessionManager
from tests.harness.tray import Tray, assert_demo_left_nothing, start_demo, wait_for

pytestmark = pytest.mark.real
QUIT_SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]


def no_tracebacks(tray: Tray) -> None:
    assert "Traceback" not in tray.log.read_text(), tray.log.read_text()


def test_quit_during_an_assume_waits_for_it_then_clears(
    start_tray: Callable[..., Tray], proxy: FaultProxy
) -> None:
    tray = start_tray(settings="clear_on_quit = true")
    proxy.faults.delay = 2.5  # STS answers late: the assume is in flight when Quit comes
    assert tray.choose("app") == ["assume", "app"]
    wait_for(lambda: proxy.faults.requests >= 1, "the AssumeRole request to reach STS")
    tray.wait_label("app — working…")  # as a person sees it, before quitting
    assert tray.choose("Quit", busy_ok=True) == ["quit", ""]
    assert tray.proc.wait(30) == 0
    assert "assumed app" in tray.log.read_text(), "the assume in flight completed first"
    assert tray.profile("app") is None, "then clear_on_quit removed its profile"
    assert "[app]" not in tray.home.credentials.read_text()
    no_tracebacks(tray)


@pytest.mark.parametrize("number", QUIT_SIGNALS, ids=lambda n: signal.Signals(n).name)
def test_a_signal_quits_the_tray_cleanly(start_tray: Callable[..., Tray], number: int) -> None:
    tray = start_tray(settings="clear_on_quit = true")
    tray.choose("app")
    wait_for(lambda: tray.profile("app"), "profile [app]")
    tray.proc.send_signal(number)
    assert tray.proc.wait(30) == 0, f"{signal.Signals(number).name} ended it cleanly"
    assert tray.profile("app") is None, "clear_on_quit ran"
    no_tracebacks(tray)


@pytest.fixture
def session_manager(desktop: Desktop) -> Iterator[FakeSessionManager]:
    manager = FakeSessionManager(desktop.bus.address).start()
    yield manager
    manager.stop()


def test_the_session_ending_quits_cleanly_before_answering(
    start_tray: Callable[..., Tray], session_manager: FakeSessionManager
) -> None:
    tray = start_tray(settings="clear_on_quit = true")
    wait_for(lambda: session_manager.clients, "the tray to register with the session manager")
    assert session_manager.app_ids == ["roletray"]
    tray.choose("app")
    wait_for(lambda: tray.profile("app"), "profile [app]")
    session_manager.emit("QueryEndSession")
    wait_for(lambda: session_manager.responses, "the answer to QueryEndSession")
    assert tray.proc.poll() is None, "being asked is not being told to quit"
    present_when_answered: list[bool] = []
    session_manager.on_response = lambda: present_when_answered.append(
        tray.profile("app") is not None
    )
    session_manager.emit("EndSession")
    assert tray.proc.wait(30) == 0
    assert session_manager.responses == [(True, ""), (True, "")]
    assert present_when_answered == [False], "it answered only after clearing"
    no_tracebacks(tray)


@pytest.mark.parametrize("number", QUIT_SIGNALS, ids=lambda n: signal.Signals(n).name)
def test_a_signal_quits_the_demo_and_it_removes_everything(
    home: Home, desktop: Desktop, tmp_path: Path, number: int
) -> None:
    tray, credentials = start_demo(home, desktop, tmp_path)
    try:
        assert home.keyring is not None and home.keyring.lookup("roletray", "roletray-demo")
        tray.choose("demo-readonly")
        wait_for(lambda: credentials.exists(), "the demo's profile")
        tray.proc.send_signal(number)
        assert tray.proc.wait(30) == 0
    finally:
        stop_process(tray.proc)
    assert_demo_left_nothing(home, credentials)
    assert "removed its key" in tray.log.read_text()


def test_without_a_notification_service_the_menu_says_so_and_shows_errors(
    start_tray: Callable[..., Tray], desktop: Desktop
) -> None:
    desktop.stop_notifications()
    try:
        tray = start_tray(extra_roles=(("bad", "--external-id", "wrong-external-id"),))
        assert "no notification service" in tray.log.read_text()
        notice = "Notifications: none shown (no notification service) — errors are in this menu"
        assert tray.menu_labels()[0] == notice
        tray.choose("bad")
        wait_for(
            lambda: any(x.startswith("bad — failed: AccessDenied") for x in tray.menu_labels()),
            "the error in the menu",
        )
        started = time.monotonic()
        tray.choose("Quit")
        assert tray.proc.wait(30) == 0 and time.monotonic() - started < 30
    finally:
        desktop.start_notifications()
