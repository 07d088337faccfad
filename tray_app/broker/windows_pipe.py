"""Windows: the broker on a named pipe that only this user can open.

The pipe is created with a DACL that names this user's SID alone (no Everyone,
no anonymous, no Administrators), rejects remote clients, and uses
FILE_FLAG_FIRST_PIPE_INSTANCE, so the tray fails rather than join a pipe
another user created first under our name. Each side also asks the kernel who
is at the other end (GetNamedPipeClientProcessId / GetNamedPipeServerProcessId,
then that process's token user) and talks only to its own SID. The client opens
the pipe with SECURITY_IDENTIFICATION: a server may learn who it is, never act
as it.

The Win32 calls sit in ``Win32``, bound with ctypes on first use; everything
else takes an object with the same methods, so the logic runs in tests on Linux.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
from typing import Any

from tray_app.broker import BrokerError

PREFIX = "\\\\.\\pipe\\roletray-broker-"
PIPE_ACCESS_DUPLEX = 0x00000003
FILE_FLAG_FIRST_PIPE_INSTANCE = 0x00080000
PIPE_TYPE_BYTE = PIPE_READMODE_BYTE = PIPE_WAIT = 0x00000000
PIPE_REJECT_REMOTE_CLIENTS = 0x00000008
PIPE_MODE = PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS
PIPE_UNLIMITED_INSTANCES = 255
BUFFER = 65536
GENERIC_READ, GENERIC_WRITE, OPEN_EXISTING = 0x80000000, 0x40000000, 3
SECURITY_SQOS_PRESENT, SECURITY_IDENTIFICATION = 0x00100000, 0x00010000
PROCESS_QUERY_LIMITED_INFORMATION, TOKEN_QUERY, TOKEN_USER = 0x1000, 0x0008, 1
ERROR_FILE_NOT_FOUND, ERROR_BROKEN_PIPE, ERROR_PIPE_BUSY = 2, 109, 231
ERROR_PIPE_CONNECTED, ERROR_NO_DATA = 535, 232
SDDL_REVISION_1 = 1


def pipe_name(sid: str) -> str:
    """Per user, so one user's tray never meets another's."""
    return PREFIX + sid


def security_descriptor(sid: str) -> str:
    """Owner and group this user; a protected DACL that allows this user alone."""
    return f"O:{sid}G:{sid}D:P(A;;GA;;;{sid})"


class PipeConnection:
    """One end of a connected pipe, with the socket methods the broker uses."""

    def __init__(self, api: Any, handle: int, server: bool) -> None:
        self.api = api
        self.handle = handle
        self.server = server

    def settimeout(self, seconds: float | None) -> None:
        """Pipes here block: only this user can connect at all (the DACL)."""

    def recv(self, size: int) -> bytes:
        return bytes(self.api.read(self.handle, size))

    def sendall(self, data: bytes) -> None:
        self.api.write(self.handle, data)

    def close(self) -> None:
        if self.server:
            self.api.flush(self.handle)  # the client has read it all before we let go
            self.api.disconnect(self.handle)
        self.api.close(self.handle)

    def __enter__(self) -> PipeConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PipeListener:
    """The tray's side: a new pipe instance per client, each checked for our SID."""

    def __init__(self, api: Any = None) -> None:
        self.api = api or Win32()
        self.me = self.api.own_sid()
        self.name = self.address = pipe_name(self.me)
        # The first instance now, so a name someone else took fails the start, loudly.
        self._next: int | None = self.api.create(self.name, self._sddl, first=True)
        self._closed = threading.Event()

    @property
    def _sddl(self) -> str:
        return security_descriptor(self.me)

    def accept(self) -> tuple[PipeConnection, str]:
        if self._closed.is_set():
            raise OSError("the broker is closed")
        handle, self._next = self._next, None
        if handle is None:  # (the last create failed)
            handle = self.api.create(self.name, self._sddl, first=False)
        self.api.connect(handle)  # blocks until a client opens it
        if self._closed.is_set():
            self.api.close(handle)
            raise OSError("the broker is closed")
        # The next instance before this one is served: a client never finds no pipe at all
        # (which would read as "no tray") between two others.
        self._next = self.api.create(self.name, self._sddl, first=False)
        conn = PipeConnection(self.api, handle, server=True)
        return conn, self.api.process_sid(self.api.client_pid(handle))

    def close(self) -> None:
        """Stop; a last connection of our own wakes the accept() that waits."""
        self._closed.set()
        with contextlib.suppress(OSError):
            self.api.close(self.api.open_client(self.name))


