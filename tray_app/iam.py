"""The IAM side: a key's age, and the admin steps that let a user assume a role.

``setup_plan`` writes down what the walkthrough's console clicks did — a managed
policy allowing sts:AssumeRole on the role, a group holding it, the user's
membership — and the trust statement the role itself needs. ``apply`` creates
them through IAM with a key set's credentials, each step idempotent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tray_app.errors import StsError

if TYPE_CHECKING:
    from tray_app.sts import SigningKey


@dataclass(frozen=True)
class SetupPlan:
    role_arn: str
    user: str
    group: str
    policy_name: str

    @property
    def account(self) -> str:
        return self.role_arn.split(":")[4]

    @property
    def partition(self) -> str:
        return self.role_arn.split(":")[1]

    @property
    def policy(self) -> dict[str, Any]:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": self.role_arn}
            ],
        }

    def trust_statement(self, user_arn: str) -> dict[str, Any]:
        return {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"}

    def describe(self, user_arn: str) -> str:
        return "\n".join(
            [
                f"1. Managed policy {self.policy_name} (allows sts:AssumeRole on the role):",
                json.dumps(self.policy, indent=2),
                f"2. Group {self.group}, with policy {self.policy_name} attached.",
                f"3. User {self.user} added to group {self.group}.",
                "4. The role's trust policy needs this statement (its account's admin adds it):",
                json.dumps(self.trust_statement(user_arn), indent=2),
            ]
        )


def client(key: SigningKey, service: str = "iam") -> Any:
    """An IAM client signed with ``key`` (AWS_ENDPOINT_URL_IAM is honoured)."""
    import boto3

    return boto3.session.Session().client(
        service,
        region_name="us-east-1",
        aws_access_key_id=key.access_key_id,
        aws_secret_access_key=key.secret_access_key,
        aws_session_token=key.session_token,
    )


def apply(plan: SetupPlan, key: SigningKey) -> list[str]:
    """Create what ``plan`` describes; a step already done is reported, not repeated."""
    from botocore.exceptions import ClientError

    iam = client(key)
    policy_arn = f"arn:{plan.partition}:iam::{_own_account(iam)}:policy/{plan.policy_name}"
    steps = []
    try:
        steps.append(_once(
            lambda: iam.create_policy(
                PolicyName=plan.policy_name, PolicyDocument=json.dumps(plan.policy)
            ),
            f"created policy {policy_arn}", f"policy {policy_arn} already exists",
        ))  # fmt: skip
        steps.append(_once(
            lambda: iam.create_group(GroupName=plan.group),
            f"created group {plan.group}", f"group {plan.group} already exists",
        ))  # fmt: skip
        iam.attach_group_policy(GroupName=plan.group, PolicyArn=policy_arn)
        steps.append(f"attached {plan.policy_name} to group {plan.group}")
        iam.add_user_to_group(GroupName=plan.group, UserName=plan.user)
        steps.append(f"added user {plan.user} to group {plan.group}")
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise StsError(
            f"{error.get('Code', 'Error')} at step {len(steps) + 1} of iam-setup: "
            f"{error.get('Message', '')} — the key set needs IAM permissions to create "
            "policies and groups (an administrator's key); the steps above it are done.",
            str(error.get("Code", "")),
        ) from None
    return steps


def _once(call: Any, done: str, already: str) -> str:
    from botocore.exceptions import ClientError

    try:
        call()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "EntityAlreadyExists":
            return already
        raise
    return done


def _own_account(iam: Any) -> str:
    user = iam.get_user()["User"]["Arn"]
    return str(user.split(":")[4])


def key_created(key: SigningKey) -> datetime | None:
    """When the key was created (IAM ListAccessKeys on its own user); None if not allowed."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        keys = client(key).list_access_keys()["AccessKeyMetadata"]
    except (ClientError, BotoCoreError):
        return None
    created = next((k["CreateDate"] for k in keys if k["AccessKeyId"] == key.access_key_id), None)
    return created.replace(tzinfo=created.tzinfo or UTC) if created else None
