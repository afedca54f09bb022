"""Repetition stability's interval, on calls that are not independent: a pair that the judge
cannot answer at all (every answer unreadable, e.g. an input too long for it) scores 0 in
both orders, so the two calls of a pair move together."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from judgebias.stats.intervals import wilson
from judgebias.stats.repetition import repetition_stability
from judgebias.tables.verdicts import FIRST, SECOND

R, P_DEAD, P_MODE = 3, 0.3, 0.8


def frame(rng: np.random.Generator, pairs: int = 30) -> pd.DataFrame:
    """``pairs`` pairs asked ``R`` times in both orders: a share ``P_DEAD`` of the pairs is
    never answered readably; otherwise each answer is ``a`` with probability ``P_MODE``,
    else ``b`` or a tie."""
    dead = np.repeat(rng.random(pairs) < P_DEAD, R)
    rows: dict[str, np.ndarray] = {
        "q": np.repeat(np.arange(pairs), R),
        "rep": np.tile(np.arange(R), pairs),
    }
    for col in (FIRST, SECOND):
        other = np.where(rng.random(pairs * R) < 0.5, "b", "tie")
        v = np.where(rng.random(pairs * R) < P_MODE, "a", other).astype(object)
        v[dead] = None
        rows[col] = v
    return pd.DataFrame(rows)


def true_stability(n: int = 200_000) -> float:
    """The mean stability of a call, by simulation of ``n`` calls."""
    rng = np.random.default_rng(0)
    a = rng.random((n, R)) < P_MODE
    b = ~a & (rng.random((n, R)) < 0.5)
    counts = np.stack([a.sum(1), b.sum(1), (~a & ~b).sum(1)])
    return float((1 - P_DEAD) * (counts.max(0) / R).mean())


def test_interval_covers_with_pairs_whose_orders_move_together() -> None:
    """Wilson's interval on the calls as if independent covered 0.91 of 300 such tables;
    clustered by pair (design effect about 2, t on 29 df) 0.97."""
    truth = true_stability()
    rng = np.random.default_rng(1)
    covered = wider = 0
    runs = 150
    for _ in range(runs):
        res = repetition_stability(frame(rng), pair=["q"])
        lo, hi = res["repetition_stability_ci_low"], res["repetition_stability_ci_high"]
        covered += lo <= truth <= hi
        n = res["n_repeat_calls"]
        naive = wilson(res["repetition_stability"] * n, n)
        wider += lo <= naive[0] and naive[1] <= hi
    assert covered / runs >= 0.93
    assert wider == runs  # never narrower than the independent calls' interval


def test_interval_of_a_perfectly_stable_judge_is_not_a_point() -> None:
    rng = np.random.default_rng(2)
    stable = frame(rng, pairs=8).assign(**{FIRST: "a", SECOND: "b"})
    res = repetition_stability(stable, pair=["q"])
    assert res["repetition_stability"] == 1.0
    assert res["repetition_stability_ci_high"] == pytest.approx(1.0)
    # 16 calls, but 8 pairs of identical calls: Wilson's lower end for 8 of 8 (with t on 7 df)
    assert res["repetition_stability_ci_low"] < wilson(8, 8)[0] < wilson(16, 16)[0]
    # a cluster column groups the pairs further: 2 clusters of 4 pairs
    two = stable.assign(task=np.where(stable["q"] < 4, "x", "y"))
    wide = repetition_stability(two, pair=["q"], cluster="task")
    assert wide["repetition_stability_ci_low"] < res["repetition_stability_ci_low"]
