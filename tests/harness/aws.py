"""A moto server on 127.0.0.1 with IAM auth on, and helpers to seed users and roles.

Seeding needs auth off (moto then accepts any caller); ``seeding()`` turns it
off for the block and back on after, so every test call is really checked:
unknown keys, wrong secrets, missing permissions and external IDs.
"""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from moto.server import ThreadedMotoServer

ACCOUNT = "123456789012"
REGION = "us-east-1"


@dataclass(frozen=True)
class User:
    name: str
    arn: str
    access_key_id: str
    secret_access_key: str


class MotoProcess:
    """moto_server in a process of its own, with ThreadedMotoServer's interface. For the
    bench: a server in the measured process shares its GIL, and STS never does that."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self) -> None:
        for _ in range(5):  # a free port can be taken between finding it and binding it
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self.port = probe.getsockname()[1]
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            if self._answers(deadline=time.monotonic() + 30):
                return
            self.stop()
        raise RuntimeError("moto_server did not start")

    def _answers(self, deadline: float) -> bool:
        assert self.process is not None
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def get_host_and_port(self) -> tuple[str, int]:
        return "127.0.0.1", self.port

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


class MotoWorld:
    def __init__(self, own_process: bool = False) -> None:
        self.server: ThreadedMotoServer | MotoProcess = (
            MotoProcess() if own_process
            else ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        )  # fmt: skip
        self.url = ""

    def start(self) -> MotoWorld:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        self._auth("0")
        return self

    def stop(self) -> None:
        self.server.stop()

    def _auth(self, remaining: str) -> None:
        request = urllib.request.Request(
            f"{self.url}/moto-api/reset-auth",
            data=remaining.encode(),
            headers={"Content-Type": "text/plain"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    @contextmanager
    def seeding(self) -> Iterator[boto3.client]:
        self._auth("inf")
        try:
            yield boto3.client(
                "iam",
                endpoint_url=self.url,
                region_name=REGION,
                aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                aws_secret_access_key="seeding-with-auth-off",
            )
        finally:
            self._auth("0")

    def user(self, name: str, may_assume: bool = True) -> User:
        with self.seeding() as iam:
            arn = iam.create_user(UserName=name)["User"]["Arn"]
            key = iam.create_access_key(UserName=name)["AccessKey"]
            if may_assume:
                policy = {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
                }
                iam.put_user_policy(
                    UserName=name, PolicyName="assume", PolicyDocument=json.dumps(policy)
                )
        return User(name, arn, key["AccessKeyId"], key["SecretAccessKey"])

    def role(
        self, name: str, trusted: User, external_id: str | None = None, max_duration: int = 43200
    ) -> str:
        statement: dict = {
            "Effect": "Allow",
            "Principal": {"AWS": trusted.arn},
            "Action": "sts:AssumeRole",
        }
        if external_id:
            statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
        trust = {"Version": "2012-10-17", "Statement": [statement]}
        with self.seeding() as iam:
            return iam.create_role(
                RoleName=name,
                AssumeRolePolicyDocument=json.dumps(trust),
                MaxSessionDuration=max_duration,
            )["Role"]["Arn"]

    def delete_key(self, user: User) -> None:
        with self.seeding() as iam:
            iam.delete_access_key(UserName=user.name, AccessKeyId=user.access_key_id)
