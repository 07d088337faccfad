"""What the tray shows right now, published for tests and tooling (off unless asked).

With ``ROLETRAY_OBSERVE=PATH`` the UI writes, after each change is applied on the
toolkit's thread, a JSON snapshot: the menu as rendered (labels, enabled,
checked, children), the icon state, whether the menu is open, the actions the
menu dispatched, and when the next planned change is due. A test then finds
menu items by label and waits on these events instead of sleeping. No secret
is ever in it: labels hold role and profile names and times.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from tray_app.tray.menu import SEPARATOR, Item

ENV = "ROLETRAY_OBSERVE"


class Observer:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._state: dict[str, Any] = {
            "generation": 0, "menu": [], "icon": "", "title": "", "menu_open": False,
            "actions": [], "quiet_until": 0.0,
        }  # fmt: skip

    @classmethod
    def from_env(cls) -> Observer:
        value = os.environ.get(ENV)
        return cls(Path(value) if value else None)

    def update(self, **changes: Any) -> None:
        if self.path is None:
            return
        with self._lock:
            self._state.update(changes)
            self._state["generation"] += 1
            data = json.dumps(self._state)
            tmp = self.path.with_name(f".{self.path.name}.tmp")
            tmp.write_text(data)
            os.replace(tmp, self.path)  # readers never see half a snapshot

    def menu_applied(self, menu: tuple[Item, ...]) -> None:
        self.update(menu=[_item(i) for i in menu])

    def action(self, action: tuple[str, str]) -> None:
        with self._lock:
            actions = [*self._state["actions"], list(action)]
        self.update(actions=actions)

    def quiet_until(self, seconds: float) -> None:
        """The loop's next planned wake, as wall-clock time (a label may change then)."""
        self.update(quiet_until=time.time() + seconds)


def _item(item: Item) -> dict[str, Any]:
    if item == SEPARATOR:
        return {"separator": True}
    return {
        "label": item.label,
        "enabled": item.enabled,
        "checked": item.checked,
        "children": [_item(c) for c in item.children],
    }
