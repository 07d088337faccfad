"""Benchmark: prints figures, asserts nothing. Run: .venv/bin/python -m tests.bench.figures

Everything runs in one go on this machine against one moto (IAM auth on) on loopback,
with the same keyring, desktop and tray host the tests use. Each row is a median with
the min–max of N runs; where roletray is compared with another tool, the two run
alternately and the ratio is the median of the pairwise ratios. Sections:

- the floor: one hand-signed AssumeRole POST from a warm process;
- the tray's warm click, alternating with the floor: the role's menu item activated in a
  real tray (``warm_click``) → STS → profile written (and → the click's job done), pairs
  back to back and then each after IDLE_GAP s idle, TRAY_RUNS tray processes each;
- cold `roletray assume` vs awsume vs `aws sts assume-role` (AWS CLI v1) vs boto3;
- `roletray status`, `--version`, `--help` vs `python -c pass`;
- `roletray credential-process` alone (a held session) and, with the tray running,
  `credential-process`, `assume` and `status` answered by its broker;
- scale: 1,000 roles (config load, status, menu build), one update of a 5,000-profile
  credentials file vs a 5-profile one, 8 concurrent writers on the big file;
- the tray: start → menu applied, then idle RSS / PSS / private memory and wake-ups
  (voluntary context switches) over IDLE seconds after one click from its menu and
  after fifty.

BENCH_RUNS (default 15), BENCH_CLICKS (50) and BENCH_IDLE (60) change the counts.
"""

from __future__ import annotations

import compileall
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.harness.aws import REGION, MotoWorld
from tests.harness.desktop import Desktop, wait_for
from tests.harness.keyring_bus import KeyringBus, stop_process
from tests.harness.tray import Tray

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
WARM_UP = 20  # pairs not counted: the first write parses the file in full, caches fill
CLICKS = int(os.environ.get("BENCH_CLICKS", "50"))
IDLE = int(os.environ.get("BENCH_IDLE", "60"))
WAKE_WINDOW = 0.05
IDLE_GAP = 0.25  # s of idle before each floor and each click in the second warm run
TRAY_RUNS = 3  # tray processes per warm row: their ratios differ by a few hundredths
SETTLE = 20  # seconds for threads the clears woke (GLib idles out its pool threads) to end
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ROWS: list[tuple[str, str, str]] = []  # what, roletray, compared with


def ms(values: list[float]) -> str:
    low, high = min(values), max(values)
    places = 1 if low < 10 else 0
    return f"{statistics.median(values):7.1f} ms ({low:.{places}f}–{high:.{places}f})"


def row(what: str, ours: str, theirs: str = "") -> None:
    ROWS.append((what, ours, theirs))
    print(f"  {what}: {ours}  {theirs}", flush=True)


def timed(argv: list[str], env: dict[str, str], stdin: str = "") -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, input=stdin, env=env, capture_output=True, text=True)
    took = (time.perf_counter() - started) * 1000
    if result.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed: {result.stderr[-400:]}")
    return took


def paired(ours: Callable[[], float], theirs: Callable[[], float]) -> tuple[str, str]:
    a, b = [], []
    for _ in range(RUNS):
        a.append(ours())
        b.append(theirs())
    ratio = statistics.median(x / y for x, y in zip(a, b, strict=True))
    return ms(a), f"{ms(b)}  → us/them {ratio:.2f}×"


