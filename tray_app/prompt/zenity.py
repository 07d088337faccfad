"""GNOME's (and most Linux desktops') dialog: a hidden entry."""

from tray_app.config import Role
from tray_app.prompt.dialogs import question


def command(role: Role) -> list[str]:
    return ["zenity", "--entry", "--hide-text", "--title=RoleTray", f"--text={question(role)}"]
