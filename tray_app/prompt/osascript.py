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


REPORT = (
    "on run argv",
    'display dialog (item 2 of argv) with title (item 1 of argv) buttons {"Cancel", '
    "(item 3 of argv)} default button 2",
    "end run",
)


def report_command(title: str, text: str, ok: str | None) -> tuple[list[str], str | None]:
    script = [arg for line in REPORT for arg in ("-e", line)]
    return ["osascript", *script, title, text, ok or "OK"], None