class World:
    """moto, the keyring, the desktop and a HOME with one key set and one role."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bus = KeyringBus(root / "keyring").start()
        os.environ.update(self.bus.env)  # the in-process keyring uses the same bus
        self.desktop = Desktop(root / "desktop", self.bus).start()
        self.moto = MotoWorld(own_process=True).start()  # the clicks measured here share no GIL
        self.user = self.moto.user("bench")
        self.arn = self.moto.role("bench-role", self.user)
        self.home = root / "home"
        (self.home / ".aws").mkdir(parents=True)
        # As pip installs it: bytecode compiled (this machine sets PYTHONDONTWRITEBYTECODE,
        # which would make every run compile roletray's modules and none of awsume's).
        compileall.compile_dir(REPO / "tray_app", quiet=1)
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            **self.bus.env, "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.credentials),
            "AWS_CONFIG_FILE": str(self.home / ".aws" / "config"),
            "AWS_ENDPOINT_URL_STS": self.moto.url, "AWS_DEFAULT_REGION": REGION,
            "PYTHONPATH": str(REPO),
        }  # fmt: skip
        self.roletray("keys", "add", "work", "--access-key-id", self.user.access_key_id,
                      stdin=self.user.secret_access_key + "\n")  # fmt: skip
        self.roletray("roles", "add", "bench", "--role-arn", self.arn, "--keys", "work")
        # For the other tools only: the same role the way they read it (a plaintext key).
        (self.home / ".aws" / "config").write_text(
            f"[profile plain]\nregion = {REGION}\n[profile bench-other]\nrole_arn = {self.arn}\n"
            f"source_profile = plain\nregion = {REGION}\n"
        )
        self.credentials.write_text(
            f"[plain]\naws_access_key_id = {self.user.access_key_id}\n"
            f"aws_secret_access_key = {self.user.secret_access_key}\n"
        )
        self.roletray("roles", "add", "bench-cp", "--role-arn", self.arn, "--keys", "work",
                      "--credential-process")  # fmt: skip

    @property
    def credentials(self) -> Path:
        return self.home / ".aws" / "credentials"

    def roletray(self, *args: str, stdin: str = "") -> float:
        return timed([sys.executable, "-m", "tray_app", *args], self.env, stdin)

    def stop(self) -> None:
        self.moto.stop()
        self.desktop.stop()
        self.bus.stop()


# -- the floor and the warm path --------------------------------------------------------
@dataclass
class Warm:
    floor: list[float]  # one hand-signed AssumeRole POST
    written: list[float]  # menu action → the profile written and fsync'd (the write returned)
    done: list[float]  # → the click's job over: "ready" notice sent, the role free again

    def ratio(self, what: str) -> float:
        """The median of the pairwise ratios of ``what`` ("written", "done") to the floor."""
        times: list[float] = getattr(self, what)
        return statistics.median(x / y for x, y in zip(times, self.floor, strict=True))


def clicks_in_tray(world: World, gap: float) -> Warm:
    """The floor and a click on the role's menu item in a real tray, alternately, each
    after ``gap`` s of idle (see ``warm_click``)."""
    job = {"moto_url": world.moto.url, "access_key_id": world.user.access_key_id,
           "secret": world.user.secret_access_key, "arn": world.arn, "role": "bench",
           "pairs": max(CLICKS, 100), "warm_up": WARM_UP, "gap": gap,
           "credentials": str(world.root / "warm-credentials")}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "tests.bench.warm_click"], input=json.dumps(job),
        env={**world.env, **world.desktop.env}, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"the tray's clicks failed: {result.stderr[-800:]}")
    times = json.loads(result.stdout)
    return Warm(times["floor"], times["written"], times["done"])


def warm_rows(when: str, runs: list[Warm]) -> None:
    """The floor and the click over the pairs of all ``runs`` (the ratio: the median of
    the pairwise ratios), then each run's own ratio: the machine's state drifts."""
    pooled = ([t for run in runs for t in getattr(run, f)] for f in ("floor", "written", "done"))
    every = Warm(*pooled)
    row(f"the floor: one hand-signed AssumeRole POST ({when})", ms(every.floor))
    for what, label in (("written", "profile written"), ("done", "its job done")):
        each = ", ".join(f"{run.ratio(what):.2f}" for run in runs)
        row(f"click in the tray → {label} ({when})", ms(getattr(every, what)),
            f"{every.ratio(what):.2f}× the floor (runs: {each})")  # fmt: skip


def hand_signed_post(url: str, key_id: str, secret: str, arn: str) -> Callable[[], float]:
    """One AssumeRole POST, signed by hand with botocore's SigV4 (moto answers HTTP/1.0 and
    closes: each POST connects, as each of the click's does)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    creds = Credentials(key_id, secret)
    body = urllib.parse.urlencode({"Action": "AssumeRole", "Version": "2011-06-15",
                                   "RoleArn": arn, "RoleSessionName": "floor"})  # fmt: skip

    def post() -> float:
        started = time.perf_counter()
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        request = AWSRequest("POST", f"{url}/", data=body, headers=form)
        SigV4Auth(creds, "sts", REGION).add_auth(request)
        connection.request("POST", "/", body, dict(request.headers.items()))
        response = connection.getresponse()
        assert response.status == 200, response.read()
        response.read()
        return (time.perf_counter() - started) * 1000

    return post


