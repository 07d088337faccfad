"""`roletray demo`: the whole product against a local STS, with no AWS account.

A moto server on 127.0.0.1 (IAM auth on) is seeded with an IAM user, its key
and three roles (one needs an external ID, one auto-refreshes); the key goes
to the OS keyring (or, with none running, stays in memory: it is a throwaway
key for a local fake). Credentials go to a private credentials file, and the
warning comes one minute after each assume, so a newcomer sees the whole cycle
in minutes. Everything is removed on quit.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from tray_app.config import ConfigStore, KeySet, Role
from tray_app.credentials_file import CredentialsFile
from tray_app.errors import KeystoreError, RoleTrayError
from tray_app.keystore import Keystore, MemoryKeystore, OsKeystore

log = logging.getLogger(__name__)
ACCOUNT = "123456789012"
KEYSET = "roletray-demo"
EXTERNAL_ID = "demo-external-id"
DURATION = 900  # STS's minimum
SETTINGS = {"warn_before": 840, "refresh_before": 780}  # warn a minute in; refresh at half


class LocalSts:
    """moto's server on a free loopback port, seeded, with IAM auth switched on."""

    def __init__(self) -> None:
        try:
            from moto.server import ThreadedMotoServer
        except ImportError:
            raise RoleTrayError(
                "The demo needs moto — install it with `pip install 'roletray[demo]'`."
            ) from None
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.url = ""

    def start(self) -> LocalSts:
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        if self.url:
            self.server.stop()

    def seed(self, roles: list[Role]) -> dict[str, str]:
        """Create the demo user, its key and the roles; then turn auth on."""
        import boto3

        iam = boto3.client(
            "iam",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="demo-seeding",  # anything goes while auth is off
            aws_secret_access_key="demo-seeding",
        )
        user = iam.create_user(UserName="demo-user")["User"]
        key = iam.create_access_key(UserName="demo-user")["AccessKey"]
        allow = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
        iam.put_user_policy(
            UserName="demo-user",
            PolicyName="assume-demo-roles",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow]}),
        )
        for role in roles:
            iam.create_role(
                RoleName=role.role_arn.rsplit("/", 1)[-1],
                AssumeRolePolicyDocument=json.dumps(_trust(user["Arn"], role.external_id)),
            )
        self._auth_on()
        return {"arn": user["Arn"], "id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}

    def _auth_on(self) -> None:
        request = urllib.request.Request(
            f"{self.url}/moto-api/reset-auth",
            data=b"0",
            headers={"Content-Type": "text/plain"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()


def _trust(user_arn: str, external_id: str | None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": user_arn},
        "Action": "sts:AssumeRole",
    }
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def demo_roles() -> list[Role]:
    arn = f"arn:aws:iam::{ACCOUNT}:role/"
    return [
        Role("demo-admin", arn + "DemoAdmin", KEYSET, external_id=EXTERNAL_ID, duration=DURATION),
        Role("demo-readonly", arn + "DemoReadOnly", KEYSET, duration=DURATION),
        Role("demo-dev", arn + "DemoDeveloper", KEYSET, duration=DURATION, auto_refresh=True),
    ]


def pick_keystore() -> Keystore:
    store = OsKeystore()
    try:
        store.backend  # noqa: B018 - probes for a secure keyring
        return store
    except KeystoreError as exc:
        log.warning("demo: %s — keeping the demo key in memory instead", exc)
        return MemoryKeystore()


def run_demo() -> int:
    """The demo tray; every way out (Quit, Ctrl+C, SIGTERM, SIGHUP) removes what it made."""
    from tray_app.app import build_engine, run_tray
    from tray_app.platform.signals import raise_on_quit_signals

    raise_on_quit_signals()  # until the tray's loop takes over, a signal unwinds to finally
    folder = Path(tempfile.mkdtemp(prefix="roletray-demo-"))
    keystore: Keystore | None = None
    sts = LocalSts()
    try:
        sts.start()
        keystore = pick_keystore()
        roles = demo_roles()
        key = sts.seed(roles)
        store = ConfigStore(folder / "config.toml")
        _write_settings(store)
        store.put_keyset(KeySet(KEYSET, key["id"], key["arn"]))
        for role in roles:
            store.put_role(role)
        keystore.set(KEYSET, key["secret"])
        credentials = CredentialsFile(folder / "credentials")
        _explain(sts.url, credentials.path, keystore)
        engine = build_engine(store, credentials, keystore, "tray", sts_endpoint=sts.url)
        return run_tray(engine, instance="demo")
    finally:
        _clean_up(keystore, sts, folder)


def _clean_up(keystore: Keystore | None, sts: LocalSts, folder: Path) -> None:
    try:
        if keystore is not None:
            keystore.delete(KEYSET)
    except RoleTrayError as exc:
        log.warning("demo: could not remove its key from the keyring: %s", exc)
    finally:
        sts.stop()
        shutil.rmtree(folder, ignore_errors=True)
        print("RoleTray demo: removed its key, roles, credentials and local STS.", flush=True)


def _write_settings(store: ConfigStore) -> None:
    """The demo's short timings; the roles and key set are added through the store."""
    store.path.write_text(
        "# roletray demo config (removed when the demo quits)\n[settings]\n"
        + "".join(f"{k} = {v}\n" for k, v in SETTINGS.items())
    )


def _explain(url: str, credentials: Path, keystore: Keystore) -> None:
    where = "the OS keyring" if isinstance(keystore, OsKeystore) else "memory (no OS keyring)"
    print(
        f"RoleTray demo — a local STS at {url} (moto); nothing leaves this machine.\n"
        f"  demo key stored in {where}; credentials file: {credentials}\n"
        "  Click a role in the tray icon's menu; a warning with a Renew button arrives a minute\n"
        "  after each assume. Check a profile with the AWS CLI:\n"
        f"    AWS_SHARED_CREDENTIALS_FILE={credentials} aws sts get-caller-identity "
        f"--profile demo-admin --endpoint-url {url}\n"
        "  Quit from the menu (or Ctrl+C) removes everything the demo made.",
        flush=True,
    )
