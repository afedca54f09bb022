"""Self-preference: the controlled figure (own wording against a paraphrase, net of a
placebo) as the headline; the error asymmetry and DBG, descriptive only.

Each estimator is tried on data built to break the *old* headline's assumption: a
judge whose errors depend on which answer the gold prefers (the judge and the gold
err on different items), noise that differs between kinds of comparison, and one
item that holds most of the rows.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from judgebias.errors import UsageError
from judgebias.stats.dbg import dbg
from judgebias.stats.intervals import newcombe_diff, newcombe_diff_p
from judgebias.stats.selfpref import (
    MIN_ITEMS,
    controlled_self_preference,
    self_preference,
)

# -- the error asymmetry (descriptive) -------------------------------------------------------


def simulate(
    n_items: int, accuracy: float, self_bias: float, own_share: float, seed: int
) -> pd.DataFrame:
    """Items = the judge's own answer to one instruction, judged against two answers in two
    orders (4 verdicts). The gold picks the own answer with probability ``own_share``
    (per comparison); the judge's content verdict agrees with the gold with probability
    ``accuracy`` (one draw per comparison, shared by both orders, so orders correlate);
    then in each order it moves to its own answer with probability ``self_bias``. Errors
    here do not depend on the gold's preference, so the asymmetry is ``self_bias``."""
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


def test_noise_alone_moves_dbg_but_not_the_asymmetry_when_errors_are_symmetric() -> None:
    # accuracy 0.85, no self-preference, the gold picks the own answer a fifth of the time:
    # DBG expects 0.2 * 0.85 + 0.8 * 0.15 - 0.2 = +9 pp, the error asymmetry 0
    frame = simulate(600, accuracy=0.85, self_bias=0.0, own_share=0.2, seed=3)
    head = self_preference(frame, judge_col="judge", gold_col="gold", item_col="item")
    assert head["ci_low"] <= 0.0 <= head["ci_high"]
    assert abs(head["effect"]) < 0.04
    d = dbg(
        frame, judge_col="judge", gold_col="gold", item_col="item", n_boot=500, kind="probability"
    ).iloc[0]
    assert d["ci_low"] > 4.0 and d["dbg"] == pytest.approx(9.0, abs=3.0)
    assert d["error_asymmetry"] == pytest.approx(100 * head["effect"])
    assert d["ea_ci_low"] <= 0.0 <= d["ea_ci_high"]


def test_asymmetry_flags_a_judge_that_errs_on_other_items_than_the_gold() -> None:
    """Why the asymmetry is descriptive only. Half the items are checkable (both judges
    right, the own answer usually loses); on the others each judge flips its own coin, so
    the judge's errors fall where the gold picks the own answer. No self-preference, yet
    P(own | gold other) = (0.5 * 0.05 + 0.25 * 0.5) / 0.75 = 0.2 and P(other | gold own)
    = 0.5: an asymmetry of -0.3."""
    rng = np.random.default_rng(6)
    rows = []
    for item in range(300):
        for _ in range(2):  # two comparisons, two orders each (the same verdict)
            if item % 2 == 0:  # checkable: the own answer loses, the judge is 95 % right
                gold = 0.0
                judge = gold if rng.uniform() < 0.95 else 1.0 - gold
            else:  # uncheckable: the judge's coin and the gold's are independent
                gold = float(rng.uniform() < 0.5)
                judge = float(rng.uniform() < 0.5)
            rows += [(item, judge, gold)] * 2
    frame = pd.DataFrame(rows, columns=["item", "judge", "gold"])
    res = self_preference(frame, judge_col="judge", gold_col="gold", item_col="item")
    # measured: -0.31 [-0.41, -0.22], p at the bootstrap's floor 0.0005
    assert res["ci_high"] < -0.1 and res["p_value"] < 0.001


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
    assert res["n"] == 12 and res["n_items"] == 12
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
        self_preference(
            pd.DataFrame({"judge": [2.0], "gold": [0.0]}), judge_col="judge", gold_col="gold"
        )
    assert MIN_ITEMS == 5