def connect(api: Any = None) -> PipeConnection | None:
    """The client's side: the tray's pipe, checked to be served by us; None: no tray."""
    api = api or Win32()
    me = api.own_sid()
    try:
        handle = api.open_client(pipe_name(me))
    except FileNotFoundError:
        return None
    conn = PipeConnection(api, handle, server=False)
    if api.process_sid(api.server_pid(handle)) != me:
        conn.close()
        raise BrokerError("The tray's pipe is served by another user; roletray did not use it.")
    return conn


class Win32:  # pragma: no cover - Windows only; its callers are tested with a stand-in
    """The kernel32/advapi32 calls the pipe needs."""

    def __init__(self) -> None:
        from ctypes import wintypes as w

        self.w = w
        k = self.k = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        a = self.a = ctypes.WinDLL("advapi32", use_last_error=True)  # type: ignore[attr-defined]
        handle, dword, ptr = w.HANDLE, w.DWORD, ctypes.c_void_p
        bool_, ulong_p, dword_p = w.BOOL, ctypes.POINTER(w.ULONG), ctypes.POINTER(dword)
        signatures: list[tuple[Any, list[Any], Any]] = [
            (k.CreateNamedPipeW, [w.LPCWSTR, dword, dword, dword, dword, dword, dword, ptr],
             handle),
            (k.ConnectNamedPipe, [handle, ptr], bool_),
            (k.GetNamedPipeClientProcessId, [handle, ulong_p], bool_),
            (k.GetNamedPipeServerProcessId, [handle, ulong_p], bool_),
            (k.OpenProcess, [dword, bool_, dword], handle),
            (k.GetCurrentProcess, [], handle),
            (k.CloseHandle, [handle], bool_),
            (k.ReadFile, [handle, ptr, dword, dword_p, ptr], bool_),
            (k.WriteFile, [handle, ptr, dword, dword_p, ptr], bool_),
            (k.FlushFileBuffers, [handle], bool_),
            (k.DisconnectNamedPipe, [handle], bool_),
            (k.CreateFileW, [w.LPCWSTR, dword, dword, ptr, dword, dword, handle], handle),
            (k.WaitNamedPipeW, [w.LPCWSTR, dword], bool_),
            (k.LocalFree, [ptr], ptr),
            (a.OpenProcessToken, [handle, dword, ctypes.POINTER(handle)], bool_),
            (a.GetTokenInformation, [handle, ctypes.c_int, ptr, dword, dword_p], bool_),
            (a.ConvertSidToStringSidW, [ptr, ctypes.POINTER(ptr)], bool_),
            (a.ConvertStringSecurityDescriptorToSecurityDescriptorW,
             [w.LPCWSTR, dword, ctypes.POINTER(ptr), ulong_p], bool_),
        ]  # fmt: skip
        for function, args, result in signatures:
            function.argtypes, function.restype = args, result
        self.invalid = ctypes.c_void_p(-1).value

    def _fail(self) -> OSError:
        return ctypes.WinError(ctypes.get_last_error())  # type: ignore[attr-defined]

    def create(self, name: str, sddl: str, first: bool) -> int:
        descriptor = ctypes.c_void_p()
        if not self.a.ConvertStringSecurityDescriptorToSecurityDescriptorW(
            sddl, SDDL_REVISION_1, ctypes.byref(descriptor), None
        ):
            raise self._fail()

        class SecurityAttributes(ctypes.Structure):
            _fields_ = [("nLength", self.w.DWORD), ("lpSecurityDescriptor", ctypes.c_void_p),
                        ("bInheritHandle", self.w.BOOL)]  # fmt: skip

        attributes = SecurityAttributes(ctypes.sizeof(SecurityAttributes), descriptor, False)
        mode = PIPE_ACCESS_DUPLEX | (FILE_FLAG_FIRST_PIPE_INSTANCE if first else 0)
        try:
            handle = self.k.CreateNamedPipeW(
                name, mode, PIPE_MODE, PIPE_UNLIMITED_INSTANCES, BUFFER, BUFFER, 0,
                ctypes.byref(attributes),
            )  # fmt: skip
        finally:
            self.k.LocalFree(descriptor)
        if handle in (None, self.invalid):
            raise self._fail()
        return int(handle)

    def connect(self, handle: int) -> None:
        connected = self.k.ConnectNamedPipe(handle, None)
        if not connected and ctypes.get_last_error() != ERROR_PIPE_CONNECTED:  # (came first)
            raise self._fail()

    def open_client(self, name: str) -> int:
        for _ in range(3):
            handle = self.k.CreateFileW(
                name, GENERIC_READ | GENERIC_WRITE, 0, None, OPEN_EXISTING,
                SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, None,
            )  # fmt: skip
            if handle not in (None, self.invalid):
                return int(handle)
            error = ctypes.get_last_error()
            if error == ERROR_FILE_NOT_FOUND:
                raise FileNotFoundError(name)
            if error != ERROR_PIPE_BUSY:
                raise ctypes.WinError(error)  # type: ignore[attr-defined]
            self.k.WaitNamedPipeW(name, 2000)
        raise TimeoutError(f"{name} stayed busy")

    def client_pid(self, handle: int) -> int:
        return self._pid(self.k.GetNamedPipeClientProcessId, handle)

    def server_pid(self, handle: int) -> int:
        return self._pid(self.k.GetNamedPipeServerProcessId, handle)

    def _pid(self, function: Any, handle: int) -> int:
        pid = self.w.ULONG()
        if not function(handle, ctypes.byref(pid)):
            raise self._fail()
        return int(pid.value)

    def own_sid(self) -> str:
        return self._sid_of(self.k.GetCurrentProcess())

    def process_sid(self, pid: int) -> str:
        process = self.k.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
        if not process:
            raise self._fail()
        try:
            return self._sid_of(process)
        finally:
            self.k.CloseHandle(process)

    def _sid_of(self, process: int) -> str:
        token = self.w.HANDLE()
        if not self.a.OpenProcessToken(process, TOKEN_QUERY, ctypes.byref(token)):
            raise self._fail()
        try:
            size = self.w.DWORD()
            self.a.GetTokenInformation(token, TOKEN_USER, None, 0, ctypes.byref(size))
            buffer = ctypes.create_string_buffer(size.value)
            if not self.a.GetTokenInformation(token, TOKEN_USER, buffer, size, ctypes.byref(size)):
                raise self._fail()
            sid = ctypes.cast(buffer, ctypes.POINTER(ctypes.c_void_p))[0]  # TOKEN_USER.User.Sid
            text = ctypes.c_void_p()
            if not self.a.ConvertSidToStringSidW(sid, ctypes.byref(text)):
                raise self._fail()
            try:
                return str(ctypes.wstring_at(text))
            finally:
                self.k.LocalFree(text)
        finally:
            self.k.CloseHandle(token)

    def read(self, handle: int, size: int) -> bytes:
        buffer, done = ctypes.create_string_buffer(size), self.w.DWORD()
        if not self.k.ReadFile(handle, buffer, size, ctypes.byref(done), None):
            if ctypes.get_last_error() in (ERROR_BROKEN_PIPE, ERROR_NO_DATA):
                return b""  # the other end closed
            raise self._fail()
        return buffer.raw[: done.value]

    def write(self, handle: int, data: bytes) -> None:
        while data:
            done = self.w.DWORD()
            if not self.k.WriteFile(handle, data, len(data), ctypes.byref(done), None):
                raise self._fail()
            data = data[done.value :]

    def flush(self, handle: int) -> None:
        self.k.FlushFileBuffers(handle)

    def disconnect(self, handle: int) -> None:
        self.k.DisconnectNamedPipe(handle)

    def close(self, handle: int) -> None:
        self.k.CloseHandle(handle)
