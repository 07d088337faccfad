"""The portable MFA prompt: a small Tk dialog in its own process.

Used where the desktop has no dialog tool (Windows; a Linux without zenity or
kdialog). It runs as ``python -m tray_app.prompt.tk ROLE SERIAL`` so Tk never
shares a thread or a main loop with the tray's toolkit; the code comes back on
stdout, never in argv. It stays on top and takes the focus.
"""

from __future__ import annotations

import sys

from tray_app.config import Role
from tray_app.platform import windowless_python
from tray_app.prompt.dialogs import question


def command(role: Role) -> list[str]:
    return [windowless_python(), "-m", "tray_app.prompt.tk", role.name, question(role)]


def report_command(title: str, text: str, ok: str | None) -> tuple[list[str], str | None]:
    """A report window (the text on stdin); exit 0 for ``ok``, 1 for Cancel."""
    return [windowless_python(), "-m", "tray_app.prompt.tk", "--report", title, ok or ""], text


def report(title: str, ok: str) -> int:
    import tkinter as tk

    root = tk.Tk()
    root.title(title)
    root.attributes("-topmost", True)
    text = tk.Text(root, width=110, height=24, font="TkFixedFont", wrap="none")
    text.insert("1.0", sys.stdin.read())
    text.configure(state="disabled")
    text.pack(padx=8, pady=8, fill="both", expand=True)
    chosen: list[int] = []
    buttons = tk.Frame(root, pady=8)
    if ok:
        tk.Button(buttons, text=ok, command=lambda: (chosen.append(0), root.destroy())).pack(
            side="left", padx=4
        )
    tk.Button(buttons, text="Cancel" if ok else "Close", command=root.destroy).pack(
        side="left", padx=4
    )
    buttons.pack()
    root.bind("<Escape>", lambda _e: root.destroy())
    root.after(50, lambda: (root.lift(), root.focus_force()))
    root.mainloop()
    return 0 if chosen or not ok else 1


def main(argv: list[str]) -> int:
    """The dialog itself: print the code and exit 0, or exit 1 when cancelled."""
    if argv[0] == "--report":
        return report(argv[1], argv[2])
    import tkinter as tk

    root = tk.Tk()
    root.title("RoleTray")
    root.attributes("-topmost", True)
    root.resizable(False, False)
    tk.Label(root, text=argv[1], padx=12, pady=8).pack()
    code = tk.StringVar()
    entry = tk.Entry(root, textvariable=code, width=12, show="•", justify="center")
    entry.pack(padx=12)
    result: list[str] = []

    def submit(_event: object = None) -> None:
        result.append(code.get().strip())
        root.destroy()

    buttons = tk.Frame(root, pady=8)
    tk.Button(buttons, text="OK", width=8, command=submit).pack(side="left", padx=4)
    tk.Button(buttons, text="Cancel", width=8, command=root.destroy).pack(side="left", padx=4)
    buttons.pack()
    root.bind("<Return>", submit)
    root.bind("<Escape>", lambda _e: root.destroy())
    # The entry has Tk's focus before the window is even mapped: keys typed the moment the
    # window gets the keyboard land in it (set later, the first digits were lost).
    entry.focus_set()
    # The role's name joins the title once the entry has the keyboard: a script (or a
    # screen reader) that waits for that title knows typing will land.
    entry.bind("<FocusIn>", lambda _e: root.title(f"RoleTray — {argv[0]}"))
    root.after(50, lambda: (root.lift(), entry.focus_force()))
    root.mainloop()
    if not result:
        return 1
    print(result[0], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
