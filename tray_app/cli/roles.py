"""`roletray roles add|edit|list|remove`: the roles to assume."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from tray_app.cli import catalogue
from tray_app.cli.common import Verbs, add_json_flag, emit, engine_for, load_config
from tray_app.config import CHAINED_MAX_DURATION, DEFAULT_DURATION, MFA_STRATEGIES, Role

if TYPE_CHECKING:
    from tray_app.engine import Engine

UNSETTABLE = (
    "profile", "session_name", "external_id", "mfa_serial", "mfa_strategy", "region", "group",
    "source_identity", "browser_profile",
)  # fmt: skip
STRATEGY_HELP = (
    "with --mfa-serial: 'direct' asks for a code on every assume (sessions up to the role's "
    "maximum); 'session' asks once per key set for a GetSessionToken session (12 h by default, "
    "kept in the OS keyring) and assumes from it with no prompt, so auto-refresh works — but "
    "AWS caps a role session assumed from session credentials at 1 hour (default: direct)"
)
BROWSER_HELP = (
    "where `console` opens this role: firefox-container:NAME (with the 'Open external links "
    "in a container' add-on), firefox:PROFILE, or chrome|chromium|brave|edge:PROFILE-DIR "
    "(default: your default browser)"
)
REGION_HELP = (
    "STS region (default: settings.region if it is in the role ARN's partition, else that "
    "partition's first region: cn-north-1 for arn:aws-cn, us-gov-west-1 for arn:aws-us-gov)"
)


def add_parsers(verbs: Verbs) -> None:
    roles = verbs.add_parser("roles", help="roles to assume")
    sub = roles.add_subparsers(title="commands", metavar="COMMAND", required=True)
    add = sub.add_parser("add", help="add or replace a role")
    add.add_argument("name", help="a name for this role, e.g. prod-admin")
    _role_options(add, editing=False)
    add.set_defaults(handler=cmd_add)

    edit = sub.add_parser(
        "edit",
        help="change some fields of a role, keeping the rest",
        description="Only the options given change. A changed profile moves the role's "
        "temporary credentials out of the old one.",
    )
    edit.add_argument("name", help="the role to change")
    _role_options(edit, editing=True)
    edit.add_argument(
        "--unset",
        action="append",
        default=[],
        choices=UNSETTABLE,
        metavar="FIELD",
        help=f"back to its default; one of {', '.join(UNSETTABLE)} (repeatable)",
    )
    edit.set_defaults(handler=cmd_edit)

    lst = sub.add_parser("list", help="list roles")
    add_json_flag(lst)
    lst.set_defaults(handler=cmd_list)
    rm = sub.add_parser("remove", help="forget a role and remove its temporary credentials")
    rm.add_argument("name", help="the role to forget (its profile is removed too)")
    rm.set_defaults(handler=cmd_remove)
    catalogue.add_parsers(sub)


def _role_options(parser: argparse.ArgumentParser, editing: bool) -> None:
    """The role's fields as options; when editing, an option not given is not in args."""
    keep = {"default": argparse.SUPPRESS} if editing else {}
    parser.add_argument(
        "--role-arn", required=not editing, help="arn:aws:iam::ACCOUNT:role/NAME", **keep
    )
    parser.add_argument(
        "--keys", required=not editing, help="the key set to assume it from", **keep
    )
    parser.add_argument(
        "--profile", help="target profile (default: the role name)", **(keep or {"default": ""})
    )
    parser.add_argument(
        "--external-id", help="external ID the role's trust policy requires", **keep
    )
    parser.add_argument(
        "--session-name", help="role session name (default: your IAM user name)", **keep
    )
    parser.add_argument(
        "--duration",
        type=int,
        help=f"session seconds, 900-43200 (default {DEFAULT_DURATION})",
        **(keep or {"default": DEFAULT_DURATION}),
    )
    parser.add_argument("--mfa-serial", help="MFA device ARN, when the role requires MFA", **keep)
    parser.add_argument(
        "--mfa-strategy",
        choices=MFA_STRATEGIES,
        help=STRATEGY_HELP,
        **(keep or {"default": "direct"}),
    )
    parser.add_argument("--region", help=REGION_HELP, **keep)
    parser.add_argument(
        "--auto-refresh",
        action=argparse.BooleanOptionalAction if editing else "store_true",
        help="the tray re-assumes it before expiry",
        **keep,
    )
    parser.add_argument("--group", help="menu group (default: the account id)", **keep)
    parser.add_argument(
        "--source-identity", help="SourceIdentity to set (CloudTrail shows it)", **keep
    )
    parser.add_argument("--browser-profile", help=BROWSER_HELP, **keep)
    parser.add_argument(
        "--credential-process",
        action=argparse.BooleanOptionalAction if editing else "store_true",
        help="serve it to SDKs, Terraform and IDEs: its profile in ~/.aws/config gets "
        "`credential_process = roletray credential-process NAME`, and its session stays in the "
        "OS keyring instead of the credentials file",
        **keep,
    )


