"""Self-preference without the noise confound: the judge's errors, conditional on the gold.

DBG (:mod:`judgebias.stats.dbg`) compares win rates: the judge's win rate for its
own answers minus the gold's. A judge that merely errs at random moves every win
rate toward 50 %, so when the gold seldom picks the judge's own answers DBG is
positive without any self-preference (a judge with accuracy 0.85 and no
self-preference scores about +9 pp where the gold picks its answers a fifth of the
time). The headline figure here compares the judge's *errors* in the two
directions instead::

    effect = P(judge picks own | gold picks other) - P(judge picks other | gold picks own)

A judge whose errors do not depend on whose answer is whose scores 0 however
noisy it is. A judge that errs at rate ``e`` and also moves a share ``s`` of its
verdicts to its own answer whatever the content has P(own | gold other) =
``s + (1 - s) e`` and P(other | gold own) = ``(1 - s) e``: it scores exactly ``s``,
for any error rate. This is what the simulated judge's ``self`` parameter plants, so there the
planted value and this estimate are the same quantity.

The equal-opportunity form of Wataoka et al. (2024), P(judge prefers own | gold
prefers own) - P(judge prefers other | gold prefers other), is the same number
when every comparison has two answers (both equal ``P(own | gold own) +
P(own | gold other) - 1``); it is returned as ``equal_opportunity`` for readers who
know that name.

Input: one row per judge verdict (ideally one per presentation order), with the
judge's preference for its own answer ``j`` in [0, 1] (1 own, 0 other, 0.5 tie)
and the gold preference ``g`` for the same answer, in [0, 1] (the gold's two orders
averaged: a gold that is unsure weighs the row into both conditions). With
weights ``1 - g`` (gold picks other) and ``g`` (gold picks own)::

    p_own_given_gold_other = sum (1 - g) j / sum (1 - g)
    p_other_given_gold_own = sum g (1 - j) / sum g

Interval: Newcombe's hybrid score interval for the difference of the two
conditional shares (square-and-add of two Wilson intervals), at the effective
sample size: the weights are divided by the design effect of the items (rows of
one item, e.g. the judge's own answer to one instruction judged against two
answers in two orders, are correlated; :func:`~judgebias.stats.intervals.design_effect`
of the estimate's influence against binomial rows, between 1 and the largest item).
p-value: the same interval inverted (``p < alpha`` exactly when the interval at
that alpha excludes 0). Fewer than ``min_items`` items, or no row where the gold
picks one side, give no interval and a ``note``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from .clustering import CLUSTER_COLUMN
from .intervals import design_effect, newcombe_diff, newcombe_diff_p

__all__ = ["MIN_ITEMS", "self_preference", "self_probe_stats", "self_units"]

MIN_ITEMS = 5
"""Fewest items (clusters) for which an interval and a p-value are given."""

_CREDIT = {"a": 1.0, "b": 0.0, "tie": 0.5}


def _empty(note: str, **extra: Any) -> dict[str, Any]:
    nan = math.nan
    return {
        "effect": nan,
        "ci_low": nan,
        "ci_high": nan,
        "p_value": nan,
        "equal_opportunity": nan,
        "p_own_given_gold_other": nan,
        "p_other_given_gold_own": nan,
        "n_gold_other": 0.0,
        "n_gold_own": 0.0,
        "deff": nan,
        "n": 0,
        "n_items": 0,
        "note": note,
        **extra,
    }


def self_preference(
    df: pd.DataFrame,
    *,
    judge_col: str,
    gold_col: str,
    item_col: str | None = None,
    alpha: float = 0.05,
    min_items: int = MIN_ITEMS,
) -> dict[str, Any]:
    """The noise-robust self-preference figure (see the module docstring).

    ``judge_col`` and ``gold_col`` hold preferences for the judge's own answer in
    [0, 1]; ``item_col`` clusters the rows (every row its own item by default).
    Rows with either preference missing are dropped. Returns a dict with
    ``effect, ci_low, ci_high, p_value`` (fractions), ``equal_opportunity``,
    ``p_own_given_gold_other, p_other_given_gold_own``, the weights ``n_gold_other,
    n_gold_own``, ``deff``, ``n`` (rows), ``n_items`` and ``note`` (empty, or why
    there is no estimate or no interval).
    """
    for flag, col in (("judge_col", judge_col), ("gold_col", gold_col), ("item_col", item_col)):
        if col is not None and col not in df.columns:
            raise UsageError(
                f"{flag}: column {col!r} not in the table ({', '.join(map(str, df.columns))})"
            )
    if not 0.0 < alpha < 1.0:
        raise UsageError("alpha must be in (0, 1)")
    j = pd.to_numeric(df[judge_col], errors="coerce").to_numpy(dtype=float)
    g = pd.to_numeric(df[gold_col], errors="coerce").to_numpy(dtype=float)
    for name, v in ((judge_col, j), (gold_col, g)):
        if np.any((v < 0) | (v > 1)):
            raise UsageError(f"{name}: preferences must lie in [0, 1] (1 = the judge's own answer)")
    keep = ~(np.isnan(j) | np.isnan(g))
    items = df[item_col].to_numpy() if item_col is not None else np.arange(len(df))
    j, g, items = j[keep], g[keep], items[keep]
    n = len(j)
    if n == 0:
        return _empty("no comparison has both a judge and a gold preference")
    n_items = len(pd.unique(items))
    other, own = 1.0 - g, g  # weight of "gold picks other" / "gold picks own"
    w_other, w_own = float(other.sum()), float(own.sum())
    counts = {"n": n, "n_items": n_items, "n_gold_other": w_other, "n_gold_own": w_own}
    if w_other <= 0 or w_own <= 0:
        side = "the other answer" if w_other <= 0 else "the judge's own answer"
        return {
            **_empty(f"the gold never picks {side}: the errors in that direction are unmeasured"),
            **counts,
        }
    p1 = float(np.sum(other * j) / w_other)  # P(judge picks own | gold picks other)
    p2 = float(np.sum(own * (1.0 - j)) / w_own)  # P(judge picks other | gold picks own)
    effect = p1 - p2
    eo = float(np.sum(own * j) / w_own) - float(np.sum(other * (1.0 - j)) / w_other)
    out: dict[str, Any] = {
        **_empty(""),
        **counts,
        "effect": effect,
        "equal_opportunity": eo,
        "p_own_given_gold_other": p1,
        "p_other_given_gold_own": p2,
    }
    if n_items < min_items:
        out["note"] = f"too few items ({n_items}; at least {min_items}) for an interval"
        return out
    # influence of each row on p1 - p2; binomial rows are what Wilson's interval assumes
    u = other * (j - p1) / w_other - own * ((1.0 - j) - p2) / w_own
    share_other = np.divide(other, other + own, out=np.zeros(n), where=(other + own) > 0)
    v_bin = share_other * p1 * (1 - p1) + (1 - share_other) * p2 * (1 - p2)
    unit_var = (other / w_other + own / w_own) ** 2 * v_bin
    deff = design_effect(u, items, unit_var)
    x1, m1 = p1 * w_other / deff, w_other / deff
    x2, m2 = p2 * w_own / deff, w_own / deff
    _, lo, hi = newcombe_diff(x1, m1, x2, m2, alpha)
    out.update(ci_low=lo, ci_high=hi, p_value=newcombe_diff_p(x1, m1, x2, m2), deff=deff)
    return out


def self_units(records: pd.DataFrame) -> pd.DataFrame:
    """The self probe's records as one row per judge verdict.

    Columns: ``pair_id, variant, order``, ``judge`` (the judge's credit for its own
    answer, shown as response a: 1, 0.5 tie, 0; NaN unreadable) and ``gold`` (the
    gold judge's credit averaged over its valid orders for the same comparison).
    """
    s = records[records["probe"] == "self"]
    cols = ["pair_id", "variant", "order", "judge", "gold"]
    if s.empty:
        return pd.DataFrame(columns=cols)
    s = s.assign(own=s["verdict"].map(_CREDIT))
    mine = s[s["kind"] == "self"][["pair_id", "variant", "order", "own"]]
    gold = s[s["kind"] == "self-gold"].groupby(["pair_id", "variant"])["own"].mean()
    units = mine.rename(columns={"own": "judge"}).merge(
        gold.rename("gold").reset_index(), on=["pair_id", "variant"], how="left"
    )
    return units[cols].reset_index(drop=True)


def self_probe_stats(
    records: pd.DataFrame, alpha: float = 0.05, cluster_col: str = CLUSTER_COLUMN
) -> dict[str, Any]:
    """The ``self`` probe's figures for summary.json, as fractions.

    ``effect, ci_low, ci_high, p_value, n`` are the headline error asymmetry
    (:func:`self_preference` over the judge's verdicts, clustered by the records'
    ``cluster_col``, by pair when they have none; ``n`` the
    comparisons of an own answer with another that both judges read); ``dbg,
    dbg_ci_low, dbg_ci_high, dbg_p_value`` keep DBG (the judge's two orders and the
    gold's averaged per comparison, bootstrap over pairs, sign-flip test), with
    ``judge_win_rate`` and ``gold_win_rate``.
    """
    from .dbg import dbg

    units = self_units(records)
    both = units.dropna(subset=["judge", "gold"])
    if cluster_col in records.columns:
        keys = records.groupby("pair_id")[cluster_col].first()
        both = both.assign(**{cluster_col: both["pair_id"].map(keys)})
    else:
        both = both.assign(**{cluster_col: both["pair_id"]})
    head = self_preference(
        both, judge_col="judge", gold_col="gold", item_col=cluster_col, alpha=alpha
    )
    per_cmp = both.groupby([cluster_col, "pair_id", "variant"], as_index=False)[
        ["judge", "gold"]
    ].mean()
    nan = math.nan
    out = {
        **head,
        "n": len(per_cmp),
        "n_verdicts": head["n"],
        "dbg": nan,
        "dbg_ci_low": nan,
        "dbg_ci_high": nan,
        "dbg_p_value": nan,
        "judge_win_rate": nan,
        "gold_win_rate": nan,
    }
    if len(per_cmp):
        res = dbg(per_cmp, judge_col="judge", gold_col="gold", item_col=cluster_col, alpha=alpha)
        r = res.iloc[0]
        out.update(
            dbg=r["dbg"] / 100.0,
            dbg_ci_low=r["ci_low"] / 100.0,
            dbg_ci_high=r["ci_high"] / 100.0,
            dbg_p_value=float(r["p_value"]),
            judge_win_rate=r["judge_win_rate"] / 100.0,
            gold_win_rate=r["gold_win_rate"] / 100.0,
        )
        if r.get("note"):
            out["dbg_note"] = str(r["note"])
    return out
