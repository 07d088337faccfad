"""Composition: each shell's object graph, built complete in one place.

The CLI gets an engine whose MFA prompts suit a terminal; the tray gets one
whose prompts are dialogs, a notifier that proved itself (MFA status lines such
as "touch your YubiKey" go to it), a controller wired to wake the UI, and the
platform bridge for pystray's backend. Nothing here runs at import (pystray
and boto3 are loaded only when a shell needs them).
"""

from __future__ import annotations

import logging
import sys
import threading
from functools import partial
from pathlib import Path
from typing import Any

from tray_app.config import Config, ConfigStore
from tray_app.credentials_file import CredentialsFile
from tray_app.engine import Engine
from tray_app.keystore import Keystore, OsKeystore
from tray_app.mfa import MfaCodes
from tray_app.process_profile import command_line
from tray_app.prompt import Tell, choose

log = logging.getLogger(__name__)


def build_engine(
    store: ConfigStore,
    credentials: CredentialsFile,
    keystore: Keystore,
    shell: str | None = None,
    sts_endpoint: str | None = None,
    tell: Tell = log.info,
) -> Engine:
    """The engine with the real STS client, its limits taken from the config's settings.

    ``shell``: "cli" or "tray", whose MFA prompts the config's ``mfa_prompt`` picks
    from; None asks nobody (a code must be given).
    """
    from tray_app.sts import Limits, Sts, make_sts

    clients: dict[Limits, Sts] = {}  # one per limits: its connections are reused

    def sts_for(config: Config) -> Sts:
        settings = config.settings
        limits = Limits.from_settings(settings.sts_timeout, settings.sts_attempts)
        if limits not in clients:
            clients[limits] = make_sts(limits, endpoint_url=sts_endpoint)
        return clients[limits]

    mfa = MfaCodes(tell=tell)
    if shell is not None:
        mfa.prompt_for = lambda settings: choose(settings, shell, mfa.tell)
    engine = Engine(store, keystore, sts_for, credentials, mfa=mfa)
    if store.explicit:  # --config or $ROLETRAY_CONFIG: an SDK's process must find it too
        engine.process_command = partial(command_line, config=store.path.absolute())
    return engine


def _tell(line: str) -> None:
    print(f"roletray: {line}", file=sys.stderr, flush=True)


def cli_engine(config: Path | None) -> Engine:
    return build_engine(ConfigStore(config), CredentialsFile(), OsKeystore(), "cli", tell=_tell)


def process_engine(config: Path | None) -> Engine:
    """For `credential-process` working alone. botocore captures its stdout and stderr but
    not stdin: on a terminal the code is asked there (getpass uses /dev/tty); from an IDE
    or Terraform, with no terminal, in a dialog."""
    shell = "cli" if sys.stdin is not None and sys.stdin.isatty() else "tray"
    return build_engine(ConfigStore(config), CredentialsFile(), OsKeystore(), shell, tell=_tell)


# Seconds the tray's menu trusts its copy of a key set's MFA session (in the keyring)
# before asking again: the clock ticks at least once a minute, and a keyring read on
# each tick would be the idle tray's only work (a D-Bus connection and a thread, waking
# the whole process). The tray makes these sessions itself; only one made by a
# `--no-tray` run elsewhere shows up this much later.
MFA_STATUS_TRUST = 300.0


def tray_engine(
    config: Path | None, credentials: CredentialsFile | None = None, sts_endpoint: str | None = None
) -> Engine:
    """The engine as the tray runs it (the bench builds the same one)."""
    from tray_app.process_sessions import TRAY_TRUST
    from tray_app.sources.keyring_key import KeyMemory

    engine = build_engine(
        ConfigStore(config), credentials or CredentialsFile(), OsKeystore(), "tray", sts_endpoint
    )
    engine.process_sessions.items.trust_for = TRAY_TRUST
    engine.status_trust = MFA_STATUS_TRUST
    engine.key_memory = KeyMemory()  # a click reads no keyring (see KeyMemory)
    return engine


def run_tray(engine: Engine, instance: str = "tray") -> int:
    """Run the tray until it quits; 0 also when another instance already runs."""
    from tray_app import file_lock
    from tray_app.tray import load_pystray, runtime_dir

    try:
        lock = file_lock.acquire(runtime_dir() / f"{instance}.lock", timeout=0)
    except file_lock.LockTimeout:
        print(f"roletray: the {instance} is already running.")
        return 0
    with lock:
        ui = build_tray(engine, load_pystray())
        # The demo (its own files, its own lock) serves nobody: the CLI asks the real tray.
        broker = start_broker(ui.controller) if instance == "tray" else None
        try:
            ui.run()
        finally:
            if broker is not None:
                broker.stop()
        return 0


def start_broker(controller: Any) -> Any:
    """The tray's broker for `credential-process`, `assume` and `status`; None when it
    cannot start (the tray still works, and the CLI works alone)."""
    from tray_app import broker
    from tray_app.broker.server import Broker
    from tray_app.tray.service import Service

    try:
        server = Broker(broker.listen(), Service(controller))
        server.start()
    except Exception as exc:  # OSError, BrokerError, or a Win32 call this Windows lacks
        log.warning("no broker: %s", exc)
        return None
    return server


def build_tray(engine: Engine, pystray: Any) -> Any:
    """Bridge, icon, notifier, controller and UI for pystray's current backend."""
    from tray_app.notify import get_notifier
    from tray_app.notify.pystray_notify import PystrayNotifier
    from tray_app.platform import bridge_for
    from tray_app.tray import backend_name
    from tray_app.tray.controller import Controller
    from tray_app.tray.icon import IconState, render
    from tray_app.tray.observer import Observer
    from tray_app.tray.ui import ICON_SIZE, TrayUI

    backend = backend_name(pystray)
    bridge = bridge_for(backend)
    icon = pystray.Icon("roletray", render(IconState.IDLE, ICON_SIZE), "RoleTray")
    bridge.attach(icon)
    # On Linux pystray's notify uses the same freedesktop service: no use as a fallback.
    fallbacks = (
        []
        if sys.platform.startswith("linux")
        else [lambda: PystrayNotifier.usable(icon, bridge.call_on_ui)]
    )
    notifier = get_notifier("auto", fallbacks)
    engine.mfa.tell = lambda line: notifier.notify("RoleTray", line)
    log.info("tray backend: %s; notifications: %s (%s)", backend, type(notifier).__name__,
             notifier.where)  # fmt: skip
    wake = threading.Event()
    controller = Controller(engine, notifier, on_change=wake.set)
    return TrayUI(controller, pystray, icon, bridge, wake, Observer.from_env())
