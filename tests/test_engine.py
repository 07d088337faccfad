"""The engine with injected fakes: what it asks STS for, and in which order it fails."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tray_app.config import ConfigStore, KeySet, Role
from tray_app.credentials_file import CredentialsFile, TemporaryCredentials
from tray_app.engine import Engine
from tray_app.errors import CredentialsFileError, PromptError, StsError
from tray_app.keyring_cache import KeyringCache
from tray_app.mfa import MfaCodes
from tray_app.process_profile import ProcessProfiles
from tray_app.sessions import State, format_left
from tray_app.sources.keyring_key import KeyMemory
from tray_app.sts import AssumeRequest, SigningKey

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
ARN = "arn:aws:iam::123456789012:role/Admin"


class MemoryKeystore:
    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}

    def get(self, name: str) -> str:
        return self.secrets[name]

    def find(self, name: str) -> str | None:
        return self.secrets.get(name)

    def set(self, name: str, secret: str) -> None:
        self.secrets[name] = secret

    def delete(self, name: str) -> None:
        self.secrets.pop(name, None)


@dataclass
class FakeSts:
    calls: list[tuple[SigningKey, AssumeRequest]] = field(default_factory=list)
    fail: Exception | None = None

    def assume_role(self, key: SigningKey, request: AssumeRequest) -> TemporaryCredentials:
        self.calls.append((key, request))
        if self.fail:
            raise self.fail
        return TemporaryCredentials(
            "ASIAFAKEFAKEFAKEFAKE", "tmp-secret", "tmp-token",
            NOW + timedelta(seconds=request.duration),
            f"arn:aws:sts::123456789012:assumed-role/Admin/{request.session_name}",
        )  # fmt: skip

    def caller_identity(self, key: SigningKey, region: str) -> str:
        return "arn:aws:iam::123456789012:user/alice"


@pytest.fixture
def engine(tmp_path: Path) -> tuple[Engine, FakeSts]:
    sts = FakeSts()
    engine = Engine(
        store=ConfigStore(tmp_path / "config.toml"),
        keystore=MemoryKeystore(),
        sts=lambda config: sts,
        credentials=CredentialsFile(tmp_path / "credentials"),
        clock=lambda: NOW,
    )
    engine.add_keys("work", "AKIAIOSFODNN7EXAMPLE", "long-lived-secret")
    return engine, sts


def test_assume_sends_the_role_settings_and_writes_the_profile(
    engine: tuple[Engine, FakeSts],
) -> None:
    eng, sts = engine
    eng.add_role(Role("prod", ARN, "work", external_id="ext-1", duration=1800, region="eu-west-1"))
    status = eng.assume("prod")
    key, request = sts.calls[0]
    assert key.secret_access_key == "long-lived-secret"
    assert (request.session_name, request.duration, request.region) == ("alice", 1800, "eu-west-1")
    assert request.external_id == "ext-1" and request.mfa_serial is None
    assert status.state is State.ACTIVE and status.time_left == timedelta(minutes=30)
    assert format_left(status.time_left) == "30 min"
    assert [s.state for s in eng.status()] == [State.ACTIVE]
    assert "tmp-secret" not in repr(status) and "long-lived-secret" not in repr(key)


def test_expired_sessions_read_as_expired(engine: tuple[Engine, FakeSts]) -> None:
    eng, _ = engine
    eng.add_role(Role("prod", ARN, "work"))
    eng.assume("prod")
    eng.clock = lambda: NOW + timedelta(hours=2)
    assert [(s.state, s.time_left) for s in eng.status()] == [(State.EXPIRED, None)]


def test_mfa_prompt_is_asked_and_its_code_checked(engine: tuple[Engine, FakeSts]) -> None:
    eng, sts = engine
    eng.add_role(Role("mfa", ARN, "work", mfa_serial="arn:aws:iam::123456789012:mfa/alice"))
    with pytest.raises(PromptError, match="needs an MFA code"):
        eng.assume("mfa")
    eng.mfa = MfaCodes(lambda settings: lambda role: " 654321 ")
    eng.assume("mfa")
    assert sts.calls[-1][1].mfa_code == "654321"
    eng.mfa = MfaCodes(lambda settings: lambda role: "abc")
    with pytest.raises(PromptError, match="6 digits"):
        eng.assume("mfa")


def test_a_refused_file_fails_before_sts_is_called(
    engine: tuple[Engine, FakeSts], tmp_path: Path
) -> None:
    eng, sts = engine
    eng.add_role(Role("prod", ARN, "work"))
    (tmp_path / "credentials").write_text("[prod]\nregion = x\n")
    with pytest.raises(CredentialsFileError):
        eng.assume("prod")
    assert sts.calls == []


def test_sts_failure_writes_nothing(engine: tuple[Engine, FakeSts], tmp_path: Path) -> None:
    eng, sts = engine
    eng.add_role(Role("prod", ARN, "work"))
    sts.fail = StsError("AccessDenied assuming prod: …", "AccessDenied")
    with pytest.raises(StsError):
        eng.assume("prod")
    assert not (tmp_path / "credentials").exists()


def test_removing_a_key_set_deletes_its_secret(engine: tuple[Engine, FakeSts]) -> None:
    eng, _ = engine
    keystore = eng.keystore
    assert isinstance(keystore, MemoryKeystore) and "work" in keystore.secrets
    eng.remove_keys("work")
    assert keystore.secrets == {} and dict(eng.config.keys) == {}


def test_a_bad_key_set_name_never_reaches_the_keyring(engine: tuple[Engine, FakeSts]) -> None:
    eng, _ = engine
    keystore = eng.keystore
    assert isinstance(keystore, MemoryKeystore)
    with pytest.raises(Exception, match="name 'bad name' is not valid"):
        eng.add_keys("bad name", "AKIAIOSFODNN7EXAMPLE", "s")
    assert set(keystore.secrets) == {"work"}
    assert eng.config.keys["work"] == KeySet(
        "work", "AKIAIOSFODNN7EXAMPLE", "arn:aws:iam::123456789012:user/alice"
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, ""),
        (29, "< 1 min"),
        (61, "1 min"),
        (899, "15 min"),
        (3569, "59 min"),
        (3599, "1 h 00 min"),
        (5430, "1 h 31 min"),
    ],
)
def test_format_left(seconds: int, text: str) -> None:
    assert format_left(timedelta(seconds=seconds)) == text


class CountingKeystore(MemoryKeystore):
    def __init__(self) -> None:
        super().__init__()
        self.finds: list[str] = []

    def find(self, name: str) -> str | None:
        self.finds.append(name)
        return super().find(name)

    def get(self, name: str) -> str:
        self.finds.append(name)
        return super().get(name)


def test_the_tray_reads_a_secret_once_and_status_reads_no_keyring(
    tmp_path: Path,
) -> None:
    """The tray's idle ticks must not ask the keyring (each read wakes the process):
    status reads a credential_process session's note, not the keyring; a click signs
    with the secret read once."""
    keystore, sts = CountingKeystore(), FakeSts()
    engine = Engine(
        store=ConfigStore(tmp_path / "config.toml"), keystore=keystore,
        sts=lambda config: sts, credentials=CredentialsFile(tmp_path / "credentials"),
        clock=lambda: NOW, aws_config=ProcessProfiles(tmp_path / "aws-config"),
        process_command=lambda name: f"roletray credential-process {name}",
    )  # fmt: skip
    engine.add_keys("work", "AKIAIOSFODNN7EXAMPLE", "long-lived-secret")
    engine.add_role(Role(name="cp", role_arn=ARN, keys="work", credential_process=True))
    engine.add_role(Role(name="file", role_arn=ARN, keys="work"))
    engine.key_memory = KeyMemory()
    keystore.finds.clear()
    assert [s.state for s in engine.status() + engine.status()] == [State.NEVER] * 4
    assert keystore.finds == [], "status asks no keyring"
    for name in ("cp", "file", "file"):
        engine.assume(name)
    assert keystore.finds.count("work") == 1, "the secret is read once"
    statuses = engine.status()
    assert [s.state for s in statuses] == [State.ACTIVE] * 2
    assert statuses[0].expiration == NOW + timedelta(hours=1), "the cp session's, noted"
    assert "role-session:cp" not in keystore.finds
    assert [key.secret_access_key for key, _ in sts.calls] == ["long-lived-secret"] * 3


class SlowReads(MemoryKeystore):
    """With ``hold`` set, the next find() reads the item, then waits at ``gate`` (as a
    D-Bus call can) before it answers."""

    def __init__(self) -> None:
        super().__init__()
        self.hold, self.reading, self.gate = False, threading.Event(), threading.Event()

    def find(self, name: str) -> str | None:
        found = super().find(name)
        if self.hold:
            self.hold = False
            self.reading.set()
            assert self.gate.wait(10)
        return found


def test_a_clear_during_a_read_is_not_undone_by_it() -> None:
    """The tray reads a session for its menu on one thread and clears it on another:
    the read that started first must not put the cleared session back for 5 minutes."""
    keystore = SlowReads()
    cache: KeyringCache[str] = KeyringCache(keystore, "role-session:", "session")
    keystore.secrets["role-session:cp"] = "old"
    assert cache.get("cp", str, trust_for=300) == "old"
    cache._confirmed.clear()  # as after the 5 minutes: the next get reads the keyring
    keystore.hold = True
    reader = threading.Thread(target=cache.get, args=("cp", str, 300.0))
    reader.start()
    assert keystore.reading.wait(10)
    assert cache.clear("cp") is True  # while the read is in flight
    keystore.gate.set()
    reader.join(10)
    assert cache.memory == {} and "role-session:cp" not in keystore.secrets
    assert cache.get("cp", str, trust_for=300) is None, "the clear stands"


class SlowWrites(MemoryKeystore):
    """With ``hold`` set, the next set() or delete() waits at ``gate`` before it writes."""

    def __init__(self) -> None:
        super().__init__()
        self.hold, self.writing, self.gate = False, threading.Event(), threading.Event()

    def _wait(self) -> None:
        if self.hold:
            self.hold = False
            self.writing.set()
            assert self.gate.wait(10)

    def set(self, name: str, secret: str) -> None:
        self._wait()
        super().set(name, secret)

    def delete(self, name: str) -> None:
        self._wait()
        super().delete(name)


@pytest.mark.parametrize("write", ["clear", "put"])
def test_a_read_made_while_the_keyring_is_written_does_not_outlive_the_write(
    write: str,
) -> None:
    """A read that starts after a clear (or put) began, and ends before the keyring has
    it, sees the old item: that must not be what the tray shows for the next 5 minutes
    (the tray's menu kept a cleared credential_process session this way)."""
    keystore = SlowWrites()
    cache: KeyringCache[str] = KeyringCache(keystore, "role-session:", "session")
    keystore.secrets["role-session:cp"] = "old"
    keystore.hold = True
    action = (lambda: cache.clear("cp")) if write == "clear" else (
        lambda: cache.put("cp", "new", "new"))  # fmt: skip
    writer = threading.Thread(target=action)
    writer.start()
    assert keystore.writing.wait(10)
    assert cache.get("cp", str, trust_for=300) == "old", "the keyring still holds it"
    keystore.gate.set()
    writer.join(10)
    expected = None if write == "clear" else "new"
    assert keystore.secrets.get("role-session:cp") == expected
    assert cache.get("cp", str, trust_for=300) == expected, "the write stands"
