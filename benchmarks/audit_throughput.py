"""The whole ``judgebias audit`` command against ``judgebias serve-sim --latency-ms 100``,
with the clients a user would write by hand measured in the same run.

For each concurrency, against a fresh server each time:

- ``audit``: ``judgebias audit --judge openai:sim --base-url URL --data pairs.jsonl
  --probes P --concurrency C --out RUN`` as its own process, under a pseudo-terminal so
  that the progress bar is drawn as a user sees it; then the same command again
  ``--cached-repeats`` times (``cached``: every answer is in the store, nothing is sent;
  the median is used). The calling phase takes ``first - cached`` seconds: imports,
  probes, statistics and report are in both runs.
- ``openai``: a plain asyncio loop over the openai SDK's ``AsyncOpenAI`` (a semaphore
  and ``gather``, nothing stored), sending the audit's own requests (read from its
  store);
- ``aiohttp``: the same with a bare ``aiohttp.ClientSession`` posting the JSON.

efficiency = ideal / time, ideal = calls x latency / concurrency; for the audit, time is
``first - cached``. That can exceed 1: the audit builds each probe's prompt while other
calls are in flight, work the cached run does with nothing to hide behind. The stricter
``runner_efficiency`` (audit only) takes as time the runner's own wall time sending and
waiting (``calls.seconds`` of the first run's summary.json). CPU per call: the audit process's user + system time, first minus
cached, over the calls sent (the peers: this process's CPU over the calls). Each
measurement is repeated ``--repeats`` times and the median reported (the machine may be
shared). The last line is one JSON object.

    python benchmarks/audit_throughput.py                          # about 19,000 calls
    python benchmarks/audit_throughput.py --pairs 130 --repeats 1  # about 5,000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import pty
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

PROBES = "position,length,bandwagon,authority,reflection,distraction,compassion,identity,refinement,citation"
"""Every probe that needs no rewriter model: 38 calls a pair."""
WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "sigma",
    "tau",
]


def write_pairs(path: Path, n: int) -> None:
    rng = random.Random(0)

    def sentence(k: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(k)).capitalize() + "."

    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            row = {
                "id": f"p{i}",
                "instruction": "Describe " + sentence(rng.randint(3, 8)),
                "response_a": " ".join(sentence(rng.randint(4, 12)) for _ in range(3)),
                "response_b": " ".join(sentence(rng.randint(4, 12)) for _ in range(3)),
                "gold": rng.choice(["a", "b"]),
            }
            fh.write(json.dumps(row) + "\n")


class Server:
    def __init__(self, latency_ms: float):
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "judgebias.cli", "serve-sim"),
                *("--judge", "sim:position=0.2", "--port", "0", "--latency-ms", str(latency_ms)),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = json.loads(self.proc.stdout.readline())["listening"]

    def cpu(self) -> float:
        with open(f"/proc/{self.proc.pid}/stat") as fh:
            f = fh.read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def run_audit(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one audit process, its output on a pseudo-terminal."""
    master, slave = pty.openpty()
    seen = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            seen.extend(chunk)
            del seen[:-4000]

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    os.close(slave)
    reader.join(timeout=5)
    os.close(master)
    if os.waitstatus_to_exitcode(status) != 0:
        tail = seen.decode("utf-8", "replace")[-1500:]
        raise SystemExit(
            f"audit failed ({os.waitstatus_to_exitcode(status)}): {' '.join(cmd)}\n{tail}"
        )
    return wall, usage.ru_utime + usage.ru_stime


def stored_requests(store: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(store) as db:
        return [json.loads(r) for (r,) in db.execute("SELECT request FROM responses")]


def body(r: dict[str, Any]) -> dict[str, Any]:
    out = {
        "model": r["model"],
        "messages": r["messages"],
        "temperature": r.get("temperature", 0.0),
    }
    if r.get("max_tokens"):
        out["max_tokens"] = r["max_tokens"]
    return out


async def peer_openai(reqs: list[dict[str, Any]], url: str, conc: int) -> None:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=url, api_key="x", max_retries=0, timeout=60)
    sem = asyncio.Semaphore(conc)

    async def one(r: dict[str, Any]) -> str:
        async with sem:
            resp = await client.chat.completions.create(**body(r))
            return resp.choices[0].message.content or ""

    await asyncio.gather(*(one(r) for r in reqs))
    await client.close()


async def peer_aiohttp(reqs: list[dict[str, Any]], url: str, conc: int) -> None:
    import aiohttp

    sem = asyncio.Semaphore(conc)
    endpoint = url.rstrip("/") + "/chat/completions"
    conn = aiohttp.TCPConnector(limit=conc)
    async with aiohttp.ClientSession(connector=conn) as session:

        async def one(r: dict[str, Any]) -> str:
            async with sem, session.post(endpoint, json=body(r)) as resp:
                data = await resp.json()
                return str(data["choices"][0]["message"]["content"])

        await asyncio.gather(*(one(r) for r in reqs))


