"""Interval and test helpers shared by the statistics modules.

Thin, documented wrappers over statsmodels and scipy; the one formula written
out here is Newcombe's hybrid score interval for a difference of paired
proportions (Newcombe 1998, method 10), which statsmodels does not provide.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["bh_adjust", "bootstrap_mean_ci", "mcnemar_p", "newcombe_paired_diff", "wilson"]


def wilson(successes: float, n: float, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for a proportion (statsmodels)."""
    from statsmodels.stats.proportion import proportion_confint

    if n <= 0:
        return (math.nan, math.nan)
    lo, hi = proportion_confint(successes, n, alpha=alpha, method="wilson")
    return float(lo), float(hi)


def newcombe_paired_diff(
    a: float, b: float, c: float, d: float, alpha: float = 0.05
) -> tuple[float, float, float]:
    """Difference of paired proportions (b - c) / n with Newcombe's method-10 interval.

    The 2x2 table counts pairs by (outcome 1, outcome 2): a = (1, 1), b = (1, 0),
    c = (0, 1), d = (0, 0). Returns (estimate, low, high).
    """
    n = a + b + c + d
    if n <= 0:
        return (math.nan, math.nan, math.nan)
    theta = (b - c) / n
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = wilson(a + b, n, alpha)
    l2, u2 = wilson(a + c, n, alpha)
    denom = (a + b) * (c + d) * (a + c) * (b + d)
    if denom <= 0:
        phi = 0.0
    else:
        num = a * d - b * c
        # Newcombe's continuity-style shrink of phi toward 0
        num = max(num - n / 2.0, 0.0) if num > 0 else num
        phi = num / math.sqrt(denom)
    delta = math.sqrt(max((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0.0))
    eps = math.sqrt(max((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2, 0.0))
    return theta, max(-1.0, theta - delta), min(1.0, theta + eps)


def mcnemar_p(b: int, c: int) -> float:
    """Exact (binomial) McNemar p-value for discordant counts b and c."""
    from scipy.stats import binomtest

    if b + c == 0:
        return 1.0
    return float(binomtest(int(b), int(b + c), 0.5, alternative="two-sided").pvalue)


def bh_adjust(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (NaN stays NaN)."""
    from statsmodels.stats.multitest import multipletests

    vals = [float(p) for p in p_values]
    idx = [i for i, p in enumerate(vals) if not math.isnan(p)]
    out = [math.nan] * len(vals)
    if idx:
        adj = multipletests([vals[i] for i in idx], method="fdr_bh")[1]
        for i, q in zip(idx, adj, strict=True):
            out[i] = float(q)
    return out


def bootstrap_mean_ci(
    values: np.ndarray, n_boot: int = 2000, seed: int = 0, alpha: float = 0.05
) -> tuple[float, float]:
    """Percentile bootstrap interval for a mean over independent items."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return (math.nan, math.nan)
    if v.size == 1 or np.all(v == v[0]):
        return (float(v[0]), float(v[0]))
    rng = np.random.default_rng(seed)
    means = rng.choice(v, size=(n_boot, v.size), replace=True).mean(axis=1)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)
