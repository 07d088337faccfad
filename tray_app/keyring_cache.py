"""Values kept as OS keyring items under a prefix, with a copy in memory.

The keyring is the truth, shared by the CLI and the tray: an item another
process deleted is forgotten here too. The memory copy stands in only for an
item the keyring refused (Windows' 2.5 KB limit), so this process can still use
it, and lets the tray see what it last read without a keyring call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from tray_app.errors import KeystoreError
from tray_app.keystore import Keystore

log = logging.getLogger(__name__)
T = TypeVar("T")


class KeyringCache(Generic[T]):
    def __init__(self, keystore: Keystore, prefix: str, what: str) -> None:
        self.keystore = keystore
        self.prefix = prefix  # ends in ':', which no key set or role name holds
        self.what = what  # for the log: "MFA session", "session"
        self.memory: dict[str, T] = {}
        self._memory_only: set[str] = set()
        # Seconds a value read from (or written to) the keyring is trusted without asking
        # again: 0 in the CLI; a few in the tray, where bursts of SDK calls would otherwise
        # each pay a Secret Service round trip (~12 ms: a D-Bus connection and a session).
        self.trust_for = 0.0
        self._confirmed: dict[str, float] = {}
        self._changes: dict[str, int] = {}  # puts and clears so far, by name
        self._lock = threading.Lock()  # for the bookkeeping, never held over a keyring call

    def get(
        self, name: str, loads: Callable[[str], T | None], trust_for: float | None = None
    ) -> T | None:
        """The value (None: there is none), from memory when the keyring was asked less
        than ``trust_for`` seconds ago (default ``self.trust_for``), else from the keyring."""
        trust = self.trust_for if trust_for is None else trust_for
        with self._lock:
            if time.monotonic() - self._confirmed.get(name, -1e9) < trust:
                return self.memory.get(name)  # an absence is remembered too
            seen = self._changes.get(name, 0)
        stored = self.keystore.find(self.prefix + name)
        with self._lock:
            if self._changes.get(name, 0) != seen:
                # A put or clear ran while we read (the tray reads on one thread and
                # clears on another): what we read may be gone already; theirs stands.
                return self.memory.get(name)
            if stored:
                value = loads(stored)
            elif name in self._memory_only:
                value = self.memory.get(name)
            else:  # ended elsewhere (`roletray clear` in another process): forget it here too
                value = None
            if value is None:
                self.memory.pop(name, None)
            else:
                self.memory[name] = value
            self._confirmed[name] = time.monotonic()
            return value

    def put(self, name: str, value: T, text: str) -> None:
        """Keep ``value`` (serialised as ``text``); memory only when the keyring refuses."""
        with self._lock:
            self._changed(name)
            self.memory[name] = value
        try:
            self.keystore.set(self.prefix + name, text)
            with self._lock:
                self._settled(name, value)
                self._memory_only.discard(name)
        except KeystoreError as exc:
            with self._lock:
                self._memory_only.add(name)
            log.warning("%s of %s kept in memory only: %s", self.what, name, exc)

    def clear(self, name: str) -> bool:
        with self._lock:
            self._changed(name)
            self._memory_only.discard(name)
            self._confirmed.pop(name, None)
            had = self.memory.pop(name, None) is not None
        had = self.keystore.find(self.prefix + name) is not None or had
        self.keystore.delete(self.prefix + name)
        with self._lock:
            self._settled(name, None)
        return had

    def _changed(self, name: str) -> None:
        self._changes[name] = self._changes.get(name, 0) + 1

    def _settled(self, name: str, value: T | None) -> None:
        """After a keyring write: a read that began while it ran may have seen the old
        item and kept it already; the written value replaces it, and a read still in
        flight will not keep what it saw."""
        self._changed(name)
        if value is None:
            self.memory.pop(name, None)
        else:
            self.memory[name] = value
        self._confirmed[name] = time.monotonic()