# -- cold commands ----------------------------------------------------------------------
def cold(world: World) -> None:
    env = world.env
    python = [sys.executable]
    boto3_script = (
        "import boto3\n"
        f"boto3.client('sts', region_name='{REGION}').assume_role("
        f"RoleArn='{world.arn}', RoleSessionName='bench')"
    )
    boto_env = {**env, "AWS_ACCESS_KEY_ID": world.user.access_key_id,
                "AWS_SECRET_ACCESS_KEY": world.user.secret_access_key}  # fmt: skip
    assume = lambda: world.roletray("assume", "bench")  # noqa: E731 - a row of the table
    others: dict[str, Callable[[], float]] = {
        "aws sts assume-role (AWS CLI v1)": lambda: timed(
            [
                str(BIN / "aws"),
                "sts",
                "assume-role",
                "--role-arn",
                world.arn,
                "--role-session-name",
                "bench",
                "--profile",
                "plain",
            ],
            env,
        ),
        "a minimal boto3 script": lambda: timed([*python, "-c", boto3_script], boto_env),
    }
    awsume = shutil.which("awsumepy", path=str(BIN))
    if awsume:
        others = {"awsume": lambda: timed([awsume, "bench-other"], env), **others}
    else:
        print("  (awsume not installed: pip install awsume to compare with it)")
    for name, other in others.items():
        ours, theirs = paired(assume, other)
        row(f"cold `roletray assume` vs {name}", ours, theirs)
    if awsume:
        process = lambda: world.roletray("credential-process", "bench-cp")  # noqa: E731
        process()  # the session, into the keyring
        ours, theirs = paired(process, others["awsume"])
        row("`roletray credential-process` alone (a held session) vs awsume", ours, theirs)
    for args in (("status",), ("--version",), ("--help",)):
        ours, theirs = paired(lambda a=args: world.roletray(*a),
                              lambda: timed([*python, "-c", "pass"], env))  # fmt: skip
        row(f"`roletray {args[0]}` vs `python -c pass`", ours, theirs)


