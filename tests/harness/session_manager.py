"""A stand-in for gnome-session on the test bus: clients register, get QueryEndSession
and EndSession, and answer with EndSessionResponse (the real D-Bus wire protocol).

No ``from __future__ import annotations`` here: dbus-fast reads the D-Bus
signatures from the annotations at class creation.
"""

import asyncio
import threading
from collections.abc import Callable

from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, method, signal


class Client(ServiceInterface):
    def __init__(self, on_response: Callable[[bool, str], None]) -> None:
        super().__init__("org.gnome.SessionManager.ClientPrivate")
        self.on_response = on_response

    @method()
    def EndSessionResponse(self, is_ok: "b", reason: "s"):  # noqa: F821
        self.on_response(is_ok, reason)

    @signal()
    def QueryEndSession(self, flags) -> "u":  # noqa: F821
        return flags

    @signal()
    def EndSession(self, flags) -> "u":  # noqa: F821
        return flags


class Manager(ServiceInterface):
    def __init__(self, owner: "FakeSessionManager") -> None:
        super().__init__("org.gnome.SessionManager")
        self.owner = owner

    @method()
    def RegisterClient(self, app_id: "s", startup_id: "s") -> "o":  # noqa: F821
        return self.owner.register(app_id)


class FakeSessionManager:
    def __init__(self, address: str) -> None:
        self.address = address
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.bus: MessageBus | None = None
        self.clients: dict[str, Client] = {}
        self.app_ids: list[str] = []
        self.responses: list[tuple[bool, str]] = []
        self.on_response: Callable[[], None] = lambda: None

    def start(self) -> "FakeSessionManager":
        self.thread.start()
        self._run(self._connect())
        return self

    async def _connect(self) -> None:
        self.bus = await MessageBus(bus_address=self.address).connect()
        self.bus.export("/org/gnome/SessionManager", Manager(self))
        await self.bus.request_name("org.gnome.SessionManager")

    def register(self, app_id: str) -> str:
        path = f"/org/gnome/SessionManager/Client{len(self.clients) + 1}"
        client = Client(self._responded)
        assert self.bus is not None
        self.bus.export(path, client)
        self.clients[path] = client
        self.app_ids.append(app_id)
        return path

    def _responded(self, is_ok: bool, reason: str) -> None:
        self.on_response()
        self.responses.append((is_ok, reason))

    def emit(self, name: str) -> None:
        for client in self.clients.values():
            self.loop.call_soon_threadsafe(getattr(client, name), 0)

    def stop(self) -> None:
        if self.bus is not None:
            self.loop.call_soon_threadsafe(self.bus.disconnect)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def _run(self, coroutine: object) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)  # type: ignore[arg-type]
