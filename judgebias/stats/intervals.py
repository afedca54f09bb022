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


def clustered_paired_diff(
    x: np.ndarray, y: np.ndarray, clusters: np.ndarray, alpha: float = 0.05
) -> dict[str, float]:
    """Mean of x - y for paired 0/1 outcomes whose units share clusters (e.g. the two
    orders of one pair), with Newcombe's paired interval at the effective sample size.

    The design effect ``deff`` is the cluster-robust variance of the mean difference
    (a ratio estimator over clusters) over its variance under independence, floored
    at 1. The 2x2 counts are divided by ``deff`` before Newcombe's interval and the
    exact McNemar test are computed, the usual effective-sample-size correction.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    if n == 0:
        return {
            "effect": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "p_value": math.nan,
            "deff": math.nan,
        }
    a = float(np.sum((x == 1) & (y == 1)))
    b = float(np.sum((x == 1) & (y == 0)))
    c = float(np.sum((x == 0) & (y == 1)))
    d = n - a - b - c
    theta = (b - c) / n
    deff = 1.0
    codes = np.unique(np.asarray(clusters), return_inverse=True)[1]
    k = int(codes.max()) + 1
    if k > 1:
        s = np.bincount(codes, weights=x - y, minlength=k)
        m = np.bincount(codes, minlength=k).astype(float)
        var_cl = k / (k - 1) * float(np.sum((s - theta * m) ** 2)) / n**2
        var_ind = ((b + c) / n - theta**2) / n
        if var_ind > 0:
            deff = max(1.0, var_cl / var_ind)
    _, lo, hi = newcombe_paired_diff(a / deff, b / deff, c / deff, d / deff, alpha)
    p = mcnemar_p(round(b / deff), round(c / deff))
    return {"effect": theta, "ci_low": lo, "ci_high": hi, "p_value": p, "deff": deff}


def show_value(value: object) -> str:
    """A table cell for an error message: numbers plainly, anything else repr'd."""
    if isinstance(value, bool | np.bool_):
        return repr(bool(value))
    if isinstance(value, int | float | np.integer | np.floating):
        return f"{float(value):g}"
    return repr(value)
