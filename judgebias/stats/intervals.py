"""Interval and test helpers shared by the statistics modules.

Thin, documented wrappers over statsmodels and scipy. Written out here:
Newcombe's hybrid score interval for a difference of paired proportions (Newcombe
1998, method 10), which statsmodels does not provide; the same for independent
proportions (method 10 of Newcombe's unpaired paper, statsmodels' ``newcomb``)
together with the p-value that inverts it; the design effect of clustered units;
and the p-value of a difference whose interval was built from two intervals
(square-and-add, MOVER).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "bh_adjust",
    "bootstrap_mean_ci",
    "clustered_paired_diff",
    "design_effect",
    "mcnemar_p",
    "mover_diff",
    "newcombe_diff",
    "newcombe_diff_p",
    "newcombe_paired_diff",
    "wilson",
]

_Z_MAX = 37.0
"""Largest normal quantile searched when inverting an interval (p about 1e-299)."""


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


def design_effect(
    u: np.ndarray, clusters: np.ndarray, unit_variance: np.ndarray | None = None
) -> float:
    """Design effect of an estimator whose deviation is the sum of unit terms ``u``.

    ``u`` holds each unit's centred contribution (its influence), ``clusters`` the
    cluster of each unit (e.g. the pair of the two orders). The cluster-robust
    variance ``k/(k-1) * sum_c (sum_{i in c} u_i)^2`` over ``k`` clusters is divided by
    the variance under independence, ``n/(n-1) * sum_i v_i``, where ``v_i`` is
    ``unit_variance`` (e.g. the binomial variance a Wilson interval assumes) or,
    by default, ``u_i^2``; the same small-sample factor on both sides, so units that
    are their own clusters give exactly 1.

    Bounds: at least 1 (a negatively correlated cluster is not taken as a gain) and
    at most the largest cluster size (Cauchy-Schwarz: a cluster of m units is worth
    at least one). When there is nothing to estimate the correlation from (every
    ``u`` is 0, e.g. every difference identical; or a single cluster) it is
    ``sum m_c^2 / n``, the design effect of perfectly correlated clusters, so that
    n identical units in n/2 pairs count as n/2.
    """
    u = np.asarray(u, dtype=float)
    n = len(u)
    if n < 2:
        return 1.0
    codes = np.unique(np.asarray(clusters), return_inverse=True)[1].ravel()
    k = int(codes.max()) + 1
    sizes = np.bincount(codes, minlength=k).astype(float)
    perfect = float(np.sum(sizes**2) / n)
    v = u**2 if unit_variance is None else np.asarray(unit_variance, dtype=float)
    var_ind = n / (n - 1) * float(np.sum(v))
    if k < 2 or not var_ind > 1e-300:
        return perfect
    s = np.bincount(codes, weights=u, minlength=k)
    var_cl = k / (k - 1) * float(np.sum(s**2))
    return float(min(max(1.0, var_cl / var_ind), sizes.max()))


def clustered_paired_diff(
    x: np.ndarray, y: np.ndarray, clusters: np.ndarray, alpha: float = 0.05
) -> dict[str, float]:
    """Mean of x - y for paired 0/1 outcomes whose units share clusters (e.g. the two
    orders of one pair), with Newcombe's paired interval at the effective sample size.

    The design effect ``deff`` (:func:`design_effect` of the differences) divides
    the 2x2 counts before Newcombe's interval and the exact McNemar test are
    computed, the usual effective-sample-size correction. It lies between 1 and the
    largest cluster size; when every difference is the same (nothing to estimate the
    correlation from) the clusters are taken as perfectly correlated.
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
    deff = design_effect(x - y - theta, clusters)
    _, lo, hi = newcombe_paired_diff(a / deff, b / deff, c / deff, d / deff, alpha)
    p = mcnemar_p(round(b / deff), round(c / deff))
    return {"effect": theta, "ci_low": lo, "ci_high": hi, "p_value": p, "deff": deff}


