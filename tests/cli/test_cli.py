"""The command line: one-line errors with exit status 2, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import assert_one_line_error, run_cli


def test_help_lists_the_commands() -> None:
    p = run_cli("--help")
    assert p.returncode == 0 and "audit" in p.stdout and "serve-sim" in p.stdout


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("sim:accuracy=1.5", "accuracy"),
        ("sim:positon=0.3", "did you mean 'position'"),
        ("sim:position=abc", "not a number"),
        ("sim:position=-1.2", "outside"),
        ("simm", "unknown judge kind"),
        ("", "empty judge spec"),
    ],
)
def test_bad_judge_spec(spec: str, needle: str, pairs_file) -> None:  # type: ignore[no-untyped-def]
    p = run_cli("audit", "--judge", spec, "--data", str(pairs_file(5)), "--quiet")
    assert_one_line_error(p, "--judge", needle)


def test_bad_probe_and_flags(pairs_file) -> None:  # type: ignore[no-untyped-def]
    data = str(pairs_file(5))
    assert_one_line_error(
        run_cli("audit", "--judge", "sim", "--data", data, "--probes", "positon"),
        "--probes",
        "did you mean 'position'",
    )
    assert_one_line_error(
        run_cli("audit", "--judge", "sim", "--data", data, "--mode", "vibes"), "--mode"
    )
    assert_one_line_error(
        run_cli("audit", "--judge", "sim", "--data", data, "--concurrency", "0"), "--concurrency"
    )


@pytest.mark.parametrize(
    ("content", "suffix", "needles"),
    [
        ("", ".jsonl", ("empty",)),
        (
            '{"id": 1, "instruction": "x", "response_a": "y", "response_b": "z"}\n{broken\n',
            ".jsonl",
            ("line 2",),
        ),
        ('{"id": 1, "instruction": "x", "response_a": "y"}\n', ".jsonl", ("response_b",)),
        (
            '{"id": 1, "instruction": "x", "response_a": "y", "response_b": "z"}\n'
            '{"id": 1, "instruction": "x", "response_a": "y", "response_b": "z"}\n',
            ".jsonl",
            ("duplicate",),
        ),
        ("id,instruction\n1,x\n", ".txt", ("format",)),
    ],
)
def test_bad_data_files(
    tmp_path: Path, content: str, suffix: str, needles: tuple[str, ...]
) -> None:
    f = tmp_path / f"pairs{suffix}"
    f.write_text(content)
    p = run_cli("audit", "--judge", "sim", "--data", str(f), "--out", str(tmp_path / "o"))
    assert_one_line_error(p, f.name, *needles)


def test_undecodable_bytes(tmp_path: Path) -> None:
    f = tmp_path / "pairs.jsonl"
    f.write_bytes(b'{"id": 1, "instruction": "x", "response_a": "\xff\xfe", "response_b": "z"}\n')
    assert_one_line_error(run_cli("audit", "--judge", "sim", "--data", str(f)), "pairs.jsonl")


def test_missing_data_file(tmp_path: Path) -> None:
    assert_one_line_error(
        run_cli("audit", "--judge", "sim", "--data", str(tmp_path / "nope.jsonl")), "nope.jsonl"
    )


def test_audit_json_output_and_map(tmp_path: Path) -> None:
    f = tmp_path / "p.csv"
    f.write_text("pid,prompt,a,b,label\n1,Add 2 and 2,4,5,a\n2,Add 3 and 3,7,6,b\n")
    p = run_cli(
        "audit",
        "--judge",
        "sim:accuracy=1",
        "--data",
        str(f),
        "--out",
        str(tmp_path / "o"),
        "--map",
        "id=pid,instruction=prompt,response_a=a,response_b=b,gold=label",
        "--json",
    )
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)
    assert s["n_pairs"] == 2 and s["calls"]["total"] == 4


def test_report_rerenders_without_judge(tmp_path: Path, pairs_file) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "run"
    assert (
        run_cli(
            "audit",
            "--judge",
            "sim:position=0.2",
            "--data",
            str(pairs_file(20)),
            "--out",
            str(out),
            "--quiet",
        ).returncode
        == 0
    )
    (out / "report.html").unlink()
    p = run_cli("report", str(out), "--out", str(tmp_path / "r.html"))
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert_one_line_error(run_cli("report", str(tmp_path / "missing")), "missing")


def test_serve_sim_bad_flags() -> None:
    assert_one_line_error(
        run_cli("serve-sim", "--judge", "sim", "--fault-rate", "2"), "--fault-rate"
    )
    assert_one_line_error(run_cli("serve-sim", "--judge", "openai:x"), "--judge")


def test_table_commands(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    # lc: three models against a baseline; the long layout
    rows = []
    for m, skill in (("m1", 0.3), ("m2", -0.2), ("m3", 0.0)):
        for i in range(120):
            ml, bl = int(rng.integers(200, 2000)), int(rng.integers(200, 2000))
            p = 1 / (1 + np.exp(-(skill + 0.8 * np.tanh((ml - bl) / 600))))
            rows.append(
                {
                    "model": m,
                    "instruction_index": i,
                    "baseline_length": bl,
                    "model_length": ml,
                    "preference": 1 + float(rng.random() < p),
                }
            )
    pd.DataFrame(rows).to_csv(tmp_path / "lc.csv", index=False)
    p = run_cli("lc", str(tmp_path / "lc.csv"), "--out", str(tmp_path / "lc_out.csv"))
    assert p.returncode == 0, p.stderr
    out = pd.read_csv(tmp_path / "lc_out.csv")
    assert {
        "model",
        "n",
        "win_rate",
        "lc_win_rate",
        "lc_standard_error",
        "length_coefficient",
        "flagged",
    } <= set(out.columns)
    assert set(out["model"]) == {"m1", "m2", "m3"}
    # dbg
    n = 200
    pd.DataFrame(
        {
            "judge": rng.choice([0.0, 0.5, 1.0], n),
            "gold": rng.choice([0.0, 1.0], n),
            "item": np.arange(n) // 2,
        }
    ).to_csv(tmp_path / "dbg.csv", index=False)
    p = run_cli(
        "dbg",
        str(tmp_path / "dbg.csv"),
        "--judge-col",
        "judge",
        "--gold-col",
        "gold",
        "--item-col",
        "item",
        "--kind",
        "probability",  # the gold column holds only 0 and 1
        "--out",
        str(tmp_path / "dbg.json"),
    )
    assert p.returncode == 0, p.stderr
    res = json.loads((tmp_path / "dbg.json").read_text())[0]
    assert res["ci_low"] <= res["dbg"] <= res["ci_high"]
    assert_one_line_error(
        run_cli("dbg", str(tmp_path / "dbg.csv"), "--judge-col", "nope", "--gold-col", "gold"),
        "nope",
    )
    # plan
    p = run_cli("plan", "--effect", "0.05", "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["pairs"] > 100
    assert_one_line_error(run_cli("plan", "--effect", "0.05", "--design", "x"), "--design")


def test_unreachable_judge_is_one_line_and_keeps_the_run(tmp_path: Path) -> None:
    out = tmp_path / "r"
    p = run_cli(
        "audit",
        "--judge",
        "openai:m",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--limit",
        "2",
        "--out",
        str(out),
        "--timeout",
        "1",
        "--quiet",
        "--max-attempts",
        "3",
    )
    # the breaker stops the run after the first few refused connections: exit 4, one line
    # naming the URL; the store is kept (a re-run resumes), no audit summary is written
    assert p.returncode == 4, (p.returncode, p.stderr)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr
    assert "http://127.0.0.1:9/v1/chat/completions" in lines[0] and "re-run" in lines[0]
    assert "unreadable" not in lines[0]
    assert (out / "store.sqlite").exists() and not (out / "summary.json").exists()


def test_demo_recovers_its_documented_profile(tmp_path: Path) -> None:
    from judgebias.demo import DEMO_JUDGE
    from judgebias.report.runs import PROBE_ORDER

    out = tmp_path / "demo"
    p = run_cli("demo", "--out", str(out), "--quiet")
    assert p.returncode == 0, p.stderr
    s = json.loads((out / "summary.json").read_text())
    planted = dict(kv.split("=") for kv in DEMO_JUDGE.removeprefix("sim:").split(","))
    # self: the headline (the own wording's gain over a paraphrase, net of the placebo) is
    # the planted value itself, like the other probes' effects
    for probe in (p for p in PROBE_ORDER if p in planted):
        f = s["probes"][probe]
        assert f["ci_low"] <= float(planted[probe]) <= f["ci_high"], probe
    assert s["probes"]["self"]["ci_low"] > 0
    html = (out / "report.html").read_text()
    assert "This judge is simulated" in html
