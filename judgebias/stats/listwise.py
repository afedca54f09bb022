"""Listwise position bias: the share of wins by shown position (``--candidates 3|4``).

Input: one row per judge call with ``pair_id`` (the item), ``variant`` (the row of
the Latin square), ``shown`` (the shown position of the chosen response, 1..k, or
missing when the verdict could not be read), ``verdict`` (the candidate chosen) and
``gold`` (the best candidate's letter, when known).

- ``shares``: for each shown position j, the share of valid verdicts that chose the
  response shown there, with a 95 % interval clustered by item (:func:`ratio_ci`:
  BCa bootstrap over items); ``expected_share`` = 1/k.
- ``chi2``, ``chi2_p``: Pearson's goodness-of-fit test of the wins per position
  against the uniform share. In a balanced Latin square a judge that ignores the
  position wins equally often everywhere; the orders of one item are not
  independent draws, and for a judge consistent across orders the counts are more
  even than multinomial, so the test is conservative there.
- ``effect`` = share of the first position − share of the last (the pairwise
  primacy − recency, signed the same way: + favours the first-shown response), with
  the same clustered interval and a cluster-robust t-test; ``primacy`` and ``recency`` are those
  two shares.
- ``consistency``: the share of items whose verdicts, valid in every order, chose the
  same response every time (CALM's consistency across rotations), Wilson interval;
  ``robustness_rate`` is the same figure.
- ``accuracy``: the share of valid verdicts choosing the gold response, clustered
  interval, when gold letters are given.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as st

from .intervals import wilson

__all__ = ["listwise_position_stats", "ratio_ci"]


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


def listwise_position_stats(records: pd.DataFrame, k: int) -> dict[str, Any]:
    """Figures of the listwise position probe (see the module docstring)."""
    valid = records[records["shown"].notna()]
    n_invalid = int(len(records) - len(valid))
    counts = (
        pd.crosstab(valid["pair_id"], valid["shown"].astype(int))
        .reindex(columns=range(1, k + 1), fill_value=0)
        .astype(float)
    )
    n_i = counts.sum(axis=1).to_numpy()
    shares = []
    for j in range(1, k + 1):
        est, lo, hi, _ = ratio_ci(counts[j].to_numpy(), n_i, null=1 / k)
        shares.append({"position": j, "share": est, "ci_low": lo, "ci_high": hi})
    eff, lo, hi, p = ratio_ci((counts[1] - counts[k]).to_numpy(), n_i)
    totals = counts.sum(axis=0).to_numpy()
    if totals.sum() > 0:
        chi = st.chisquare(totals)
        chi2, chi2_p = float(chi.statistic), float(chi.pvalue)
    else:
        chi2 = chi2_p = math.nan
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
        hit = (gold["verdict"] == gold["gold"]).groupby(gold["pair_id"]).agg(["sum", "count"])
        a, a_lo, a_hi, _ = ratio_ci(hit["sum"].to_numpy(), hit["count"].to_numpy())
        acc = (a, a_lo, a_hi)
    return {
        "effect": eff,
        "ci_low": lo,
        "ci_high": hi,
        "p_value": p,
        "n": len(counts),
        "n_verdicts": len(valid),
        "n_invalid": n_invalid,
        "candidates": k,
        "expected_share": 1 / k,
        "shares": shares,
        "primacy": shares[0]["share"],
        "recency": shares[-1]["share"],
        "chi2": chi2,
        "chi2_df": k - 1,
        "chi2_p": chi2_p,
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
