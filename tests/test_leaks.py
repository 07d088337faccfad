"""Secret leak scan: run the whole workflow at debug level, then look for secrets everywhere.

Searched: every stdout/stderr, the tray's log, every notification dunst showed,
every process argv seen in /proc/*/cmdline while the workflow ran, and every
file under the test HOME and the desktop's and keyring's runtime dirs — except
the keyring's encrypted store and the credentials file (the managed profile is
where temporary credentials belong). Searched for: the long-lived secret key,
and every temporary secret key and session token any step produced.

To cover a new feature, add a step to WORKFLOW (or to the tray part below).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import TRAY_EXTERNAL_ID, Home
from tests.harness.aws import User
from tests.harness.desktop import Desktop
from tests.harness.fault_proxy import FaultProxy
from tests.harness.tray import Tray, wait_for

pytestmark = pytest.mark.real


@dataclass
class LeakScan:
    secrets: set[str] = field(default_factory=set)
    outputs: list[tuple[str, str]] = field(default_factory=list)
    argv: set[str] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)

    def record(self, where: str, text: str) -> None:
        self.outputs.append((where, text))

    def learn_from(self, credentials: Path) -> None:
        """Every temporary secret written so far becomes something to look for."""
        if credentials.exists():
            for line in credentials.read_text().splitlines():
                if line.startswith(("aws_secret_access_key", "aws_session_token")):
                    self.secrets.add(line.split(" = ", 1)[1])

    @contextmanager
    def watching_argv(self) -> Iterator[None]:
        def sample() -> None:
            while not self._stop.is_set():
                for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
                    with suppress(OSError):
                        raw = cmdline.read_bytes()
                        self.argv.add(raw.replace(b"\0", b" ").decode(errors="replace"))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            yield
        finally:
            self._stop.set()
            sampler.join(5)

    def hits(self, roots: list[Path], skip: Callable[[Path], bool]) -> list[str]:
        found = []
        texts = [*self.outputs, *(("argv", a) for a in self.argv)]
        for root in roots:
            for path in root.rglob("*"):
                if path.is_file() and not path.is_symlink() and not skip(path):
                    texts.append((str(path), path.read_bytes().decode("latin-1")))
        for secret in self.secrets:
            found += [f"{where}: {secret[:6]}…" for where, text in texts if secret in text]
        return found


def cli_workflow(home: Home, alice: User, scan: LeakScan, proxy: FaultProxy) -> None:
    def run(*args: str, stdin: str = "", ok: bool = True) -> None:
        result = home.roletray("--verbose", *args, input=stdin)
        scan.record(f"roletray {' '.join(args)}", result.stdout + result.stderr)
        assert (result.returncode == 0) == ok, (args, result.stderr)
        scan.learn_from(home.credentials)

    run("keys", "add", "work", "--access-key-id", alice.access_key_id,
        stdin=alice.secret_access_key + "\n")  # fmt: skip
    home.extra_env = {"AWS_ACCESS_KEY_ID": alice.access_key_id,
                      "AWS_SECRET_ACCESS_KEY": alice.secret_access_key}  # fmt: skip
    run("keys", "add", "fromenv", "--from-env")
    home.extra_env = {}
    run("keys", "list", "--json")
    arn = f"arn:aws:iam::123456789012:role/tray-{alice.name}"
    run("roles", "add", "app", "--role-arn", arn, "--keys", "work", "--external-id",
        TRAY_EXTERNAL_ID, "--duration", "900")  # fmt: skip
    run("roles", "add", "bad", "--role-arn", arn, "--keys", "work", "--external-id", "wrong-1")
    run("roles", "list", "--json")
    run("assume", "app")
    run("assume", "app")  # a second session: the first one's secrets must be gone too
    run("status")
    run("status", "--json")
    run("assume", "bad", ok=False)
    proxy.faults.errors = ["503"] * 3
    run("assume", "app", ok=False)
    proxy.reset()
    run("assume", "app", "--mfa-code", "12x", ok=False)  # no MFA serial: refused, said so
    run("clear", "app")
    run("assume", "app")


def test_no_secret_appears_anywhere_but_the_keyring_and_the_profile(
    start_tray: Callable[..., Tray],
    home: Home,
    alice: User,
    desktop: Desktop,
    proxy: FaultProxy,
) -> None:
    scan = LeakScan(secrets={alice.secret_access_key})
    with scan.watching_argv():
        cli_workflow(home, alice, scan, proxy)
        home.config.unlink()  # the tray part adds its own key set and roles
        tray = start_tray(
            settings="warn_before = 895", extra_roles=(("bad", "--external-id", "x-1"),)
        )
        tray.choose("app")  # assume from the menu
        desktop.wait_notification(r"^app ready")
        scan.learn_from(home.credentials)
        warning = desktop.wait_notification(r"^app expires in")
        first = tray.key_id("app")
        desktop.press_button("Renew", warning["summary"])  # renew from the notification
        wait_for(lambda: tray.key_id("app") not in (None, first), "the renewal")
        scan.learn_from(home.credentials)
        tray.choose("bad")  # a failure notification
        desktop.wait_notification(r"^bad failed$")
        tray.choose("Quit")
        assert tray.proc.wait(15) == 0
    scan.record("tray log", tray.log.read_text())
    scan.record("notifications", "\n".join(str(n) for n in desktop.notifications()))
    assert len(scan.secrets) >= 9, "the long-lived key and ≥ 4 sessions' secrets"
    assert home.keyring is not None
    hits = scan.hits(
        [home.root, desktop.root, home.keyring.runtime],
        skip=lambda p: p == home.credentials,
    )
    print(f"\nleak scan: {len(scan.secrets)} secrets, {len(scan.outputs)} outputs, "
          f"{len(scan.argv)} argv seen, hits: {len(hits)}")  # fmt: skip
    assert any("tray_app" in argv for argv in scan.argv), "the sampler saw our processes"
    assert hits == []


def test_the_scan_finds_a_planted_secret(tmp_path: Path) -> None:
    """The scan itself can fail: a secret in a file, an output or an argv is found."""
    scan = LeakScan(secrets={"planted-secret-value"})
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "log.txt").write_text("debug: planted-secret-value\n")
    scan.record("stderr", "nothing here")
    scan.argv.add("python -m tray_app --secret planted-secret-value")
    hits = scan.hits([tmp_path], skip=lambda p: False)
    assert len(hits) == 2 and any("log.txt" in h for h in hits)
