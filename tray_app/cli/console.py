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
    console.add_argument(
        "--browser-profile",
        metavar="KIND:NAME",
        help="firefox-container:NAME, firefox:PROFILE, or chrome|chromium|brave|edge:DIR "
        "(default: the role's browser_profile, else your default browser)",
    )
    console.set_defaults(handler=cmd_console)


def cmd_console(args: argparse.Namespace) -> int:
    from tray_app import browser

    engine = engine_for(args)
    profile = args.browser_profile or engine.config.role(args.name).browser_profile
    if profile:
        browser.command(profile, "")  # a bad profile or no such browser: said before STS
    url = engine.console_url(args.name, args.destination, args.region)
    if args.print:
        print(url)
        return 0
    browser.open_url(url, profile)
    where = f"browser profile {profile}" if profile else "your browser"
    print(f"Opened the AWS console for {args.name} in {where}.")
    return 0
