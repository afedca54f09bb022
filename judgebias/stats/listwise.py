"""Listwise position bias: the share of wins by shown position (``--candidates 3|4``).

Input: one row per judge call with ``pair_id`` (the item), ``variant`` (the row of
the design, ``r0``, ``r1``, ...), ``order`` (the candidates' letters in the order
shown), ``shown`` (the shown position of the chosen response, 1..k, or missing when
the verdict could not be read), ``verdict`` (the candidate chosen) and ``gold`` (the
best candidate's letter, when known).

The design's rows come in Latin squares of ``k`` orders (Williams' design: one square
for even ``k``, a square and its reverse for odd ``k``): within a square every
candidate is shown once in every position. So whatever an item's best candidate, a
judge that ignores the position gives that item a share of 1/k at every position
*over a square whose every order was read*, and over nothing less: a square with one
unreadable order has lost one placement of each candidate, and when whether an answer
can be read depends on the order (unreadable more often when the best candidate is
shown last, say), the readable verdicts of all items pooled have shares away from 1/k
for a judge without any position bias. Hence:

- **Complete rotations.** An item counts with the squares whose every order has a
  readable verdict (its *complete rotations*); an item with none is left out of the
  shares, the effect and the test, and counted in ``n_invalid`` (``invalid_share`` =
  ``n_invalid`` over the items planned; ``n_unreadable`` counts the unreadable
  verdicts). ``n`` is the items kept, ``n_verdicts`` the verdicts they contribute.
  This removes the bias of answers whose readability depends on the item and the
  order; an answer unreadable *because of* the choice it would have made (garbled
  whenever the judge would pick the last response) cannot be told from avoiding it.
- ``shares``: for each shown position j, the kept items' wins at j over their
  verdicts, both over complete rotations (so for k = 3 an item with both squares read
  weighs twice one with one), with a 95 % interval clustered by item
  (:func:`ratio_ci`: BCa bootstrap over items); ``expected_share`` = 1/k.
- ``chi2``, ``chi2_p``: the test that every share is 1/k, clustered by item: Pearson's
  statistic of the shares with Rao & Scott's second-order correction, whose design
  effects come from the cluster-robust covariance of the shares (items as
  clusters), referred to an F distribution with ``chi2_df`` and
  ``chi2_df_denominator`` degrees of freedom (:func:`uniform_shares_test`; ``chi2``
  is Pearson's statistic over the mean design effect ``design_effect``, ``chi2_f``
  its F form, ``chi2_test`` names the test). The verdicts of one item are not
  independent (an item may have its own favourite position, or a best candidate
  chosen in every order), so Pearson's chi-square on the pooled wins is not used:
  with items that each favour their own position, uniform overall, it rejects far
  more often than its level, and with a judge consistent across orders far less.
- ``effect`` = share of the first position − share of the last (the pairwise
  primacy − recency, signed the same way: + favours the first-shown response), over
  the same complete rotations, with the same clustered interval and a cluster-robust
  t-test (ratio-estimator variance, G − 1 degrees of freedom); ``primacy`` and
  ``recency`` are those two shares.
- ``consistency``: the share of items whose verdicts, valid in every order, chose the
  same response every time (CALM's consistency across rotations), Wilson interval;
  ``robustness_rate`` is the same figure.
- ``accuracy``: the share of valid verdicts choosing the gold response, clustered
  interval, when gold letters are given.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as st

from judgebias.stats.clustering import CLUSTER_COLUMN
from judgebias.stats.intervals import wilson

__all__ = [
    "POSITION_TEST",
    "complete_rotation_wins",
    "listwise_position_stats",
    "ratio_ci",
    "rotation_blocks",
    "uniform_shares_test",
]

POSITION_TEST = "Rao-Scott second-order F, items as clusters"
"""What ``chi2_p`` of a listwise run tests (``chi2_test``)."""


def _ratio(num: np.ndarray, den: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.asarray(num.sum(axis=axis) / den.sum(axis=axis))


def ratio_ci(
    num: np.ndarray, den: np.ndarray, null: float = 0.0, alpha: float = 0.05, n_boot: int = 2000
) -> tuple[float, float, float, float]:
    """sum(num) / sum(den) over clusters (est, lo, hi, p).

    The interval is the BCa bootstrap over clusters (seeded; it follows the skew of
    rare events, where a t interval under-covers); the p-value is the cluster-robust
    t-test against ``null`` (ratio-estimator variance, clusters - 1 degrees of
    freedom). NaN when there is nothing to estimate.
    """
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    m, total = len(num), float(den.sum())
    if m == 0 or total <= 0:
        return math.nan, math.nan, math.nan, math.nan
    est = float(num.sum()) / total
    if m < 2:
        return est, math.nan, math.nan, math.nan
    resid = num - est * den
    se = math.sqrt(m / (m - 1) * float(np.sum(resid**2)) / total**2)
    if se == 0 or np.ptp(num / np.where(den > 0, den, 1)) == 0:
        return est, est, est, (1.0 if est == null else 0.0)
    p = float(2 * st.t.sf(abs(est - null) / se, m - 1))
    res = st.bootstrap(
        (num, den),
        _ratio,
        paired=True,
        vectorized=True,
        n_resamples=n_boot,
        confidence_level=1 - alpha,
        method="BCa",
        random_state=np.random.default_rng(0),
    )
    lo, hi = (float(x) for x in res.confidence_interval)
    if not (math.isfinite(lo) and math.isfinite(hi)):  # BCa undefined: percentile instead
        boot = res.bootstrap_distribution
        lo, hi = (float(x) for x in np.quantile(boot, [alpha / 2, 1 - alpha / 2]))
    return est, lo, hi, p


def _row_number(variant: str) -> tuple[int, str]:
    m = re.search(r"(\d+)$", variant)
    return (int(m.group(1)) if m else -1, variant)


def rotation_blocks(records: pd.DataFrame, k: int) -> dict[str, int]:
    """The design's rows (``variant``) grouped into Latin squares: variant -> block.

    The rows, in order, are cut into blocks of ``k`` when every block shows each
    candidate once in each position (the ``order`` column says which); otherwise (no
    ``order`` column, or another design) all rows are one block.
    """
    rows = sorted({str(v) for v in records["variant"]}, key=_row_number)
    if "order" in records.columns and rows and len(rows) % k == 0:
        first = records.drop_duplicates("variant")
        order = dict(zip(first["variant"].astype(str), first["order"].astype(str), strict=True))
        chunks = [rows[i : i + k] for i in range(0, len(rows), k)]
        latin = all(len(order[v]) == k for v in rows) and all(
            len({order[v][pos] for v in chunk}) == k for chunk in chunks for pos in range(k)
        )
        if latin:
            return {v: b for b, chunk in enumerate(chunks) for v in chunk}
    return dict.fromkeys(rows, 0)


def complete_rotation_wins(records: pd.DataFrame, k: int) -> pd.DataFrame:
    """Each item's wins per shown position (columns 1..k) over its complete rotations: the
    Latin squares of :func:`rotation_blocks` whose every order has a readable verdict.
    Items with no complete rotation are not in the table."""
    blocks = rotation_blocks(records, k)
    size = pd.Series(blocks).value_counts()  # orders per block
    valid = records[records["shown"].notna()]
    r = pd.DataFrame(
        {
            "item": valid["pair_id"].astype(str).to_numpy(),
            "variant": valid["variant"].astype(str).to_numpy(),
            "shown": valid["shown"].astype(int).to_numpy(),
        }
    )
    r["block"] = r["variant"].map(blocks)
    read = r.groupby(["item", "block"])["variant"].transform("nunique")
    kept = r[read.to_numpy() == r["block"].map(size).to_numpy()]
    kept = kept.drop_duplicates(["item", "variant"])
    wins = kept.groupby(["item", "shown"]).size().unstack(fill_value=0)
    return (
        wins.reindex(columns=range(1, k + 1), fill_value=0)
        .astype(float)
        .rename_axis(index="pair_id", columns="shown")
    )


def uniform_shares_test(wins: np.ndarray, k: int) -> dict[str, Any]:
    """Do the shares of wins by position differ from 1/k? ``wins``: one row per item
    (cluster), its wins at each of the k positions (over its complete rotations).

    Rao & Scott's second-order correction of Pearson's statistic, in the F form of
    Thomas & Rao (1987) (R ``survey::svychisq(statistic = "F")``): with ``d`` the
    shares (wins over verdicts, all items) minus 1/k and ``P`` the multinomial
    covariance of one verdict under the null (first k − 1 positions), ``V`` the
    cluster-robust covariance of the shares (the ratio estimator's sandwich over items,
    with the G / (G − 1) correction) and ``D = n P⁻¹ V`` the design effects (n
    verdicts), the statistic ``F = d' P⁻¹ d / tr(P⁻¹ V)`` is referred to F(ν, ν (G − 1)),
    ν = tr(D)² / tr(D²), G items. It needs only the traces of the design effects, not
    an inverse of ``V``, so it keeps its level with few items and with items whose
    shares hardly vary in some direction: with 10 to 30 items that each favour their
    own position half the time, a Wald test on the inverse of ``V`` (Hotelling's T²)
    rejected 7-10 % of the time at the 5 % level, this test 2-5 %.

    Returns ``chi2`` = (k − 1) F (Pearson's statistic over the mean design effect),
    ``chi2_f``, ``chi2_df`` = ν, ``chi2_df_denominator``, ``chi2_p`` and
    ``design_effect`` (the mean design effect: the variance of the shares over that of
    as many independent verdicts). All items alike: p = 1 when their shares are 1/k,
    else 0. NaN with fewer than 2 items.
    """
    c = np.asarray(wins, dtype=float)
    keys = ("chi2", "chi2_f", "chi2_df", "chi2_df_denominator", "chi2_p", "design_effect")
    out: dict[str, Any] = dict.fromkeys(keys, math.nan)
    g, n = len(c), float(c.sum())
    if g < 2 or k < 2 or n <= 0:
        return out
    share = c.sum(axis=0) / n
    resid = (c - np.outer(c.sum(axis=1), share))[:, : k - 1]
    cov = g / (g - 1) * resid.T @ resid / n**2  # cluster-robust covariance of the shares
    d = share[: k - 1] - 1.0 / k
    inv = np.linalg.inv(np.eye(k - 1) / k - 1.0 / k**2)  # one verdict's covariance, inverted
    deff = inv @ cov
    tr, tr2 = float(np.trace(deff)), float(np.trace(deff @ deff))
    pearson = float(d @ inv @ d)  # Pearson's statistic over the verdicts, per verdict
    if tr * n <= 1e-9:  # no design effect at all: every item has the same shares
        stat = 0.0 if pearson * n <= 1e-9 else math.inf  # 1/k, or certainly not
        return {**out, "chi2": stat, "chi2_f": stat, "chi2_p": 1.0 if stat == 0 else 0.0}
    f = pearson / tr
    nu = tr**2 / tr2
    return {
        "chi2": f * (k - 1),
        "chi2_f": f,
        "chi2_df": nu,
        "chi2_df_denominator": nu * (g - 1),
        "chi2_p": float(st.f.sf(f, nu, nu * (g - 1))),
        "design_effect": tr * n / (k - 1),
    }


def listwise_position_stats(records: pd.DataFrame, k: int) -> dict[str, Any]:
    """Figures of the listwise position probe (see the module docstring)."""
    valid = records[records["shown"].notna()]
    n_items = int(records["pair_id"].astype(str).nunique())
    wins = complete_rotation_wins(records, k)
    n_lists = len(wins)
    if CLUSTER_COLUMN in records.columns and len(wins):
        # the items of one cluster (the lists of one instruction) are summed into one unit
        of_item = records.groupby(records["pair_id"].astype(str))[CLUSTER_COLUMN].first()
        keys = of_item.reindex(wins.index.astype(str))
        wins = wins.groupby(keys.fillna(pd.Series(wins.index, index=wins.index)).to_numpy()).sum()
    n_i = wins.sum(axis=1).to_numpy()
    shares = []
    for j in range(1, k + 1):
        est, lo, hi, _ = ratio_ci(wins[j].to_numpy(), n_i, null=1 / k)
        shares.append({"position": j, "share": est, "ci_low": lo, "ci_high": hi})
    eff, lo, hi, p = ratio_ci((wins[1] - wins[k]).to_numpy(), n_i)
    test = uniform_shares_test(wins.to_numpy(), k)
    n_orders = records.groupby("pair_id")["variant"].nunique()
    n_valid = valid.groupby("pair_id")["variant"].nunique()
    complete_ids = n_valid[n_valid == n_orders.reindex(n_valid.index)].index  # every order valid
    complete = valid[valid["pair_id"].isin(complete_ids)]
    same = complete.groupby("pair_id")["verdict"].nunique() == 1
    n_complete = len(same)
    cons = float(same.mean()) if n_complete else math.nan
    c_lo, c_hi = wilson(float(same.sum()), n_complete) if n_complete else (math.nan, math.nan)
    gold = valid[valid["gold"].notna()]
    acc = (math.nan, math.nan, math.nan)
    if len(gold):
        unit = gold[CLUSTER_COLUMN] if CLUSTER_COLUMN in gold.columns else gold["pair_id"]
        hit = (gold["verdict"] == gold["gold"]).groupby(unit).agg(["sum", "count"])
        a, a_lo, a_hi, _ = ratio_ci(hit["sum"].to_numpy(), hit["count"].to_numpy())
        acc = (a, a_lo, a_hi)
    return {
        "effect": eff,
        "ci_low": lo,
        "ci_high": hi,
        "p_value": p,
        "n": n_lists,
        "n_clusters": len(wins),
        "n_verdicts": int(n_i.sum()),
        "n_invalid": n_items - n_lists,
        "n_unreadable": int(len(records) - len(valid)),
        "candidates": k,
        "expected_share": 1 / k,
        "shares": shares,
        "primacy": shares[0]["share"],
        "recency": shares[-1]["share"],
        **test,
        "chi2_test": POSITION_TEST,
        "consistency": cons,
        "consistency_ci_low": c_lo,
        "consistency_ci_high": c_hi,
        "n_consistent": int(same.sum()),
        "n_complete": n_complete,
        "robustness_rate": cons,
        "accuracy": acc[0],
        "accuracy_ci_low": acc[1],
        "accuracy_ci_high": acc[2],
    }