def newcombe_diff(
    x1: float, n1: float, x2: float, n2: float, alpha: float = 0.05
) -> tuple[float, float, float]:
    """p1 - p2 of two independent proportions x1/n1 and x2/n2 with Newcombe's hybrid
    score interval (square-and-add of the two Wilson intervals). Counts may be
    fractional (effective counts). Returns (estimate, low, high); NaN when a
    denominator is 0."""
    if not (n1 > 0 and n2 > 0):
        return (math.nan, math.nan, math.nan)
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, alpha)
    l2, u2 = wilson(x2, n2, alpha)
    d = p1 - p2
    return (
        d,
        max(-1.0, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)),
        min(1.0, d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)),
    )


def newcombe_diff_p(x1: float, n1: float, x2: float, n2: float) -> float:
    """Two-sided p-value of p1 = p2 that agrees with :func:`newcombe_diff` at every level.

    It is the interval inverted: the largest alpha whose (1 - alpha) interval still
    reaches 0, found by root search on the normal quantile. So ``p < alpha`` exactly
    when the interval at that alpha excludes 0. (The score test and Fisher's exact
    test disagree with Newcombe's interval on about 0.7 % and 3.8 % of the tables
    with up to 40 per group; this one never does.)
    """
    from scipy.optimize import brentq
    from scipy.stats import norm

    if not (n1 > 0 and n2 > 0):
        return math.nan
    d = x1 / n1 - x2 / n2
    if abs(d) < 1e-15:
        return 1.0

    def gap(z: float) -> float:
        alpha = float(2.0 * norm.sf(z))
        _, lo, hi = newcombe_diff(x1, n1, x2, n2, alpha)
        return lo if d > 0 else -hi  # > 0: the interval excludes 0

    if gap(_Z_MAX) > 0:
        return float(2.0 * norm.sf(_Z_MAX))
    if gap(1e-9) <= 0:
        return 1.0
    z = brentq(gap, 1e-9, _Z_MAX, xtol=1e-10)
    return float(min(1.0, 2.0 * norm.sf(z)))


def mover_diff(
    ea: float, la: float, ua: float, eb: float, lb: float, ub: float, alpha: float = 0.05
) -> dict[str, float]:
    """B - A from two estimates with their own (1 - alpha) intervals, and a p-value
    that agrees with the interval.

    Interval: square-and-add (MOVER), ``D - sqrt((B - lo_B)^2 + (hi_A - A)^2)`` to
    ``D + sqrt((hi_B - B)^2 + (A - lo_A)^2)``; for two Wilson intervals this is
    Newcombe's hybrid interval. p-value: the normal test whose standard error is the
    half-width on the side facing 0 divided by z, so ``p < alpha`` exactly when the
    interval excludes 0 (the intervals are known at this level only). NaN when the
    side facing 0 has no width (nothing to test with).
    """
    from scipy.stats import norm

    nan = math.nan
    vals = (ea, la, ua, eb, lb, ub)
    if any(v is None or math.isnan(float(v)) for v in vals):
        d = eb - ea if ea is not None and eb is not None else nan
        return {"difference": d, "diff_ci_low": nan, "diff_ci_high": nan, "p_value": nan}
    d = eb - ea
    lo = d - math.sqrt((eb - lb) ** 2 + (ua - ea) ** 2)
    hi = d + math.sqrt((ub - eb) ** 2 + (ea - la) ** 2)
    z = float(norm.isf(alpha / 2.0))
    half = d - lo if d > 0 else hi - d
    if d == 0:
        p = 1.0
    elif half <= 0:
        p = nan
    else:
        p = float(2.0 * norm.sf(abs(d) * z / half))
    return {"difference": d, "diff_ci_low": lo, "diff_ci_high": hi, "p_value": p}


def show_value(value: object) -> str:
    """A table cell for an error message: numbers plainly, anything else repr'd."""
    if isinstance(value, bool | np.bool_):
        return repr(bool(value))
    if isinstance(value, int | float | np.integer | np.floating):
        return f"{float(value):g}"
    return repr(value)
