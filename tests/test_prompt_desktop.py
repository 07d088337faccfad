"""The portable MFA prompt (Tk, in its own process) on the real virtual desktop.

A person types the code into the dialog and presses Return, or presses Escape;
the code comes back on the dialog's stdout (never argv), a cancel is a
PromptError that says so.
"""

from __future__ import annotations

import re
import threading

import pytest

from tests.harness.desktop import Desktop, wait_for
from tray_app.config import Role
from tray_app.errors import PromptError
from tray_app.prompt import dialogs

pytestmark = pytest.mark.real
pytest.importorskip("tkinter", reason="needs python3-tk: run tests/run.sh")
ROLE = Role(
    "prod", "arn:aws:iam::123456789012:role/Admin", "work", mfa_serial="arn:aws:iam::1:mfa/a"
)


def ask_in_background() -> tuple[threading.Thread, list[object]]:
    answer: list[object] = []

    def ask() -> None:
        try:
            answer.append(dialogs.driver("tk")(ROLE))
        except PromptError as exc:
            answer.append(exc)

    thread = threading.Thread(target=ask)
    thread.start()
    return thread, answer


def dialog_window(desktop: Desktop) -> str:
    title = "^RoleTray .+ prod$"  # the role's name shows once typing will land
    wait_for(lambda: bool(desktop.windows_named(title)), "the MFA dialog")
    return desktop.windows_named(title)[0]


def has_focus(desktop: Desktop, window: str) -> bool:
    """The X input focus is on the dialog or one of its child windows (its entry)."""
    focused = desktop.run("xdotool", "getwindowfocus", "-f", check=False).strip()
    tree = desktop.run("xwininfo", "-tree", "-id", window, check=False)
    ids = {int(w, 16) for w in re.findall(r"\b(0x[0-9a-f]+)\b", tree)}
    return focused.isdigit() and int(focused) in ids


@pytest.mark.parametrize(("keys", "expected"), [(("Return",), "123456"), (("Escape",), None)])
def test_the_tk_prompt_returns_the_typed_code_or_cancels(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch, keys: tuple[str, ...], expected: str | None
) -> None:
    monkeypatch.setenv("DISPLAY", desktop.display)
    thread, answer = ask_in_background()
    window = dialog_window(desktop)
    wait_for(lambda: has_focus(desktop, window), "the dialog to take the keyboard focus")
    desktop.run("xdotool", "type", "--delay", "50", "123456")
    desktop.keys(*keys)
    thread.join(30)
    assert len(answer) == 1
    if expected is None:
        assert isinstance(answer[0], PromptError) and "cancelled" in str(answer[0])
    else:
        assert answer[0] == expected
