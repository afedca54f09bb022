"""Reasoning judges over real HTTP: `judgebias audit` against `judgebias serve-sim`
emulating OpenAI's reasoning models (their 400 rules), `<think>` and reasoning-field
servers, reasoning that runs out of tokens, and a bias that depends on the effort."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import run_cli


def _run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    # never a real provider, never a key
    env = {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    return run_cli(*args, timeout=timeout, env=env, unset=("OPENAI_",))


def _audit(judge: str, data: str, out: Path, **options: Any) -> dict[str, Any]:
    """An audit in this process (the judge is still asked over HTTP when it is served)."""
    from judgebias.audits.pipeline import AuditConfig, run_audit

    options.setdefault("probes", ["position"])
    cfg = AuditConfig(judge=judge, data=data, out=str(out), quiet=True, **options)
    return run_audit(cfg).summary


def _post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(
        url + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_openai_reasoning_models_rules_hold_on_every_path(
    sim_server, pairs_file, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    srv = sim_server("--judge", "sim:accuracy=0.9,bandwagon=0.3,reasoning=hidden,think_tokens=80")
    msgs = [{"role": "user", "content": "hi"}]
    # what the audit used to send is refused, with OpenAI's own error bodies
    assert _post(srv.base_url, {"model": "o3-mini", "messages": msgs, "max_tokens": 512}) == (
        400,
        {
            "error": {
                "message": "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.",
                "type": "invalid_request_error",
                "param": "max_tokens",
                "code": "unsupported_parameter",
            }
        },
    )
    status, body = _post(
        srv.base_url,
        {"model": "gpt-5-mini", "messages": msgs, "temperature": 0.0, "max_completion_tokens": 9},
    )
    assert status == 400 and body["error"]["message"] == (
        "Unsupported value: 'temperature' does not support 0 with this model. "
        "Only the default (1) value is supported."
    )
    assert body["error"]["code"] == "unsupported_value"
    refused = srv.stats()["bad_requests"]
    assert refused == 2

    data = str(pairs_file(25, seed=41))
    runs: dict[str, tuple[str, dict[str, Any]]] = {
        "lean": ("openai:o3-mini", {"reasoning_effort": "low"}),
        "sdk": ("openai:o4-mini", {"transport": "sdk"}),
        "batch": ("openai:gpt-5", {"batch": True, "batch_poll_s": 0.1}),
        "litellm": ("litellm:openai/o3-mini", {"reasoning_effort": "high"}),
    }
    for name, (judge, options) in runs.items():
        out = tmp_path / name
        s = _audit(judge, data, out, base_urls=[srv.base_url], probes=["bandwagon"], **options)
        assert s["calls"]["failed"] == 0 and s["calls"]["sent"] == s["calls"]["total"] > 50, name
        assert s["tokens"]["reasoning"] > 0, name
        rec = pd.read_parquet(out / "records.parquet")
        assert (rec["reasoning_tokens"] > 0).all() and (rec["reasoning"] == "").all(), name
        assert rec["verdict"].notna().all(), name
        assert s["run"]["max_tokens"] == 25_000
    assert srv.stats()["bad_requests"] == refused  # not one call of the audits was refused


def _controls(out: Path) -> pd.DataFrame:
    rec = pd.read_parquet(out / "records.parquet")
    return rec[rec["kind"] == "control"].set_index(["pair_id", "order"]).sort_index()


@pytest.mark.parametrize("style", ["inline", "reasoning_content"])
def test_reasoning_is_kept_apart_and_never_becomes_the_verdict(
    sim_server, pairs_file, tmp_path: Path, style: str
) -> None:  # type: ignore[no-untyped-def]
    srv = sim_server("--judge", f"sim:accuracy=0.9,position=0.3,reasoning={style},think_tokens=150")
    data = str(pairs_file(40, seed=42))
    judge = "litellm:openai/sim" if style == "reasoning_content" else "openai:sim"
    _audit(judge, data, tmp_path / "r", base_urls=[srv.base_url], max_tokens=4000)
    # the same judge without reasoning, in process
    _audit("sim:accuracy=0.9,position=0.3", data, tmp_path / "p")
    thought, plain = _controls(tmp_path / "r"), _controls(tmp_path / "p")
    assert thought["verdict"].tolist() == plain["verdict"].tolist()
    assert thought["verdict"].notna().all()
    assert thought["reasoning"].str.startswith("My first impression is [[").all()
    assert not thought["raw"].str.contains("<think>|first impression", regex=True).any()
    # the tentative tags in the reasoning disagree with the verdict on many calls
    tentative = thought["reasoning"].str.extract(r"\[\[([AB])\]\]")[0]
    final = thought["raw"].str.extract(r"\[\[([AB])\]\]")[0]
    assert (tentative != final).mean() > 0.2


@pytest.mark.parametrize("style", ["inline", "reasoning_content"])
def test_reasoning_that_runs_out_of_tokens_is_recorded_once_and_never_retried(
    sim_server, pairs_file, tmp_path: Path, style: str
) -> None:  # type: ignore[no-untyped-def]
    srv = sim_server("--judge", f"sim:reasoning={style},think_tokens=400")
    data = str(pairs_file(20, seed=43))
    args = ["audit", "--quiet", "--judge", "openai:sim", "--base-url", srv.base_url, "--data", data,
            "--max-tokens", "64", "--out", str(tmp_path / "cut")]  # fmt: skip
    first = _run(*args)
    # every verdict is unreadable: the audit fails closed (exit 3), its folder complete
    assert first.returncode == 3, first.stderr
    assert srv.stats()["requests"] == srv.stats()["completed"] == 40  # each asked once
    rec = pd.read_parquet(tmp_path / "cut" / "records.parquet")
    assert len(rec) == 40 and rec["verdict"].isna().all() and (rec["attempts"] == 1).all()
    assert (rec["raw"] == "").all() and rec["status"].eq("ok").all()
    assert (rec["invalid_reason"] == "reasoning_truncated").all()
    # the cut reasoning holds a tag ("My first impression is [[A]]"): it is not the verdict
    assert rec["reasoning"].str.contains(r"\[\[[AB]\]\]", regex=True).all()
    again = _run(*args)
    assert again.returncode == first.returncode
    assert srv.stats()["requests"] == 40  # a re-run pays for nothing


def test_an_effort_dependent_bias_is_recovered_and_compared(
    sim_server, pairs_file, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    spec = "sim:accuracy=0.8,bandwagon=0.5,authority=0.4,effort_bias=0.8,reasoning=hidden,think_tokens=60"
    srv = sim_server("--judge", spec)
    data = str(pairs_file(160, seed=44))
    factor = {"low": 1.0, "high": 0.2}  # 1 - effort_bias * (0 at low, 1 at high)
    for effort in ("low", "high"):
        s = _audit(
            "openai:o4-mini",
            data,
            tmp_path / effort,
            base_urls=[srv.base_url],
            probes=["bandwagon", "authority"],
            reasoning_effort=effort,
            price_in=1.1,
            price_out=4.4,
            concurrency=16,
        )
        for probe, planted in (("bandwagon", 0.5), ("authority", 0.4)):
            f = s["probes"][probe]
            assert f["ci_low"] <= planted * factor[effort] <= f["ci_high"], (effort, probe, f)
        assert s["run"]["reasoning_effort"] == effort
        t = s["tokens"]
        # reasoning tokens are billed as completion tokens
        assert 0 < t["reasoning"] < t["completion"]
        assert s["cost_usd"] == pytest.approx((1.1 * t["prompt"] + 4.4 * t["completion"]) / 1e6)
    res = _run("compare", str(tmp_path / "low"), str(tmp_path / "high"), "--json")
    assert res.returncode == 0, res.stderr
    cmp = json.loads(res.stdout)
    assert cmp["paired"] and cmp["runs"]["b"]["reasoning_effort"] == "high"
    rows = {r["figure"]: r for r in cmp["figures"]}
    for probe, planted in (("bandwagon", 0.5), ("authority", 0.4)):
        r = rows[probe]
        assert r["diff_ci_low"] <= -0.8 * planted <= r["diff_ci_high"] < 0, r


def test_dry_run_states_the_reasoning_budget_and_its_worst_case_cost(tmp_path: Path) -> None:
    args = ["audit", "--judge", "openai:o3-mini", "--limit", "10", "--price-in", "1.1",
            "--price-out", "4.4", "--dry-run", "--out", str(tmp_path / "x")]  # fmt: skip
    env_less = _run(*args, "--json")  # no API key needed to plan
    assert env_less.returncode == 0, env_less.stderr
    plan = json.loads(env_less.stdout)
    assert plan["max_tokens"] == 25_000
    assert plan["tokens_estimate"]["completion_at_most"] == 25_000 * plan["calls"]["total_at_most"]
    small = json.loads(_run(*args, "--json", "--max-tokens", "4000").stdout)
    assert small["tokens_estimate"]["completion_at_most"] == 4000 * small["calls"]["total_at_most"]
    assert small["cost_usd_at_most"] < plan["cost_usd_at_most"]
    text = _run(*args).stdout
    assert "up to 25,000 per call, reasoning included" in text
    bad = _run("audit", "--judge", "openai:o3-mini", "--mode", "logprob", "--dry-run")
    assert bad.returncode == 2 and "--mode logprob" in bad.stderr and "Traceback" not in bad.stderr


def test_report_shows_the_reasoning_and_escapes_it(tmp_path: Path, pairs_file) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "run"
    spec = "sim:accuracy=0.9,bandwagon=0.5,authority=0.4,reasoning=inline,think_tokens=120"
    data = str(pairs_file(40, seed=45))
    _audit(spec, data, out, probes=["bandwagon", "authority"], max_tokens=2000)
    s = json.loads((out / "summary.json").read_text())
    bw = s["reasoning"]["probes"]["bandwagon"]
    # the sim quotes every cue it sees and nothing else: mentions 100 % / 0 %, longer reasoning
    assert (bw["mention_cue"], bw["mention_placebo"], bw["mention_control"]) == (1.0, 0.0, 0.0)
    assert bw["length_effect"] > 0 and bw["length_ci_low"] > 0
    html = (out / "report.html").read_text()
    assert 'id="reasoning"' in html and 'id="reasoning-length-table"' in html
    assert (
        'id="reasoning-examples"' in html and "<mark>" in html.split('id="reasoning-examples"')[1]
    )
    # hostile reasoning text is escaped when the report is drawn again
    rec = pd.read_parquet(out / "records.parquet")
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)> panel"
    rec.loc[rec["kind"] == "cue", "reasoning"] = (
        evil + " " + rec.loc[rec["kind"] == "cue", "reasoning"]
    )
    rec.to_parquet(out / "records.parquet", index=False)
    assert _run("report", str(out), "--quiet").returncode == 0
    html = (out / "report.html").read_text()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # a run without reasoning has no such section
    plain = tmp_path / "plain"
    _audit("sim:bandwagon=0.3", str(pairs_file(20, seed=46)), plain, probes=["bandwagon"])
    assert 'id="reasoning"' not in (plain / "report.html").read_text()
    assert "reasoning" not in json.loads((plain / "summary.json").read_text())


def test_max_cost_reserves_the_reasoning_budget(sim_server, pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    srv = sim_server("--judge", "sim:reasoning=hidden,think_tokens=300")
    args = ["audit", "--quiet", "--judge", "openai:o3-mini", "--base-url", srv.base_url,
            "--data", str(pairs_file(5, seed=47)), "--price-in", "1.1", "--price-out", "4.4",
            "--out", str(tmp_path / "cap")]  # fmt: skip
    # one call may reason for 25,000 tokens: $0.11 at $4.40 per million, over a $0.05 cap
    capped = _run(*args, "--max-cost", "0.05")
    assert capped.returncode == 2 and "--max-cost" in capped.stderr
    assert srv.stats()["requests"] == 0
    # with a 1,000-token budget the worst case is $0.0044 a call: all ten fit under $0.05
    done = _run(*args, "--max-cost", "0.05", "--max-tokens", "1000", "--json")
    assert done.returncode == 0, done.stderr
    s = json.loads(done.stdout)
    assert s["calls"]["sent"] == 10 and s["cost_usd"] <= 0.05
    assert s["cost_usd"] == pytest.approx(
        (1.1 * s["tokens"]["prompt"] + 4.4 * s["tokens"]["completion"]) / 1e6
    )
    assert s["tokens"]["reasoning"] > 0.5 * s["tokens"]["completion"]
