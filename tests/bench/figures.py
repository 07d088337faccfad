"""Benchmark: prints figures, asserts nothing. Run: .venv/bin/python -m tests.bench.figures

- CLI latency: `roletray status` and `roletray assume` (moto on loopback), median of N runs;
- the tray's idle memory: RSS and private memory (smaps_rollup) after 60 s idle with one
  active session, on the same virtual desktop the tests use.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.harness.aws import MotoWorld
from tests.harness.desktop import Desktop
from tests.harness.keyring_bus import KeyringBus, stop_process

RUNS = int(os.environ.get("BENCH_RUNS", "10"))
IDLE_SECONDS = int(os.environ.get("BENCH_IDLE", "60"))
REPO = Path(__file__).resolve().parents[2]


def memory(pid: int) -> dict[str, int]:
    fields: dict[str, int] = {}
    for name in ("status", "smaps_rollup"):
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "Rss", "Pss", "Private_Clean", "Private_Dirty"):
                fields[key] = int(rest.split()[0])
    return fields


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="roletray-bench-"))
    bus = KeyringBus(root / "keyring").start()
    desktop = Desktop(root / "desktop", bus).start()
    moto = MotoWorld().start()
    tray = None
    try:
        user = moto.user("bench")
        arn = moto.role("bench-role", user)
        home = root / "home"
        home.mkdir()
        env = {
            **os.environ, **bus.env, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
            "AWS_CONFIG_FILE": str(home / ".aws" / "config"), "AWS_ENDPOINT_URL_STS": moto.url,
            "PYTHONPATH": str(REPO),
        }  # fmt: skip
        cli = [sys.executable, "-m", "tray_app"]

        def run(*args: str, stdin: str = "") -> float:
            started = time.perf_counter()
            subprocess.run(
                [*cli, *args], input=stdin, env=env, check=True, capture_output=True, text=True
            )
            return (time.perf_counter() - started) * 1000

        run(
            "keys",
            "add",
            "work",
            "--access-key-id",
            user.access_key_id,
            stdin=user.secret_access_key + "\n",
        )
        run("roles", "add", "bench", "--role-arn", arn, "--keys", "work")
        for verb in (("status",), ("assume", "bench"), ("roles", "list")):
            times = [run(*verb) for _ in range(RUNS)]
            print(
                f"roletray {' '.join(verb):<11} median {statistics.median(times):6.0f} ms  "
                f"min {min(times):6.0f} ms  ({RUNS} runs)"
            )

        tray = subprocess.Popen([*cli], env={**env, **desktop.env}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(3)
        print(f"tray after 3 s:  {memory(tray.pid)}")
        time.sleep(IDLE_SECONDS)
        figures = memory(tray.pid)
        private = figures["Private_Clean"] + figures["Private_Dirty"]
        print(
            f"tray after {IDLE_SECONDS + 3} s idle: RSS {figures['VmRSS'] / 1024:.1f} MiB, "
            f"PSS {figures['Pss'] / 1024:.1f} MiB, private {private / 1024:.1f} MiB"
        )
        cpu = Path(f"/proc/{tray.pid}/stat").read_text().split()
        ticks = os.sysconf("SC_CLK_TCK")
        print(f"tray CPU time over the run: {(int(cpu[13]) + int(cpu[14])) / ticks:.2f} s")
    finally:
        stop_process(tray)
        moto.stop()
        desktop.stop()
        bus.stop()


if __name__ == "__main__":
    main()
