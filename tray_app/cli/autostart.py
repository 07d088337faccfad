"""`roletray autostart enable|disable|status`: start the tray at login."""

from __future__ import annotations

import argparse

from tray_app.cli.common import Verbs


def add_parsers(verbs: Verbs) -> None:
    autostart = verbs.add_parser("autostart", help="start the tray at login (or not)")
    sub = autostart.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for name, text in (
        ("enable", "start the tray when you log in"),
        ("disable", "stop starting it at login"),
        ("status", "say whether it starts at login"),
    ):
        sub.add_parser(name, help=text).set_defaults(handler=cmd_autostart, action=name)


def cmd_autostart(args: argparse.Namespace) -> int:
    from tray_app.autostart import for_platform, tray_command

    item = for_platform()
    if args.action == "enable":
        where = item.enable(tray_command())
        print(f"RoleTray starts at login: {where}")
    elif args.action == "disable":
        where = item.disable()
        print(f"Removed {where}." if where else "RoleTray was not starting at login.")
    else:
        where = item.status()
        print(f"enabled: {where}" if where else "disabled")
    return 0