# -- scale ------------------------------------------------------------------------------
def scale(world: World) -> None:
    from tray_app.config import ConfigStore, load_config
    from tray_app.credentials_file import CredentialsFile, TemporaryCredentials
    from tray_app.engine import Engine
    from tray_app.keystore import MemoryKeystore
    from tray_app.tray.controller import Controller
    from tray_app.tray.menu import build_menu

    folder = world.root / "scale"
    folder.mkdir()
    path = folder / "config.toml"
    lines = ['[keys.work]\naccess_key_id = "AKIAIOSFODNN7EXAMPLE"\n']
    for i in range(1000):
        account = f"{100000000000 + i % 40:012d}"
        lines.append(f'[roles.r{i:04d}]\nrole_arn = "arn:aws:iam::{account}:role/R"\n'
                     'keys = "work"\n')  # fmt: skip
    path.write_text("".join(lines))
    loads = []
    for _ in range(RUNS):
        started = time.perf_counter()
        load_config(path)
        loads.append((time.perf_counter() - started) * 1000)
    row("1,000 roles: config load", ms(loads))
    engine = Engine(ConfigStore(path), MemoryKeystore(), lambda c: None,  # type: ignore[arg-type]
                    CredentialsFile(folder / "credentials"))  # fmt: skip
    engine.config  # noqa: B018 - load once, as the tray has
    statuses, menus = [], []
    controller = Controller(engine)
    for _ in range(RUNS):
        started = time.perf_counter()
        engine.status()
        statuses.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        menu = build_menu(controller.view())
        menus.append((time.perf_counter() - started) * 1000)
    controller.shutdown()
    row("1,000 roles: status", ms(statuses))
    row("1,000 roles: view + menu built", ms(menus), f"({len(menu)} top-level items)")

    expires = datetime.now(UTC) + timedelta(hours=1)
    creds = TemporaryCredentials("ASIAFAKE", "s" * 40, "t" * 600, expires, "arn:aws:sts::1:x")
    writers = {}
    for count in (5, 5000):
        file = folder / f"credentials-{count}"
        file.write_text("".join(
            f"[p{i}]\naws_access_key_id = AKIAFOREIGN{i:09d}\naws_secret_access_key = x{i}\n\n"
            for i in range(count)))  # fmt: skip
        writers[count] = CredentialsFile(file)
        # Not timed: a file another writer changed this very moment is first given 0.1 s
        # to hold still (see "The credentials file promise"); the rows are later updates.
        writers[count].write_profile("bench", "bench", creds)
    results: dict[int, list[float]] = {5: [], 5000: []}
    for _ in range(RUNS):  # alternately, so both see the same moments of the disk
        for count, writer in writers.items():
            started = time.perf_counter()
            writer.write_profile("bench", "bench", creds)
            results[count].append((time.perf_counter() - started) * 1000)
    ratio = statistics.median(results[5000]) / statistics.median(results[5])
    row("one update, 5-profile credentials file", ms(results[5]))
    row("one update, 5,000-profile credentials file", ms(results[5000]),
        f"{ratio:.1f}× the 5-profile update")  # fmt: skip

    outcomes: list[str] = []

    def write(i: int) -> None:
        try:
            CredentialsFile(folder / "credentials-5000").write_profile(f"w{i}", f"w{i}", creds)
            outcomes.append("ok")
        except Exception as exc:
            outcomes.append(type(exc).__name__)

    started = time.perf_counter()
    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = (time.perf_counter() - started) * 1000
    row("8 concurrent writers, 5,000-profile file",
        f"{outcomes.count('ok')} of 8 succeeded in {took:.0f} ms",
        ", ".join(o for o in outcomes if o != "ok"))  # fmt: skip


# -- the tray ---------------------------------------------------------------------------
def memory(pid: int) -> dict[str, int]:
    fields: dict[str, int] = {}
    for name in ("status", "smaps_rollup"):
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "Pss", "Private_Clean", "Private_Dirty"):
                fields[key] = int(rest.split()[0])
    return fields


def switches(pid: int) -> dict[str, int]:
    """Each thread's voluntary context switches so far."""
    counts = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            status = (task / "status").read_text()
        except FileNotFoundError:  # a thread that just ended
            continue
        for line in status.splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                counts[task.name] = int(line.split()[1])
    return counts


def idle(pid: int) -> str:
    """Memory, and wake-ups over IDLE s: times the process went from idle to running,
    seen in 50 ms windows (a wake-up moves several threads for a few windows: each of
    their context switches is counted too, in brackets)."""
    last = switches(pid)
    wakes, total, was_running, deadline = 0, 0, False, time.monotonic() + IDLE
    while time.monotonic() < deadline:
        time.sleep(WAKE_WINDOW)
        now = switches(pid)
        moved = sum(count - last.get(tid, 0) for tid, count in now.items())
        running = moved > 0 or now.keys() != last.keys()  # a thread started or ended
        wakes += running and not was_running
        total += moved
        was_running, last = running, now
    after = memory(pid)
    return (
        f"RSS {after['VmRSS'] / 1024:.0f} MiB, PSS {after['Pss'] / 1024:.0f} MiB, private "
        f"dirty {after['Private_Dirty'] / 1024:.0f} MiB; {wakes} wake-ups in {IDLE} s "
        f"({total} context switches)"
    )


