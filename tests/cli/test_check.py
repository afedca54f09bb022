"""``judgebias check`` against a real OpenAI-compatible endpoint (serve-sim) and a function."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from conftest import SimServer, run_cli


def _check(server: SimServer, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    p = run_cli(
        "check",
        "--judge",
        "openai:sim-judge",
        "--base-url",
        server.base_url,
        "--json",
        *extra,
        env={"OPENAI_API_KEY": "sk-test"},
    )
    assert "Traceback" not in p.stderr, p.stderr
    return p.returncode, json.loads(p.stdout)


def test_one_setting_fails_another_passes(sim_server: Callable[..., SimServer]) -> None:
    # truncation acts in the verdict and score modes, never in logprob mode; the server
    # enforces no constraint (it ignores the fields), so only the modes are tried
    server = sim_server("--judge", "sim:accuracy=0.95,truncate=0.5", "--constraints", "plain")
    code, out = _check(server)
    assert code == 0
    by = {s["setting"]: s for s in out["settings"]}
    constrained = [s for name, s in by.items() if "constrain" in name]
    assert len(constrained) == 4
    assert all("enforces none of its forms" in s["note"] for s in constrained)
    assert by["verdict"]["readable"] < 0.9 and "truncated" in by["verdict"]["reasons"]
    assert by["score"]["passed"] is False
    logprob = by["logprob"]
    assert logprob["passed"] and logprob["readable"] == 1.0 and logprob["n"] == 16
    assert logprob["verdicts_vary"] and logprob["follows_gold"]
    assert logprob["latency_median_s"] is not None and logprob["prompt_tokens"] > 0
    assert out["recommended"]["flags"] == ["--mode", "logprob"]
    assert server.stats()["completed"] >= 48  # 16 calls per setting, over HTTP


def test_no_setting_reads_enough_exits_3(sim_server: Callable[..., SimServer]) -> None:
    # a server that ignores every constraint field: no constraint can rescue the answers
    server = sim_server("--judge", "sim:garble=0.6", "--constraints", "plain")
    code, out = _check(server, "--pairs", "5")
    assert code == 3
    assert out["recommended"] is None and out["exit_code"] == 3
    assert all(not s["passed"] for s in out["settings"])
    assert all(s["n"] == 10 for s in out["settings"] if s["note"] is None)


def test_a_judge_that_writes_prose_is_readable_under_a_constraint(
    sim_server: Callable[..., SimServer],
) -> None:
    # half of this judge's answers are fluent prose with no verdict, in every mode; the
    # server is llama-cpp-python's kind: JSON with a schema, a grammar and logit_bias are
    # enforced, vLLM's choice fields are ignored
    server = sim_server("--judge", "sim:accuracy=0.95,garble=0.5", "--constraints", "llamacpp")
    code, out = _check(server)
    assert code == 0 and out["exit_code"] == 0
    by = {s["setting"]: s for s in out["settings"]}
    for mode in ("verdict", "logprob", "score"):
        assert not by[mode]["passed"] and by[mode]["readable"] < 0.9, by[mode]
    assert by["verdict"]["reasons"].get("no_verdict", 0) >= 4
    json_setting = by["verdict, constrain json"]
    assert json_setting["passed"] and json_setting["readable"] == 1.0 and json_setting["n"] == 16
    assert json_setting["dialect"] == "llamacpp"  # the OpenAI json_schema form is refused
    assert json_setting["verdicts_vary"]
    choice = by["verdict, constrain choice"]
    assert not choice["passed"] and "enforces none of its forms" in choice["note"]
    assert choice["n"] == 0
    assert out["recommended"]["flags"] == ["--constrain", "json"]
    assert out["recommended"]["command_flags"] == "--constrain json"
    # the console names the same flags
    p = run_cli(
        "check",
        "--judge",
        "openai:sim-judge",
        "--base-url",
        server.base_url,
        env={"OPENAI_API_KEY": "sk-test", "COLUMNS": "200"},
    )
    assert p.returncode == 0, p.stderr
    assert "Recommended: judgebias audit --judge openai:sim-judge --constrain json" in p.stdout


def test_a_judge_whose_verdicts_never_vary_is_named(
    sim_server: Callable[..., SimServer],
) -> None:
    # a sim that always names the first answer shown reads perfectly, but its verdicts do
    # not vary: the check says so next to the recommended flags
    server = sim_server("--judge", "sim:position=1")
    p = run_cli(
        "check",
        "--judge",
        "openai:sim-judge",
        "--base-url",
        server.base_url,
        env={"OPENAI_API_KEY": "sk-test", "COLUMNS": "200"},
    )
    assert p.returncode == 0, p.stderr
    assert "Recommended: judgebias audit --judge openai:sim-judge" in p.stdout
    assert "name the same position every time" in p.stdout
    code, out = _check(server, "--pairs", "4")
    assert code == 0
    assert all(set(s["verdicts"]) == {"first"} for s in out["settings"])
    assert not any(s["verdicts_vary"] or s["follows_gold"] for s in out["settings"])


def test_check_a_python_function(tmp_path: Path) -> None:
    (tmp_path / "fn_judges.py").write_text(
        "def longer(instruction, response_a, response_b):\n"
        "    return 'A' if len(response_a) > len(response_b) else 'B'\n"
    )
    p = run_cli(
        "check",
        "--judge",
        "python:fn_judges:longer",
        "--json",
        env={"PYTHONPATH": str(tmp_path)},
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    verdict = next(s for s in out["settings"] if s["setting"] == "verdict")
    assert verdict["readable"] == 1.0 and verdict["verdicts_vary"]
    assert out["recommended"]["setting"] == "verdict" and out["recommended"]["flags"] == []


def test_bad_flag_is_one_line() -> None:
    p = run_cli("check", "--judge", "sim", "--pairs", "0")
    assert p.returncode == 2 and "--pairs" in p.stderr and "Traceback" not in p.stderr
