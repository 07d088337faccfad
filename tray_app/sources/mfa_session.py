"""An MFA session per key set: one GetSessionToken with a code, then AssumeRole with none.

The session lives in the OS keyring (item ``mfa-session:<key set>``, never on
disk), so the CLI and the tray share it; a copy in memory tells the tray when
it ends, and stands in when the keyring refuses it (Windows' 2.5 KB limit).
One lock per key set: two roles that need the session at once cause one prompt.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tray_app.config import KeySet
from tray_app.errors import KeystoreError
from tray_app.keystore import Keystore
from tray_app.mfa import KeyedLocks
from tray_app.sources import Source
from tray_app.sts import SigningKey, Sts

log = logging.getLogger(__name__)
MIN_LEFT = timedelta(minutes=5)  # less than this left: start a new session, not a doomed call
PREFIX = "mfa-session:"  # ':' is not allowed in a key set's name, so no item collides


class SessionCache:
    def __init__(self, keystore: Keystore) -> None:
        self.keystore = keystore
        self.memory: dict[str, SigningKey] = {}
        self._memory_only: set[str] = set()  # the keyring refused these (Windows' size limit)
        self.lock = KeyedLocks()  # one per key set: two roles at once cause one prompt

    def get(self, keyset: KeySet) -> SigningKey | None:
        """The session made from this key set's current key, if any (keyring first)."""
        stored = self.keystore.find(PREFIX + keyset.name)
        if stored:
            session = _loads(keyset, stored)
        elif keyset.name in self._memory_only:
            session = self.memory.get(keyset.name)
        else:  # ended elsewhere (`roletray mfa clear`): this process stops using it too
            session = None
        if session is None:
            self.memory.pop(keyset.name, None)
        else:
            self.memory[keyset.name] = session
        return session

    def put(self, keyset: KeySet, session: SigningKey) -> None:
        self.memory[keyset.name] = session
        try:
            self.keystore.set(PREFIX + keyset.name, _dumps(keyset, session))
            self._memory_only.discard(keyset.name)
        except KeystoreError as exc:  # still usable in this process
            self._memory_only.add(keyset.name)
            log.warning("MFA session of %s kept in memory only: %s", keyset.name, exc)

    def clear(self, keyset: str) -> bool:
        self._memory_only.discard(keyset)
        had = self.memory.pop(keyset, None) is not None
        had = self.keystore.find(PREFIX + keyset) is not None or had
        self.keystore.delete(PREFIX + keyset)
        return had


def _dumps(keyset: KeySet, session: SigningKey) -> str:
    assert session.expiration is not None
    return json.dumps(
        {
            "from": keyset.access_key_id,
            "id": session.access_key_id,
            "secret": session.secret_access_key,
            "token": session.session_token,
            "expiration": session.expiration.isoformat(),
        }
    )


def _loads(keyset: KeySet, text: str) -> SigningKey | None:
    """None for an unreadable item or one made from another key (the key set was re-keyed)."""
    try:
        data = json.loads(text)
        if data["from"] != keyset.access_key_id:
            return None
        expiration = datetime.fromisoformat(data["expiration"])
        return SigningKey(keyset.name, data["id"], data["secret"], data["token"], expiration)
    except (ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class MfaSession:
    base: Source  # the long-lived key the session is made from
    sts: Sts
    cache: SessionCache
    code: Callable[[], str]  # asks (or refuses, in an auto-refresh) for the MFA code
    keyset: KeySet
    serial: str
    duration: int
    region: str
    clock: Callable[[], datetime]

    def retrieve(self, fresh: bool = False) -> SigningKey:
        with self.cache.lock(self.keyset.name):
            cached = None if fresh else self.cache.get(self.keyset)
            if cached and cached.expiration and cached.expiration - self.clock() > MIN_LEFT:
                return cached
            code = self.code()
            session = self.sts.session_token(
                self.base.retrieve(), self.serial, code, self.duration, self.region
            )
            self.cache.put(self.keyset, session)
            log.info("MFA session for key set %s until %s", self.keyset.name, session.expiration)
            return session
