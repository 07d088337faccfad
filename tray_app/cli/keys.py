"""`roletray keys add|list|remove`: long-lived IAM user keys, the secret in the OS keyring."""

from __future__ import annotations

import argparse
import os

from tray_app.cli.common import Verbs, add_json_flag, emit, engine_for, load_config
from tray_app.errors import PromptError


def add_parsers(verbs: Verbs) -> None:
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
    add.set_defaults(handler=cmd_add)
    lst = sub.add_parser("list", help="list key sets (never secrets)")
    add_json_flag(lst)
    lst.set_defaults(handler=cmd_list)
    rm = sub.add_parser("remove", help="forget a key set and delete its secret from the keyring")
    rm.add_argument("name", help="the key set to forget (its secret leaves the keyring)")
    rm.set_defaults(handler=cmd_remove)
    imp = sub.add_parser(
        "import",
        help="move plaintext long-lived keys from the credentials file into the keyring",
        description="Each profile of the credentials file holding a long-lived key (AKIA…, no "
        "session token) becomes a key set of the same name, checked with GetCallerIdentity. "
        "With --scrub its key lines then leave the file (the same locked, atomic writer; "
        "every other byte kept), but only after the keyring gives the secret back.",
    )
    imp.add_argument(
        "--profile", action="append", default=[], metavar="P", help="only this profile (repeatable)"
    )
    imp.add_argument("--scrub", action="store_true", help="remove the keys from the file after")
    imp.add_argument("--no-verify", action="store_true", help="skip the GetCallerIdentity check")
    imp.add_argument("--dry-run", action="store_true", help="list what would move, change nothing")
    imp.set_defaults(handler=cmd_import)


def cmd_add(args: argparse.Namespace) -> int:
    access_key_id, secret = _key_input(args)
    keyset = engine_for(args).add_keys(
        args.name, access_key_id, secret, verify=not args.no_verify, region=args.region
    )
    who = f" for {keyset.user_arn}" if keyset.user_arn else " (not verified)"
    print(f"Stored key set {keyset.name} ({keyset.access_key_id}){who} in the OS keyring.")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    keys = load_config(args).keys.values()
    rows = [
        {"name": k.name, "access_key_id": k.access_key_id, "user_arn": k.user_arn} for k in keys
    ]
    return emit(args, rows, ("name", "access_key_id", "user_arn"))


def cmd_remove(args: argparse.Namespace) -> int:
    engine_for(args).remove_keys(args.name)
    print(f"Removed key set {args.name} and its secret from the OS keyring.")
    return 0


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


def cmd_import(args: argparse.Namespace) -> int:
    from tray_app.config import as_name
    from tray_app.errors import RoleTrayError

    engine = engine_for(args)
    found = engine.credentials.long_lived_keys()
    wanted = args.profile or list(found)
    worst, rows = 0, []
    for profile in wanted:
        if profile not in found:
            rows.append({"profile": profile, "keys": None, "result": "no long-lived key there"})
            continue
        key_id, secret = found[profile]
        row = {"profile": profile, "keys": as_name(profile), "access_key_id": key_id}
        if args.dry_run:
            row["result"] = "would move" + (" and scrub" if args.scrub else "")
        else:
            try:
                row["result"] = engine.import_key(
                    profile, key_id, secret, verify=not args.no_verify, scrub=args.scrub
                )
            except RoleTrayError as exc:
                row["result"], worst = f"not moved: {exc}", 1
        rows.append(row)
    emit(args, rows, ("profile", "keys", "access_key_id", "result"))
    if not found:
        print(f"No long-lived keys in {engine.credentials.path}.")
    elif not args.dry_run and not args.scrub and worst == 0:
        print("The keys are still in the file too: run again with --scrub to remove them.")
    if found and not args.dry_run:
        print("Next: `roletray roles import` adds the roles of ~/.aws/config that use them.")
    return worst
