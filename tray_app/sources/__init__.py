"""Credential sources: where the key that signs AssumeRole comes from.

One small type per source, each with one method, ``retrieve(fresh=False)``,
that yields a ``SigningKey`` (aws-vault's vault/ providers are the model). The
engine picks one per role: ``KeyringKey`` (the key set's long-lived key) or
``MfaSession`` (a cached GetSessionToken session made from it). The next
source, a broker or IAM Identity Center, is a new module here, not new
branches in ``Engine.assume``.
"""

from __future__ import annotations

from typing import Protocol

from tray_app.sts import SigningKey


class Source(Protocol):
    def retrieve(self, fresh: bool = False) -> SigningKey:
        """The key to sign with; ``fresh``: AWS rejected the last one, make a new one."""
        ...
