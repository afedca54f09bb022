"""The listwise position test on data built to break a pooled chi-square's assumptions.

Verdict tables are built directly (one row per item and order of Williams' design, as
``judgebias.audits.formats.listwise.list_records`` writes them) by :func:`simulate`, whose judge can

- give each item its own favourite shown position, uniform over items (``favourite``):
  every item is position-biased, the judge overall is not;
- write an unreadable answer more often when the item's best candidate is shown last
  (``unreadable_best_last``), choosing without any position bias;
- favour the first-shown response (``first``): a real position bias, with planted
  shares ``first + (1 - first) / k`` at position 1 and ``(1 - first) / k`` elsewhere.

Before the change the listwise figures pooled every readable verdict and tested the
wins per position with Pearson's chi-square (:func:`pooled_chi2_p` recomputes it).
Measured by the tests below (1,000 tables of 30 items, 500 of 300 items): with items
that each favour their own position 70 % of the time it rejected at 5 % in 0.37
(k = 4) and 0.42 (k = 3) of the tables, the clustered test in 0.046 and 0.042; with
answers unreadable in 60 % of the orders showing the best candidate last, 0.99 and
1.00 against 0.038 and 0.036. A planted first-position bias of 0.15 on 60 items is
found in 0.92-0.96 of 300 tables, with intervals covering the planted shares and
effect in 0.93-0.97.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chisquare

from judgebias.audits.formats.listwise import williams_orders
from judgebias.stats.listwise import (
    complete_rotation_wins,
    listwise_position_stats,
    rotation_blocks,
    uniform_shares_test,
)

LETTERS = "abcd"


def simulate(
    rng: np.random.Generator,
    n_items: int,
    k: int,
    *,
    accuracy: float = 0.6,
    favourite: float = 0.0,
    first: float = 0.0,
    unreadable_best_last: float = 0.0,
    unreadable: float = 0.0,
) -> pd.DataFrame:
    """One verdict table: every item in every order of Williams' design for k candidates.

    In each order the judge picks the response shown first with probability ``first``,
    else the one shown at the item's favourite position with probability
    ``favourite``, else by content (the item's best candidate with probability
    ``accuracy``, another at random otherwise). The answer is unreadable with
    probability ``unreadable_best_last`` when the best candidate is shown last, and
    ``unreadable`` otherwise.
    """
    orders = np.array(williams_orders(k))  # rows x shown position -> candidate
    n_rows = len(orders)
    best = rng.integers(k, size=n_items)
    fav = rng.integers(k, size=n_items)  # each item's favourite shown position (0-based)
    other = (best[:, None] + rng.integers(1, k, size=(n_items, n_rows))) % k
    content = np.where(rng.random((n_items, n_rows)) < accuracy, best[:, None], other)
    shown_content = np.argmax(orders[None, :, :] == content[:, :, None], axis=2)
    u = rng.random((n_items, n_rows))
    shown = np.where(
        u < first, 0, np.where(u < first + (1 - first) * favourite, fav[:, None], shown_content)
    )
    best_last = orders[None, :, -1] == best[:, None]
    p_bad = np.where(best_last, unreadable_best_last, unreadable)
    bad = rng.random((n_items, n_rows)) < p_bad
    chosen = orders[np.arange(n_rows)[None, :], shown]
    rows = pd.DataFrame(
        {
            "pair_id": np.repeat([f"i{i}" for i in range(n_items)], n_rows),
            "variant": np.tile([f"r{r}" for r in range(n_rows)], n_items),
            "order": np.tile(["".join(LETTERS[c] for c in o) for o in orders], n_items),
            "shown": np.where(bad, -1, shown + 1).ravel(),
            "verdict": np.where(bad, "", np.array(list(LETTERS))[chosen]).ravel(),
            "gold": np.repeat(np.array(list(LETTERS))[best], n_rows),
        }
    )
    rows["shown"] = rows["shown"].astype("Int64").mask(rows["shown"] < 0)
    rows["verdict"] = rows["verdict"].mask(rows["verdict"] == "")
    return rows


def pooled_chi2_p(records: pd.DataFrame, k: int) -> float:
    """The test the listwise figures used before: Pearson's chi-square of every readable
    verdict's shown position against the uniform share."""
    shown = records["shown"].dropna().astype(int)
    return float(chisquare(shown.value_counts().reindex(range(1, k + 1), fill_value=0)).pvalue)


