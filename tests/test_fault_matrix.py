"""The STS fault matrix: every way STS fails, through the CLI and through the tray.

Each fault gets its own sentence, writes nothing, and ends within the bound
the README documents (Limits.worst_case for the configured timeout/attempts);
the tray shows the same sentence as a notification and keeps working.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import keyring.core
import pytest

from tests.conftest import Home
from tests.harness.aws import MotoWorld, User
from tests.harness.fault_proxy import FaultProxy
from tests.test_tray_logic import RecordingNotifier
from tray_app.app import build_engine
from tray_app.config import ConfigStore
from tray_app.credentials_file import CredentialsFile
from tray_app.keystore import OsKeystore
from tray_app.mfa import MfaCodes
from tray_app.sts import Limits
from tray_app.tray.controller import Controller

pytestmark = pytest.mark.real
TIMEOUT, ATTEMPTS = 1.0, 3
BOUND = Limits(min(5.0, TIMEOUT), TIMEOUT, ATTEMPTS).worst_case
STARTUP = 5.0  # a CLI process's own start-up, on top of the STS bound
EXT = "ext-matrix-1"
SERIAL = "arn:aws:iam::123456789012:mfa/matrix"


@dataclass(frozen=True)
class Fault:
    name: str
    role: str
    phrase: str
    arm: Callable[[FaultProxy], None] = lambda proxy: None


def _set(**fields: object) -> Callable[[FaultProxy], None]:
    def arm(proxy: FaultProxy) -> None:
        for key, value in fields.items():  # a fresh list: the proxy pops from it
            setattr(proxy.faults, key, list(value) if isinstance(value, list) else value)

    return arm


FAULTS = [
    Fault("delay beyond the timeout", "good", "Timeout assuming good", _set(delay=2.5)),
    Fault("dropped connections", "good", "Network error assuming good", _set(drops=ATTEMPTS)),
    Fault("503", "good", "ServiceUnavailable assuming good", _set(errors=["503"] * ATTEMPTS)),
    Fault("Throttling", "good", "Throttling assuming good", _set(errors=["throttle"] * ATTEMPTS)),
    Fault("ExpiredToken", "good", "ExpiredToken assuming good", _set(errors=["expired"])),
    Fault("clock skew", "good", "clock is off by more than 5 minutes", _set(errors=["skew"])),
    Fault(
        "RegionDisabled", "good", "RegionDisabledException assuming good", _set(errors=["region"])
    ),
    Fault("AccessDenied (trust policy)", "denied", "AccessDenied assuming denied"),
    Fault("wrong external ID", "badext", "check role_arn and external_id"),
    Fault("wrong MFA code", "mfa", "MFA code was wrong", _set(mfa_code="654321")),
    Fault("InvalidClientTokenId", "ghost", "InvalidClientTokenId assuming ghost"),
    Fault("duration above maximum", "good", "above the role's maximum", _set(max_duration=900)),
]


@pytest.fixture
def matrix_home(home: Home, moto: MotoWorld, alice: User) -> Home:
    other = moto.user(f"other-{alice.name}")
    ghost = moto.user(f"ghost-{alice.name}")
    role = moto.role(f"matrix-{alice.name}", alice, external_id=EXT)
    foreign = moto.role(f"foreign-{alice.name}", other)
    ghost_role = moto.role(f"ghost-{alice.name}", ghost)
    for name, user in (("work", alice), ("ghost", ghost)):
        added = home.roletray(
            "keys", "add", name, "--access-key-id", user.access_key_id,
            input=user.secret_access_key + "\n",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
    moto.delete_key(ghost)
    roles = [
        ("good", role, "work", "--external-id", EXT, "--duration", "3600"),
        ("badext", role, "work", "--external-id", "not-the-one"),
        ("denied", foreign, "work"),
        ("mfa", role, "work", "--external-id", EXT, "--mfa-serial", SERIAL),
        ("ghost", ghost_role, "ghost"),
    ]
    for name, arn, keys, *extra in roles:
        added = home.roletray("roles", "add", name, "--role-arn", arn, "--keys", keys, *extra)
        assert added.returncode == 0, added.stderr
    text = home.config.read_text()
    home.config.write_text(
        f"[settings]\nsts_timeout = {TIMEOUT}\nsts_attempts = {ATTEMPTS}\n" + text
    )
    return home


def test_every_fault_has_its_sentence_in_the_cli_and_writes_nothing(
    matrix_home: Home, proxy: FaultProxy
) -> None:
    home, rows = matrix_home, []
    for fault in FAULTS:
        proxy.reset()
        fault.arm(proxy)
        before = home.digest()
        started = time.monotonic()
        args = ["assume", fault.role] + (["--mfa-code", "123456"] if fault.role == "mfa" else [])
        result = home.roletray(*args)
        elapsed = time.monotonic() - started
        rows.append((fault.name, f"{elapsed:.1f} s", result.stderr.strip()[:90]))
        assert result.returncode == 1, (fault.name, result.stdout)
        assert len(result.stderr.strip().splitlines()) == 1, (fault.name, result.stderr)
        assert fault.phrase in result.stderr, (fault.name, result.stderr)
        assert home.digest() == before, fault.name
        assert elapsed < BOUND + STARTUP, (fault.name, elapsed)
    print(f"\nfault matrix (bound {BOUND:.0f} s + start-up):")
    for row in rows:
        print("  " + " | ".join(row))


def test_every_fault_reaches_the_tray_as_a_notification_and_the_tray_goes_on(
    matrix_home: Home, proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", proxy.url)
    keyring.core.init_backend()  # the in-process keyring must see the test bus
    engine = build_engine(
        ConfigStore(matrix_home.config), CredentialsFile(matrix_home.credentials), OsKeystore()
    )
    # The proxy accepts one code; a 1 ms TOTP step lets the gate take it again and again.
    engine.mfa = MfaCodes(lambda settings: lambda role: "123456", step=0.001)
    notifier = RecordingNotifier()
    controller = Controller(engine, notifier)
    try:
        for fault in FAULTS:
            proxy.reset()
            fault.arm(proxy)
            started = time.monotonic()
            future = controller.assume(fault.role)
            assert future is not None
            future.result(timeout=BOUND + 5)
            assert time.monotonic() - started < BOUND
            title, body, _ = notifier.sent[-1]
            assert title == f"{fault.role} failed" and fault.phrase in body, (fault.name, body)
            shown = {r.name: r for r in controller.view().roles}
            assert shown[fault.role].error == body and not shown[fault.role].busy
            assert fault.role not in engine.credentials.managed_profiles()
        proxy.reset()
        future = controller.assume("good")  # still working after every fault
        assert future is not None
        future.result(timeout=30)
        assert notifier.sent[-1][0].startswith("good ready until")
        assert {r.name: r for r in controller.view().roles}["good"].error is None
    finally:
        controller.shutdown()
