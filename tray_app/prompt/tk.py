"""The portable MFA prompt: a small Tk dialog in its own process.

Used where the desktop has no dialog tool (Windows; a Linux without zenity or
kdialog). It runs as ``python -m tray_app.prompt.tk ROLE SERIAL`` so Tk never
shares a thread or a main loop with the tray's toolkit; the code comes back on
stdout, never in argv. It stays on top and takes the focus.
"""

from __future__ import annotations

import sys

from tray_app.config import Role
from tray_app.prompt.dialogs import question


def command(role: Role) -> list[str]:
    python = sys.executable
    if sys.platform == "win32" and python.lower().endswith("python.exe"):
        python = python[: -len("python.exe")] + "pythonw.exe"  # no console window flashes up
    return [python, "-m", "tray_app.prompt.tk", role.name, question(role)]


def main(argv: list[str]) -> int:
    """The dialog itself: print the code and exit 0, or exit 1 when cancelled."""
    import tkinter as tk

    root = tk.Tk()
    root.title(f"RoleTray — {argv[0]}")
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
    root.after(50, lambda: (root.lift(), root.focus_force(), entry.focus_set()))
    root.mainloop()
    if not result:
        return 1
    print(result[0], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
