"""What every verb shares: the engine, the config, one table or JSON printer."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tray_app.text import table

if TYPE_CHECKING:
    from tray_app.config import Config
    from tray_app.engine import Engine

Handler = Callable[[argparse.Namespace], int]
Verbs = argparse._SubParsersAction


def engine_for(args: argparse.Namespace) -> Engine:
    from tray_app.app import cli_engine

    return cli_engine(args.config)


def ask_tray(args: argparse.Namespace, op: str, **fields: object) -> Any | None:
    """The running tray's answer (the broker), or None: no tray, --no-tray, or a tray
    that uses another config or credentials file than this command would."""
    if args.no_tray:
        return None
    from tray_app.broker import client

    return client.ask(op, where=where(args), **fields)


def where(args: argparse.Namespace) -> dict[str, str]:
    """The files this command works on, for the tray to compare with its own."""
    from tray_app.broker import files
    from tray_app.paths import config_path, credentials_path

    return files(args.config or config_path(), credentials_path())


def load_config(args: argparse.Namespace) -> Config:
    from tray_app.config import ConfigStore

    return ConfigStore(args.config).load()


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """``--json``, which ``emit`` reads."""
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def emit(args: argparse.Namespace, rows: list[dict], columns: Sequence[str]) -> int:
    if getattr(args, "json", False):
        print(json.dumps(rows, indent=2, default=_json_default))
        return 0
    print(table(rows, columns))
    return 0


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        from tray_app.sessions import format_expiry

        return format_expiry(value)
    return str(value)
