"""Where roletray's config and the AWS files are: light, for every path that only
needs to know (the CLI asking the tray, completion), not to read or write."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "roletray"


def config_path() -> Path:
    """$ROLETRAY_CONFIG, else the per-OS user config dir (XDG on Linux)."""
    configured = os.environ.get("ROLETRAY_CONFIG")
    if configured:
        return Path(os.path.expanduser(configured))
    import platformdirs  # only here: it is the one reason to import it

    return platformdirs.user_config_path(APP_NAME, appauthor=False) / "config.toml"


def credentials_path() -> Path:
    """Where the AWS CLI and SDKs look: $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials."""
    configured = os.environ.get("AWS_SHARED_CREDENTIALS_FILE")
    return Path(os.path.expanduser(configured or "~/.aws/credentials"))


def aws_config_path() -> Path:
    """Where the AWS CLI and SDKs look: $AWS_CONFIG_FILE or ~/.aws/config."""
    return Path(os.path.expanduser(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"))
