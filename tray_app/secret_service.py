"""Reading one secret from the Secret Service (Linux) without loading keyring.

Importing keyring and checking its SecretService backend cost ~60 ms of a cold
`roletray assume`, for one read; secretstorage, which that backend reads through,
~20 ms more (its item module sets up cryptography's whole OpenSSL backend). This
makes the calls that backend's get_password makes, with jeepney (the D-Bus library
secretstorage is built on), and nothing else: an encrypted session
(dh-ietf1024-sha256-aes128-cbc-pkcs7, as secretstorage and libsecret open), the
default collection, the first item with keyring's attributes (service, username).

It is used only where keyring would pick that backend itself
(``keystore.reads_secret_service_directly``), and only on the plain path: a locked
collection or item, a service without encrypted sessions, any error, is
UNAVAILABLE, and keyring does the read (its unlock prompt, its plain-session
fallback, its error sentences). Every write and delete goes through keyring.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from contextlib import closing
from hashlib import sha256
from pathlib import Path
from typing import Any


class Unavailable:
    """The Secret Service could not be asked on the plain path: let keyring try."""


UNAVAILABLE = Unavailable()

BUS_NAME = "org.freedesktop.secrets"
SERVICE_PATH = "/org/freedesktop/secrets"
SECRET = "org.freedesktop.Secret."
ALGORITHM = "dh-ietf1024-sha256-aes128-cbc-pkcs7"
# RFC 2409's 1024-bit MODP group (Oakley group 2), generator 2: the spec's DH group.
PRIME = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22"
    "514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6"
    "F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381"
    "FFFFFFFFFFFFFFFF",
    16,
)
# The private exponent's size: RFC 7919 §5.2 asks for at least twice the group's security
# strength (~80 bits for this group), as OpenSSL uses for named groups; 256 bits is well
# over that, and a full 1024-bit one made the two pow()s 4× slower (~6 ms a read).
PRIVATE_BYTES = 32


def keyring_config_root(environ: Mapping[str, str] = os.environ) -> Path:
    """keyring's config folder on Linux (keyring.util.platform_.config_root)."""
    root = environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return Path(root) / "python_keyring"


def read(service: str, username: str) -> str | Unavailable | None:
    """The secret, None when the default collection has no such item, or UNAVAILABLE."""
    try:
        from jeepney.io.blocking import open_dbus_connection

        connection = open_dbus_connection(bus="SESSION")
    except Exception:
        return UNAVAILABLE
    with closing(connection):
        try:
            return _read(_Bus(connection), {"service": service, "username": username})
        except Exception:  # a D-Bus error reply, a locked item, a bad reply: keyring's turn
            return UNAVAILABLE


def _read(bus: _Bus, attributes: dict[str, str]) -> str | Unavailable | None:
    (collection,) = bus.call(SERVICE_PATH, "Service", "ReadAlias", "s", "default")
    if collection == "/" or bus.get(collection, "Collection", "Locked"):
        return UNAVAILABLE  # no default collection yet, or locked: keyring creates, unlocks
    (items,) = bus.call(collection, "Collection", "SearchItems", "a{ss}", attributes)
    if not items:
        return None  # no key exchange for an absence (a session not yet kept, say)
    session, key = _open_session(bus)
    # A locked item answers with an error, and keyring unlocks it.
    ((_, iv, value, _),) = bus.call(items[0], "Item", "GetSecret", "o", session)
    return _decrypt(key, bytes(iv), bytes(value)).decode("utf-8")


def _open_session(bus: _Bus) -> tuple[str, bytes]:
    """A session for encrypted transfer, and its AES key (the spec's HKDF-SHA256)."""
    private = int.from_bytes(os.urandom(PRIVATE_BYTES), "big")
    public = pow(2, private, PRIME).to_bytes(128, "big")
    (signature, theirs), session = bus.call(
        SERVICE_PATH, "Service", "OpenSession", "sv", ALGORITHM, ("ay", public)
    )
    if signature != "ay":
        raise ValueError("not a DH public key")
    shared = pow(int.from_bytes(theirs, "big"), private, PRIME).to_bytes(128, "big")
    pseudo_random_key = hmac.new(b"\0" * 32, shared, sha256).digest()
    return session, hmac.new(pseudo_random_key, b"\1", sha256).digest()[:16]


def _decrypt(key: bytes, iv: bytes, value: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.padding import PKCS7

    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    unpadder = PKCS7(128).unpadder()  # raises on bad padding: then keyring reads it
    padded = decryptor.update(value) + decryptor.finalize()
    return unpadder.update(padded) + unpadder.finalize()


class _Bus:
    """Method calls to the Secret Service; an error reply raises."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def call(self, path: str, interface: str, method: str, signature: str, *body: Any) -> Any:
        from jeepney import new_method_call

        return self._send(new_method_call(_address(path, interface), method, signature, body))

    def get(self, path: str, interface: str, name: str) -> Any:
        from jeepney import Properties

        ((_, value),) = self._send(Properties(_address(path, interface)).get(name))
        return value

    def _send(self, message: Any) -> Any:
        from jeepney import DBusErrorResponse, MessageType

        reply = self.connection.send_and_get_reply(message)
        if reply.header.message_type == MessageType.error:
            raise DBusErrorResponse(reply)
        return reply.body


def _address(path: str, interface: str) -> Any:
    from jeepney import DBusAddress

    return DBusAddress(path, BUS_NAME, SECRET + interface)
