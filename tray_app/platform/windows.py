"""Windows: pystray's win32 backend runs a message loop on the thread that called run().

UI changes are queued and a private message is posted to pystray's window, so
they run on its thread. The window is a top-level one, so it also receives
WM_QUERYENDSESSION (we never block a logoff) and WM_ENDSESSION (quit, and wait
for the clean-up: Windows ends the process soon after the handler returns).
A console (``roletray``, not ``roletrayw``) delivers Ctrl+C, closing the window,
logoff and shutdown as console control events to a handler thread; each quits
and, for the last three, waits for the clean-up too. POSIX signals never arrive.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from tray_app.platform import UiCall

log = logging.getLogger(__name__)
WM_USER = 0x0400
WM_ROLETRAY_CALL = WM_USER + 0x40  # pystray uses WM_USER + 10 and + 11
WM_QUERYENDSESSION = 0x0011
WM_ENDSESSION = 0x0016
CTRL_C, CTRL_BREAK, CTRL_CLOSE, CTRL_LOGOFF, CTRL_SHUTDOWN = 0, 1, 2, 5, 6
ENDING = (CTRL_CLOSE, CTRL_LOGOFF, CTRL_SHUTDOWN)
CLEANUP_WAIT = 4.5  # Windows kills a process ~5 s after an ending event


class Win32Api:
    """The three calls we make, through ctypes (only importable on Windows)."""

    def __init__(self) -> None:
        import ctypes
        from ctypes import wintypes

        self._ctypes = ctypes
        self._user32 = ctypes.windll.user32  # type: ignore[attr-defined]
        self._kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        self._routine_type = ctypes.WINFUNCTYPE(wintypes.BOOL, wintypes.DWORD)  # type: ignore[attr-defined]
        self._keep: list[object] = []  # the C callback must outlive the call

    def post_message(self, hwnd: int, message: int, wparam: int, lparam: int) -> None:
        self._user32.PostMessageW(hwnd, message, wparam, lparam)

    def set_console_ctrl_handler(self, handler: Callable[[int], bool]) -> None:
        routine = self._routine_type(lambda event: bool(handler(int(event))))
        self._keep.append(routine)
        self._kernel32.SetConsoleCtrlHandler(routine, True)


class WindowsBridge:
    needs_main_thread = False

    def __init__(self, api: Any = None) -> None:
        self._api = api or Win32Api()
        self._calls: queue.SimpleQueue[UiCall] = queue.SimpleQueue()
        self._icon: Any = None
        self._quit: UiCall = lambda: None
        self._done = threading.Event()

    def attach(self, icon: Any) -> None:
        self._icon = icon
        icon._message_handlers.update(
            {
                WM_ROLETRAY_CALL: self._drain,
                WM_QUERYENDSESSION: lambda _w, _l: 1,  # TRUE: never block a logoff
                WM_ENDSESSION: self._on_end_session,
            }
        )

    def call_on_ui(self, fn: UiCall) -> None:
        self._calls.put(fn)
        hwnd = getattr(self._icon, "_hwnd", None)
        if hwnd:  # before the window exists, the first post after it drains the queue
            self._api.post_message(hwnd, WM_ROLETRAY_CALL, 0, 0)

    def install_quit(self, icon: Any, quit: UiCall) -> None:
        self._quit = quit
        self._api.set_console_ctrl_handler(self._on_console_event)

    def watch_menu(self, icon: Any, shown: Callable[[bool], None]) -> None:
        pass  # TrackPopupMenu blocks the loop while open: no rebuild can land then

    def finished(self) -> None:
        self._done.set()

    # -- handlers --------------------------------------------------------------
    def _drain(self, _wparam: int = 0, _lparam: int = 0) -> int:
        while True:
            try:
                fn = self._calls.get_nowait()
            except queue.Empty:
                return 0
            try:
                fn()
            except Exception:
                log.exception("UI update failed")

    def _on_end_session(self, wparam: int, _lparam: int) -> int:
        if wparam:  # the session really ends (not cancelled)
            self._quit()
            self._done.wait(CLEANUP_WAIT)
        return 0

    def _on_console_event(self, event: int) -> bool:
        self._quit()
        if event in ENDING:
            self._done.wait(CLEANUP_WAIT)
        return True  # handled: do not run the default (kill at once)
