"""GNOME's (and most Linux desktops') dialog: a hidden entry."""

from tray_app.config import Role
from tray_app.prompt.dialogs import question


def command(role: Role) -> list[str]:
    return ["zenity", "--entry", "--hide-text", "--title=RoleTray", f"--text={question(role)}"]


def report_command(title: str, text: str, ok: str | None) -> tuple[list[str], str | None]:
    """A scrollable monospace report (text on stdin), with OK/Cancel when ``ok`` is set."""
    argv = ["zenity", "--text-info", f"--title={title}", "--font=monospace", "--width=960",
            "--height=520"]  # fmt: skip
    argv += [f"--ok-label={ok}", "--cancel-label=Cancel"] if ok else ["--ok-label=Close"]
    return argv, text
