"""`roletray roles import|export`: roles from ~/.aws/config or a team's catalogue, and back."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from tray_app.cli.common import add_json_flag, emit, engine_for, load_config


def add_parsers(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser(
        "import",
        help="add roles from ~/.aws/config (or a catalogue .toml); never edits the source",
        description="Each role profile of the AWS config (botocore's loader reads it) becomes "
        "a role; a source_profile names its key set (import the keys first with `roletray keys "
        "import`). Profiles that cannot be imported are listed with the reason. Running it "
        "again adds nothing new. With a .toml file: a catalogue from `roletray roles export`.",
    )
    imp.add_argument(
        "source", nargs="?", type=Path, help="a catalogue .toml (default: the AWS config)"
    )
    imp.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    imp.add_argument(
        "--profile", action="append", default=[], metavar="P", help="only this profile (repeatable)"
    )
    imp.add_argument(
        "--keys", action="append", default=[], metavar="FROM=TO",
        help="use key set TO where the source names FROM (repeatable)",
    )  # fmt: skip
    imp.add_argument(
        "--profile-format",
        default=None,
        help="the credentials-file profile each imported role writes (default "
        "'{name}-roletray': the AWS config's own profile keeps its role_arn, which the SDKs "
        "would use first)",
    )
    imp.add_argument(
        "--credential-process",
        action="store_true",
        help="serve each imported role to SDKs through credential_process: its profile in "
        "~/.aws/config runs `roletray credential-process`",
    )
    add_json_flag(imp)
    imp.set_defaults(handler=cmd_import)
    exp = sub.add_parser("export", help="print the roles as a catalogue (no secrets) to share")
    exp.add_argument("--group", help="only the roles of this menu group (or account id)")
    exp.set_defaults(handler=cmd_export)


def cmd_import(args: argparse.Namespace) -> int:
    from tray_app import aws_config as aws

    engine = engine_for(args)
    keys = aws.key_map(args.keys)
    if args.source and args.source.suffix == ".toml":
        verdicts = aws.plan_from_catalogue(args.source, engine.config, keys)
        where = str(args.source)
    else:
        path = args.source or aws.aws_config_path()
        profiles = aws.load_profiles(path)
        fmt = args.profile_format or aws.PROFILE_FORMAT
        verdicts = aws.plan_from_aws_config(profiles, engine.config, keys, args.profile, fmt)
        where = str(path)
    adding = aws.additions(verdicts)
    if args.credential_process:
        adding = [replace(role, credential_process=True) for role in adding]
    emit(args, aws.plan_rows(verdicts, args.dry_run), aws.PLAN_COLUMNS)
    if adding and not args.dry_run:
        engine.add_roles(adding)
    verb = "Would add" if args.dry_run else "Added"
    summary = f"{verb} {len(adding)} of {len(verdicts)} from {where}."
    print(summary, file=sys.stderr if args.json else sys.stdout)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from tray_app.aws_config import export_catalogue

    print(export_catalogue(load_config(args), args.group), end="")
    return 0
