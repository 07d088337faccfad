"""The key set's long-lived key, its secret read from the OS keyring."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from tray_app.config import KeySet
from tray_app.keystore import Keystore
from tray_app.sts import SigningKey


class KeyMemory:
    """Secrets this process read from the keyring, by key set and access key id.

    The tray keeps them: a Secret Service read costs more than the AssumeRole it signs
    (~12 ms a click). AWS never changes a key's secret (a new key has a new id, which the
    config names), so a copy stays good while the config names the same id. A secret
    mistyped and then fixed under the same id is caught when STS refuses the copy: the
    engine then reads the keyring again (``retrieve(fresh=True)``).
    """

    def __init__(self) -> None:
        self._secrets: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get(self, keyset: KeySet) -> str | None:
        with self._lock:
            return self._secrets.get((keyset.name, keyset.access_key_id))

    def put(self, keyset: KeySet, secret: str) -> None:
        with self._lock:
            self.forget(keyset.name)
            self._secrets[(keyset.name, keyset.access_key_id)] = secret

    def forget(self, name: str) -> None:
        for key in [key for key in self._secrets if key[0] == name]:
            del self._secrets[key]


@dataclass(frozen=True)
class KeyringKey:
    keystore: Keystore
    keyset: KeySet
    memory: KeyMemory | None = field(default=None, compare=False)

    def retrieve(self, fresh: bool = False) -> SigningKey:
        if self.memory is not None and not fresh:
            secret = self.memory.get(self.keyset)
            if secret is not None:
                return SigningKey(
                    self.keyset.name, self.keyset.access_key_id, secret, remembered=True
                )
        secret = self.keystore.get(self.keyset.name)
        if self.memory is not None:
            self.memory.put(self.keyset, secret)
        return SigningKey(self.keyset.name, self.keyset.access_key_id, secret)
