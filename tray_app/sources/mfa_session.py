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
from functools import partial

from tray_app.config import KeySet
from tray_app.keyring_cache import KeyringCache
from tray_app.keystore import Keystore
from tray_app.mfa import KeyedLocks
from tray_app.sources import Source
from tray_app.sts import SigningKey, Sts

log = logging.getLogger(__name__)
MIN_LEFT = timedelta(minutes=5)  # less than this left: start a new session, not a doomed call
PREFIX = "mfa-session:"  # ':' is not allowed in a key set's name, so no item collides


class SessionCache:
    """Each key set's MFA session, as keyring item ``mfa-session:<key set>``."""

    def __init__(self, keystore: Keystore) -> None:
        self.items: KeyringCache[SigningKey] = KeyringCache(keystore, PREFIX, "MFA session")
        self.lock = KeyedLocks()  # one per key set: two roles at once cause one prompt

    @property
    def memory(self) -> dict[str, SigningKey]:
        return self.items.memory

    def get(self, keyset: KeySet, trust_for: float | None = None) -> SigningKey | None:
        """The session made from this key set's current key, if any (keyring first, unless
        it was asked less than ``trust_for`` seconds ago)."""
        return self.items.get(keyset.name, partial(_loads, keyset), trust_for)

    def put(self, keyset: KeySet, session: SigningKey) -> None:
        self.items.put(keyset.name, session, _dumps(keyset, session))

    def clear(self, keyset: str) -> bool:
        return self.items.clear(keyset)


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