@pytest.mark.parametrize(("accuracy", "self_bias"), [(0.7, 0.0), (0.9, 0.0), (0.8, 0.2)])
def test_asymmetry_interval_covers_and_p_agrees_with_it(accuracy: float, self_bias: float) -> None:
    covered, rejected = 0, 0
    runs = 150
    for seed in range(runs):
        frame = simulate(120, accuracy, self_bias, own_share=0.3, seed=seed)
        res = self_preference(frame, judge_col="judge", gold_col="gold", item_col="item")
        covered += res["ci_low"] <= self_bias <= res["ci_high"]
        excludes = res["ci_low"] > 0 or res["ci_high"] < 0
        assert excludes == (res["p_value"] < 0.05)
        rejected += res["p_value"] < 0.05
    assert covered / runs >= 0.9
    if self_bias == 0.0:
        assert rejected / runs <= 0.1


def dominant_item(n_small: int = 30, big: int = 400, seed: int = 0) -> pd.DataFrame:
    """Item 0 holds 400 of 520 rows: there the gold picks the other answer and the judge
    errs toward its own in 60 % of rows; the 30 small items (4 rows each) are a judge
    with 15 % symmetric errors. Whether item 0 is in a sample decides the estimate."""
    rng = np.random.default_rng(seed)
    k = int(0.6 * big)
    rows = [(0, 1.0, 0.0)] * k + [(0, 0.0, 0.0)] * (big - k)
    for i in range(1, n_small + 1):
        for _ in range(4):
            g = float(rng.uniform() < 0.5)
            rows.append((i, 1.0 - g if rng.uniform() < 0.15 else g, g))
    return pd.DataFrame(rows, columns=["item", "judge", "gold"])


def old_asymmetry_p(df: pd.DataFrame) -> float:
    """The previous method, kept here to show what it said: Newcombe's binomial interval at
    the effective sample size (counts divided by a design effect), inverted for p."""
    j, g, items = df["judge"].to_numpy(), df["gold"].to_numpy(), df["item"].to_numpy()
    other, own = 1 - g, g
    wo, wn = other.sum(), own.sum()
    p1, p2 = (other * j).sum() / wo, (own * (1 - j)).sum() / wn
    u = other * (j - p1) / wo - own * ((1 - j) - p2) / wn
    share = np.divide(other, other + own, out=np.zeros(len(j)), where=(other + own) > 0)
    v_bin = share * p1 * (1 - p1) + (1 - share) * p2 * (1 - p2)
    # the old design effect: k / (k - 1) times the clusters' squared sums over the binomial
    # variance (written out: the library's design effect has since changed)
    codes = pd.factorize(items)[0]
    k, n = codes.max() + 1, len(u)
    var_cl = k / (k - 1) * float(np.sum(np.bincount(codes, weights=u) ** 2))
    var_ind = n / (n - 1) * float(np.sum((other / wo + own / wn) ** 2 * v_bin))
    deff = min(max(1.0, var_cl / var_ind), float(np.bincount(codes).max()))
    assert newcombe_diff(p1 * wo / deff, wo / deff, p2 * wn / deff, wn / deff)[1] > 0.25
    return newcombe_diff_p(p1 * wo / deff, wo / deff, p2 * wn / deff, wn / deff)


