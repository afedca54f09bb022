"""``judgebias analyze --cluster COL`` on MT-Bench: 2,400 of GPT-4's verdicts on 80 questions.

Every question is judged for 15 model pairs in two turns, so 30 pairs share each question:
a judge that is inconsistent on a hard question is inconsistent on many of its pairs, and
an interval that counts the 2,400 pairs as independent is too narrow.

GPT-4 was asked in both orders; the source keeps the agreed verdict, or ``tie
(inconsistent)`` when the two orders disagreed. Position consistency (the share of pairs
consistent in both orders) is exact from that; which order won an inconsistent pair is not
recorded, so this table gives such a pair a verdict for the first-shown answer in both
orders, and only consistency is read here (not the position effect).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import SHARED_DATA, assert_one_line_error, run_cli

pytestmark = pytest.mark.external

MTBENCH = SHARED_DATA / "human" / "mtbench" / "gpt4_pair.jsonl"


def verdict_table(path: Path) -> Path:
    if not MTBENCH.exists():
        pytest.skip(f"MT-Bench data not found at {MTBENCH}; set JUDGEBIAS_SHARED_DATA")
    d = pd.read_json(MTBENCH, lines=True)
    label = {"model_a": "1", "model_b": "2", "tie": "tie"}
    d["first"] = d["winner"].map(lambda w: label.get(w, "1"))
    d["second"] = d["winner"].map(lambda w: label.get(w, "2"))
    d.to_csv(path, index=False)
    return path


def analyze(table: Path, out: Path, *extra: str) -> dict:
    p = run_cli(
        "analyze", str(table), "--first", "first", "--second", "second", "--out", str(out),
        "--quiet", *extra,
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    return json.loads((out / "summary.json").read_text())


def test_mtbench_intervals_clustered_by_question(tmp_path: Path) -> None:
    table = verdict_table(tmp_path / "mt.csv")
    by_q = analyze(table, tmp_path / "q", "--cluster", "question_id")
    by_pair = analyze(table, tmp_path / "p", "--cluster", "pair")
    assert by_q["cluster"] == {"column": "question_id", "unit": "question_id", "n_clusters": 80}
    assert by_pair["cluster"]["unit"] == "pair" and by_pair["cluster"]["n_clusters"] == 2400
    q, p = by_q["groups"][0], by_pair["groups"][0]
    assert q["n_clusters"] == 80 and q["n"] == 2400
    pc_q, pc_p = q["position_consistency"], p["position_consistency"]
    assert pc_q["value"] == pc_p["value"] == pytest.approx(1 - 380 / 2400)
    # measured: 82.0-86.2 % by question against 82.7-85.6 % by pair (4.2 and 2.9 points)
    w_q = pc_q["ci_high"] - pc_q["ci_low"]
    w_p = pc_p["ci_high"] - pc_p["ci_low"]
    assert w_q > 1.3 * w_p, (w_q, w_p)
    assert pc_q["ci_low"] < pc_p["ci_low"] and pc_q["ci_high"] > pc_p["ci_high"]
    html = (tmp_path / "q" / "report.html").read_text(encoding="utf-8")
    assert "intervals clustered by question_id (80 clusters)" in html
    # the table has no instruction column: the default says it clusters by pair, and why
    default = analyze(table, tmp_path / "d")
    assert default["cluster"]["unit"] == "pair" and "no instruction" in default["cluster"]["note"]
    bad = run_cli(
        "analyze", str(table), "--first", "first", "--second", "second",
        "--out", str(tmp_path / "x"), "--cluster", "questoin_id",
    )  # fmt: skip
    assert_one_line_error(bad, "--cluster", "did you mean 'question_id'")
