"""`roletray doctor` and `roletray iam-setup`: check the set-up; do the admin half of it."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from tray_app.cli.common import Verbs, add_json_flag, engine_for
from tray_app.errors import ConfigError

if TYPE_CHECKING:
    from tray_app.config import Config, KeySet


def add_parsers(verbs: Verbs) -> None:
    doctor = verbs.add_parser(
        "doctor",
        help="check the keyring, tray, notifications, files, key sets and roles",
        description="One line per check, each with its fix. Exit status 0 only when nothing "
        "is broken (warnings do not count).",
    )
    doctor.add_argument(
        "--assume", action="store_true", help="also try each role (the sessions are discarded)"
    )
    doctor.add_argument("--no-desktop", action="store_true", help="skip the tray and notifications")
    add_json_flag(doctor)
    doctor.set_defaults(handler=cmd_doctor)

    setup = verbs.add_parser(
        "iam-setup",
        help="the IAM policy, group and trust statement that let a user assume a role",
        description="Prints what an administrator creates so USER may assume ROLE: a managed "
        "policy allowing sts:AssumeRole on it, a group with that policy, the membership, and "
        "the trust statement the role needs. --apply creates the first three through IAM with "
        "a key set's credentials (idempotent).",
    )
    setup.add_argument("--role-arn", required=True, help="the role to allow")
    setup.add_argument("--user", required=True, help="the IAM user who will assume it")
    setup.add_argument("--group", help="group name (default: assume-<role name>)")
    setup.add_argument("--policy-name", help="policy name (default: assume-<role name>)")
    setup.add_argument("--keys", help="key set with IAM rights for --apply (default: the only one)")
    setup.add_argument("--apply", action="store_true", help="create them through IAM")
    setup.set_defaults(handler=cmd_iam_setup)


def cmd_doctor(args: argparse.Namespace) -> int:
    from tray_app import doctor

    findings = doctor.run(engine_for(args), assume=args.assume, desktop=not args.no_desktop)
    if args.json:
        print(json.dumps([f.__dict__ for f in findings], indent=2))
    else:
        print(doctor.render(findings))
    return 1 if doctor.broken(findings) else 0


def cmd_iam_setup(args: argparse.Namespace) -> int:
    from tray_app.config import ROLE_FIELDS
    from tray_app.iam import SetupPlan, apply
    from tray_app.sources.keyring_key import KeyringKey

    problem = ROLE_FIELDS["role_arn"](args.role_arn)
    if problem:
        raise ConfigError(f"--role-arn {problem}.")
    role_name = args.role_arn.rsplit("/", 1)[-1]
    plan = SetupPlan(
        args.role_arn,
        args.user,
        args.group or f"assume-{role_name}",
        args.policy_name or f"assume-{role_name}",
    )
    engine = engine_for(args)
    config = engine.config
    keyset = config.keyset(args.keys) if args.keys else _only_keyset(config)
    account = keyset.user_arn.split(":")[4] if keyset and keyset.user_arn else plan.account
    user_arn = f"arn:{plan.partition}:iam::{account}:user/{args.user}"
    print(plan.describe(user_arn))
    if args.apply:
        if keyset is None:
            raise ConfigError("--apply needs a key set with IAM rights: name it with --keys.")
        for step in apply(plan, KeyringKey(engine.keystore, keyset).retrieve()):
            print(f"done: {step}")
    else:
        print("(nothing created: pass --apply to create 1-3 with a key set's IAM rights)")
    print(
        "Then, as the user:\n"
        f"  roletray keys add {args.user} --access-key-id AKIA…\n"
        f"  roletray roles add {role_name} --role-arn {args.role_arn} --keys {args.user}"
    )
    return 0


def _only_keyset(config: Config) -> KeySet | None:
    keys = list(config.keys.values())
    return keys[0] if len(keys) == 1 else None