def test_one_dominant_item_widens_the_asymmetry_interval_as_a_bootstrap_over_items_does() -> None:
    df = dominant_item()
    # the old method: p = 6e-6, interval [0.28, 0.54] (measured)
    assert old_asymmetry_p(df) < 1e-5
    res = self_preference(df, judge_col="judge", gold_col="gold", item_col="item")
    assert res["effect"] == pytest.approx(0.453, abs=0.001)
    # an independent bootstrap over items (another seed, resampling the rows themselves)
    rng = np.random.default_rng(11)
    groups = [g for _, g in df.groupby("item")]
    reps = []
    for _ in range(1000):
        pick = pd.concat([groups[i] for i in rng.integers(0, len(groups), len(groups))])
        reps.append(
            self_preference(pick, judge_col="judge", gold_col="gold", min_items=10**9)["effect"]
        )
    lo, hi = np.nanquantile(reps, [0.025, 0.975])  # measured: about [0.01, 0.53]
    assert res["ci_low"] == pytest.approx(lo, abs=0.04)
    assert res["ci_high"] == pytest.approx(hi, abs=0.04)
    assert res["p_value"] > 0.01  # measured 0.054, where the old method said 6e-6


# -- the controlled figure (headline) ---------------------------------------------------------


def controlled(
    n_pairs: int,
    self_bias: float,
    seed: int,
    own_noise: float = 0.1,
    other_noise: float = 0.1,
    paraphrase_penalty: float = 0.0,
) -> pd.DataFrame:
    """Units (pair, X, order) of the controlled design for a judge whose verdict on the
    *content* is fixed per comparison but whose answer to each prompt is re-drawn with
    probability ``noise`` (a coin), different for comparisons of the own answer and of
    another's: prompt-to-prompt noise that depends on the kind of comparison. A
    paraphrase loses with probability ``paraphrase_penalty`` whatever whose it is; the
    own wording then wins the own answer's lost comparisons with probability ``self_bias``.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for pair in range(n_pairs):
        own_q = rng.uniform()  # how good the own answer is for this pair
        for x in ("a", "b"):
            own_content = float(rng.uniform() < own_q)
            other_content = float(rng.uniform() < 0.5)
            for order in ("ab", "ba"):

                def verdict(content: float, noise: float, paraphrased: bool) -> float:
                    v = float(rng.uniform() < 0.5) if rng.uniform() < noise else content
                    if paraphrased and rng.uniform() < paraphrase_penalty:
                        v = 0.0
                    return v

                p = verdict(own_content, own_noise, True)
                m = verdict(own_content, own_noise, False)
                if p == 0.0 and rng.uniform() < self_bias:
                    m = 1.0
                rows.append(
                    {
                        "pair_id": pair,
                        "variant": f"vs-{x}",
                        "order": order,
                        "own": m,
                        "own_para": p,
                        "other": verdict(other_content, other_noise, False),
                        "other_para": verdict(other_content, other_noise, True),
                    }
                )
    return pd.DataFrame(rows)


def conditional_flip_difference(u: pd.DataFrame) -> float:
    """A naive alternative, for comparison: P(own wins | paraphrase lost) minus the same
    for the other answer, each on its own at-risk units (not the same units)."""
    own = u[u["own_para"] == 0]["own"].mean()
    other = u[u["other_para"] == 0]["other"].mean()
    return float(own - other)


def test_controlled_figure_holds_when_noise_differs_between_own_and_others() -> None:
    """Own comparisons are much noisier (0.4) than the placebo's (0.05), and paraphrase
    costs every answer 10 %: the controlled figure stays at 0, a conditional flip rate on
    each side's own at-risk units does not (measured: about +0.22)."""
    u = controlled(300, 0.0, seed=2, own_noise=0.4, other_noise=0.05, paraphrase_penalty=0.1)
    res = controlled_self_preference(u)
    assert res["ci_low"] <= 0.0 <= res["ci_high"] and res["p_value"] > 0.05
    assert conditional_flip_difference(u) > 0.15


