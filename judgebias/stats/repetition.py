"""Two figures of Shi et al., "Judging the Judges" (arXiv:2406.07791), on recorded verdicts.

Both work on the one-row-per-pair frame of :func:`judgebias.tables.verdicts.prepare`
(``jb_first``/``jb_second`` hold ``a``/``b``/``tie`` or ``None`` for an unreadable or
missing verdict).

**Repetition stability** (:func:`repetition_stability`): the same request sent R
times. A *call* is one order of one pair; its R answers are the rows of that pair (one
per value of the repetition column). Its stability is the share of the R answers equal
to the most frequent readable answer; an unreadable answer counts in R but is never
the mode, so a call whose answers are all unreadable scores 0 (the authors' code
leaves such a call out of the mean; their data has none). The figure is the mean over
calls. A tie is an answer like any other.

Its 95 % interval is Wilson's on the calls at their effective number, as the other shares'
are: the two orders of a pair (and the pairs of one cluster, e.g. an instruction) are
correlated, so the number of calls is divided by the design effect of the calls' shares
(:func:`judgebias.stats.intervals.design_effect`: the cluster-robust variance of the mean
share against the binomial one, at least 1), and the interval takes Student's t on the
effective number of clusters less one (:func:`judgebias.stats.intervals.cluster_df`). A
share lies in [1/R, 1] and so varies less than a 0/1 outcome of the same mean: against
that binomial variance the interval errs wide, never narrow. When every call is equally
stable (e.g. all at 1) nothing measures the correlation and the clusters count as
perfectly correlated (one call per cluster), so a judge that is stable on few pairs never
reads ``[1, 1]``.

**Means over units** (:func:`unit_means`): the authors report position figures per
unit (their unit: judge, candidate model, task) and then average the units. Per unit,
position consistency is the consistent share of the pairs read in both orders (a unit
with none is left out), and the positional preference score (their preference
fairness) is ``(recency-preferred pairs - primacy-preferred pairs) / all of the unit's
pairs`` (unread pairs included in the denominator). Positive means the second-shown
answer is favoured, as ``preference_fairness`` (``recency - primacy``) does. The
standard deviations over units are the population ones (``ddof=0``), as the authors'.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from judgebias.stats.intervals import cluster_df, design_effect, t_alpha, wilson
from judgebias.stats.position import classify_orders
from judgebias.tables.verdicts import FIRST, SECOND, key_series

__all__ = ["repetition_stability", "unit_means"]


def repetition_stability(
    frame: pd.DataFrame, *, pair: Sequence[str], cluster: str | None = None, alpha: float = 0.05
) -> dict[str, Any]:
    """Repetition stability of one group's rows: one row per pair and repetition (the
    rows sharing the ``pair`` columns are that pair's repetitions).

    Pairs asked once say nothing about stability and are left out (counted in
    ``n_repeat_single``). Returns ``repetition_stability`` (NaN when no pair is asked
    twice) with its interval ``repetition_stability_ci_low``/``_ci_high`` (see the module
    docstring; clustered by the pair, or by the column ``cluster`` when given, a pair
    without a value its own cluster), ``n_repeat_calls`` (the pairs asked at least twice
    x 2 orders), ``n_repeat_pairs``, ``repetitions`` (the largest number of repetitions of
    a pair) and ``n_repeat_unread`` (unreadable or missing answers among those calls).
    """
    ids = key_series(frame, list(pair)).to_numpy()
    codes, _ = pd.factorize(pd.Series(ids), sort=False)
    n_pairs = int(codes.max()) + 1 if len(codes) else 0
    r = np.bincount(codes, minlength=n_pairs).astype(float)
    repeated = r >= 2
    groups = np.arange(n_pairs).astype(str).astype(object)
    if cluster is not None and cluster in frame.columns:
        first = pd.Series(frame[cluster].to_numpy(), index=codes).groupby(level=0).first()
        known = first.notna().to_numpy()
        groups[first.index.to_numpy()[known]] = "c" + first[known].astype(str).to_numpy()
    shares: list[np.ndarray] = []
    unread = 0
    for col in (FIRST, SECOND):
        verdicts = frame[col].to_numpy(dtype=object)
        readable = pd.notna(verdicts)
        unread += int((~readable & repeated[codes]).sum())
        counts = (
            pd.DataFrame({"pair": codes[readable], "verdict": verdicts[readable]})
            .value_counts()
            .groupby(level="pair")
            .max()
        )
        mode = np.zeros(n_pairs)
        mode[counts.index.to_numpy(dtype=int)] = counts.to_numpy(dtype=float)
        shares.append((mode / np.maximum(r, 1.0))[repeated])
    per_call = np.concatenate(shares)
    lo, hi = _share_interval(per_call, np.concatenate([groups[repeated]] * 2), alpha)
    return {
        "repetition_stability": float(per_call.mean()) if per_call.size else math.nan,
        "repetition_stability_ci_low": lo,
        "repetition_stability_ci_high": hi,
        "n_repeat_calls": int(per_call.size),
        "n_repeat_pairs": int(repeated.sum()),
        "n_repeat_single": int((~repeated).sum()),
        "repetitions": int(r.max()) if n_pairs else 0,
        "n_repeat_unread": unread,
    }


def _share_interval(shares: np.ndarray, clusters: np.ndarray, alpha: float) -> tuple[float, float]:
    """Wilson's interval for the mean of ``shares`` (each in [0, 1]) at the effective
    number of units, with t on the clusters' degrees of freedom (NaN without a unit)."""
    n = len(shares)
    if n == 0:
        return math.nan, math.nan
    mean = float(shares.mean())
    binomial = np.full(n, mean * (1.0 - mean))
    deff = design_effect(shares - mean, clusters, unit_variance=binomial)
    return wilson(mean * n / deff, n / deff, t_alpha(alpha, cluster_df(clusters)))


def unit_means(frame: pd.DataFrame, *, units: Sequence[str]) -> dict[str, Any]:
    """Position consistency and preference fairness per unit, averaged over the units.

    Returns ``position_consistency_units_mean``, ``preference_fairness_units_mean``,
    their ``*_std`` over units (``ddof=0``) and ``n_units`` (units with a pair;
    ``position_consistency`` leaves out a unit none of whose pairs was read in both
    orders).
    """
    cls = classify_orders(frame[FIRST], frame[SECOND])
    per = pd.DataFrame(
        {
            "unit": key_series(frame, list(units)).to_numpy(),
            "read": cls.notna().to_numpy(),
            "consistent": (cls == "consistent").to_numpy(),
            "lean": (cls == "recency").to_numpy(dtype=float) - (cls == "primacy").to_numpy(),
        }
    )
    by = per.groupby("unit", sort=False)
    n_read = by["read"].sum()
    pc = (by["consistent"].sum() / n_read.where(n_read > 0)).dropna()
    pf = by["lean"].sum() / by.size()

    def mean_std(x: pd.Series) -> tuple[float, float]:
        v = x.to_numpy(dtype=float)
        return (float(v.mean()), float(v.std())) if v.size else (math.nan, math.nan)

    pc_mean, pc_std = mean_std(pc)
    pf_mean, pf_std = mean_std(pf)
    return {
        "position_consistency_units_mean": pc_mean,
        "position_consistency_units_std": pc_std,
        "preference_fairness_units_mean": pf_mean,
        "preference_fairness_units_std": pf_std,
        "n_units": int(by.ngroups),
        "n_units_read": int(pc.size),
    }
