"""The warm click inside a real tray: run by ``figures`` in a process of its own.

The tray is the one ``roletray`` starts (``build_tray``: pystray's GTK backend on the
bench's desktop, the real notifier, the UI loop that re-renders on every change). A
click is the role's own Gtk.MenuItem activated on the GLib loop, as a pointer click
on it does; it reaches the controller through pystray's handler and the menu's
action. Each pair is the floor (one hand-signed AssumeRole POST) and one click, both
after ``gap`` seconds (0: back to back), once the tray has drawn the last click. It
runs in its own process because the tray owns GLib's signal handlers and main loop.

In: JSON on stdin (moto_url, access_key_id, secret, arn, role, pairs, warm_up, gap,
credentials: the file the clicks write).
Out: JSON on stdout: the floor, → the profile written, → the click's job done (ms).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.bench.figures import hand_signed_post
from tests.harness.desktop import wait_for
from tests.harness.settled import Settled
from tray_app.app import build_tray, tray_engine
from tray_app.credentials_file import CredentialsFile
from tray_app.tray import load_pystray


def main() -> None:
    job = json.load(sys.stdin)
    credentials = CredentialsFile(Path(job["credentials"]))
    engine = tray_engine(None, credentials, sts_endpoint=job["moto_url"])
    written: list[float] = []
    write = credentials.write_profile

    def noted_write(*args: Any, **kwargs: Any) -> None:  # on the worker, as it returns
        write(*args, **kwargs)
        written.append(time.perf_counter())

    credentials.write_profile = noted_write  # type: ignore[method-assign]
    ui = build_tray(engine, load_pystray())
    ui.observer = settled = Settled(ui.controller, ui._wake)
    result: dict[str, Any] = {}
    driver = threading.Thread(target=lambda: result.update(drive(ui, settled, job, written)))
    driver.start()
    ui.run()  # until the driver quits it
    driver.join()
    json.dump(result, sys.stdout)


def drive(
    ui: Any, settled: Settled, job: dict[str, Any], written: list[float]
) -> dict[str, list[float]]:
    post = hand_signed_post(job["moto_url"], job["access_key_id"], job["secret"], job["arn"])
    floor: list[float] = []
    to_written: list[float] = []
    done: list[float] = []
    try:
        prefix = f"{job['role']} — "
        wait_for(lambda: on_ui(lambda: menu_item(ui, prefix)), f"the menu item {prefix!r}", 30)
        for n in range(job["warm_up"] + job["pairs"]):
            if not settled.settled(30):
                raise RuntimeError("the tray did not settle")
            on_ui(lambda: None)  # and the UI calls of its last render have been made
            time.sleep(job["gap"])
            took = post()
            time.sleep(job["gap"])

            def click() -> float:
                item = menu_item(ui, prefix)  # as it is now: a render may have rebuilt it
                started = time.perf_counter()
                item.activate()
                return started

            count = len(written)
            clicked = on_ui(click)
            ui.controller.wait_idle(60)
            ended = time.perf_counter()
            if len(written) != count + 1:
                raise RuntimeError("the click did not write the profile once")
            if n >= job["warm_up"]:
                floor.append(took)
                to_written.append((written[-1] - clicked) * 1000)
                done.append((ended - clicked) * 1000)
    finally:
        ui.quit()
    return {"floor": floor, "written": to_written, "done": done}


def on_ui(fn: Callable[[], Any]) -> Any:
    """``fn()`` run on the GLib loop (GTK is not thread-safe); its result."""
    from gi.repository import GLib

    answer: list[Any] = []
    ran = threading.Event()

    def once() -> bool:
        answer.append(fn())
        ran.set()
        return False

    GLib.idle_add(once)
    if not ran.wait(30):
        raise RuntimeError("the GLib loop did not run the call")
    return answer[0]


def menu_item(ui: Any, prefix: str) -> Any:
    """The Gtk.MenuItem pystray built whose label starts with ``prefix`` (UI thread)."""
    menu = getattr(ui.icon, "_menu_handle", None)
    for child in menu.get_children() if menu is not None else ():
        if (child.get_label() or "").startswith(prefix):
            return child
    return None


if __name__ == "__main__":
    main()
