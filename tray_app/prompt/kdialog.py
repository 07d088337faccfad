"""KDE's dialog: a password box (the code is not echoed)."""

from tray_app.config import Role
from tray_app.prompt.dialogs import question


def command(role: Role) -> list[str]:
    return ["kdialog", "--title", "RoleTray", "--password", question(role)]


def report_command(title: str, text: str, ok: str | None) -> tuple[list[str], str | None]:
    if ok:
        return ["kdialog", "--title", title, "--yes-label", ok, "--no-label", "Cancel",
                "--yesno", text], None  # fmt: skip
    return ["kdialog", "--title", title, "--msgbox", text], None
