"""Self-preference without the noise confound: the error asymmetry, next to DBG."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from judgebias.errors import UsageError
from judgebias.gate import check_gate, parse_fail_on
from judgebias.pipeline import AuditConfig, run_audit
from judgebias.stats.dbg import dbg
from judgebias.stats.selfpref import MIN_ITEMS, self_preference


def simulate(
    n_items: int, accuracy: float, self_bias: float, own_share: float, seed: int
) -> pd.DataFrame:
    """Items = the judge's own answer to one instruction, judged against two answers in two
    orders (4 verdicts). The gold picks the own answer with probability ``own_share``
    (per comparison); the judge's content verdict agrees with the gold with probability
    ``accuracy`` (one draw per comparison, shared by both orders, so orders correlate);
    then in each order it moves to its own answer with probability ``self_bias``. The
    true error asymmetry is ``self_bias`` for every accuracy."""
    rng = np.random.default_rng(seed)
    n_cmp = n_items * 2
    gold = (rng.uniform(size=n_cmp) < own_share).astype(float)
    right = rng.uniform(size=n_cmp) < accuracy
    content = np.where(right, gold, 1.0 - gold)
    rows = []
    for order in range(2):
        moved = rng.uniform(size=n_cmp) < self_bias
        judge = np.where(moved, 1.0, content)
        rows.append(
            pd.DataFrame(
                {"item": np.repeat(np.arange(n_items), 2), "judge": judge, "gold": gold}
            ).assign(order=order)
        )
    return pd.concat(rows, ignore_index=True)


def test_noise_alone_is_not_self_preference_but_dbg_says_it_is() -> None:
    # accuracy 0.85, no self-preference, the gold picks the own answer a fifth of the time:
    # DBG expects 0.2 * 0.85 + 0.8 * 0.15 - 0.2 = +9 pp, the error asymmetry 0
    frame = simulate(600, accuracy=0.85, self_bias=0.0, own_share=0.2, seed=3)
    head = self_preference(frame, judge_col="judge", gold_col="gold", item_col="item")
    assert head["ci_low"] <= 0.0 <= head["ci_high"]
    assert abs(head["effect"]) < 0.04
    d = dbg(frame, judge_col="judge", gold_col="gold", item_col="item", n_boot=500).iloc[0]
    assert d["ci_low"] > 4.0 and d["dbg"] == pytest.approx(9.0, abs=3.0)
    # the DBG table carries the same noise-robust figure (in points)
    assert d["error_asymmetry"] == pytest.approx(100 * head["effect"])
    assert d["ea_ci_low"] <= 0.0 <= d["ea_ci_high"]


def test_known_table_and_the_equal_opportunity_identity() -> None:
    # gold other: judge own 2 of 8; gold own: judge other 1 of 4 (+ a tie worth one half)
    frame = pd.DataFrame(
        {
            "judge": [1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0.5],
            "gold": [0] * 8 + [1] * 4,
        },
        dtype=float,
    )
    res = self_preference(frame, judge_col="judge", gold_col="gold")
    assert res["p_own_given_gold_other"] == pytest.approx(2 / 8)
    assert res["p_other_given_gold_own"] == pytest.approx(1.5 / 4)
    assert res["effect"] == pytest.approx(2 / 8 - 1.5 / 4)
    # Wataoka et al.'s P(own | gold own) - P(other | gold other) is the same number
    assert res["equal_opportunity"] == pytest.approx(res["effect"])
    assert res["n"] == 12 and res["n_items"] == 12 and res["deff"] == pytest.approx(1.0)
    # a gold that is unsure (0.5) counts half in each condition
    soft = self_preference(
        pd.DataFrame({"judge": [1.0, 0.0], "gold": [0.5, 0.5]}), judge_col="judge", gold_col="gold"
    )
    assert soft["p_own_given_gold_other"] == pytest.approx(0.5)
    assert soft["p_other_given_gold_own"] == pytest.approx(0.5)


def test_edges_give_notes_not_degenerate_intervals() -> None:
    few = pd.DataFrame({"judge": [1.0, 0.0, 1.0], "gold": [0.0, 1.0, 0.0]})
    res = self_preference(few, judge_col="judge", gold_col="gold")
    assert res["effect"] == pytest.approx(1.0 - 1.0)  # estimate kept
    assert math.isnan(res["ci_low"]) and math.isnan(res["p_value"]) and "too few" in res["note"]
    one_sided = pd.DataFrame({"judge": [1.0, 0.0] * 5, "gold": [0.0] * 10})
    res = self_preference(one_sided, judge_col="judge", gold_col="gold")
    assert math.isnan(res["effect"]) and "never picks the judge's own answer" in res["note"]
    # a perfect judge: no error either way, yet an interval of real width around 0
    perfect = pd.DataFrame({"judge": [1.0, 0.0] * 20, "gold": [1.0, 0.0] * 20})
    res = self_preference(perfect, judge_col="judge", gold_col="gold")
    assert res["effect"] == 0.0 and res["p_value"] == 1.0
    assert res["ci_low"] < -0.05 and res["ci_high"] > 0.05
    with pytest.raises(UsageError, match=r"\[0, 1\]"):
        self_preference(frame_with(judge=[2.0]), judge_col="judge", gold_col="gold")
    assert MIN_ITEMS == 5


def frame_with(**cols: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"gold": [0.0] * len(next(iter(cols.values()))), **cols})


@pytest.mark.parametrize(("accuracy", "self_bias"), [(0.7, 0.0), (0.9, 0.0), (0.8, 0.2)])
def test_interval_covers_and_p_agrees_with_it(accuracy: float, self_bias: float) -> None:
    covered, rejected = 0, 0
    runs = 150
    for seed in range(runs):
        frame = simulate(120, accuracy, self_bias, own_share=0.3, seed=seed)
        res = self_preference(frame, judge_col="judge", gold_col="gold", item_col="item")
        covered += res["ci_low"] <= self_bias <= res["ci_high"]
        excludes = res["ci_low"] > 0 or res["ci_high"] < 0
        assert excludes == (res["p_value"] < 0.05)
        rejected += res["p_value"] < 0.05
        assert res["deff"] >= 1.0 and res["deff"] <= 4.0
    assert covered / runs >= 0.9
    if self_bias == 0.0:
        assert rejected / runs <= 0.1


def test_one_item_dbg_has_no_interval() -> None:
    frame = pd.DataFrame({"judge": [1.0, 1.0], "gold": [0.0, 0.0], "item": ["x", "x"]})
    row = dbg(frame, judge_col="judge", gold_col="gold", item_col="item", n_boot=200).iloc[0]
    assert row["dbg"] == pytest.approx(100.0)
    assert math.isnan(row["ci_low"]) and math.isnan(row["ci_high"]) and math.isnan(row["p_value"])
    assert "too few items (1" in row["note"]
    one_row = dbg(frame.iloc[:1], judge_col="judge", gold_col="gold", n_boot=200).iloc[0]
    assert math.isnan(one_row["ci_low"]) and one_row["note"]


def audit_self(tmp_path: Path, accuracy: float, self_bias: float, report: bool = False) -> dict:
    out = tmp_path / f"a{accuracy}-s{self_bias}"
    run_audit(
        AuditConfig(
            judge=f"sim:accuracy={accuracy},self={self_bias}",
            gold_judge="sim:accuracy=1",
            probes=["self"],
            out=str(out),
            quiet=True,
            write_report=report,
        )
    )
    return json.loads((out / "summary.json").read_text())


@pytest.mark.parametrize("accuracy", [0.7, 0.85, 1.0])
def test_sim_without_self_preference_is_not_flagged(tmp_path: Path, accuracy: float) -> None:
    """The bundled pairs, as `judgebias audit --probes self --gold-judge sim:accuracy=1`."""
    s = audit_self(tmp_path, accuracy, 0.0)["probes"]["self"]
    assert s["ci_low"] <= 0.0 <= s["ci_high"]
    assert s["severity"] == "not detected" and s["p_adjusted"] >= 0.05
    assert {"dbg", "dbg_ci_low", "dbg_ci_high", "effect", "n", "p_value"} <= set(s)
    if accuracy == 0.85:
        # the gold picks the sim's own answers about a quarter of the time: DBG is fooled
        assert s["dbg_ci_low"] > 0.0


@pytest.mark.parametrize(("accuracy", "self_bias"), [(0.7, 0.3), (1.0, 0.15)])
def test_sim_recovers_the_planted_self_preference(
    tmp_path: Path, accuracy: float, self_bias: float
) -> None:
    summary = audit_self(tmp_path, accuracy, self_bias, report=accuracy == 1.0)
    s = summary["probes"]["self"]
    assert s["ci_low"] <= self_bias <= s["ci_high"] and s["ci_low"] > 0.0
    assert s["severity"] != "not detected"
    (gate,) = check_gate(summary, parse_fail_on("self>0"))  # --fail-on reads the headline
    assert gate.tripped and "self effect" in gate.message
    if accuracy == 1.0:
        html = (tmp_path / f"a{accuracy}-s{self_bias}" / "report.html").read_text()
        assert 'id="self-headline"' in html and "Why two figures" in html
