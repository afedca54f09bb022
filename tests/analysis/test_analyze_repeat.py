"""``judgebias analyze --repeat COL --pair COLS`` (repetition stability) and ``--units COLS``
(means over units), on tables built so that the rules for unreadable answers matter."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_one_line_error, run_cli

import judgebias as jb

# Two pairs, each asked three times in both orders. p1: first order a, a, b (2/3); swapped
# order b, unreadable, b (2/3: the unreadable answer counts in the three, never as the mode).
# p2: first order unreadable three times (0), swapped order tie three times (1: a tie is an
# answer). Mean over the four calls: (2/3 + 2/3 + 0 + 1) / 4.
REPEATS = pd.DataFrame(
    {
        "question": ["q1", "q1", "q1", "q2", "q2", "q2"],
        "model": ["m"] * 6,
        "rep": [1, 2, 3, 1, 2, 3],
        "v_first": ["1", "1", "2", "", "", ""],
        "v_second": ["2", "", "2", "tie", "tie", "tie"],
    }
)
STABILITY = (2 / 3 + 2 / 3 + 0 + 1) / 4


def _analyze(tmp_path: Path, table: pd.DataFrame, *flags: str) -> dict:
    path = tmp_path / "verdicts.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "out"
    p = run_cli("analyze", str(path), *flags, "--out", str(out), "--quiet")
    assert p.returncode == 0, p.stderr
    return {
        "json": json.loads((out / "summary.json").read_text()),
        "csv": pd.read_csv(out / "summary.csv"),
        "html": (out / "report.html").read_text(),
    }


def test_repetition_stability_counts_unreadable_answers_but_never_as_the_mode(
    tmp_path: Path,
) -> None:
    # Dropping the unreadable answers would give (2/3 + 1 + 1) / 3 = 0.889; leaving out only
    # the all-unreadable call (the authors' code) 0.778. Neither is the definition.
    res = _analyze(
        tmp_path,
        REPEATS,
        *("--first", "v_first", "--second", "v_second", "--pair", "question,model"),
        *("--repeat", "rep"),
    )
    row = res["csv"].iloc[0]
    assert row["repetition_stability"] == pytest.approx(STABILITY)
    fig = res["json"]["groups"][0]["repetition_stability"]
    # the interval: Wilson on the 4 calls over the design effect of their 2 pairs
    assert fig.pop("ci_low") < STABILITY < fig.pop("ci_high")
    assert fig == {
        "value": pytest.approx(STABILITY),
        "n_calls": 4,
        "n_pairs": 2,
        "n_pairs_asked_once": 0,
        "repetitions": 3,
        "n_unread": 4,
    }
    assert res["json"]["source"]["repeat"] == "rep"
    assert "repetition stability" in res["html"]
    # the long layout (one row per call) gives the same figure
    long = pd.concat(
        [
            REPEATS.drop(columns=["v_second"]).rename(columns={"v_first": "v"}).assign(o="ab"),
            REPEATS.drop(columns=["v_first"]).rename(columns={"v_second": "v"}).assign(o="ba"),
        ]
    )
    res_long = _analyze(
        tmp_path,
        long,
        *("--order", "o", "--verdict", "v", "--pair", "question,model", "--repeat", "rep"),
    )
    assert res_long["csv"].iloc[0]["repetition_stability"] == pytest.approx(STABILITY)
    # the notebook function takes the same columns
    nb = jb.analyze(
        REPEATS, first="v_first", second="v_second", pair=["question", "model"], repeat="rep"
    )
    assert nb.table.iloc[0]["repetition_stability"] == pytest.approx(STABILITY)


def test_a_pair_asked_once_is_left_out_of_the_stability(tmp_path: Path) -> None:
    once = pd.DataFrame(
        {"question": ["q3"], "model": ["m"], "rep": [1], "v_first": ["1"], "v_second": ["1"]}
    )
    res = _analyze(
        tmp_path,
        pd.concat([REPEATS, once]),
        *("--first", "v_first", "--second", "v_second", "--pair", "question,model"),
        *("--repeat", "rep"),
    )
    fig = res["json"]["groups"][0]["repetition_stability"]
    assert fig["value"] == pytest.approx(STABILITY)  # not pulled up by q3's two 1.0 calls
    assert fig["n_pairs"] == 2 and fig["n_pairs_asked_once"] == 1


@pytest.mark.parametrize(
    ("flags", "needles"),
    [
        (["--repeat", "rep"], ["--pair", "--repeat needs the columns that identify a pair"]),
        (["--repeat", "repp", "--pair", "question"], ["--repeat", "did you mean 'rep'"]),
        (["--repeat", "rep", "--pair", "model"], ["--repeat", "share a (pair, repetition)"]),
        (["--repeat", "model", "--pair", "question,rep"], ["--repeat", "no pair has more than"]),
        (["--units", "modle"], ["--units", "did you mean 'model'"]),
    ],
)
def test_bad_repeat_and_units_flags_are_one_line(
    tmp_path: Path, flags: list[str], needles: list[str]
) -> None:
    path = tmp_path / "verdicts.csv"
    REPEATS.to_csv(path, index=False)
    p = run_cli("analyze", str(path), "--first", "v_first", "--second", "v_second", *flags)
    assert_one_line_error(p, *needles)


def test_units_mean_counts_unread_pairs_in_the_fairness_denominator(tmp_path: Path) -> None:
    # unit u1: two recency-preferred pairs (b then a), one consistent, one read in one order
    # only: fairness (2 - 0) / 4 = 0.5, consistency 1/3 of the three read. unit u2: one
    # primacy-preferred pair (a then b), one consistent: fairness -0.5, consistency 1/2.
    # Means over units: fairness 0.0, consistency 5/12. Pooled over pairs instead:
    # fairness (2 - 1) / 5 = 0.2, consistency 2/5.
    table = pd.DataFrame(
        {
            "id": range(6),
            "unit": ["u1"] * 4 + ["u2"] * 2,
            "first": ["2", "2", "", "1", "1", "2"],
            "second": ["1", "1", "1", "1", "2", "2"],
        }
    )
    res = _analyze(tmp_path, table, "--first", "first", "--second", "second", "--units", "unit")
    row = res["csv"].iloc[0]
    assert row["preference_fairness_units_mean"] == pytest.approx(0.0)
    assert row["position_consistency_units_mean"] == pytest.approx(5 / 12)
    assert row["preference_fairness"] == pytest.approx(0.2)
    assert row["position_consistency"] == pytest.approx(0.4)
    fig = res["json"]["groups"][0]
    assert fig["preference_fairness_units_mean"]["n_units"] == 2
    assert fig["preference_fairness_units_mean"]["std"] == pytest.approx(0.5)
    assert res["json"]["source"]["units"] == ["unit"]
    # the sign: positive = the second-shown answer favoured, as preference_fairness; the
    # position effect (primacy - recency) carries the opposite sign
    only_recency = table.assign(unit="u1", first="2", second="1")
    res = _analyze(
        tmp_path, only_recency, "--first", "first", "--second", "second", "--units", "unit"
    )
    row = res["csv"].iloc[0]
    assert row["preference_fairness_units_mean"] == pytest.approx(1.0)
    assert row["preference_fairness"] == pytest.approx(1.0)
    assert row["position_effect"] == pytest.approx(-1.0)
