"""macOS: an AppleScript dialog; the question is an argument of ``on run``, never script text."""

from tray_app.config import Role
from tray_app.prompt.dialogs import question

SCRIPT = (
    "on run argv",
    'text returned of (display dialog (item 1 of argv) default answer "" with title "RoleTray" '
    "with hidden answer)",
    "end run",
)


def command(role: Role) -> list[str]:
    return ["osascript", *[arg for line in SCRIPT for arg in ("-e", line)], question(role)]
