"""`roletray assume|status|clear`: one role, several, or --all."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from tray_app.cli.common import Verbs, add_json_flag, ask_tray, emit, engine_for, load_config
from tray_app.errors import ConfigError, RoleTrayError

if TYPE_CHECKING:
    from tray_app.config import Config
    from tray_app.engine import Engine
    from tray_app.sessions import RoleStatus


def add_parsers(verbs: Verbs) -> None:
    assume = verbs.add_parser("assume", help="assume roles and write their profiles")
    _names(assume, "assume")
    assume.add_argument(
        "--mfa-code",
        help="the current 6-digit code (else asked by the mfa_prompt setting's driver)",
    )
    assume.add_argument(
        "--force", action="store_true", help="replace a profile roletray did not write"
    )
    assume.set_defaults(handler=cmd_assume)

    status = verbs.add_parser("status", help="each role's profile, state and time left")
    status.add_argument("names", nargs="*", metavar="NAME", help="only these roles (default: all)")
    add_json_flag(status)
    status.set_defaults(handler=cmd_status)

    clear = verbs.add_parser("clear", help="remove roles' temporary credentials from the file")
    _names(clear, "clear")
    clear.set_defaults(handler=cmd_clear)


def _names(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"the roles to {verb}")
    parser.add_argument("--all", action="store_true", help=f"{verb} every role")


def chosen(config: Config, args: argparse.Namespace) -> list[str]:
    """The roles named (each checked), or all of them with --all; never none."""
    if args.all and args.names:
        raise ConfigError("Give role names or --all, not both.")
    if args.all:
        return list(config.roles)
    if not args.names:
        raise ConfigError("Name the roles to act on, or pass --all.")
    for name in args.names:
        config.role(name)  # an unknown name stops everything before anything changes
    return list(dict.fromkeys(args.names))


def for_each(names: list[str], act: Callable[[str], int]) -> int:
    """Act on each role; a failure is reported and the rest still run; 1 if any failed."""
    worst = 0
    for name in names:
        try:
            worst = max(worst, act(name))
        except RoleTrayError as exc:
            if len(names) == 1:
                raise
            print(f"roletray: {exc}", file=sys.stderr)
            worst = 1
    return worst


def cmd_assume(args: argparse.Namespace) -> int:
    from tray_app.mfa import refuse_code_without_mfa

    config = load_config(args)
    names = chosen(config, args)
    if args.mfa_code is not None:  # one sentence up front, not one per role
        for name in names:
            refuse_code_without_mfa(config.role(name), args.mfa_code)
    direct = [n for n in names if config.role(n).mfa_each_time]
    if args.mfa_code and len(direct) > 1:
        raise ConfigError(
            "An MFA code is good for one assume — give --mfa-code with one role that asks for "
            "a code each time (roles with mfa_strategy session share one code)."
        )
    return for_each(names, partial(_assume, args, []))


def _assume(args: argparse.Namespace, alone: list[Engine], name: str) -> int:
    """Through the running tray (its menu and icon follow), else alone with an engine
    (made once, on the first role the tray did not take)."""
    from tray_app.sessions import State, format_left, from_json

    fields = {"role": name, "mfa_code": args.mfa_code, "force": args.force}
    row = None if alone else ask_tray(args, "assume", **fields)
    if row is not None:
        status = from_json(row, datetime.now(UTC))
    else:
        if not alone:
            alone.append(engine_for(args))
        status = alone[0].assume(name, mfa_code=args.mfa_code, force=args.force)
    until = f"{status.expiration.astimezone():%Y-%m-%d %H:%M:%S %Z}" if status.expiration else "?"
    if status.state is not State.ACTIVE:  # STS's expiry is already past by our clock
        print(
            f"roletray: profile {status.profile} was written, but by this computer's clock "
            f"it expired at {until} — sync the clock (enable NTP).",
            file=sys.stderr,
        )
        return 1
    print(
        f"Profile {status.profile} is ready until {until} "
        f"({format_left(status.time_left)} left) — use AWS_PROFILE={status.profile}."
    )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from tray_app.sessions import format_left, from_json

    wanted = set(args.names)
    config = None
    if wanted:  # an unknown name is this config's error, whoever answers
        config = load_config(args)
        for name in wanted:
            config.role(name)
    rows = ask_tray(args, "status")  # the tray's answer needs no config loaded here
    if rows is None:
        statuses = _status_alone(args, config)
    else:
        now = datetime.now(UTC)
        statuses = [from_json(row, now) for row in rows]
    shown = [
        s.as_json() if args.json else {**s.as_json(), "left": format_left(s.time_left)}
        for s in statuses
        if not wanted or s.role in wanted
    ]
    return emit(args, shown, ("role", "profile", "state", "expiration", "left"))


def _status_alone(args: argparse.Namespace, config: Config | None) -> list[RoleStatus]:
    """What Engine.status says, without loading the engine (its STS and keyring modules);
    ``config``: the one already loaded, if any."""
    from tray_app.config import ConfigStore
    from tray_app.credentials_file import CredentialsFile
    from tray_app.session_notes import SessionNotes
    from tray_app.sessions import held_sessions, statuses

    store = ConfigStore(args.config)
    config = config or store.load()
    held = held_sessions(config, CredentialsFile(), SessionNotes.beside(store.path))
    return statuses(config, held, datetime.now(UTC))


def cmd_clear(args: argparse.Namespace) -> int:
    engine = engine_for(args)

    def clear(name: str) -> int:
        profile = engine.config.role(name).target_profile
        if engine.clear(name):
            print(f"Removed profile {profile} from {engine.credentials.path}.")
        else:
            print(f"Profile {profile} had no credentials in {engine.credentials.path}.")
        return 0

    return for_each(chosen(engine.config, args), clear)
