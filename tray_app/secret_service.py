"""Reading one secret from the Secret Service (Linux) without loading keyring.

Importing keyring and checking its SecretService backend cost ~60 ms of a cold
`roletray assume`, for one read. This does what that backend's get_password does
(secretstorage: the default collection, unlocked, searched by the attributes
keyring writes: service and username) and nothing else. It is used only where
keyring would pick that backend itself (``keystore.reads_secret_service_directly``);
every write and delete, and every read it cannot make, goes through keyring as
before, so errors read the same.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import closing
from pathlib import Path


class Unavailable:
    """The Secret Service could not be asked: let keyring try, and explain."""


UNAVAILABLE = Unavailable()


def keyring_config_root(environ: Mapping[str, str] = os.environ) -> Path:
    """keyring's config folder on Linux (keyring.util.platform_.config_root)."""
    root = environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return Path(root) / "python_keyring"


def read(service: str, username: str) -> str | Unavailable | None:
    """The secret, None when there is no such item, or UNAVAILABLE."""
    try:
        import secretstorage

        connection = secretstorage.dbus_init()
    except Exception:
        return UNAVAILABLE
    with closing(connection):
        try:
            collection = secretstorage.get_default_collection(connection)
            locked = collection.is_locked() and (collection.unlock() or collection.is_locked())
        except Exception:
            return UNAVAILABLE
        if locked:
            from keyring.errors import KeyringLocked  # what keyring raises: the same sentence

            raise KeyringLocked("Failed to unlock the keyring!")
        for item in collection.search_items({"username": username, "service": service}):
            if item.is_locked():
                item.unlock()
            return bytes(item.get_secret()).decode("utf-8")
    return None
