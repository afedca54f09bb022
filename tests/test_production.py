"""Production paths against `judgebias serve-sim` over real HTTP: litellm and both OpenAI
transports, auth failures, secrets, spend caps, rate limits, shards, faults, crashes and a
full disk."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import judgebias_cmd, run_cli


def audit(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return run_cli("audit", *args, env=env, timeout=timeout)


def summary_of(p: subprocess.CompletedProcess[str]) -> dict:  # type: ignore[type-arg]
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_litellm_and_both_openai_transports_agree(sim_server, pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    srv = sim_server("--judge", "sim:accuracy=0.9,position=0.3")
    data = str(pairs_file(60, seed=5))
    figures = {}
    for name, judge, extra in (
        ("lean", "openai:sim", ["--transport", "lean"]),
        ("sdk", "openai:sim", ["--transport", "sdk"]),
        ("litellm", "litellm:openai/sim", []),
    ):
        s = summary_of(
            audit(
                "--judge",
                judge,
                "--base-url",
                srv.base_url,
                "--data",
                data,
                "--out",
                str(tmp_path / name),
                "--json",
                *extra,
            )
        )
        assert s["calls"]["failed"] == 0 and s["calls"]["sent"] == 120
        figures[name] = s["probes"]["position"]["effect"]
        rec = pd.read_parquet(tmp_path / name / "records.parquet")
        assert rec["valid"].all()
    assert figures["lean"] == figures["sdk"] == figures["litellm"]


def test_auth_failure_stops_at_once(sim_server, pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    srv = sim_server("--judge", "sim", "--require-key-env", "HOME")  # any variable that is set
    p = audit(
        "--judge",
        "openai:sim",
        "--base-url",
        srv.base_url,
        "--data",
        str(pairs_file(100)),
        "--out",
        str(tmp_path / "r"),
        "--concurrency",
        "4",
        "--quiet",
        env={"OPENAI_API_KEY": "sk-wrong"},
    )
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "authentication failed" in lines[0] and "Traceback" not in p.stderr
    assert srv.stats()["requests"] <= 4  # no retries, no further sends


def test_planted_key_is_nowhere_in_the_run_folder(sim_server, pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    key = "sk-planted-SECRET-7f3a9c1e"
    srv = sim_server(
        "--judge",
        "sim:position=0.2",
        "--require-key-env",
        "JB_TEST_KEY",
        "--fault-rate",
        "0.2",
        "--retry-after",
        "0.1",
    )
    out = tmp_path / "run"
    env = {"OPENAI_API_KEY": key}
    p = audit(
        "--judge",
        "openai:sim",
        "--base-url",
        srv.base_url,
        "--data",
        str(pairs_file(50)),
        "--out",
        str(out),
        "--timeout",
        "2",
        "--json",
        env=env,
    )
    summary_of(p)
    assert key not in p.stdout and key not in p.stderr
    for f in out.rglob("*"):
        if f.is_file():
            assert key.encode() not in f.read_bytes(), f


@pytest.fixture(autouse=True)
def _key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JB_TEST_KEY", "sk-planted-SECRET-7f3a9c1e")


def test_max_cost_stops_and_resumes(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = str(pairs_file(100, seed=9))
    out = str(tmp_path / "r")
    prices = ["--price-in", "1000", "--price-out", "1000"]  # expensive, to make the cap bite
    p = audit(
        "--judge",
        "sim:position=0.2",
        "--data",
        data,
        "--out",
        out,
        "--quiet",
        "--max-cost",
        "5",
        *prices,
    )
    assert p.returncode == 2 and "--max-cost" in p.stderr and "re-run" in p.stderr
    with sqlite3.connect(Path(out) / "store.sqlite") as db:
        n1, cost1 = db.execute(
            "SELECT COUNT(*), SUM(cost_usd) FROM responses WHERE status='ok'"
        ).fetchone()
    assert 0 < n1 < 200 and cost1 <= 5
    s = summary_of(
        audit(
            "--judge",
            "sim:position=0.2",
            "--data",
            data,
            "--out",
            out,
            "--json",
            "--max-cost",
            "1000",
            *prices,
        )
    )
    assert s["calls"]["cached"] == n1 and s["calls"]["sent"] == 200 - n1
    with sqlite3.connect(Path(out) / "store.sqlite") as db:
        tokens_in, tokens_out = db.execute(
            "SELECT SUM(prompt_tokens), SUM(completion_tokens) FROM responses WHERE status='ok'"
        ).fetchone()
    # every one of the 200 answers priced at $1000 per million tokens, both runs together
    assert s["cost_usd"] == pytest.approx((tokens_in + tokens_out) * 1000 / 1e6)
    assert s["cost_usd"] > cost1


def test_dry_run_sends_nothing(sim_server, pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    srv = sim_server("--judge", "sim")
    p = audit(
        "--judge",
        "openai:sim",
        "--base-url",
        srv.base_url,
        "--data",
        str(pairs_file(30)),
        "--probes",
        "position,bandwagon",
        "--out",
        str(tmp_path / "r"),
        "--dry-run",
        "--json",
        "--price-in",
        "0.15",
        "--price-out",
        "0.6",
    )
    plan = summary_of(p)
    assert plan["calls"]["controls"] == 60 and plan["calls"]["probes_at_most"] == 120
    assert plan["cost_usd_at_most"] > 0
    assert srv.stats()["requests"] == 0
    assert not (tmp_path / "r" / "summary.json").exists()


def test_rpm_limit_is_respected(sim_server, pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    srv = sim_server("--judge", "sim")
    t0 = time.monotonic()
    summary_of(
        audit(
            "--judge",
            "openai:sim",
            "--base-url",
            srv.base_url,
            "--data",
            str(pairs_file(20)),
            "--out",
            str(tmp_path / "r"),
            "--rpm",
            "600",
            "--concurrency",
            "32",
            "--json",
        )
    )
    # 40 calls at 10 a second (burst 10): at least 3 seconds
    assert time.monotonic() - t0 >= 3.0


def test_shards_merge_into_the_full_audit(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = str(pairs_file(90, seed=12))
    judge = "sim:accuracy=0.9,position=0.25,bandwagon=0.2"
    sent = 0
    for i in (1, 2, 3):
        s = summary_of(
            audit(
                "--judge",
                judge,
                "--data",
                data,
                "--probes",
                "position,bandwagon",
                "--shard",
                f"{i}/3",
                "--out",
                str(tmp_path / f"s{i}"),
                "--json",
            )
        )
        sent += s["calls"]["sent"]
        assert 0 < s["n_pairs"] < 90
    m = run_cli(
        "merge", *(str(tmp_path / f"s{i}") for i in (1, 2, 3)), "--out", str(tmp_path / "full")
    )
    assert m.returncode == 0, m.stderr
    full = summary_of(
        audit(
            "--judge",
            judge,
            "--data",
            data,
            "--probes",
            "position,bandwagon",
            "--out",
            str(tmp_path / "full"),
            "--json",
        )
    )
    assert full["n_pairs"] == 90 and full["calls"]["sent"] == 0 and full["calls"]["cached"] == sent
    direct = summary_of(
        audit(
            "--judge",
            judge,
            "--data",
            data,
            "--probes",
            "position,bandwagon",
            "--out",
            str(tmp_path / "direct"),
            "--json",
        )
    )
    assert full["probes"] == direct["probes"]


@pytest.mark.slow
def test_thousands_of_calls_under_30pct_faults_and_repeated_kills(
    sim_server, pairs_file, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    srv = sim_server(
        "--judge",
        "sim:accuracy=0.9,position=0.2,bandwagon=0.2",
        "--fault-rate",
        "0.3",
        "--retry-after",
        "0.2",
        "--stall-s",
        "30",
        "--latency-ms",
        "10",
        "--seed",
        "4",
    )
    data = pairs_file(600, seed=13)
    out = tmp_path / "run"
    conc = 32
    args = [
        "--judge",
        "openai:sim",
        "--base-url",
        srv.base_url,
        "--data",
        str(data),
        "--out",
        str(out),
        "--probes",
        "position,bandwagon",
        "--concurrency",
        str(conc),
        "--timeout",
        "1.5",
        "--quiet",
    ]
    rng = random.Random(1)
    kills = 0
    for _ in range(3):
        proc = subprocess.Popen(
            [*judgebias_cmd(), "audit", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(rng.uniform(1.5, 4.0))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
    s = summary_of(audit(*args[:-1], "--json"))
    assert kills >= 1
    assert s["calls"]["failed"] == 0
    unique = s["calls"]["total"]
    assert unique > 2000
    rec = pd.read_parquet(out / "records.parquet")
    assert len(rec) == unique
    assert not rec.duplicated(["pair_id", "probe", "kind", "variant", "order"]).any()
    with sqlite3.connect(out / "store.sqlite") as db:
        assert (
            db.execute("SELECT COUNT(*) FROM responses WHERE status='ok'").fetchone()[0] == unique
        )
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # a kill loses only the answers in flight (at most one per worker) or received but
    # not yet committed (the runner lets at most `concurrency` wait) at that instant
    assert srv.stats()["completed"] <= unique + kills * 2 * conc


def test_full_disk_gives_one_line_and_a_consistent_store(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = str(pairs_file(400, seed=14))
    out = tmp_path / "run"
    limit = 300_000  # bytes: the store outgrows this part-way through
    code = (
        f"import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit})); "
        "sys.argv = ['judgebias'] + sys.argv[1:]; from judgebias.cli import main; main()"
    )
    import sys as _sys

    p = subprocess.run(
        [
            _sys.executable,
            "-c",
            code,
            "audit",
            "--judge",
            "sim:position=0.2",
            "--data",
            data,
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "store" in lines[0] and "Traceback" not in p.stderr
    with sqlite3.connect(out / "store.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        kept = db.execute("SELECT COUNT(*) FROM responses WHERE status='ok'").fetchone()[0]
    assert 0 < kept < 800
    s = summary_of(
        audit("--judge", "sim:position=0.2", "--data", data, "--out", str(out), "--json")
    )
    assert s["calls"]["cached"] == kept and s["calls"]["failed"] == 0


def test_unwritable_out_folder_is_one_line(pairs_file) -> None:  # type: ignore[no-untyped-def]
    p = audit("--judge", "sim", "--data", str(pairs_file(5)), "--out", "/proc/judgebias-run")
    assert p.returncode == 2 and "--out" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_batch_mode_against_serve_sims_batch_api(sim_server, pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    srv = sim_server(
        "--judge", "sim:accuracy=0.9,position=0.3,bandwagon=0.2", "--latency-ms", "200"
    )
    data = str(pairs_file(80, seed=15))
    out = str(tmp_path / "b")
    s = summary_of(
        audit(
            "--judge",
            "openai:sim",
            "--base-url",
            srv.base_url,
            "--data",
            data,
            "--probes",
            "position,bandwagon",
            "--out",
            out,
            "--batch",
            "--batch-poll",
            "0.1",
            "--json",
        )
    )
    assert s["calls"]["failed"] == 0 and s["calls"]["sent"] == s["calls"]["total"] > 160
    live = summary_of(
        audit(
            "--judge",
            "openai:sim",
            "--base-url",
            srv.base_url,
            "--data",
            data,
            "--probes",
            "position,bandwagon",
            "--out",
            str(tmp_path / "l"),
            "--json",
        )
    )
    assert s["probes"] == live["probes"]  # the same answers, whichever way they were asked
    again = summary_of(
        audit(
            "--judge",
            "openai:sim",
            "--base-url",
            srv.base_url,
            "--data",
            data,
            "--probes",
            "position,bandwagon",
            "--out",
            out,
            "--batch",
            "--json",
        )
    )
    assert again["calls"]["sent"] == 0
