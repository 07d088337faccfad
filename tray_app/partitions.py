"""AWS partitions: which region belongs to which, and where a role's STS lives.

A role in ``arn:aws-cn:`` can only be assumed through STS in a China region;
asking the commercial endpoint gets InvalidClientTokenId, which reads like a
deleted key. So the region (and with it the endpoint botocore picks) follows
the role ARN's partition. The patterns are botocore's own (``endpoints.json``
``regionRegex``, checked against it by the tests); kept here so validating a
config does not load botocore's data files.
"""

from __future__ import annotations

import re

# partition → (regionRegex from botocore's endpoints.json, the region to use when none is set)
PARTITIONS: dict[str, tuple[str, str]] = {
    "aws": (r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$", "us-east-1"),
    "aws-cn": (r"^cn\-\w+\-\d+$", "cn-north-1"),
    "aws-us-gov": (r"^us\-gov\-\w+\-\d+$", "us-gov-west-1"),
    "aws-iso": (r"^us\-iso\-\w+\-\d+$", "us-iso-east-1"),
    "aws-iso-b": (r"^us\-isob\-\w+\-\d+$", "us-isob-east-1"),
    "aws-iso-e": (r"^eu\-isoe\-\w+\-\d+$", "eu-isoe-west-1"),
    "aws-iso-f": (r"^us\-isof\-\w+\-\d+$", "us-isof-south-1"),
    "aws-eusc": (r"^eusc\-(de)\-\w+\-\d+$", "eusc-de-east-1"),
}


def of_arn(arn: str) -> str:
    """'aws-cn' from arn:aws-cn:iam::…"""
    parts = arn.split(":", 2)
    return parts[1] if len(parts) > 2 else "aws"


def of_region(region: str) -> str | None:
    """The partition whose regions look like ``region``; None for none we know."""
    for name, (pattern, _) in PARTITIONS.items():
        if re.match(pattern, region):
            return name
    return None


def default_region(partition: str) -> str:
    return PARTITIONS.get(partition, PARTITIONS["aws"])[1]


def region_problem(arn: str, region: str) -> str | None:
    """Why ``region`` cannot serve a role (or key) whose ARN is ``arn``; None if it can."""
    want, have = of_arn(arn), of_region(region)
    if have is None or have == want:
        return None
    return (
        f"region {region} is in partition {have} but {arn.split('/')[0]} is in {want} — "
        f"use a region of {want} such as {default_region(want)}"
    )
