"""A preference column's kind (probability or verdict label) is decided once, and said."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_one_line_error, run_cli

import judgebias as jb
from judgebias.corrections.debias import debias
from judgebias.errors import UsageError
from judgebias.stats.dbg import dbg, read_preference, to_preference


def test_the_same_zeros_and_ones_never_read_two_ways_silently() -> None:
    numbers = pd.Series([0.0, 1.0])
    text = pd.Series(["0", "1"])
    # numbers are probabilities (0 = response b); said so
    pref, reading = read_preference(numbers)
    assert pref.tolist() == [0.0, 1.0] and reading == "probability"
    # the same values as text read two ways (AlpacaEval's labels: 0 = tie): refused
    with pytest.raises(UsageError, match="reads two ways"):
        to_preference(text, name="judge")
    # declared, both spellings agree
    assert to_preference(text, kind="probability").tolist() == [0.0, 1.0]
    assert to_preference(numbers, kind="label").tolist() == [0.5, 1.0]
    # unambiguous text keeps its only reading
    assert read_preference(pd.Series(["0.7", "0.2"]))[1] == "probability"
    assert read_preference(pd.Series(["1", "2", "0"]))[1] == "label"
    with pytest.raises(UsageError, match="kind must be"):
        to_preference(numbers, kind="soft")


def test_dbg_reports_its_reading_and_agrees_across_spellings() -> None:
    frame = pd.DataFrame({"judge": [0.2, 1.0] * 5, "gold": ["a"] * 10})
    as_numbers = dbg(frame, judge_col="judge", gold_col="gold", n_boot=200).iloc[0]
    assert as_numbers["dbg"] == pytest.approx(-40.0)
    assert (as_numbers["judge_reading"], as_numbers["gold_reading"]) == ("probability", "label")
    frame = frame.assign(judge=[0.0, 1.0] * 5)
    text = frame.assign(judge=frame["judge"].map(lambda v: str(int(v))))
    with pytest.raises(UsageError, match="reads two ways"):
        dbg(text, judge_col="judge", gold_col="gold", n_boot=200)
    declared = dbg(
        text.assign(gold="1"), judge_col="judge", gold_col="gold", n_boot=200, kind="probability"
    ).iloc[0]
    assert declared["dbg"] == pytest.approx(-50.0) and declared["judge_reading"] == "probability"


def _own_answers_table(path: Path) -> Path:
    """20 comparisons of the judge's own answer with another, one per item: the judge always
    prefers its own (1); the gold prefers it in 13 and the other in 7 (0): 0/1 integers."""
    frame = pd.DataFrame({"item": range(20), "judge": [1] * 20, "gold": [1] * 13 + [0] * 7})
    frame.to_csv(path, index=False)
    return path


def test_dbg_refuses_a_zero_one_number_column_unless_its_kind_is_declared(tmp_path: Path) -> None:
    # The two readings of the gold's 7 zeros: the other answer wins (probabilities: gold win
    # rate 65 %, DBG 35.0) or a tie (labels: gold 82.5 %, DBG 17.5). The old reader took
    # numbers for probabilities without a word: `judgebias dbg` printed 35.0 and exit 0.
    table = _own_answers_table(tmp_path / "self.csv")
    base = ["dbg", str(table), "--judge-col", "judge", "--gold-col", "gold", "--item-col", "item"]
    refused = run_cli(*base)
    assert_one_line_error(refused, "gold", "0 and 1", "--kind probability", "--kind label")
    for kind, gold_rate, want in (("probability", 65.0, 35.0), ("label", 82.5, 17.5)):
        out = tmp_path / f"{kind}.csv"
        p = run_cli(*base, "--kind", kind, "--out", str(out))
        assert p.returncode == 0, p.stderr
        row = pd.read_csv(out).iloc[0]
        assert row["dbg"] == pytest.approx(want)
        assert row["gold_win_rate"] == pytest.approx(gold_rate)
        assert row["gold_reading"] == kind
    # the notebook function shares the rule; floats that are all 0 or 1 (a 0/1 column with a
    # blank reads as floats) are the same column
    frame = pd.read_csv(table)
    for gold in (frame["gold"], frame["gold"].astype(float), frame["gold"].where(frame.item > 0)):
        with pytest.raises(UsageError, match="gold: holds only the numbers 0 and 1"):
            jb.dbg(frame.assign(gold=gold), judge_col="judge", gold_col="gold")
    declared = jb.dbg(frame, judge_col="judge", gold_col="gold", kind="label").iloc[0]
    assert declared["dbg"] == pytest.approx(17.5)
    # a column of 1s only reads the same both ways (1 = response a): no need to declare it
    assert jb.dbg(frame.assign(gold=0.5), judge_col="judge", gold_col="gold").iloc[0][
        "dbg"
    ] == pytest.approx(50.0)


def test_swap_refuses_to_guess_a_zero_one_probability_column() -> None:
    # P(answer 1) rounded to 0/1 in both orders, all consistent with gold: accuracy 1
    df = pd.DataFrame(
        {"p_ab": [1.0, 0.0, 1.0, 0.0], "p_ba": [1.0, 0.0, 1.0, 0.0], "gold": ["1", "2", "1", "2"]}
    )
    with pytest.raises(UsageError, match="--soft"):
        debias(df, "swap", first="p_ab", second="p_ba", gold="gold")
    _, soft = debias(df, "swap", first="p_ab", second="p_ba", gold="gold", soft=True)
    o = soft["overall"]
    assert o["accuracy_after"] == pytest.approx(1.0) and o["tie_share_after"] == 0.0
    assert soft["reading"].startswith("probabilities of answer 1")
    _, hard = debias(df, "swap", first="p_ab", second="p_ba", gold="gold", soft=False)
    assert hard["reading"].startswith("verdict labels")
    assert hard["overall"]["tie_share_after"] == pytest.approx(0.5)  # 0 read as a tie


def test_an_audit_whose_self_comparisons_are_all_zero_or_one_still_scores_dbg(
    tmp_path: Path,
) -> None:
    # A judge and a gold that never waver give per-comparison preferences of exactly 0 or 1;
    # the audit's DBG reads them as the probabilities they are (before the audit declared the
    # kind, the refusal above stopped this run with exit 2).
    res = jb.audit(
        "sim:accuracy=1",
        gold_judge="sim:accuracy=1",
        probes="self",
        limit=6,
        out=str(tmp_path / "run"),
    )
    self_fig = res.summary_json["probes"]["self"]
    assert self_fig["dbg"] == pytest.approx(0.0)
    assert self_fig["judge_win_rate"] == pytest.approx(self_fig["gold_win_rate"])
