"""Fuzzing bad input with hypothesis: credentials files, config files, CLI arguments.

≥ 500 generated inputs in all. Each either works, or fails with one clear
sentence (a RoleTrayError, or argparse's usage line) and leaves every file
byte-identical. Never a traceback, never another exception type.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path

from botocore.configloader import raw_config_parse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_credentials_file import CREDS
from tray_app import credentials_file
from tray_app.cli import main
from tray_app.config import ConfigStore, Role, load_config
from tray_app.credentials_file import CredentialsFile
from tray_app.credentials_index import Indexes
from tray_app.errors import ConfigError, CredentialsFileError

FUZZ = settings(
    max_examples=int(os.environ.get("ROLETRAY_FUZZ_EXAMPLES", "250")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
COUNTS: dict[str, int] = {}

names = st.sampled_from(["default", "app", "work", "x", "a b", "profile dev", "", "app"])
ini_lines = st.one_of(
    names.map(lambda n: f"[{n}]"),
    st.sampled_from(["[unterminated", "[]", "]", "[[x]]", "[app] ; trailing"]),
    st.tuples(
        st.sampled_from(["key", "aws_access_key_id", "x_roletray_role", "k", ""]),
        st.sampled_from([" = ", "=", ":", " : ", "\t=\t"]),
        st.text(max_size=30),
    ).map("".join),
    st.sampled_from(["# comment", "; comment", "", "   ", "  continued", "%(interp)s", "50%"]),
    st.text(min_size=1, max_size=40),
    st.integers(2_000, 20_000).map(lambda n: "v = " + "x" * n),  # huge lines
)
newlines = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def credentials_files(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(ini_lines, max_size=25))
    text = "".join(line + draw(newlines) for line in lines)
    if draw(st.booleans()):
        text = text.rstrip("\r\n")  # no final newline
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 9)) == 0:
        data += draw(st.binary(min_size=1, max_size=64))  # a binary tail
    return data


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@FUZZ
@given(data=credentials_files())
def test_malformed_credentials_files_are_refused_untouched_or_edited_safely(data: bytes) -> None:
    COUNTS["credentials"] = COUNTS.get("credentials", 0) + 1
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "credentials"
        path.write_bytes(data)
        before = sha(path)
        try:
            CredentialsFile(path).write_profile("app", "app", CREDS)
        except CredentialsFileError as exc:
            message = str(exc)
            assert str(path) in message and "\n" not in message.strip()
            assert sha(path) == before, "a refused file must be left untouched"
            return
        parsed = raw_config_parse(str(path))  # botocore reads the result
        assert parsed["app"]["aws_session_token"] == CREDS.session_token
        body = data.removeprefix(b"\xef\xbb\xbf")
        if b"[app]" not in body:
            assert path.read_bytes().startswith(body), "foreign bytes stay as they were"


managed_sections = st.tuples(
    st.sampled_from(["app", "web", "x", "profile dev"]),
    st.sampled_from(["", "# kept with the next section\n", "\n\n", "  indented = 1\n", "; c\n\n"]),
).map(lambda t: f"[{t[0]}]\nx_roletray_role = {t[0]}\naws_access_key_id = ASIAOLD\n{t[1]}")
ODD = "[unterminated|[]|[[x]]|[app] ; trailing|  continued|# c||[DEFAULT]|  [web]|key: v|[app]"
odd_lines = st.sampled_from([*ODD.split("|"), "[web]", "k = v", "\tk = v", "[x]y"]).map(
    lambda line: line + "\n"
)
layouts = st.lists(
    st.one_of(managed_sections, odd_lines, st.sampled_from(["[p]\nk = v\n", "[q]\n# c\n\n"])),
    max_size=20,
).map("".join)


@FUZZ
@given(text=layouts, newline=st.sampled_from(["\n", "\r\n"]), first=st.sampled_from(["app", "web"]))
def test_a_write_by_index_equals_the_full_splice_byte_for_byte(
    text: str, newline: str, first: str
) -> None:
    """After a file is parsed once, writes splice by its index (credentials_index): the
    bytes, and the errors, must be those of the full configupdater splice."""
    COUNTS["indexed"] = COUNTS.get("indexed", 0) + 1
    data = text.replace("\n", newline).encode()
    steps = [(first, CREDS), (first, replace(CREDS, session_token="second")), ("app", CREDS)]
    outcomes = []
    for indexed in (True, False):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "credentials"
            path.write_bytes(data)
            os.utime(path, (1e9, 1e9))  # not "just written by someone else": no settle wait
            file, results = CredentialsFile(path), []

            def attempt(call: Callable[[], object], path: Path = path) -> str:
                try:
                    return repr(call())
                except CredentialsFileError as exc:
                    return str(exc).replace(str(path), "PATH")

            with _indexes(enabled=indexed):
                for profile, creds in steps:
                    results.append(attempt(partial(file.write_profile, profile, profile, creds)))
                    results.append(attempt(path.read_bytes))
                    results.append(attempt(partial(_managed, file)))
                    results.append(attempt(partial(file.session, profile)))
            outcomes.append(results)
    assert outcomes[0] == outcomes[1]


def _managed(file: CredentialsFile) -> list[object]:
    return sorted(file.managed_profiles().items())


@contextlib.contextmanager
def _indexes(enabled: bool) -> Iterator[None]:
    saved = credentials_file._INDEXES
    credentials_file._INDEXES = Indexes() if enabled else _NoIndexes()
    try:
        yield
    finally:
        credentials_file._INDEXES = saved


class _NoIndexes(Indexes):
    def learn(self, body: str, parser: object, marker: str) -> None:
        pass

    def put(self, index: object) -> None:
        pass


toml_lines = st.one_of(
    st.sampled_from(
        [
            "[settings]",
            "[keys.work]",
            "[roles.prod]",
            "[roles]",
            "[keys]",
            "[roles.prod.x]",
            "[[roles]]",
            "[roles.'bad name']",
            "[other]",
            "[roles.prod",
            "= 1",
        ]
    ),
    st.tuples(
        st.sampled_from(
            [
                "role_arn",
                "keys",
                "duration",
                "external_id",
                "session_name",
                "region",
                "profile",
                "mfa_serial",
                "auto_refresh",
                "group",
                "access_key_id",
                "user_arn",
                "warn_before",
                "sts_timeout",
                "sts_attempts",
                "unknown",
                "a.b",
            ]
        ),
        st.sampled_from([" = "]),
        st.one_of(
            st.sampled_from(
                [
                    '"arn:aws:iam::123456789012:role/R"',
                    '"work"',
                    '"AKIAIOSFODNN7EXAMPLE"',
                    "3600",
                    "899",
                    "true",
                    "1.5",
                    "[1, 2]",
                    "{a = 1}",
                    '"x"',
                    "nan",
                    '"""multi"""',
                    '"\\u0000"',
                    "2026-11-28T00:00:00Z",
                    "'unterminated",
                ]
            ),
            st.text(max_size=20).map(repr),
        ),
    ).map("".join),
    st.text(max_size=30),
)


@FUZZ
@given(lines=st.lists(toml_lines, max_size=20), binary=st.binary(max_size=16))
def test_malformed_config_files_give_one_clear_error_and_stay_untouched(
    lines: list[str], binary: bytes
) -> None:
    COUNTS["config"] = COUNTS.get("config", 0) + 1
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.toml"
        path.write_bytes("\n".join(lines).encode("utf-8", errors="replace") + binary)
        before = sha(path)
        try:
            load_config(path)
        except ConfigError as exc:
            assert str(exc).startswith(str(path))
        try:
            ConfigStore(path).put_role(
                Role("fuzz", "arn:aws:iam::123456789012:role/R", keys="work")
            )
        except ConfigError:
            assert sha(path) == before, "a refused edit leaves the file as it was"


tokens = st.one_of(
    st.sampled_from(
        [
            "keys",
            "add",
            "list",
            "remove",
            "roles",
            "assume",
            "status",
            "clear",
            "tray",
            "--json",
            "--force",
            "--verbose",
            "--help",
            "--role-arn",
            "--keys",
            "--duration",
            "--external-id",
            "--mfa-code",
            "--mfa-serial",
            "--profile",
            "--region",
            "--from-env",
            "--access-key-id",
            "--no-verify",
            "--session-name",
            "--config",
            "--",
            "-",
            "arn:aws:iam::123456789012:role/R",
            "AKIAIOSFODNN7EXAMPLE",
            "work",
            "prod",
            "900",
            "-1",
            "1e9",
            "",
        ]
    ),
    st.text(max_size=12),
)


@FUZZ
@given(argv=st.lists(tokens, max_size=8))
def test_malformed_cli_arguments_never_show_a_traceback(argv: list[str]) -> None:
    COUNTS["argv"] = COUNTS.get("argv", 0) + 1
    if "tray" in argv or "demo" in argv:
        argv = [a for a in argv if a not in ("tray", "demo")]
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "config.toml"
        config.write_text(
            '[keys.work]\naccess_key_id = "AKIAIOSFODNN7EXAMPLE"\n'
            '[roles.prod]\nrole_arn = "arn:aws:iam::123456789012:role/R"\nkeys = "work"\n'
        )
        creds = Path(folder) / "credentials"
        creds.write_text("[default]\nregion = us-east-1\n")
        before = sha(creds)
        out, err = io.StringIO(), io.StringIO()
        env = {
            "ROLETRAY_CONFIG": str(config),
            "AWS_SHARED_CREDENTIALS_FILE": str(creds),
            "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9",  # nothing listens: no network
            "ROLETRAY_KEYRING_TIMEOUT": "2",
        }
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            with (
                contextlib.redirect_stdout(out),
                contextlib.redirect_stderr(err),
                contextlib.suppress(SystemExit),
            ):
                main(argv)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        assert "Traceback" not in err.getvalue() + out.getvalue()
        assert "unexpected" not in err.getvalue(), err.getvalue()
        assert sha(creds) == before or "[prod]" in creds.read_text()


def test_fuzz_volume() -> None:
    """Runs last in this module: the three fuzzers together generated ≥ 500 inputs."""
    total = sum(COUNTS.values())
    print(f"\nfuzzed inputs: {COUNTS} = {total}")
    if COUNTS:
        assert total >= 500
