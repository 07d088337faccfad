"""What the running tray answers on its broker: status, assume ROLE, credentials ROLE.

The answers are the CLI's: the same status rows, the same errors (one line). An
assume asked for here shows in the menu and the icon at once, as a click does;
its outcome goes back to the asker, not into a notification.
"""

from __future__ import annotations

import logging
from typing import Any

from tray_app.broker import BrokerError, OtherFiles, files
from tray_app.tray.controller import Controller

log = logging.getLogger(__name__)


class Service:
    def __init__(self, controller: Controller) -> None:
        self.controller = controller
        self.engine = controller.engine

    def __call__(self, request: dict[str, Any]) -> Any:
        self._same_files(request.get("where"))
        op = request["op"]
        if op == "status":
            return [status.as_json() for status in self.engine.status()]
        name = _text(request, "role")
        log.info("broker: %s %s", op, name)
        if op == "assume":
            code = request.get("mfa_code")
            force = bool(request.get("force"))
            status = self.controller.for_client(
                name, lambda: self.engine.assume(name, mfa_code=code, force=force)
            )
            return status.as_json()
        creds = self.engine.fresh(name) or self.controller.for_client(
            name, lambda: self.engine.delivered(name)
        )
        return creds.process_output()

    def _same_files(self, where: Any) -> None:
        if where != files(self.engine.store.path, self.engine.credentials.path):
            raise OtherFiles("The running tray uses other files; working alone.")


def _text(request: dict[str, Any], key: str) -> str:
    value = request.get(key)
    if not isinstance(value, str) or not value:
        raise BrokerError(f"The request names no {key}.")
    return value
