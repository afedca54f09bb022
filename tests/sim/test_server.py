"""The real client paths over real HTTP: the openai SDK and `judgebias audit` against
`judgebias serve-sim` running as a subprocess on a free local port."""

from __future__ import annotations

import json
import math
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import judgebias_cmd, run_cli

from judgebias.prompts.templates import default_template, render
from judgebias.types import Variant


def _messages(instruction: str, a: str, b: str, order: str = "ab") -> list[dict[str, str]]:
    v = Variant(
        pair_id="x",
        probe="control",
        kind="control",
        instruction=instruction,
        response_a=a,
        response_b=b,
    )
    return [{"role": r, "content": c} for r, c in render(default_template(), v, order)]  # type: ignore[arg-type]


def test_openai_sdk_against_serve_sim(sim_server) -> None:  # type: ignore[no-untyped-def]
    from openai import OpenAI

    srv = sim_server("--judge", "sim:accuracy=1,position=0")
    client = OpenAI(base_url=srv.base_url, api_key="unused", max_retries=0)
    msgs = _messages("What is 2 + 2?", "4", "5")
    r = client.chat.completions.create(model="sim", messages=msgs)  # type: ignore[arg-type]
    text = r.choices[0].message.content or ""
    assert text.strip().endswith("]]")
    assert r.usage is not None and r.usage.prompt_tokens > 0
    # logprobs: the first token's alternatives, as AlpacaEval-style weighted judges read them
    r2 = client.chat.completions.create(model="sim", messages=msgs, logprobs=True, top_logprobs=2)  # type: ignore[arg-type]
    lp = r2.choices[0].logprobs
    assert lp is not None and lp.content
    tops = {t.token: t.logprob for t in lp.content[0].top_logprobs}
    assert set(tops) == {"A", "B"}
    assert math.isclose(sum(math.exp(v) for v in tops.values()), 1.0, rel_tol=1e-6)
    # the same request gives the same answer
    r3 = client.chat.completions.create(model="sim", messages=msgs)  # type: ignore[arg-type]
    assert r3.choices[0].message.content == text
    stats = srv.stats()
    assert stats["requests"] == 3 and stats["completed"] == 3
    # a malformed request is a 400, not a crash
    import urllib.error
    import urllib.request

    req = urllib.request.Request(
        srv.base_url + "/chat/completions",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as ei:
        urllib.request.urlopen(req, timeout=5)
    assert ei.value.code == 400


def test_faults_are_injected(sim_server) -> None:  # type: ignore[no-untyped-def]
    import urllib.error
    import urllib.request

    srv = sim_server("--judge", "sim", "--fault-rate", "1", "--stall-s", "0.01", "--seed", "3")
    body = json.dumps({"model": "sim", "messages": _messages("q", "x", "y")}).encode()
    seen: set[str] = set()
    for _ in range(60):
        req = urllib.request.Request(
            srv.base_url + "/chat/completions",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                payload = resp.read()
                try:
                    choices = json.loads(payload)["choices"]
                    seen.add("empty" if not choices else "ok")
                except ValueError:
                    seen.add("malformed")
        except urllib.error.HTTPError as e:
            seen.add(str(e.code))
            if e.code == 429:
                assert e.headers.get("Retry-After") is not None
    assert {"429", "500", "503", "504", "malformed", "empty"} <= seen
    assert srv.stats()["completed"] == 0


def _audit(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return run_cli("audit", *args, timeout=timeout)


def test_audit_through_serve_sim_survives_faults(sim_server, pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    srv = sim_server(
        "--judge",
        "sim:accuracy=0.9,position=0.3",
        "--fault-rate",
        "0.2",
        "--seed",
        "11",
        "--retry-after",
        "0.5",
    )
    data = pairs_file(150, seed=21)
    out = tmp_path / "run"
    args = [
        "--judge",
        "openai:sim",
        "--base-url",
        srv.base_url,
        "--data",
        str(data),
        "--out",
        str(out),
        "--concurrency",
        "16",
        "--timeout",
        "2",
        "--quiet",
        "--json",
    ]
    p = _audit(args)
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)
    assert s["calls"]["failed"] == 0
    assert s["calls"]["total"] == 300 and s["calls"]["sent"] == 300
    assert s["calls"]["retried"] > 0  # faults were met and survived
    assert sum(srv.stats()["faults"].values()) > 0
    pos = s["probes"]["position"]
    assert pos["ci_low"] <= 0.3 <= pos["ci_high"]
    # a re-run sends nothing
    p2 = _audit(args)
    assert p2.returncode == 0, p2.stderr
    s2 = json.loads(p2.stdout)
    assert s2["calls"]["sent"] == 0 and s2["calls"]["cached"] == 300
    assert s2["probes"]["position"]["effect"] == pos["effect"]


def test_kill_9_and_resume_loses_nothing(sim_server, pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    srv = sim_server("--judge", "sim:accuracy=0.9,position=0.2", "--latency-ms", "40")
    data = pairs_file(200, seed=33)
    out = tmp_path / "run"
    concurrency = 4
    args = [
        "--judge",
        "openai:sim",
        "--base-url",
        srv.base_url,
        "--data",
        str(data),
        "--out",
        str(out),
        "--concurrency",
        str(concurrency),
        "--quiet",
    ]
    proc = subprocess.Popen(
        [*judgebias_cmd(), "audit", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    store = out / "store.sqlite"
    deadline = time.time() + 60
    answered = 0
    while time.time() < deadline:
        if store.exists():
            try:
                with sqlite3.connect(store) as db:
                    answered = db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
            except sqlite3.OperationalError:
                answered = 0
            if answered >= 60:
                break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert 0 < answered < 400, "the kill must land mid-run"
    assert not (out / "summary.json").exists()

    p = _audit([*args, "--json"])
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)
    assert s["calls"]["failed"] == 0
    assert s["calls"]["cached"] >= answered and s["calls"]["sent"] + s["calls"]["cached"] == 400
    rec = pd.read_parquet(out / "records.parquet")
    assert len(rec) == 400
    assert not rec.duplicated(["pair_id", "order", "probe", "kind", "variant"]).any()
    assert rec["valid"].all()
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT COUNT(*) FROM responses WHERE status='ok'").fetchone()[0] == 400
    assert srv.stats()["completed"] <= 400 + concurrency
