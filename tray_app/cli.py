"""The `roletray` command: a thin shell over the engine.

Kept light on purpose: no pystray/PIL import here (``import pystray`` fails
without a display) and boto3 only once a verb calls STS. Every failure is one
line on stderr and a non-zero exit; ``--verbose`` adds detail, never secrets.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tray_app import __version__
from tray_app.config import DEFAULT_DURATION, Config, ConfigStore, Role
from tray_app.credentials_file import format_expiry
from tray_app.errors import PromptError, RoleTrayError
from tray_app.logs import setup_logging
from tray_app.platform.signals import QuitSignal
from tray_app.sessions import State, format_left

if TYPE_CHECKING:
    from tray_app.engine import Engine

log = logging.getLogger("tray_app")
Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="roletray",
        description="Assume AWS IAM roles into named profiles; long-lived keys stay in the "
        "OS keyring. With no command, starts the tray.",
    )
    parser.add_argument("--version", action="version", version=f"roletray {__version__}")
    parser.add_argument(
        "--config", type=Path, help="config file (default: $ROLETRAY_CONFIG or the user config dir)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log detail (no secrets)")
    verbs = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_keys_parser(verbs)
    _add_roles_parser(verbs)

    assume = verbs.add_parser("assume", help="assume a role and write its profile")
    assume.add_argument("name", help="role name")
    assume.add_argument("--mfa-code", help="the current 6-digit code (else asked on a terminal)")
    assume.add_argument(
        "--force", action="store_true", help="replace a profile roletray did not write"
    )
    assume.set_defaults(handler=cmd_assume)

    status = verbs.add_parser("status", help="each role's profile, state and time left")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(handler=cmd_status)

    clear = verbs.add_parser("clear", help="remove a role's temporary credentials from the file")
    clear.add_argument("name", help="role name")
    clear.set_defaults(handler=cmd_clear)

    tray = verbs.add_parser("tray", help="start the tray (the default with no command)")
    tray.set_defaults(handler=run_tray)
    demo = verbs.add_parser(
        "demo", help="the tray against a local STS with demo roles (needs roletray[demo])"
    )
    demo.set_defaults(handler=run_demo)
    return parser


def _add_keys_parser(verbs: argparse._SubParsersAction) -> None:
    keys = verbs.add_parser("keys", help="long-lived IAM user keys (secret in the OS keyring)")
    sub = keys.add_subparsers(title="commands", metavar="COMMAND", required=True)
    add = sub.add_parser(
        "add",
        help="store a key set",
        description="The secret is read from stdin when it is not a terminal, else from a "
        "hidden prompt; it is never accepted on the command line.",
    )
    add.add_argument("name", help="a name for this key set, e.g. work")
    add.add_argument("--access-key-id", help="the access key id (AKIA…)")
    add.add_argument(
        "--from-env",
        action="store_true",
        help="read AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment",
    )
    add.add_argument("--no-verify", action="store_true", help="skip the GetCallerIdentity check")
    add.add_argument(
        "--region",
        help="where to check the key (default: settings.region); a key of aws-cn or aws-us-gov "
        "needs a region of its partition, e.g. cn-north-1",
    )
    add.set_defaults(handler=cmd_keys_add)
    lst = sub.add_parser("list", help="list key sets (never secrets)")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    lst.set_defaults(handler=cmd_keys_list)
    rm = sub.add_parser("remove", help="forget a key set and delete its secret from the keyring")
    rm.add_argument("name", help="the key set to forget (its secret leaves the keyring)")
    rm.set_defaults(handler=cmd_keys_remove)


def _add_roles_parser(verbs: argparse._SubParsersAction) -> None:
    roles = verbs.add_parser("roles", help="roles to assume")
    sub = roles.add_subparsers(title="commands", metavar="COMMAND", required=True)
    add = sub.add_parser("add", help="add or replace a role")
    add.add_argument("name", help="a name for this role, e.g. prod-admin")
    add.add_argument("--role-arn", required=True, help="arn:aws:iam::ACCOUNT:role/NAME")
    add.add_argument("--keys", required=True, help="the key set to assume it from")
    add.add_argument("--profile", default="", help="target profile (default: the role name)")
    add.add_argument("--external-id", help="external ID the role's trust policy requires")
    add.add_argument("--session-name", help="role session name (default: your IAM user name)")
    add.add_argument(
        "--duration",
        type=int,
        default=DEFAULT_DURATION,
        help=f"session seconds, 900-43200 (default {DEFAULT_DURATION})",
    )
    add.add_argument("--mfa-serial", help="MFA device ARN, when the role requires MFA")
    add.add_argument(
        "--region",
        help="STS region (default: settings.region if it is in the role ARN's partition, else "
        "that partition's first region: cn-north-1 for arn:aws-cn, us-gov-west-1 for "
        "arn:aws-us-gov)",
    )
    add.add_argument(
        "--auto-refresh", action="store_true", help="the tray re-assumes it before expiry"
    )
    add.add_argument("--group", help="menu group (default: the account id)")
    add.set_defaults(handler=cmd_roles_add)
    lst = sub.add_parser("list", help="list roles")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    lst.set_defaults(handler=cmd_roles_list)
    rm = sub.add_parser("remove", help="forget a role and remove its temporary credentials")
    rm.add_argument("name", help="the role to forget (its profile is removed too)")
    rm.set_defaults(handler=cmd_roles_remove)


# -- handlers ----------------------------------------------------------------
def cmd_keys_add(args: argparse.Namespace) -> int:
    access_key_id, secret = _key_input(args)
    keyset = engine_for(args).add_keys(
        args.name, access_key_id, secret, verify=not args.no_verify, region=args.region
    )
    who = f" for {keyset.user_arn}" if keyset.user_arn else " (not verified)"
    print(f"Stored key set {keyset.name} ({keyset.access_key_id}){who} in the OS keyring.")
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    keys = _config(args).keys.values()
    rows = [
        {"name": k.name, "access_key_id": k.access_key_id, "user_arn": k.user_arn} for k in keys
    ]
    return _emit(args, rows, ("name", "access_key_id", "user_arn"))


def cmd_keys_remove(args: argparse.Namespace) -> int:
    engine_for(args).remove_keys(args.name)
    print(f"Removed key set {args.name} and its secret from the OS keyring.")
    return 0


def cmd_roles_add(args: argparse.Namespace) -> int:
    role = Role(
        name=args.name,
        role_arn=args.role_arn,
        keys=args.keys,
        profile=args.profile,
        session_name=args.session_name,
        external_id=args.external_id,
        duration=args.duration,
        mfa_serial=args.mfa_serial,
        region=args.region,
        auto_refresh=args.auto_refresh,
        group=args.group,
    )
    role = engine_for(args).add_role(role)
    print(f"Saved role {role.name}: {role.role_arn} → profile {role.target_profile}.")
    return 0


def cmd_roles_list(args: argparse.Namespace) -> int:
    config = _config(args)
    rows = [
        {
            "name": r.name,
            "profile": r.target_profile,
            "role_arn": r.role_arn,
            "keys": r.keys,
            "duration": r.duration,
            "region": config.region_for(r),
            "external_id": r.external_id,
            "mfa_serial": r.mfa_serial,
            "session_name": r.session_name,
        }
        for r in config.roles.values()
    ]
    return _emit(args, rows, ("name", "profile", "role_arn", "keys", "duration", "region"))


def cmd_roles_remove(args: argparse.Namespace) -> int:
    engine = engine_for(args)
    profile = engine.config.role(args.name).target_profile
    cleared = engine.remove_role(args.name)
    also = f" and profile {profile} from {engine.credentials.path}" if cleared else ""
    print(f"Removed role {args.name}{also}.")
    return 0


def cmd_assume(args: argparse.Namespace) -> int:
    status = engine_for(args).assume(args.name, mfa_code=args.mfa_code, force=args.force)
    until = f"{status.expiration.astimezone():%Y-%m-%d %H:%M:%S %Z}" if status.expiration else "?"
    if status.state is not State.ACTIVE:  # STS's expiry is already past by our clock
        print(
            f"roletray: profile {status.profile} was written, but by this computer's clock it "
            f"expired at {until} — sync the clock (enable NTP).",
            file=sys.stderr,
        )
        return 1
    print(
        f"Profile {status.profile} is ready until {until} "
        f"({format_left(status.time_left)} left) — use AWS_PROFILE={status.profile}."
    )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    statuses = engine_for(args).status()
    rows = [
        s.as_json() if args.json else {**s.as_json(), "left": format_left(s.time_left)}
        for s in statuses
    ]
    return _emit(args, rows, ("role", "profile", "state", "expiration", "left"))


def cmd_clear(args: argparse.Namespace) -> int:
    engine = engine_for(args)
    profile = engine.config.role(args.name).target_profile
    if engine.clear(args.name):
        print(f"Removed profile {profile} from {engine.credentials.path}.")
    else:
        print(f"Profile {profile} had no credentials in {engine.credentials.path}.")
    return 0


def run_tray(args: argparse.Namespace) -> int:
    from tray_app.app import run_tray, tray_engine

    return run_tray(tray_engine(args.config))


def run_demo(args: argparse.Namespace) -> int:
    from tray_app.demo import run_demo as demo

    return demo()


# -- helpers -----------------------------------------------------------------
def engine_for(args: argparse.Namespace) -> Engine:
    from tray_app.app import cli_engine

    return cli_engine(args.config)


def _config(args: argparse.Namespace) -> Config:
    return ConfigStore(args.config).load()


def _key_input(args: argparse.Namespace) -> tuple[str, str]:
    if args.from_env:
        access_key_id = os.environ.get("AWS_ACCESS_KEY_ID", "")
        secret = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
        if not access_key_id or not secret:
            raise PromptError(
                "--from-env needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set; nothing "
                "was stored."
            )
        return args.access_key_id or access_key_id, secret
    if not args.access_key_id:
        raise PromptError("Pass --access-key-id AKIA… (or --from-env); nothing was stored.")
    from tray_app.prompt.terminal import read_secret

    return args.access_key_id, read_secret(args.name)


def _emit(args: argparse.Namespace, rows: list[dict], columns: Sequence[str]) -> int:
    if getattr(args, "json", False):
        print(json.dumps(rows, indent=2, default=_json_default))
        return 0
    if not rows:
        print("(none)")
        return 0
    table = [[c.upper() for c in columns]] + [[str(r.get(c) or "-") for c in columns] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    for line in table:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
    return 0


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return format_expiry(value)
    return str(value)
