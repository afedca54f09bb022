"""Intervals over clusters for estimators built from per-cluster sums: the cluster bootstrap.

An estimator such as a ratio of sums (``sum num / sum den``) or a difference of two
such ratios is a function of its clusters' sums (a cluster: an item, a pair, the
``--cluster`` column). Resampling whole clusters with replacement and recomputing it
gives its sampling distribution from the clusters' own spread, with no binomial
model and no design effect: one cluster that holds most of the rows weighs in the
interval as much as it weighs in the estimate (the interval then shows what happens
with and without it). The linearised (sandwich) variance fails there, because the
dominant cluster pulls the estimate toward itself and its residual looks small.

- Interval: the percentile interval of the ``n_boot`` replicates (seeded, so a run
  is reproducible), lower end the ``alpha / 2`` quantile of the replicates and upper
  end minus that of their negatives (both by the inverted empirical distribution).
- p-value: the same replicates inverted, ``2 * min(share <= null, share >= null)``,
  so ``p < alpha`` exactly when the interval excludes the null; never below
  ``1 / n_boot``, the bootstrap's resolution (no replicate crossing the null is not
  ``p = 0``).
- Replicates whose denominator is 0 are dropped (``n_boot_used`` says how many are
  kept).
- No spread (every replicate equal: e.g. no verdict moved at all): the data say
  nothing about the spread and ``[estimate, estimate]`` would claim certainty, so the
  interval and p-value are those of Student's t (clusters - 1 degrees of freedom) with
  the standard error ``floor_se`` (e.g. that of one moved unit either way), and
  ``method`` says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["cluster_bootstrap", "cluster_sums"]

N_BOOT = 2000


def cluster_sums(clusters: np.ndarray, **values: np.ndarray) -> dict[str, np.ndarray]:
    """Per-cluster sums of each named array (clusters in sorted order)."""
    codes = np.unique(np.asarray(clusters), return_inverse=True)[1].ravel()
    g = int(codes.max()) + 1 if len(codes) else 0
    return {
        k: np.bincount(codes, weights=np.asarray(v, dtype=float), minlength=g)
        for k, v in values.items()
    }


def cluster_bootstrap(
    sums: dict[str, np.ndarray],
    statistic: Callable[[dict[str, np.ndarray]], np.ndarray],
    *,
    alpha: float = 0.05,
    null: float = 0.0,
    n_boot: int = N_BOOT,
    seed: int = 0,
    floor_se: float = 0.0,
) -> dict[str, float | str]:
    """Interval and p-value of ``statistic(sums)`` by resampling clusters.

    ``sums`` maps names to per-cluster sums (:func:`cluster_sums`); ``statistic`` takes
    the same names mapped to arrays of resampled totals (one per replicate) and returns
    one value per replicate (NaN where undefined). Returns ``estimate, ci_low, ci_high,
    p_value, se`` (the replicates' standard deviation), ``n_clusters, n_boot_used`` and
    ``method``.
    """
    from scipy import stats as st

    g = len(next(iter(sums.values())))
    totals = {k: np.array([float(v.sum())]) for k, v in sums.items()}
    with np.errstate(invalid="ignore", divide="ignore"):
        est = float(statistic(totals)[0])
    nan = math.nan
    out: dict[str, float | str] = {
        "estimate": est,
        "ci_low": nan,
        "ci_high": nan,
        "p_value": nan,
        "se": nan,
        "n_clusters": float(g),
        "n_boot_used": 0.0,
        "method": "cluster bootstrap",
    }
    if g < 2 or math.isnan(est):
        return out
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(g, np.full(g, 1.0 / g), size=n_boot).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        reps = np.asarray(statistic({k: weights @ v for k, v in sums.items()}), dtype=float)
    reps = reps[np.isfinite(reps)]
    out["n_boot_used"] = float(len(reps))
    if len(reps) == 0:
        return out
    if np.ptp(reps) > 1e-12 * max(1.0, abs(est)):
        lo = float(np.quantile(reps, alpha / 2, method="inverted_cdf"))
        hi = -float(np.quantile(-reps, alpha / 2, method="inverted_cdf"))
        below, above = float(np.mean(reps <= null)), float(np.mean(reps >= null))
        out.update(
            ci_low=lo,
            ci_high=hi,
            p_value=min(1.0, max(2.0 * min(below, above), 1.0 / len(reps))),
            se=float(reps.std(ddof=1)),
        )
        return out
    if floor_se > 0:
        q = float(st.t.ppf(1 - alpha / 2, g - 1))
        t = (est - null) / floor_se
        out.update(
            ci_low=est - q * floor_se,
            ci_high=est + q * floor_se,
            p_value=float(2 * st.t.sf(abs(t), g - 1)),
            se=floor_se,
            method="no spread: t with the floor standard error",
        )
    return out
