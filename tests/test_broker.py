"""The broker and credential_process plumbing with fakes, fast: the config line writer,
the command line per OS, peer credentials per OS, the socket's refusals, the engine's
session reuse and the tray's service. The real parts are in test_credential_process."""

from __future__ import annotations

import json
import re
import shlex
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import botocore.configloader
import pytest

from tests.test_engine import ARN, NOW, FakeSts, MemoryKeystore
from tray_app.broker import BrokerError, OtherFiles, check_private, client
from tray_app.broker.peer import UCRED, XUCRED, linux_uid, xucred_uid
from tray_app.broker.server import Broker, UnixListener
from tray_app.config import ConfigStore, Role
from tray_app.credentials_file import CredentialsFile, TemporaryCredentials
from tray_app.engine import Engine
from tray_app.errors import CredentialsFileError
from tray_app.process_profile import ProcessProfiles, command_line
from tray_app.process_sessions import PREFIX, TRAY_TRUST, ProcessSessions
from tray_app.session_notes import Noted, SessionNotes
from tray_app.tray.controller import Controller
from tray_app.tray.service import Service

CONFIG = """\
# mine
[default]
region = eu-west-1

[profile tools]
s3 =
  max_concurrent_requests = 20
# introduces dev
[profile dev]
output = json
"""
LINE = "/opt/roletray/bin/roletray credential-process prod"


def test_the_config_line_goes_in_and_out_and_every_other_byte_stays(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(CONFIG)
    profiles = ProcessProfiles(path)
    assert profiles.set("prod", "prod", LINE, "eu-central-1") is True
    assert path.read_text().startswith(CONFIG)
    assert profiles.set("prod", "prod", LINE) is False, "already so: not rewritten"
    read = botocore.configloader.load_config(str(path))["profiles"]
    assert read["prod"]["credential_process"] == LINE and read["prod"]["region"] == "eu-central-1"
    assert read["tools"]["s3"] == {"max_concurrent_requests": "20"}
    assert profiles.remove("prod", "prod") is True
    assert path.read_text() == CONFIG
    assert profiles.remove("prod", "prod") is False

    assert profiles.set("dev", "dev-role", LINE) is True  # the user's section: ours added
    assert botocore.configloader.load_config(str(path))["profiles"]["dev"] == {
        "output": "json", "credential_process": LINE, "x_roletray_role": "dev-role",
    }  # fmt: skip
    assert profiles.remove("dev", "dev-role") is True
    assert path.read_text() == CONFIG, "the user's own keys and section stay"


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        ("role_arn = " + ARN, "gets credentials its own way (role_arn)"),
        ("sso_session = corp", "gets credentials its own way (sso_session)"),
        ("credential_process = aws-vault export x", "has a credential_process of its own"),
        ("x_roletray_role = other\ncredential_process = x", "belongs to roletray role other"),
    ],
)
def test_a_profile_that_is_not_ours_to_take_is_refused(
    tmp_path: Path, extra: str, why: str
) -> None:
    path = tmp_path / "config"
    path.write_text(f"{CONFIG}\n[profile prod]\n{extra}\n")
    before = path.read_bytes()
    with pytest.raises(
        CredentialsFileError, match=re.escape(f"already {why};") + ".*another --profile"
    ):
        ProcessProfiles(path).check("prod", "prod")
    with pytest.raises(CredentialsFileError, match="another --profile"):
        ProcessProfiles(path).set("prod", "prod", LINE)
    assert path.read_bytes() == before
    assert ProcessProfiles(path).remove("prod", "prod") is False


def test_an_unparseable_config_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text("[profile a]\nregion = x\n[profile a]\n")
    with pytest.raises(CredentialsFileError, match="appears twice"):
        ProcessProfiles(path).set("prod", "prod", LINE)
    assert path.read_text() == "[profile a]\nregion = x\n[profile a]\n"


def test_the_command_line_is_split_back_as_botocore_splits_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripts = tmp_path / "my venv" / "bin"
    scripts.mkdir(parents=True)
    (scripts / "roletray").write_text("")
    monkeypatch.setattr("sys.executable", str(scripts / "python"))
    config = tmp_path / "team's config.toml"
    line = command_line("prod", config, platform="linux")
    assert shlex.split(line) == [
        str(scripts / "roletray"), "--config", str(config), "credential-process", "prod",
    ]  # fmt: skip
    win = tmp_path / "Scripts"
    win.mkdir()
    (win / "roletray.exe").write_text("")
    monkeypatch.setattr("sys.executable", r"C:\Program Files\Python312\python.exe")
    monkeypatch.setattr("shutil.which", lambda name: rf"C:\Py Scripts\{name}")
    assert command_line("prod", platform="win32") == (
        r'"C:\Py Scripts\roletray.exe" credential-process prod'
    ), "the console entry point (its stdout is what the SDK reads), quoted for Windows"