FIELDS = (
    "role_arn", "keys", "profile", "session_name", "external_id", "duration", "mfa_serial",
    "mfa_strategy", "region", "auto_refresh", "group", "source_identity", "credential_process",
    "browser_profile",
)  # fmt: skip


def cmd_add(args: argparse.Namespace) -> int:
    role = Role(name=args.name, **{field: getattr(args, field) for field in FIELDS})
    engine = engine_for(args)
    role = engine.add_role(role)
    print(f"Saved role {role.name}: {role.role_arn} → profile {role.target_profile}.")
    tell_delivery(engine, role)
    warn_about_strategy(role)
    return 0


def tell_delivery(engine: Engine, role: Role) -> None:
    if role.credential_process:
        print(
            f"Profile {role.target_profile} in {engine.aws_config.path} runs `roletray "
            f"credential-process {role.name}`; SDKs, Terraform and the AWS CLI use it with "
            f"AWS_PROFILE={role.target_profile}."
        )


def warn_about_strategy(role: Role) -> None:
    """What mfa_strategy = "session" means for this role, when it changes what happens."""
    if role.mfa_strategy == "session" and not role.mfa_serial:
        print(
            f"roletray: warning: role {role.name} has no --mfa-serial, so mfa_strategy "
            "'session' has no effect (it assumes with the key set's key).",
            file=sys.stderr,
        )
    elif role.mfa_session and role.duration > CHAINED_MAX_DURATION:
        print(
            f"roletray: warning: role {role.name} asks for {role.duration} s, but AWS caps a role "
            f"session assumed from an MFA session at {CHAINED_MAX_DURATION} s (1 hour) — its "
            "sessions will last 1 hour; use --mfa-strategy direct for longer ones.",
            file=sys.stderr,
        )


def cmd_edit(args: argparse.Namespace) -> int:
    changes: dict[str, Any] = {f: getattr(args, f) for f in FIELDS if hasattr(args, f)}
    if not changes and not args.unset:
        print(f"Nothing to change for role {args.name} — give the options to change.")
        return 1
    engine = engine_for(args)
    before = engine.config.role(args.name)
    role, moved = engine.edit_role(args.name, changes, args.unset)
    changed = sorted(f for f in FIELDS if getattr(role, f) != getattr(before, f)) or [
        "nothing (the values were already so)"
    ]
    print(f"Changed role {role.name}: {', '.join(changed)}.")
    if moved:
        print(f"Removed its credentials from profile {before.target_profile}; assume it again.")
    tell_delivery(engine, role)
    if before.credential_process and not role.credential_process:
        print(f"Took credential_process out of {engine.aws_config.path}.")
    warn_about_strategy(role)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    config = load_config(args)
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
            "mfa": (r.mfa_strategy if r.mfa_serial else None),
            "mfa_strategy": r.mfa_strategy,
            "session_name": r.session_name,
            "auto_refresh": r.auto_refresh,
            "group": r.group,
            "credential_process": r.credential_process,
            "browser_profile": r.browser_profile,
        }
        for r in config.roles.values()
    ]
    return emit(args, rows, ("name", "profile", "role_arn", "keys", "duration", "region", "mfa"))


def cmd_remove(args: argparse.Namespace) -> int:
    engine = engine_for(args)
    role = engine.config.role(args.name)
    cleared = engine.remove_role(args.name)
    also = f" and profile {role.target_profile} from {engine.credentials.path}" if cleared else ""
    if role.credential_process:
        also += f" and its credential_process from {engine.aws_config.path}"
    print(f"Removed role {args.name}{also}.")
    return 0
