"""The key set's long-lived key, its secret read from the OS keyring."""

from __future__ import annotations

from dataclasses import dataclass

from tray_app.config import KeySet
from tray_app.keystore import Keystore
from tray_app.sts import SigningKey


@dataclass(frozen=True)
class KeyringKey:
    keystore: Keystore
    keyset: KeySet

    def retrieve(self, fresh: bool = False) -> SigningKey:
        secret = self.keystore.get(self.keyset.name)
        return SigningKey(self.keyset.name, self.keyset.access_key_id, secret)