def timed_peer(fn: Any, reqs: list[dict[str, Any]], url: str, conc: int) -> tuple[float, float]:
    c0, t0 = time.process_time(), time.perf_counter()
    asyncio.run(fn(reqs, url, conc))
    return time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--pairs", type=int, default=500, help="38 calls a pair (500: 19,000)")
    ap.add_argument("--latency-ms", type=float, default=100.0)
    ap.add_argument("--concurrency", default="64,256")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--peers", default="openai,aiohttp")
    ap.add_argument(
        "--cached-repeats", type=int, default=3, help="cached re-runs per audit (median)"
    )
    args = ap.parse_args()
    lat = args.latency_ms / 1000.0
    out: dict[str, Any] = {
        "benchmark": "audit_throughput",
        "latency_ms": args.latency_ms,
        "probes": PROBES,
        "repeats": args.repeats,
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}",
    }
    peers = {"openai": peer_openai, "aiohttp": peer_aiohttp}
    print(
        f"{'conc':>5} {'client':>8} {'efficiency (runs)':>26} {'cpu ms/call (runs)':>26} "
        f"{'server cpu ms/call':>20} {'runner-timed (runs)':>26}"
    )
    servers: list[Server] = []
    try:
        measure(args, out, peers, lat, servers)
    finally:
        for srv in servers:
            if srv.proc.poll() is None:
                srv.close()
    effs = {k: v["efficiency"] for k, v in out.items() if isinstance(v, dict)}
    out["targets_met"] = bool(effs.get("c64_audit", 0) >= 0.95 and effs.get("c256_audit", 0) >= 0.9)
    print(json.dumps(out))


def measure(
    args: argparse.Namespace,
    out: dict[str, Any],
    peers: dict[str, Any],
    lat: float,
    servers: list[Server],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "pairs.jsonl"
        write_pairs(data, args.pairs)
        for conc in [int(c) for c in args.concurrency.split(",")]:
            res: dict[str, dict[str, list[float]]] = {}
            reqs: list[dict[str, Any]] = []
            for rep in range(args.repeats):
                run = Path(tmp) / f"run-{conc}-{rep}"
                srv = Server(args.latency_ms)
                servers.append(srv)
                cmd = [
                    *(sys.executable, "-m", "judgebias.cli", "audit", "--judge", "openai:sim"),
                    *("--base-url", srv.url, "--data", str(data), "--probes", PROBES),
                    *("--concurrency", str(conc), "--seed", "1", "--out", str(run)),
                ]
                srv_cpu = srv.cpu()
                first, first_cpu = run_audit(cmd)
                srv_cpu = srv.cpu() - srv_cpu
                first_summary = json.loads((run / "summary.json").read_text())
                # the cached run is repeated and its median taken: one slow re-run would
                # otherwise shrink the difference and overstate the efficiency
                again = [run_audit(cmd) for _ in range(args.cached_repeats)]
                cached = statistics.median(w for w, _ in again)
                cached_cpu = statistics.median(c for _, c in again)
                srv.close()
                summary = json.loads((run / "summary.json").read_text())
                calls = summary["calls"]
                assert calls["failed"] == 0, calls
                n = int(calls["total"])
                reqs = stored_requests(run / "store.sqlite")
                r = res.setdefault("audit", {})
                r.setdefault("efficiency", []).append(n * lat / conc / (first - cached))
                # the stricter reading: the runner's own time sending and waiting (summary
                # calls.seconds, measured in the first run; the cached run leaves it there)
                r.setdefault("runner_efficiency", []).append(
                    n * lat / conc / first_summary["calls"]["seconds"]
                )
                r.setdefault("cpu_ms_per_call", []).append(1000 * (first_cpu - cached_cpu) / n)
                r.setdefault("server_cpu_ms_per_call", []).append(1000 * srv_cpu / n)
                r.setdefault("first_s", []).append(first)
                r.setdefault("cached_s", []).append(cached)
                r.setdefault("calls", []).append(n)
                for name in args.peers.split(","):
                    srv = Server(args.latency_ms)
                    servers.append(srv)
                    srv_cpu = srv.cpu()
                    wall, cpu = timed_peer(peers[name], reqs, srv.url, conc)
                    srv_cpu = srv.cpu() - srv_cpu
                    srv.close()
                    p = res.setdefault(name, {})
                    p.setdefault("efficiency", []).append(len(reqs) * lat / conc / wall)
                    p.setdefault("cpu_ms_per_call", []).append(1000 * cpu / len(reqs))
                    p.setdefault("server_cpu_ms_per_call", []).append(1000 * srv_cpu / len(reqs))
            for name, r in res.items():
                runner = r.get("runner_efficiency")
                print(
                    f"{conc:>5} {name:>8} {' '.join(f'{e:.3f}' for e in r['efficiency']):>26} "
                    f"{' '.join(f'{c:.3f}' for c in r['cpu_ms_per_call']):>26} "
                    f"{statistics.median(r['server_cpu_ms_per_call']):>20.3f} "
                    f"{' '.join(f'{e:.3f}' for e in runner) if runner else '-':>26}"
                )
                medians = ("efficiency", "cpu_ms_per_call", "server_cpu_ms_per_call")
                out[f"c{conc}_{name}"] = {
                    k + ("_runs" if k in (*medians, "runner_efficiency") else ""): [
                        round(x, 4) for x in v
                    ]
                    for k, v in r.items()
                } | {k: round(statistics.median(r[k]), 4) for k in medians}
                if runner:
                    out[f"c{conc}_{name}"]["runner_efficiency"] = round(
                        statistics.median(runner), 4
                    )
            out["calls"] = len(reqs)


if __name__ == "__main__":
    main()
