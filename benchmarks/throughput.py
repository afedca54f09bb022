"""Client throughput against ``judgebias serve-sim --latency-ms 100``.

For each concurrency it answers the same N unique requests three ways, each against a
fresh server so that nothing is shared:

- ``judgebias``: the real runner (semaphore, retries, progress off, SQLite store with a
  commit per answer) over the ``openai:`` backend's default transport for local
  endpoints;
- ``peer``: a plain asyncio loop over the openai SDK's AsyncOpenAI client (a
  semaphore and gather, nothing stored): what a user would write by hand;
- ``cached``: the judgebias run again on its now complete store (nothing is sent).

efficiency = (calls x mean latency / concurrency) / wall time; CPU per call is this
process's CPU time (the client: runner, store, HTTP) over the calls. The last line is
one JSON object.

    python benchmarks/throughput.py --calls 20000 --concurrency 64,256
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from judgebias.audits.pipeline import build_calls
from judgebias.engine.loop import run_async
from judgebias.engine.runner import RunnerConfig, run_requests
from judgebias.engine.store import Store
from judgebias.judges.base import JudgeOptions, make_judge
from judgebias.judges.generation import resolve_generation
from judgebias.probes.catalog import control_variant
from judgebias.prompts.templates import default_template
from judgebias.types import ChatRequest, Pair

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
    "sigma",
    "tau",
]


def requests(n: int) -> list[ChatRequest]:
    rng = random.Random(0)

    def s(k: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(k))

    pairs = [
        Pair(id=str(i), instruction="Explain " + s(6), response_a=s(40), response_b=s(30))
        for i in range(n // 2)
    ]
    calls = build_calls(
        [control_variant(p) for p in pairs], default_template(), resolve_generation("sim")
    )
    return [c.request for c in calls]


class Server:
    def __init__(self, latency_ms: float):
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "judgebias.cli",
                "serve-sim",
                "--judge",
                "sim:position=0.2",
                "--port",
                "0",
                "--latency-ms",
                str(latency_ms),
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


def measure(fn: Any) -> tuple[float, float]:
    c0, t0 = time.process_time(), time.perf_counter()
    run_async(fn())
    return time.perf_counter() - t0, time.process_time() - c0


def run_judgebias(reqs: list[ChatRequest], url: str, store: Store, conc: int) -> None:
    async def go() -> None:
        judge = make_judge("openai:sim", JudgeOptions(base_urls=[url], timeout=30))
        try:
            counts = await run_requests(
                reqs, judge, store, RunnerConfig(concurrency=conc, progress=False)
            )
            assert counts.failed == 0, counts
        finally:
            await judge.aclose()

    return go  # type: ignore[return-value]


def run_peer(reqs: list[ChatRequest], url: str, conc: int) -> Any:
    async def go() -> None:
        from openai import AsyncOpenAI

        client = AsyncOpenAI(base_url=url, api_key="x", max_retries=0, timeout=30)
        sem = asyncio.Semaphore(conc)

        async def one(r: ChatRequest) -> str:
            async with sem:
                resp = await client.chat.completions.create(
                    model=r.model,
                    messages=[{"role": a, "content": b} for a, b in r.messages],  # type: ignore[misc]
                    temperature=r.temperature,
                    max_tokens=r.max_tokens,
                )
                return resp.choices[0].message.content or ""

        await asyncio.gather(*(one(r) for r in reqs))
        await client.close()

    return go


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--calls", type=int, default=20000)
    ap.add_argument("--latency-ms", type=float, default=100.0)
    ap.add_argument("--concurrency", default="64,256")
    args = ap.parse_args()
    reqs = requests(args.calls)
    lat = args.latency_ms / 1000.0
    out: dict[str, Any] = {
        "benchmark": "throughput",
        "calls": len(reqs),
        "latency_ms": args.latency_ms,
    }
    print(
        f"{'concurrency':>11} {'client':>10} {'efficiency':>10} {'cpu ms/call':>11} {'server cpu ms/call':>18}"
    )
    for conc in [int(c) for c in args.concurrency.split(",")]:
        ideal = len(reqs) * lat / conc
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(Path(tmp) / "store.sqlite")
            for name in ("judgebias", "peer", "cached"):
                srv = Server(args.latency_ms) if name != "cached" else None
                url = srv.url if srv else "http://127.0.0.1:9/v1"  # cached: never contacted
                s0 = srv.cpu() if srv else 0.0
                fn = (
                    run_peer(reqs, url, conc)
                    if name == "peer"
                    else run_judgebias(reqs, url, store, conc)
                )
                wall, cpu = measure(fn)
                scpu = (srv.cpu() - s0) if srv else 0.0
                if srv:
                    srv.close()
                eff = ideal / wall
                print(
                    f"{conc:>11} {name:>10} {eff:>10.3f} {1000 * cpu / len(reqs):>11.3f} "
                    f"{1000 * scpu / len(reqs):>18.3f}"
                )
                key = f"c{conc}_{name}"
                out[key] = {
                    "wall_s": round(wall, 3),
                    "cpu_ms_per_call": round(1000 * cpu / len(reqs), 4),
                }
                if name != "cached":
                    out[key]["efficiency"] = round(eff, 3)
                    out[key]["server_cpu_ms_per_call"] = round(1000 * scpu / len(reqs), 4)
                else:
                    out[key]["ms_per_call"] = round(1000 * wall / len(reqs), 4)
            store.close()
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    effs = [out[k]["efficiency"] for k in out if k.endswith("_judgebias")]
    cpus = [out[k]["cpu_ms_per_call"] for k in out if k.endswith("_judgebias")]
    cached = [out[k]["ms_per_call"] for k in out if k.endswith("_cached")]
    out["targets_met"] = bool(
        all(e >= t for e, t in zip(effs, (0.9, 0.85), strict=False))
        and max(cpus) <= 0.5
        and max(cached) < 1.0
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
