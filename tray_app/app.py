"""Composition: each shell's object graph, built complete in one place.

The CLI gets an engine with the terminal MFA prompt; the tray gets an engine
with the desktop prompt, a notifier that proved itself, a controller wired to
wake the UI, and the platform bridge for pystray's backend. Nothing is patched
in after construction, and nothing here runs at import (pystray and boto3 are
loaded only when a shell needs them).
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from tray_app.config import Config, ConfigStore
from tray_app.credentials_file import CredentialsFile
from tray_app.engine import Engine
from tray_app.keystore import Keystore, OsKeystore
from tray_app.prompt import get_prompt

log = logging.getLogger(__name__)


def build_engine(
    store: ConfigStore,
    credentials: CredentialsFile,
    keystore: Keystore,
    prompt: str = "none",
    sts_endpoint: str | None = None,
) -> Engine:
    """The engine with the real STS client, its limits taken from the config's settings."""
    from tray_app.sts import BotoSts, Limits

    def sts_for(config: Config) -> BotoSts:
        settings = config.settings
        limits = Limits.from_settings(settings.sts_timeout, settings.sts_attempts)
        return BotoSts(limits, endpoint_url=sts_endpoint)

    return Engine(store, keystore, sts_for, credentials, mfa_prompt=get_prompt(prompt))


def cli_engine(config: Path | None) -> Engine:
    return build_engine(ConfigStore(config), CredentialsFile(), OsKeystore(), "terminal")


def tray_engine(config: Path | None) -> Engine:
    return build_engine(ConfigStore(config), CredentialsFile(), OsKeystore(), "desktop")


def run_tray(engine: Engine, instance: str = "tray") -> int:
    """Run the tray until it quits; 0 also when another instance already runs."""
    from tray_app.tray import load_pystray, runtime_dir

    lock = FileLock(runtime_dir() / f"{instance}.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(f"roletray: the {instance} is already running.")
        return 0
    try:
        build_tray(engine, load_pystray()).run()
        return 0
    finally:
        lock.release()


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
    log.info("tray backend: %s; notifications: %s (%s)", backend, type(notifier).__name__,
             notifier.where)  # fmt: skip
    wake = threading.Event()
    controller = Controller(engine, notifier, on_change=wake.set)
    return TrayUI(controller, pystray, icon, bridge, wake, Observer.from_env())
