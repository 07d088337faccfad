"""Console sign-in on real parts: the role's session from moto (auth on) through the CLI
and the tray, a federation stand-in on 127.0.0.1 that checks the Session JSON against
the credentials file, and a fake browser on $BROWSER that records the URL it was given."""

from __future__ import annotations

import json
import os
import stat
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import Home
from tests.harness.desktop import wait_for
from tests.harness.fault_proxy import FaultProxy
from tests.harness.tray import Tray
from tests.test_browser import fake
from tests.test_cli_real import ready  # noqa: F401 - the fixture
from tray_app.credentials_file import CredentialsFile

pytestmark = pytest.mark.real
TOKEN = "signin-token-0123456789"


@dataclass
class Federation:
    url: str
    calls: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def federation() -> Iterator[Federation]:
    calls: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            calls.append(query)
            ok = query.get("Action") == "getSigninToken" and "Session" in query
            body = json.dumps({"SigninToken": TOKEN} if ok else {}).encode()
            self.send_response(200 if ok else 400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield Federation(f"http://{host}:{port}/federation", calls)
    server.shutdown()
    server.server_close()


def fake_browser(tmp_path: Path) -> tuple[str, Path]:
    opened = tmp_path / "opened-url"
    script = tmp_path / "browser"
    script.write_text(f'#!/bin/sh\nprintf %s "$1" > {opened}\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script), opened


def check_login(url: str, federation: Federation, credentials: Path, profile: str) -> None:
    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == federation.url
    query = dict(urllib.parse.parse_qsl(parts.query))
    assert query["Action"] == "login" and query["SigninToken"] == TOKEN
    assert query["Destination"] == "https://console.aws.amazon.com/console/home?region=us-east-1"
    session = json.loads(federation.calls[-1]["Session"])
    written = CredentialsFile(credentials).session(profile)
    assert written is not None
    assert session == {
        "sessionId": written.access_key_id,
        "sessionKey": written.secret_access_key,
        "sessionToken": written.session_token,
    }


def test_the_cli_signs_in_with_the_roles_session_and_opens_the_browser(
    ready: tuple[Home, object, str],  # noqa: F811 - the fixture
    federation: Federation,
    tmp_path: Path,
) -> None:
    home, _, _ = ready
    browser, opened = fake_browser(tmp_path)
    home.extra_env.update(ROLETRAY_SIGNIN_URL=federation.url, BROWSER=browser)
    result = home.roletray("--verbose", "console", "app")  # not assumed yet: assumes first
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Opened the AWS console for app in your browser."
    wait_for(opened.exists, "the browser to be given the URL")
    url = opened.read_text()
    check_login(url, federation, home.credentials, "app")
    assert federation.calls[-1]["SessionDuration"] == "900", "the role's duration"
    assert TOKEN not in result.stderr + result.stdout, "the URL is never logged"

    printed = home.roletray("console", "app", "--print", "--destination",
                            "https://console.aws.amazon.com/s3/home")  # fmt: skip
    assert printed.returncode == 0 and len(federation.calls) == 2
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(printed.stdout.strip()).query))
    assert query["Destination"] == "https://console.aws.amazon.com/s3/home"


def test_the_tray_opens_the_console_from_its_menu(
    start_tray: Callable[..., Tray], federation: Federation, tmp_path: Path, proxy: FaultProxy
) -> None:
    browser, opened = fake_browser(tmp_path)
    tray = start_tray(env={"ROLETRAY_SIGNIN_URL": federation.url, "BROWSER": browser})
    assert tray.choose("Open console", "app") == ["console", "app"]
    wait_for(opened.exists, "the browser to be given the URL")
    check_login(opened.read_text(), federation, tray.home.credentials, "app")
    note = tray.desktop.wait_notification(r"^Opening the AWS console for app$")
    assert TOKEN not in note["body"] and TOKEN not in tray.log.read_text()


def test_the_console_opens_in_the_roles_browser_profile(
    ready: tuple[Home, object, str],  # noqa: F811 - the fixture
    federation: Federation,
    tmp_path: Path,
) -> None:
    home, _, _ = ready
    record = tmp_path / "argv"
    fake(tmp_path / "bin", "google-chrome", record)
    path = f"{tmp_path / 'bin'}{os.pathsep}{home.env['PATH']}"
    home.extra_env.update(ROLETRAY_SIGNIN_URL=federation.url, PATH=path)
    edited = home.roletray("roles", "edit", "app", "--browser-profile", "chrome:Client A")
    assert edited.returncode == 0, edited.stderr
    result = home.roletray("console", "app")
    assert result.returncode == 0, result.stderr
    assert "Opened the AWS console for app in browser profile chrome:Client A." in result.stdout
    wait_for(lambda: record.exists() and len(record.read_text().splitlines()) == 2, "chrome")
    flag, url = record.read_text().splitlines()
    assert flag == "--profile-directory=Client A"
    check_login(url, federation, home.credentials, "app")

    calls = len(federation.calls)
    missing = home.roletray("console", "app", "--browser-profile", "brave:Default")
    assert missing.returncode == 1 and "No brave found" in missing.stderr
    assert len(federation.calls) == calls, "refused before a sign-in token is bought"
