"""The POSIX signals that mean "quit cleanly": Ctrl+C, kill, the terminal closing."""

from __future__ import annotations

import signal
from collections.abc import Callable

QUIT_SIGNALS: tuple[int, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def _on_quit_signals(handler: Callable[[int, object], None]) -> None:
    for number in QUIT_SIGNALS:
        signal.signal(number, handler)


def install_python_handlers(quit: Callable[[], None]) -> None:
    """Python-level handlers (run when the main thread next runs Python)."""
    _on_quit_signals(lambda _signum, _frame: quit())


class QuitSignal(BaseException):
    """Raised by ``raise_on_quit_signals`` so ``finally`` blocks run before the tray loop does."""


def raise_on_quit_signals() -> None:
    """Until the toolkit's loop takes over: a quit signal unwinds the stack (clean-up runs)."""

    def handler(signum: int, _frame: object) -> None:
        raise QuitSignal(signum)

    _on_quit_signals(handler)
