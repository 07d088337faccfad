"""The Windows broker's logic on a stand-in kernel: the pipe's name and DACL, the SID
checks on both sides, a squatted name, and stopping. The Win32 calls themselves
(``windows_pipe.Win32``, ctypes) run only on Windows; every caller of them runs here."""

from __future__ import annotations

import itertools
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tray_app.broker import BrokerError, client, listen
from tray_app.broker.server import Broker
from tray_app.broker.windows_pipe import (
    PipeConnection,
    PipeListener,
    pipe_name,
    security_descriptor,
)

ME, OTHER = "S-1-5-21-1004336348-1177238915-682003330-1001", "S-1-5-21-99-99-99-1002"


@dataclass
class Kernel:
    """Named pipes between stand-in processes: each instance a socket pair once opened."""

    names: dict[str, str] = field(default_factory=dict)  # pipe name → creator's SID
    waiting: dict[str, list[int]] = field(default_factory=dict)
    ends: dict[int, socket.socket] = field(default_factory=dict)
    opened: dict[int, threading.Event] = field(default_factory=dict)
    pids: dict[int, tuple[int, int]] = field(default_factory=dict)  # handle → (server, client)
    sids: dict[int, str] = field(default_factory=dict)  # pid → user SID
    created: list[tuple[str, str, bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))


class StandIn:
    """What one process sees of ``Win32``."""

    def __init__(self, kernel: Kernel, pid: int, sid: str) -> None:
        self.kernel, self.pid, self.sid = kernel, pid, sid
        kernel.sids[pid] = sid

    def own_sid(self) -> str:
        return self.sid

    def create(self, name: str, sddl: str, first: bool) -> int:
        kernel = self.kernel
        with kernel.lock:
            if first and name in kernel.names:
                raise PermissionError(5, "Access is denied", name)  # FIRST_PIPE_INSTANCE
            kernel.names.setdefault(name, self.sid)
            kernel.created.append((name, sddl, first))
            handle = next(kernel.ids)
            kernel.opened[handle] = threading.Event()
            kernel.pids[handle] = (self.pid, 0)
            kernel.waiting.setdefault(name, []).append(handle)
        return handle

    def connect(self, handle: int) -> None:
        assert self.kernel.opened[handle].wait(10), "nobody connected"

    def open_client(self, name: str) -> int:
        kernel = self.kernel
        with kernel.lock:
            if not kernel.waiting.get(name):
                raise FileNotFoundError(name)
            server = kernel.waiting[name].pop(0)
            mine = next(kernel.ids)
            kernel.ends[server], kernel.ends[mine] = socket.socketpair()
            kernel.pids[server] = kernel.pids[mine] = (kernel.pids[server][0], self.pid)
        kernel.opened[server].set()
        return mine

    def client_pid(self, handle: int) -> int:
        return self.kernel.pids[handle][1]

    def server_pid(self, handle: int) -> int:
        return self.kernel.pids[handle][0]

    def process_sid(self, pid: int) -> str:
        return self.kernel.sids[pid]

    def read(self, handle: int, size: int) -> bytes:
        return self.kernel.ends[handle].recv(size)

    def write(self, handle: int, data: bytes) -> None:
        self.kernel.ends[handle].sendall(data)

    def flush(self, handle: int) -> None:
        pass

    def disconnect(self, handle: int) -> None:
        pass

    def close(self, handle: int) -> None:
        end = self.kernel.ends.pop(handle, None)
        if end is not None:
            end.close()


@pytest.fixture
def kernel(monkeypatch: pytest.MonkeyPatch) -> Kernel:
    world = Kernel()
    monkeypatch.setattr("tray_app.broker.client.PLATFORM", "win32")
    return world


def as_client(monkeypatch: pytest.MonkeyPatch, kernel: Kernel, pid: int, sid: str) -> None:
    monkeypatch.setattr("tray_app.broker.windows_pipe.Win32", lambda: StandIn(kernel, pid, sid))


def test_the_pipe_is_per_user_and_only_that_user_may_open_it() -> None:
    assert pipe_name(ME) == rf"\\.\pipe\roletray-broker-{ME}"
    assert security_descriptor(ME) == f"O:{ME}G:{ME}D:P(A;;GA;;;{ME})", "no Everyone, no admins"


def test_the_tray_answers_its_own_user_over_the_pipe_and_refuses_others(
    kernel: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tray_app.broker.windows_pipe.Win32", lambda: StandIn(kernel, 10, ME))
    broker = Broker(listen("win32"), lambda request: {"asked": request["op"]})
    broker.start()
    try:
        assert kernel.created[0] == (pipe_name(ME), security_descriptor(ME), True)
        as_client(monkeypatch, kernel, 20, ME)
        assert client.ask("status") == {"asked": "status"}
        assert client.ask("credentials", role="prod") == {"asked": "credentials"}
        assert [first for _, _, first in kernel.created[1:]] == [False, False]

        # Another user's process that reached the pipe anyway (a DACL gone wrong): the
        # kernel names its SID, and the tray refuses it.
        other = StandIn(kernel, 30, OTHER)
        conn = PipeConnection(other, other.open_client(pipe_name(ME)), server=False)
        conn.sendall(b'{"op": "status"}\n')
        assert b"Refused: not the tray's user." in conn.recv(4096)
        conn.close()
    finally:
        broker.stop()
    as_client(monkeypatch, kernel, 20, ME)
    assert client.ask("status") is None, "stopped: the CLI works alone"


def test_a_pipe_served_by_another_user_is_not_used(
    kernel: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    squatter = StandIn(kernel, 66, OTHER)  # took the victim's pipe name first
    squatter.create(pipe_name(ME), security_descriptor(OTHER), first=True)
    as_client(monkeypatch, kernel, 20, ME)
    with pytest.raises(BrokerError, match="served by another user"):
        client.ask("credentials", role="prod")
    with pytest.raises(PermissionError):  # and the victim's tray fails to start its broker
        PipeListener(StandIn(kernel, 10, ME))


def test_no_tray_and_a_broken_pipe_api_both_mean_working_alone(
    kernel: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_client(monkeypatch, kernel, 20, ME)
    assert client.ask("status") is None

    def missing() -> Any:
        raise AttributeError("function 'GetNamedPipeServerProcessId' not found")

    monkeypatch.setattr("tray_app.broker.windows_pipe.Win32", missing)
    assert client.ask("status") is None
