"""KDE's dialog: a password box (the code is not echoed)."""

from tray_app.config import Role
from tray_app.prompt.dialogs import question


def command(role: Role) -> list[str]:
    return ["kdialog", "--title", "RoleTray", "--password", question(role)]
