"""`roletray credential-process ROLE`: what SDKs, Terraform and IDEs run for a profile.

stdout carries the JSON botocore reads (Version 1) and nothing else; stderr
gets one line on failure and never a secret. With the tray running, the tray
answers (a session with over 15 minutes left at once; otherwise it assumes, and
any MFA code is asked in its dialog). Without it, this process works alone.
"""

from __future__ import annotations

import argparse
import json
import sys

from tray_app.cli.common import Verbs, ask_tray


def add_parsers(verbs: Verbs) -> None:
    process = verbs.add_parser(
        "credential-process",
        help="print ROLE's session as credential_process JSON (for ~/.aws/config)",
        description="The helper a profile's `credential_process` line runs (`roletray roles "
        "add … --credential-process` writes that line). It reuses a session with over 15 "
        "minutes left, asks the running tray when there is one, and otherwise works alone: "
        "an MFA code is asked on the terminal when there is one, else in a dialog.",
    )
    process.add_argument("name", metavar="ROLE", help="the role whose session to print")
    process.set_defaults(handler=cmd_credential_process)


def cmd_credential_process(args: argparse.Namespace) -> int:
    output = ask_tray(args, "credentials", role=args.name)
    if output is None:
        from tray_app.app import process_engine

        output = process_engine(args.config).delivered(args.name).process_output()
    if not isinstance(output, dict) or output.get("Version") != 1:
        print("roletray: the tray sent no credentials — try again with --no-tray.", file=sys.stderr)
        return 1
    sys.stdout.write(json.dumps(output) + "\n")
    return 0
