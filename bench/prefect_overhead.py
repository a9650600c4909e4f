"""What Prefect costs a no-op rerun (not a test): the sample rerun against a trivial one-task flow.

    python bench/prefect_overhead.py [--repeats 3] [--server]

Each measurement is a fresh `python` process, as a user's command line is: first the sample run once
(to fill the output folder), then, paired and alternating, a trivial one-task flow and
`stancewatch run` with nothing changed. Both use the same PREFECT_HOME. Without --server each
process starts Prefect's ephemeral API; with --server one `prefect server start` serves them all
through PREFECT_API_URL, the low-overhead setup for people who run often. Prints the medians and
their ratio.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRIVIAL_FLOW = """
import stancewatch.flows  # the same offline Prefect defaults as stancewatch
from prefect import flow, task

@task
def one():
    return 1

@flow
def trivial():
    return one()

trivial()
"""


def timed(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, seconds: float = 120) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"prefect server at {url} did not become healthy in {seconds:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--server", action="store_true", help="one `prefect server start` for all runs")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="stancewatch-overhead-"))
    env = {**os.environ, "PREFECT_HOME": str(work / "prefect-home")}
    server = None
    if args.server:
        port = free_port()
        env["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
        server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                   "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        wait_healthy(env["PREFECT_API_URL"])
    try:
        run = [sys.executable, "-m", "stancewatch.flows.cli", "run", "--out", str(work / "processed")]
        first = timed(run, env)
        trivial, noop = [], []
        for _ in range(args.repeats):
            trivial.append(timed([sys.executable, "-c", TRIVIAL_FLOW], env))
            noop.append(timed(run, env))
    finally:
        if server:
            server.terminate()
            server.wait(30)
    setup = "one prefect server (PREFECT_API_URL)" if args.server else "ephemeral API per process"
    print(f"setup: {setup}; first sample run {first:.1f} s")
    print(f"trivial one-task flow: median {statistics.median(trivial):.1f} s  {[round(t, 1) for t in trivial]}")
    print(f"no-op sample rerun:    median {statistics.median(noop):.1f} s  {[round(t, 1) for t in noop]}")
    print(f"ratio no-op / trivial: {statistics.median(noop) / statistics.median(trivial):.2f}")


if __name__ == "__main__":
    main()