def test_peer_credentials_are_read_per_os() -> None:
    assert linux_uid(UCRED.pack(4242, 1000, 100)) == 1000
    xucred = XUCRED.pack(0, 501, 2, 20, 12, *[0] * 14)  # macOS: version, uid, groups
    assert len(xucred) == 76 and xucred_uid(xucred) == 501
    assert xucred_uid(struct.pack("=II", 0, 502)) == 502, "a short answer is padded"


# -- the socket ---------------------------------------------------------------------
@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    return folder / "roletray"


@pytest.fixture
def serve(runtime: Path) -> Iterator[Any]:
    started: list[Broker] = []

    def start(handle: Any, uid: int | None = None) -> Broker:
        runtime.mkdir(mode=0o700, exist_ok=True)
        broker = Broker(UnixListener(runtime / "broker.sock"), handle, uid)
        broker.start()
        started.append(broker)
        return broker

    yield start
    for broker in started:
        broker.stop()


def test_the_broker_answers_its_user_and_nobody_else(serve: Any, runtime: Path) -> None:
    assert client.ask("status") is None, "no tray: work alone"
    seen: list[dict[str, Any]] = []
    broker = serve(lambda request: seen.append(request) or ["row"])
    path = broker.listener.path
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert client.ask("status", where={"config": "c"}) == ["row"]
    assert seen == [{"op": "status", "where": {"config": "c"}}]
    broker.stop()
    assert not path.exists() and client.ask("status") is None

    serve(lambda request: ["row"], uid=12345)  # as if we were another user
    with pytest.raises(BrokerError, match="Refused: not the tray's user"):
        client.ask("status")


def test_the_broker_says_no_in_one_line(serve: Any, runtime: Path) -> None:
    def handle(request: dict[str, Any]) -> Any:
        if request["op"] == "assume":
            raise OtherFiles("other files")
        raise CredentialsFileError("The file is locked — wait.")

    broker = serve(handle)
    assert client.ask("assume", role="x") is None, "a tray on other files: work alone"
    with pytest.raises(BrokerError, match=r"^The file is locked — wait\.$"):
        client.ask("credentials", role="x")
    for line, error in ((b"nonsense\n", "not one line of JSON"),
                        (b'{"op": "shell", "cmd": "id"}\n', "Unknown request")):  # fmt: skip
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(broker.listener.path))
            sock.sendall(line)
            assert error in json.loads(sock.makefile().readline())["error"]


def test_a_socket_folder_others_can_enter_is_not_used(runtime: Path) -> None:
    runtime.mkdir(mode=0o755)
    runtime.chmod(0o755)
    (runtime / "broker.sock").write_text("")
    with pytest.raises(BrokerError, match="not a private folder of yours"):
        check_private(runtime)
    with pytest.raises(BrokerError, match="remove the folder"):
        client.ask("status")


# -- the engine and the tray's service ---------------------------------------------
@pytest.fixture
def engine(tmp_path: Path) -> tuple[Engine, FakeSts]:
    sts = FakeSts()
    now = [NOW]
    eng = Engine(
        store=ConfigStore(tmp_path / "config.toml"),
        keystore=MemoryKeystore(),
        sts=lambda config: sts,
        credentials=CredentialsFile(tmp_path / "credentials"),
        clock=lambda: now[0],
        aws_config=ProcessProfiles(tmp_path / "aws-config"),
        process_command=lambda role: f"roletray credential-process {role}",
    )
    eng.add_keys("work", "AKIAIOSFODNN7EXAMPLE", "long-lived-secret", verify=False)
    eng.clock_now = now  # type: ignore[attr-defined]
    return eng, sts


