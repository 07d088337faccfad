"""The small error vocabulary every layer raises.

Each error's ``str()`` is one sentence a user can act on: what failed and the
fix. It must never contain a secret; callers build messages from names, paths
and AWS error codes only.
"""


class RoleTrayError(Exception):
    """Base class: a failure the user can fix; shown as one line, no traceback."""


class ConfigError(RoleTrayError):
    """The roletray config file is missing, malformed or holds a bad value."""


class KeystoreError(RoleTrayError):
    """The OS keyring is unusable, insecure, locked, or lacks the secret."""


class StsError(RoleTrayError):
    """AWS STS refused the request or could not be reached."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class CredentialsFileError(RoleTrayError):
    """The AWS credentials file cannot be read, parsed or safely written."""


class PromptError(RoleTrayError):
    """An MFA code or secret was needed but could not be asked for."""
