"""Long-lived secret access keys in the OS keyring, and nowhere else.

Only a real secure store is accepted (Secret Service, KWallet, macOS Keychain,
Windows Credential Locker, or a third-party backend that is not a plaintext
file). Every call runs in a worker thread with a bounded wait, because a locked
keyring may raise an unlock prompt nobody sees, and that must not hang the CLI
or freeze the tray.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from tray_app import secret_service
from tray_app.errors import KeystoreError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

SERVICE = "roletray"
DEFAULT_TIMEOUT = 15.0
_INSECURE_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")
_INSTALL_HINT = (
    "start your desktop's keyring (on Linux: gnome-keyring or KWallet with the Secret Service "
    "API; install gnome-keyring if missing)"
)

T = TypeVar("T")


class Keystore(Protocol):
    """The narrow seam the engine uses; tests may pass an in-memory one."""

    def get(self, name: str) -> str: ...
    def find(self, name: str) -> str | None: ...
    def set(self, name: str, secret: str) -> None: ...
    def delete(self, name: str) -> None: ...


def timeout_from_env() -> float:
    try:
        return float(os.environ.get("ROLETRAY_KEYRING_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT


class OsKeystore:
    """The OS keyring through the ``keyring`` library, service ``roletray``."""

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = timeout_from_env() if timeout is None else timeout
        self._backend: KeyringBackend | None = None

    @property
    def backend(self) -> KeyringBackend:
        if self._backend is None:
            self._backend = self._bounded(secure_backend, "open the OS keyring")
        return self._backend

    def get(self, name: str) -> str:
        secret = self.find(name)
        if not secret:
            raise KeystoreError(
                f"The OS keyring has no secret for key set '{name}' — add it again with "
                f"`roletray keys add {name} --access-key-id …`."
            )
        return secret

    def find(self, name: str) -> str | None:
        """The item, or None when the keyring has none by that name."""
        if self._backend is None and reads_secret_service_directly():  # keyring not loaded
            found = self._bounded(lambda: secret_service.read(SERVICE, name), "read")
            if not isinstance(found, secret_service.Unavailable):
                return found or None
        return self._bounded(lambda: self.backend.get_password(SERVICE, name), "read") or None

    def set(self, name: str, secret: str) -> None:
        check_size(self.backend, name, secret)
        self._bounded(lambda: self.backend.set_password(SERVICE, name, secret), "store")

    def delete(self, name: str) -> None:
        import keyring.errors

        def delete() -> None:
            # Already gone is what the caller wanted.
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                self.backend.delete_password(SERVICE, name)

        self._bounded(delete, "delete")

    def _bounded(self, call: Callable[[], T], action: str) -> T:
        """Run ``call`` in a daemon thread; give up after ``timeout`` seconds."""
        result: list[T] = []
        failure: list[BaseException] = []

        def run() -> None:
            try:
                result.append(call())
            except BaseException as exc:  # re-raised in the caller's thread
                failure.append(exc)

        worker = threading.Thread(target=run, name=f"keyring-{action}", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            raise KeystoreError(
                f"The OS keyring did not answer within {self.timeout:.0f} s (trying to {action}) "
                "— it is probably locked behind an unlock prompt; unlock it (log in to the "
                "desktop, or open your keyring app) and try again."
            )
        if failure:
            raise _translate(failure[0], action) from None
        return result[0]


def secure_backend() -> KeyringBackend:
    """The keyring backend to use, refusing anything that stores plaintext."""
    native = native_backend()
    if native is not None:
        return native
    import keyring
    from keyring.backends.chainer import ChainerBackend

    chosen = keyring.get_keyring()
    explicit = bool(os.environ.get("PYTHON_KEYRING_BACKEND"))
    if isinstance(chosen, ChainerBackend):
        # A chainer writes to the first backend that accepts: pick a secure one ourselves.
        secure = [b for b in chosen.backends if is_secure(b)]
        if secure:
            return secure[0]
        chosen = chosen.backends[0] if chosen.backends else chosen
    if is_secure(chosen):
        return chosen
    name = f"{type(chosen).__module__}.{type(chosen).__name__}"
    if explicit:
        raise KeystoreError(
            f"PYTHON_KEYRING_BACKEND selects {name}, which is not a secure store — roletray "
            "will not keep a long-lived key there; unset it or name a system keyring backend."
        )
    raise KeystoreError(f"No secure OS keyring is available (found {name}) — {_INSTALL_HINT}.")


# The store keyring's discovery picks on each OS when nothing else is configured.
NATIVE = {
    "linux": ("keyring.backends.SecretService", "Keyring"),
    "darwin": ("keyring.backends.macOS", "Keyring"),
    "win32": ("keyring.backends.Windows", "WinVaultKeyring"),
}


def native_backend(
    platform: str = sys.platform, environ: Mapping[str, str] = os.environ
) -> KeyringBackend | None:
    """The OS's own store, taken directly when discovery would pick it anyway.

    keyring's discovery imports every backend and entry point (~100 ms, on every CLI
    run): skipped when nothing asks for another store — no PYTHON_KEYRING_BACKEND, no
    keyringrc.cfg — and, on Linux, outside KDE (where keyring prefers KWallet). None:
    let discovery decide.
    """
    where = NATIVE.get("linux" if platform.startswith("linux") else platform)
    if where is None or _another_store_asked(environ, _keyring_config_root):
        return None
    try:
        backend = getattr(importlib.import_module(where[0]), where[1])
        if not backend.viable:
            return None
        chosen = backend()
    except Exception:  # not this OS's store after all: discovery will say what is wrong
        return None
    return chosen if is_secure(chosen) else None


def reads_secret_service_directly(
    platform: str = sys.platform, environ: Mapping[str, str] = os.environ
) -> bool:
    """True where keyring's discovery would pick its SecretService backend anyway, so a
    read may skip loading keyring (``secret_service``)."""
    return platform.startswith("linux") and not _another_store_asked(
        environ, lambda: secret_service.keyring_config_root(environ)
    )


def _another_store_asked(environ: Mapping[str, str], config_root: Callable[[], Path]) -> bool:
    """Something may make keyring pick another store than the OS's own: the environment,
    keyring's own config file, or KDE (where keyring prefers KWallet)."""
    if environ.get("PYTHON_KEYRING_BACKEND"):
        return True
    if "KDE" in environ.get("XDG_CURRENT_DESKTOP", "").split(":"):
        return True
    return (config_root() / "keyringrc.cfg").exists()


