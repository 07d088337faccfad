"""The POSIX signals that mean "quit cleanly": Ctrl+C, kill, the terminal closing."""

from __future__ import annotations

import signal
from collections.abc import Callable

QUIT_SIGNALS: tuple[int, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def install_python_handlers(quit: Callable[[], None]) -> list[int]:
    """Python-level handlers (run when the main thread next runs Python)."""

    def handler(_signum: int, _frame: object) -> None:
        quit()

    for number in QUIT_SIGNALS:
        signal.signal(number, handler)
    return list(QUIT_SIGNALS)


class QuitSignal(BaseException):
    """Raised by ``raise_on_quit_signals`` so ``finally`` blocks run before the tray loop does."""


def raise_on_quit_signals() -> None:
    """Until the toolkit's loop takes over: a quit signal unwinds the stack (clean-up runs)."""

    def handler(signum: int, _frame: object) -> None:
        raise QuitSignal(signum)

    for number in QUIT_SIGNALS:
        signal.signal(number, handler)