@dataclass
class BenchHome:
    """What the tray harness reads of a HOME."""

    root: Path
    credentials: Path


def tray(world: World) -> None:
    log = world.root / "tray.log"
    observe = world.root / "observe.json"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tray_app"],
        env={**world.env, **world.desktop.env, "ROLETRAY_OBSERVE": str(observe)},
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        shots = world.root / "shots"
        shots.mkdir()
        ui = Tray(
            BenchHome(world.home, world.credentials), world.desktop, proc, log, shots, observe
        )
        wait_for(lambda: bool(ui.menu_labels()), "the tray's menu", 30)
        ui.icon()
        row("tray: start → icon docked, menu applied",
            f"{(time.perf_counter() - started) * 1000:.0f} ms")  # fmt: skip
        through_tray(world)
        ui.choose("bench")
        wait_for(lambda: ui.profile("bench"), "the click to write the profile")
        row("tray idle after one click from its menu", idle(proc.pid))
        for _ in range(CLICKS - 1):
            ui.choose("bench")
        row(f"tray idle after {CLICKS} clicks", idle(proc.pid))
        row(f"tray idle, the {IDLE} s after that", idle(proc.pid))
        for role in ("bench", "bench-cp"):  # no session left: no countdown, nothing due
            ui.choose("Role actions", role, "Clear credentials")
        wait_for(lambda: all("not assumed" in label for label in ui.menu_labels()[:2]),
                 "both roles cleared")  # fmt: skip
        time.sleep(SETTLE)  # the steady state: what the clears started has ended
        row("tray idle with no session (nothing due)", idle(proc.pid))
    finally:
        stop_process(proc)


def through_tray(world: World) -> None:
    """With the tray running: credential-process and status answered by its broker."""
    awsume = shutil.which("awsumepy", path=str(BIN))
    process = lambda: world.roletray("credential-process", "bench-cp")  # noqa: E731
    wait_for(lambda: process() > 0, "the broker to answer", 30)
    if awsume:
        ours, theirs = paired(process, lambda: timed([awsume, "bench-other"], world.env))
        row("`roletray credential-process`, tray running, vs awsume", ours, theirs)
        assume = lambda: world.roletray("assume", "bench")  # noqa: E731 - a row of the table
        ours, theirs = paired(assume, lambda: timed([awsume, "bench-other"], world.env))
        row("`roletray assume`, tray running, vs awsume", ours, theirs)
    pass_ = lambda: timed([sys.executable, "-c", "pass"], world.env)  # noqa: E731
    ours, theirs = paired(lambda: world.roletray("status"), pass_)
    row("`roletray status`, tray running, vs `python -c pass`", ours, theirs)


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="roletray-bench-"))
    world = World(root)
    try:
        print(f"roletray bench: {RUNS} runs per row, {os.cpu_count()} CPUs", flush=True)
        for gap, when in ((0.0, "back to back"), (IDLE_GAP, f"each after {IDLE_GAP} s idle")):
            warm_rows(when, [clicks_in_tray(world, gap) for _ in range(TRAY_RUNS)])
        cold(world)
        scale(world)
        tray(world)
    finally:
        world.stop()
        shutil.rmtree(root, ignore_errors=True)
    width = max(len(what) for what, _, _ in ROWS)
    print("\n| what | roletray | compared with |\n| --- | --- | --- |")
    for what, ours, theirs in ROWS:
        print(f"| {what:<{width}} | {ours.strip()} | {theirs.strip()} |")


if __name__ == "__main__":
    main()