def test_a_session_is_reused_until_botocores_window_and_never_written_to_the_file(
    engine: tuple[Engine, FakeSts], tmp_path: Path
) -> None:
    eng, sts = engine
    eng.add_role(Role("prod", ARN, "work", credential_process=True))
    assert "credential_process = roletray credential-process prod" in (
        (tmp_path / "aws-config").read_text()
    )
    first = eng.delivered("prod")
    assert eng.delivered("prod") == first and len(sts.calls) == 1
    assert eng.keystore.find(PREFIX + "prod") is not None, "shared through the keyring"
    assert not (tmp_path / "credentials").exists()
    eng.clock_now[0] = NOW + timedelta(minutes=44)  # type: ignore[attr-defined]
    assert eng.delivered("prod") == first, "16 minutes left: still good"
    eng.clock_now[0] = NOW + timedelta(minutes=46)  # type: ignore[attr-defined]
    eng.delivered("prod")
    assert len(sts.calls) == 2, "under 15 minutes left: a new one"
    assert [s.state for s in eng.status()] == ["active"]

    eng.add_role(Role("short", ARN, "work", duration=900, credential_process=True))
    eng.clock_now[0] = NOW  # type: ignore[attr-defined]  # (the fake's sessions start at NOW)
    eng.delivered("short")
    eng.clock_now[0] = NOW + timedelta(minutes=7)  # type: ignore[attr-defined]
    eng.delivered("short")
    assert len(sts.calls) == 3, "a 15-minute role is reused while over half is left"

    assert eng.clear("prod") is True and eng.keystore.find(PREFIX + "prod") is None
    eng.edit_role("short", {"credential_process": False})
    assert eng.keystore.find(PREFIX + "short") is None
    assert "short" not in (tmp_path / "aws-config").read_text()
    eng.remove_role("prod")
    assert (tmp_path / "aws-config").read_text() == ""

    eng.add_role(Role("was-file", ARN, "work"))
    eng.assume("was-file")
    assert "was-file" in eng.credentials.managed_profiles()
    eng.add_role(Role("was-file", ARN, "work", credential_process=True))  # replaced
    assert eng.credentials.managed_profiles() == {}, "its file copy would shadow the process"


def test_the_trays_service_answers_like_the_cli(engine: tuple[Engine, FakeSts]) -> None:
    eng, sts = engine
    eng.add_role(Role("prod", ARN, "work", credential_process=True))
    eng.add_role(Role("file", ARN, "work"))
    changes: list[int] = []
    ctl = Controller(eng, on_change=lambda: changes.append(1))
    service = Service(ctl)
    where = {
        "config": str(eng.store.path.absolute()),
        "credentials": str(eng.credentials.path.absolute()),
    }
    output = service({"op": "credentials", "role": "prod", "where": where})
    assert output["Version"] == 1 and output["Expiration"] == "2026-11-28T11:00:00Z"
    assert changes, "the menu follows an assume the broker asked for"
    count = len(changes)
    assert service({"op": "credentials", "role": "prod", "where": where}) == output
    assert len(changes) == count and len(sts.calls) == 1, "a fresh session: no assume"
    row = service({"op": "assume", "role": "file", "where": where})
    assert row["state"] == "active" and row["profile"] == "file"
    assert [r["role"] for r in service({"op": "status", "where": where})] == ["prod", "file"]
    with pytest.raises(OtherFiles):
        service({"op": "status", "where": {**where, "config": "/elsewhere.toml"}})
    with pytest.raises(BrokerError, match="names no role"):
        service({"op": "assume", "where": where})
    ctl.shutdown()


def test_concurrent_callers_cause_one_assume(engine: tuple[Engine, FakeSts]) -> None:
    eng, sts = engine
    eng.add_role(replace(Role("prod", ARN, "work"), credential_process=True))
    threads = [threading.Thread(target=eng.delivered, args=("prod",)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sts.calls) == 1


def test_the_tray_trusts_its_copy_of_a_session_for_a_few_seconds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class Counting(MemoryKeystore):
        reads = 0

        def find(self, name: str) -> str | None:
            self.reads += 1
            return super().find(name)

    keystore = Counting()
    notes = SessionNotes(tmp_path / "notes.json")
    sessions = ProcessSessions(keystore, notes)
    sessions.items.trust_for = TRAY_TRUST
    creds = TemporaryCredentials("ASIAX", "s", "t", NOW, "arn:aws:sts::1:assumed-role/A/b")
    sessions.put("prod", ARN, creds)
    assert sessions.get("prod", ARN) == creds and keystore.reads == 0, "no keyring round trip"
    assert sessions.get("prod", ARN + "-changed") is None, "never for another ARN"
    assert notes.read() == {"prod": Noted(ARN, NOW, creds.principal_arn)}
    assert "ASIAX" not in notes.path.read_text(), "no key id, no secret in the notes"
    keystore.delete(PREFIX + "prod")  # removed in a keyring manager
    later = time.monotonic() + TRAY_TRUST + 1
    monkeypatch.setattr("tray_app.keyring_cache.time.monotonic", lambda: later)
    assert sessions.get("prod", ARN) is None and keystore.reads == 1, "asked again, and gone"
    assert notes.read() == {}, "the read set the notes right"