def clustered_p(records: pd.DataFrame, k: int) -> float:
    return float(uniform_shares_test(complete_rotation_wins(records, k).to_numpy(), k)["chi2_p"])


def rejection_rates(
    reps: int, n_items: int, k: int, seed: int, **judge: float
) -> tuple[float, float]:
    """(pooled chi-square, clustered test) rejection rates at 5 % over ``reps`` tables."""
    rng = np.random.default_rng(seed)
    old = new = 0
    for _ in range(reps):
        rec = simulate(rng, n_items, k, **judge)
        old += pooled_chi2_p(rec, k) < 0.05
        new += clustered_p(rec, k) < 0.05
    return old / reps, new / reps


def mc_limit(rate: float, reps: int) -> float:
    """``rate`` plus three Monte Carlo standard errors."""
    return rate + 3 * math.sqrt(rate * (1 - rate) / reps)


@pytest.mark.parametrize("k", [3, 4])
def test_rotation_blocks_are_the_latin_squares_of_the_design(k: int) -> None:
    rec = simulate(np.random.default_rng(0), 2, k)
    blocks = rotation_blocks(rec, k)
    assert sorted(set(blocks.values())) == list(range(len(williams_orders(k)) // k))
    # without the orders there is one block: the whole design
    assert set(rotation_blocks(rec.drop(columns="order"), k).values()) == {0}


def test_an_item_counts_with_its_complete_rotations_only() -> None:
    rec = simulate(np.random.default_rng(1), 3, 3)  # 6 orders: two squares of 3
    rec.loc[(rec["pair_id"] == "i0") & (rec["variant"] == "r1"), "shown"] = pd.NA
    rec.loc[(rec["pair_id"] == "i1") & rec["variant"].isin(["r1", "r4"]), "shown"] = pd.NA
    wins = complete_rotation_wins(rec, 3)
    assert list(wins.index) == ["i0", "i2"]  # i1 lost an order in each square
    assert wins.sum(axis=1).to_dict() == {"i0": 3.0, "i2": 6.0}
    f = listwise_position_stats(rec, 3)
    assert f["n"] == 2 and f["n_invalid"] == 1 and f["n_unreadable"] == 3
    assert f["n_verdicts"] == 9


@pytest.mark.parametrize("k", [3, 4])
def test_per_item_favourite_positions_are_no_position_bias(k: int) -> None:
    reps = 1000
    old, new = rejection_rates(reps, 30, k, seed=10 + k, favourite=0.7)
    print(f"k={k} per-item favourite positions: pooled chi-square {old:.3f}, clustered {new:.3f}")
    assert old > 0.25  # the pooled test cries wolf
    assert new <= mc_limit(0.05, reps)


@pytest.mark.parametrize("k", [3, 4])
def test_order_dependent_unreadable_answers_are_no_position_bias(k: int) -> None:
    reps = 500
    old, new = rejection_rates(reps, 300, k, seed=20 + k, unreadable_best_last=0.6)
    print(f"k={k} unreadable when the best is shown last: pooled {old:.3f}, clustered {new:.3f}")
    assert old > 0.9
    assert new <= mc_limit(0.05, reps)


def test_order_dependent_unreadable_answers_leave_the_shares_at_one_over_k() -> None:
    rec = simulate(np.random.default_rng(3), 2000, 4, unreadable_best_last=0.6)
    valid = rec["shown"].dropna().astype(int)
    pooled_last = float((valid == 4).mean())
    f = listwise_position_stats(rec, 4)
    # the pooled share of the last position is well below 1/4: per item, 0.4 x 0.6 wins
    # there from the order showing the best last, 3 x 0.4 / 3 from the others, over
    # 4 - 0.6 readable verdicts: 0.64 / 3.4 = 0.188 expected
    assert pooled_last < 0.22
    for sh in f["shares"]:
        assert sh["ci_low"] <= 0.25 <= sh["ci_high"], sh
    assert f["ci_low"] <= 0 <= f["ci_high"]
    # the items left out: those whose one order showing the best candidate last was unreadable
    assert f["n_invalid"] / 2000 == pytest.approx(0.6, abs=0.05)


@pytest.mark.parametrize("k", [3, 4])
def test_a_real_position_bias_is_found_and_its_intervals_cover_it(k: int) -> None:
    planted, reps, n_items = 0.15, 300, 60
    rng = np.random.default_rng(30 + k)
    found = 0
    covered = np.zeros(k + 1)  # the effect, then each position's share
    expected = np.full(k, (1 - planted) / k)
    expected[0] += planted
    for _ in range(reps):
        rec = simulate(rng, n_items, k, first=planted, unreadable=0.05).assign(gold=None)
        f = listwise_position_stats(rec, k)
        found += f["chi2_p"] < 0.05
        covered += [f["ci_low"] <= planted <= f["ci_high"]] + [
            sh["ci_low"] <= e <= sh["ci_high"] for sh, e in zip(f["shares"], expected, strict=True)
        ]
    rate = covered / reps
    print(f"k={k} first={planted}: power {found / reps:.3f}, coverage {np.round(rate, 3)}")
    assert found / reps >= 0.8
    assert rate.mean() >= 0.93
    assert rate.min() >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / reps)  # each, to Monte Carlo error


def test_a_judge_whose_verdict_never_varies() -> None:
    rec = simulate(np.random.default_rng(4), 40, 4, accuracy=1.0)  # always the best
    f = listwise_position_stats(rec, 4)
    assert f["chi2_p"] == 1.0 and f["effect"] == 0 and f["consistency"] == 1.0
    rec = simulate(np.random.default_rng(4), 40, 4, first=1.0)  # always the first shown
    f = listwise_position_stats(rec, 4)
    assert f["chi2_p"] == 0.0 and f["effect"] == 1.0 and f["shares"][0]["share"] == 1.0


def test_with_one_independent_verdict_per_item_the_test_is_pearsons() -> None:
    """Items of one verdict each are independent verdicts: no design effect to correct,
    and the clustered test agrees with Pearson's chi-square."""
    rng = np.random.default_rng(5)
    one_hot = np.eye(4)[rng.choice(4, size=400, p=[0.31, 0.23, 0.23, 0.23])]
    got = uniform_shares_test(one_hot, 4)
    pearson = chisquare(one_hot.sum(axis=0))
    assert got["design_effect"] == pytest.approx(1.0, abs=0.05)
    assert got["chi2"] == pytest.approx(float(pearson.statistic), rel=0.05)
    assert got["chi2_p"] == pytest.approx(float(pearson.pvalue), rel=0.25)


def test_a_wald_test_on_the_inverse_covariance_would_cry_wolf_with_few_items() -> None:
    """Why Rao-Scott and not Hotelling's T² (the Wald test with the cluster-robust
    covariance inverted): 10 items that each favour their own position."""
    from statsmodels.stats.multivariate import test_mvmean

    rng = np.random.default_rng(6)
    reps, wald, rs = 400, 0, 0
    for _ in range(reps):
        wins = complete_rotation_wins(simulate(rng, 10, 4, favourite=0.5), 4).to_numpy()
        share = wins / wins.sum(axis=1, keepdims=True)
        wald += float(test_mvmean(share[:, :3], np.full(3, 0.25)).pvalue) < 0.05
        rs += uniform_shares_test(wins, 4)["chi2_p"] < 0.05
    print(
        f"10 items, own favourite positions: Hotelling {wald / reps:.3f}, Rao-Scott {rs / reps:.3f}"
    )
    assert wald / reps > 0.07  # 0.10 measured over 2,000 tables
    assert rs / reps <= mc_limit(0.05, reps)