def _keyring_config_root() -> Path:
    from keyring.util import platform_

    return Path(platform_.config_root())


# Windows Credential Locker keeps at most CRED_MAX_CREDENTIAL_BLOB_SIZE (5 × 512) bytes,
# and keyring stores the secret as UTF-16: 1,280 characters.
WINDOWS_BLOB_LIMIT = 2560


def check_size(backend: object, name: str, secret: str) -> None:
    """Refuse, with a sentence, a secret the backend would reject or cut."""
    if not type(backend).__module__.startswith("keyring.backends.Windows"):
        return
    size = len(secret.encode("utf-16-le"))
    if size > WINDOWS_BLOB_LIMIT:
        raise KeystoreError(
            f"The secret for '{name}' is {size} bytes as Windows stores it, over the Credential "
            f"Locker's limit of {WINDOWS_BLOB_LIMIT} — nothing was stored; check that you pasted "
            "only the secret access key."
        )


def is_secure(backend: object) -> bool:
    from keyring.backends.chainer import ChainerBackend

    module = type(backend).__module__
    if isinstance(backend, ChainerBackend) or module.startswith(_INSECURE_MODULES):
        return False
    if "plaintext" in type(backend).__name__.lower():
        return False
    return getattr(backend, "priority", 0) > 0


def _translate(exc: BaseException, action: str) -> BaseException:
    import keyring.errors

    if isinstance(exc, KeystoreError):
        return exc
    if isinstance(exc, keyring.errors.KeyringLocked):
        return KeystoreError(
            f"The OS keyring is locked (trying to {action}) — unlock it and try again."
        )
    if isinstance(exc, keyring.errors.InitError | keyring.errors.NoKeyringError):
        return KeystoreError(f"The OS keyring cannot be opened ({_reason(exc)}) — {_INSTALL_HINT}.")
    if isinstance(exc, keyring.errors.KeyringError):
        return KeystoreError(
            f"The OS keyring refused to {action} the secret ({_reason(exc)}) — check that it "
            "is unlocked and try again."
        )
    if isinstance(exc, Exception):
        return KeystoreError(
            f"The OS keyring failed to {action} the secret ({type(exc).__name__}) — check that "
            "it is running and unlocked."
        )
    return exc


def _reason(exc: BaseException) -> str:
    # Backend errors describe the store, never the secret; keep one short line.
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


class MemoryKeystore:
    """Secrets in process memory only; for the demo's throwaway key when no keyring runs."""

    def __init__(self) -> None:
        self._secrets: dict[str, str] = {}

    def get(self, name: str) -> str:
        if name not in self._secrets:
            raise KeystoreError(f"No secret for key set '{name}' in this session.")
        return self._secrets[name]

    def find(self, name: str) -> str | None:
        return self._secrets.get(name)

    def set(self, name: str, secret: str) -> None:
        self._secrets[name] = secret

    def delete(self, name: str) -> None:
        self._secrets.pop(name, None)
