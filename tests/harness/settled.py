"""When the tray's UI loop is at rest: parked, having drawn every change it was told of.

An Observer (the UI calls it) that also wraps the controller's ``on_change``: each
change is counted as it wakes the loop, and the loop reports, just before it waits,
how many it had seen. A wake already set then means one more round. Used where a
test or the bench must act on a tray at rest, without polling or sleeping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tray_app.tray.observer import Observer


class Settled(Observer):
    def __init__(self, controller: Any, wake: threading.Event) -> None:
        super().__init__(None)
        self.wake = wake
        self.changes, self.parked_after = 0, -1  # changes told; how many the parked loop saw
        self._changed = threading.Condition()
        told = controller.on_change

        def counted() -> None:
            with self._changed:  # counted and woken at once: the loop sees both or neither
                self.changes += 1
                told()

        controller.on_change = counted

    def quiet_until(self, seconds: float) -> None:  # the loop, just before it waits
        with self._changed:  # a wake already set: the loop goes round once more
            self.parked_after = -1 if self.wake.is_set() else self.changes
            self._changed.notify_all()

    def settled(self, timeout: float) -> bool:
        """The loop is waiting, having drawn every change it was told of."""
        return self.wait(lambda: self.parked_after == self.changes, timeout)

    def wait(self, what: Callable[[], bool], timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(what, timeout)

    def noted(self) -> None:
        """Wake those waiting in ``wait`` (a subclass recorded something)."""
        with self._changed:
            self._changed.notify_all()
