"""`roletray mfa status|clear`: the MFA sessions key sets hold (mfa_strategy = "session")."""

from __future__ import annotations

import argparse

from tray_app.cli.common import Verbs, add_json_flag, emit, engine_for


def add_parsers(verbs: Verbs) -> None:
    mfa = verbs.add_parser("mfa", help="MFA sessions kept per key set (mfa_strategy session)")
    sub = mfa.add_subparsers(title="commands", metavar="COMMAND", required=True)
    status = sub.add_parser("status", help="each key set's MFA session and when it ends")
    add_json_flag(status)
    status.set_defaults(handler=cmd_status)
    clear = sub.add_parser("clear", help="end MFA sessions (the next assume asks for a code)")
    clear.add_argument("keysets", nargs="*", metavar="KEYSET", help="these key sets (default: all)")
    clear.set_defaults(handler=cmd_clear)


def cmd_status(args: argparse.Namespace) -> int:
    from tray_app.sessions import format_left

    engine = engine_for(args)
    now = engine.clock()
    rows = []
    for keyset, session in engine.mfa_status().items():
        end = session.expiration if session else None
        live = end is not None and end > now
        rows.append(
            {
                "keys": keyset,
                "state": "active" if live else "ended" if end else "none",
                "expiration": end,
                "time_left": format_left(end - now) if live and end else None,
            }
        )
    return emit(args, rows, ("keys", "state", "expiration", "time_left"))


def cmd_clear(args: argparse.Namespace) -> int:
    engine = engine_for(args)
    names = args.keysets or list(engine.mfa_status())
    for name in names:
        ended = engine.clear_mfa(name)
        print(f"{'Ended' if ended else 'No'} MFA session for key set {name}.")
    return 0