@pytest.mark.parametrize(
    ("self_bias", "own_noise", "other_noise", "penalty"),
    [(0.0, 0.1, 0.1, 0.0), (0.0, 0.4, 0.05, 0.1), (0.2, 0.1, 0.1, 0.0), (0.2, 0.0, 0.0, 0.0)],
)
def test_controlled_interval_covers_the_planted_value_and_p_agrees(
    self_bias: float, own_noise: float, other_noise: float, penalty: float
) -> None:
    covered = rejected = 0
    runs = 100
    for seed in range(runs):
        u = controlled(80, self_bias, seed, own_noise, other_noise, penalty)
        res = controlled_self_preference(u)
        covered += res["ci_low"] <= self_bias <= res["ci_high"]
        excludes = res["ci_low"] > 0 or res["ci_high"] < 0
        assert excludes == (res["p_value"] < 0.05)
        rejected += res["p_value"] < 0.05
    assert covered / runs >= 0.9
    if self_bias == 0.0:
        assert rejected / runs <= 0.1


def test_controlled_edges() -> None:
    # a judge none of whose verdicts moved: effect 0 with an interval of one moved unit
    still = pd.DataFrame(
        {
            "pair_id": np.repeat(np.arange(20), 4),
            "own": [0.0, 1.0] * 40,
            "own_para": [0.0, 1.0] * 40,
            "other": [1.0, 0.0] * 40,
            "other_para": [1.0, 0.0] * 40,
        }
    )
    res = controlled_self_preference(still)
    assert res["effect"] == 0.0 and res["p_value"] == 1.0
    assert res["ci_low"] < -0.02 and res["ci_high"] > 0.02
    # unreadable verdicts leave the unit out and are counted
    holed = still.astype({"own": float}).copy()
    holed.loc[:3, "own"] = math.nan
    assert controlled_self_preference(holed)["n_invalid"] == 4
    # no room: the paraphrased own answer always won
    won = still.assign(own_para=1.0)
    assert math.isnan(controlled_self_preference(won)["effect"])
    few = still[still["pair_id"] < 3]
    assert math.isnan(controlled_self_preference(few)["ci_low"])
    with pytest.raises(UsageError, match="own_para"):
        controlled_self_preference(still.drop(columns="own_para"))


# -- the pointwise (graded) figure ---------------------------------------------------------------


def graded_records(n_pairs: int, self_points: float, seed: int) -> pd.DataFrame:
    """Records of a pointwise self probe for a judge whose grades are a compressed copy of
    the gold's (judge = 5 + 0.5 (gold - 5), rounded, +-1 noise per prompt). The gold
    grades the own answers 8 and the pair's answers 4 on average; the own answer's own
    wording adds a point with probability ``self_points``."""
    rng = np.random.default_rng(seed)
    rows = []

    def judge(gold: float) -> float:
        return float(round(5 + 0.5 * (gold - 5)) + rng.integers(-1, 2))

    for pair in range(n_pairs):
        g_own = float(rng.integers(7, 10))
        own = judge(g_own)
        rows += [
            (pair, "self", "own", "a", own + float(rng.uniform() < self_points)),
            (pair, "self", "own-paraphrased", "a", judge(g_own)),
            (pair, "self", "gold-own", "a", g_own),
        ]
        for target in ("a", "b"):
            g = float(rng.integers(3, 6))
            rows += [
                (pair, "control", "control", target, judge(g)),
                (pair, "self", "other-paraphrased", target, judge(g)),
                (pair, "self", "gold-other", target, g),
            ]
    return pd.DataFrame(rows, columns=["pair_id", "probe", "kind", "target", "score"])


def test_graded_self_preference_is_not_fooled_by_a_compressed_scale() -> None:
    from judgebias.stats.selfpref_single import single_self

    res = single_self(graded_records(150, 0.0, seed=1))
    # the former headline: (b - 1)(gold_own - gold_other) = -0.5 * 4 = -2 points (measured -2.0)
    assert res["gold_difference_ci_high"] < -1.5 and res["gold_difference_p_value"] < 0.01
    assert res["ci_low"] <= 0.0 <= res["ci_high"] and res["p_value"] > 0.05
    planted = single_self(graded_records(150, 0.5, seed=2))
    assert planted["ci_low"] <= 0.5 <= planted["ci_high"] and planted["ci_low"] > 0.2
