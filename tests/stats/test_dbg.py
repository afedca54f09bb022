"""DBG self-preference: recovery of a known score, the null, and the input helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from judgebias.errors import UsageError
from judgebias.stats.dbg import dbg, preference_from_orders, to_preference


def simulate(bias: float, seed: int, n_items: int = 400, per_item: int = 1) -> pd.DataFrame:
    """Pairs of the judge's own answer against another, judged in both orders.

    The own answer's true quality share q_i ~ U(0.1, 0.6); gold verdicts follow q_i,
    the judge's follow q_i + bias, so the true DBG is exactly 100 * bias pp.
    """
    rng = np.random.default_rng(seed)
    q = np.repeat(rng.uniform(0.1, 0.6, n_items), per_item)
    n = len(q)

    def verdicts(prob: np.ndarray) -> np.ndarray:
        return np.where(rng.uniform(size=n) < prob, "a", "b")

    return pd.DataFrame(
        {
            "item": np.repeat(np.arange(n_items), per_item),
            "judge_first": verdicts(q + bias),
            "judge_second": verdicts(q + bias),
            "gold_first": verdicts(q),
            "gold_second": verdicts(q),
        }
    )


def score(frame: pd.DataFrame, **kw: object) -> pd.Series:
    frame = frame.assign(
        judge=preference_from_orders(frame.judge_first, frame.judge_second),
        gold=preference_from_orders(frame.gold_first, frame.gold_second),
    )
    out = dbg(frame, judge_col="judge", gold_col="gold", n_boot=1000, **kw)  # type: ignore[arg-type]
    assert len(out) == 1
    return out.iloc[0]


@pytest.mark.parametrize("bias", [0.0, 0.3])
def test_interval_covers_the_true_score(bias: float) -> None:
    covered = 0
    for seed in range(20):
        row = score(simulate(bias, seed), seed=seed)
        covered += row.ci_low <= 100 * bias <= row.ci_high
        assert row.ci_low <= row.dbg <= row.ci_high
        assert row.n == 400
        assert row.dbg == pytest.approx(row.judge_win_rate - row.gold_win_rate)
    assert covered >= 16  # nominal 95 %: 19 of 20 expected


def test_no_bias_is_rarely_rejected_and_real_bias_always() -> None:
    p_null = [score(simulate(0.0, seed), seed=seed).p_value for seed in range(40)]
    assert np.mean(np.array(p_null) < 0.05) <= 0.15
    p_alt = [score(simulate(0.3, seed), seed=seed).p_value for seed in range(5)]
    assert max(p_alt) < 0.01


def test_clustered_items_and_grouping() -> None:
    frame = simulate(0.3, seed=1, n_items=150, per_item=4)
    clustered = score(frame, item_col="item", seed=0)
    assert clustered.n == 600 and clustered.n_items == 150
    assert 15 < clustered.dbg < 45
    two = pd.concat([frame.assign(judge_name="x"), simulate(0.0, 2).assign(judge_name="y")])
    two = two.assign(
        judge=preference_from_orders(two.judge_first, two.judge_second),
        gold=preference_from_orders(two.gold_first, two.gold_second),
    ).reset_index(drop=True)
    out = dbg(two, judge_col="judge", gold_col="gold", item_col="item", by="judge_name", n_boot=500)
    assert list(out.judge_name) == ["x", "y"]
    assert out.set_index("judge_name").loc["x", "dbg"] == pytest.approx(clustered.dbg)


def test_own_column_orients_preferences() -> None:
    frame = pd.DataFrame(
        {"judge": [1.0, 0.0, 0.5, 1.0], "gold": [0.5, 0.5, 0.5, 0.0], "own": ["a", "b", "a", 2]}
    )
    out = dbg(frame, judge_col="judge", gold_col="gold", own_col="own", n_boot=200).iloc[0]
    # own-side preferences: judge 1, 1, .5, 0; gold .5, .5, .5, 1
    assert out.judge_win_rate == pytest.approx(62.5)
    assert out.gold_win_rate == pytest.approx(62.5)
    assert out.dbg == pytest.approx(0.0)
    with pytest.raises(UsageError, match="own"):
        dbg(frame.assign(own="c"), judge_col="judge", gold_col="gold", own_col="own")


def test_preference_helpers() -> None:
    first = pd.Series(["a", "B", "tie", None, "2", None])
    second = pd.Series(["a", "a", "b", "b", "tie", None])
    pref = preference_from_orders(first, second)
    assert pref.iloc[:5].tolist() == [1.0, 0.5, 0.25, 0.0, 0.25]
    assert np.isnan(pref.iloc[5])
    probs = preference_from_orders(pd.Series([0.9, 0.2]), pd.Series([0.7, 0.4]), probabilities=True)
    assert probs.tolist() == pytest.approx([0.8, 0.3])
    with pytest.raises(UsageError, match=r"\[0, 1\]"):
        to_preference(pd.Series([0.2, 2.0]))
    with pytest.raises(UsageError, match="cannot read verdict"):
        to_preference(pd.Series(["a", "maybe"]))
    with pytest.raises(UsageError, match="column 'nope'"):
        dbg(pd.DataFrame({"j": [1.0]}), judge_col="j", gold_col="nope")


def test_missing_rows_are_dropped() -> None:
    frame = pd.DataFrame({"judge": [1.0, np.nan, 0.0, 1.0], "gold": [0.0, 1.0, None, 1.0]})
    out = dbg(frame, judge_col="judge", gold_col="gold", n_boot=200, kind="probability").iloc[0]
    assert out.n == 2
    assert out.dbg == pytest.approx(50.0)
