"""The `roletray` command: a thin shell over the engine, one module per verb group.

Kept light on purpose: no pystray/PIL import here (``import pystray`` fails
without a display) and boto3 only once a verb calls STS. Every failure is one
line on stderr and a non-zero exit; ``--verbose`` adds detail, never secrets.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tray_app import __version__
from tray_app.cli.common import Handler
from tray_app.errors import RoleTrayError
from tray_app.logs import setup_logging
from tray_app.platform.signals import QuitSignal

log = logging.getLogger("tray_app")
# The module that adds each verb's parser, in the order of `roletray --help`. A command
# loads and builds only its own module's parsers (all of them cost ~10 ms of every cold
# command); no verb, --help, or anything unexpected builds them all.
VERBS = {
    "keys": "keys", "roles": "roles", "assume": "sessions", "status": "sessions",
    "clear": "sessions", "credential-process": "process", "console": "console", "mfa": "mfa",
    "settings": "settings", "doctor": "doctor", "iam-setup": "doctor",
    "autostart": "autostart", "completion": "completion", "_complete": "completion",
}  # fmt: skip
MODULES = tuple(dict.fromkeys(VERBS.values()))
_GLOBAL_FLAGS = {"-v", "--verbose", "--no-tray"}


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(_verb_module(argv)).parse_args(argv)
    setup_logging(args.verbose)
    handler: Handler = getattr(args, "handler", run_tray)
    try:
        return handler(args)
    except RoleTrayError as exc:
        print(f"roletray: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # `roletray status | head -1`: the reader left; say nothing more, to nobody.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (KeyboardInterrupt, QuitSignal) as exc:
        number = exc.args[0] if isinstance(exc, QuitSignal) else 2
        print("roletray: interrupted; nothing more was changed.", file=sys.stderr)
        return 128 + number
    except Exception as exc:  # a bug: one line, the traceback only when asked for
        log.debug("unexpected failure", exc_info=True)
        print(
            f"roletray: unexpected {type(exc).__name__} — run with --verbose and report it.",
            file=sys.stderr,
        )
        return 70


def main_gui() -> int:
    """``roletrayw``: the tray with no console window (Windows' pythonw, a login item).

    There is no terminal to print to, so output and errors go to roletray.log in
    the user log dir; closing no console can kill the tray.
    """
    import platformdirs

    folder = Path(platformdirs.user_log_dir("roletray", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "roletray.log").open("a", encoding="utf-8") as log_file:
        if sys.stdout is None or sys.stderr is None or not sys.stderr.isatty():
            sys.stdout = sys.stderr = log_file
        return main(sys.argv[1:])


def _verb_module(argv: Sequence[str]) -> str | None:
    """The module of the verb ``argv`` names after the global options; None: all of
    them; "" for none (the tray, which is no verb, and --version need none)."""
    words = iter(argv)
    for word in words:
        if word == "--config":
            next(words, None)
        elif word.startswith("--config=") or word in _GLOBAL_FLAGS:
            continue
        else:
            return "" if word == "--version" else VERBS.get(word)
    return ""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or with ``only`` the verbs of that module (see VERBS)."""
    names = MODULES if only is None else (only,) if only else ()
    parser = _Parser(
        prog="roletray",
        description="Assume AWS IAM roles into named profiles; long-lived keys stay in the "
        "OS keyring. With no command, starts the tray.",
    )
    parser.add_argument("--version", action="version", version=f"roletray {__version__}")
    parser.add_argument(
        "--config", type=Path, help="config file (default: $ROLETRAY_CONFIG or the user config dir)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log detail (no secrets)")
    parser.add_argument(
        "--no-tray",
        action="store_true",
        help="work alone: do not ask the running tray (assume, status, credential-process)",
    )
    verbs = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in names:
        importlib.import_module(f"tray_app.cli.{name}").add_parsers(verbs)
    tray = verbs.add_parser("tray", help="start the tray (the default with no command)")
    tray.set_defaults(handler=run_tray)
    demo = verbs.add_parser(
        "demo", help="the tray against a local STS with demo roles (needs roletray[demo])"
    )
    demo.set_defaults(handler=run_demo)
    return parser


class _Formatter(argparse.HelpFormatter):
    """argparse's own, told the width: finding it itself imports shutil, which loads bz2
    and lzma (~2 ms of every run: argparse makes a formatter for each option added)."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=_terminal_width() - 2)


class _Parser(argparse.ArgumentParser):
    """With _Formatter; its subparsers are _Parsers too (argparse makes them its type)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(formatter_class=_Formatter, **kwargs)


def _terminal_width() -> int:
    """What shutil.get_terminal_size() says: $COLUMNS, else stdout's terminal, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


def run_tray(args: argparse.Namespace) -> int:
    from tray_app.app import run_tray, tray_engine

    return run_tray(tray_engine(args.config))


def run_demo(args: argparse.Namespace) -> int:
    from tray_app.demo import run_demo as demo

    return demo()
