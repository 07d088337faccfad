"""`roletray console ROLE`: open the AWS console signed in as the role."""

from __future__ import annotations

import argparse

from tray_app.cli.common import Verbs, engine_for


def add_parsers(verbs: Verbs) -> None:
    console = verbs.add_parser(
        "console",
        help="open the AWS console signed in as a role",
        description="Uses the role's session (assumed first if it has under 5 minutes left) "
        "for a federation sign-in token, then opens the login URL in your browser ($BROWSER "
        "is honoured). The URL is a secret for 15 minutes: it is never logged.",
    )
    console.add_argument("name", metavar="NAME", help="the role")
    console.add_argument("--print", action="store_true", help="print the URL instead of opening it")
    console.add_argument("--destination", help="a console URL to land on (default: the home page)")
    console.add_argument("--region", help="the console's region (default: the role's)")
    console.set_defaults(handler=cmd_console)


def cmd_console(args: argparse.Namespace) -> int:
    import webbrowser

    url = engine_for(args).console_url(args.name, args.destination, args.region)
    if args.print:
        print(url)
        return 0
    if not webbrowser.open(url):
        print("roletray: no browser could be started — run again with --print and open the URL.")
        return 1
    print(f"Opened the AWS console for {args.name} in your browser.")
    return 0
