"""Where roletray's config and the AWS files are: light, for every path that only
needs to know (the CLI asking the tray, completion), not to read or write."""

from __future__ import annotations

import os
import posixpath
import sys
from collections.abc import Mapping
from pathlib import Path

APP_NAME = "roletray"


def config_path() -> Path:
    """$ROLETRAY_CONFIG, else the per-OS user config dir (XDG on Linux)."""
    configured = os.environ.get("ROLETRAY_CONFIG")
    if configured:
        return Path(os.path.expanduser(configured))
    return user_config_dir() / "config.toml"


def user_config_dir(platform: str = sys.platform, environ: Mapping[str, str] = os.environ) -> Path:
    """platformdirs' user config dir for roletray.

    On Linux, where its answer is plain, it is taken here: importing platformdirs
    costs ~5 ms of every command (7% of a `status`). That is $XDG_CONFIG_HOME when
    absolute, else $HOME/.config when HOME is absolute (a test holds this to
    platformdirs' own answer); anything else is platformdirs' to decide.
    """
    if platform.startswith("linux"):
        xdg, home = environ.get("XDG_CONFIG_HOME", ""), environ.get("HOME", "")
        if posixpath.isabs(xdg):
            return Path(xdg) / APP_NAME
        if posixpath.isabs(home):
            return Path(home) / ".config" / APP_NAME
    import platformdirs

    return platformdirs.user_config_path(APP_NAME, appauthor=False)


def credentials_path() -> Path:
    """Where the AWS CLI and SDKs look: $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials."""
    configured = os.environ.get("AWS_SHARED_CREDENTIALS_FILE")
    return Path(os.path.expanduser(configured or "~/.aws/credentials"))


def aws_config_path() -> Path:
    """Where the AWS CLI and SDKs look: $AWS_CONFIG_FILE or ~/.aws/config."""
    return Path(os.path.expanduser(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"))
