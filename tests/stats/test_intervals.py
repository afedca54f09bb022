"""Design effects, the effective-sample-size correction, and intervals with their p-values."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom, binomtest

from judgebias.stats.intervals import (
    clustered_paired_diff,
    design_effect,
    mover_diff,
    newcombe_diff,
    newcombe_diff_p,
    newcombe_paired_diff,
    newcombe_paired_p,
    t_alpha,
)
from judgebias.stats.position import accuracy_stats


def test_identical_differences_count_each_cluster_once() -> None:
    # 10 pairs x 2 orders, every unit flips with the cue and never with the placebo:
    # nothing to estimate the correlation from, so each pair is one effective unit
    x, y = np.ones(20), np.zeros(20)
    res = clustered_paired_diff(x, y, np.repeat(np.arange(10), 2))
    assert res["deff"] == pytest.approx(2.0)
    # the interval and its p-value are those of the 10 pairs (t with 9 degrees of freedom,
    # the design effect being estimated from 10 clusters), not of the 20 units
    ten = newcombe_paired_diff(0, 10, 0, 0, df=9)
    assert (res["ci_low"], res["ci_high"]) == pytest.approx(ten[1:])
    assert res["p_value"] == pytest.approx(newcombe_paired_p(0, 10, 0, 0, df=9))
    assert res["p_value"] > 100 * newcombe_paired_p(0, 20, 0, 0)


def test_singletons_have_no_design_effect() -> None:
    rng = np.random.default_rng(0)
    for n in (5, 20, 200):
        x = (rng.uniform(size=n) < 0.4).astype(float)
        y = (rng.uniform(size=n) < 0.2).astype(float)
        assert clustered_paired_diff(x, y, np.arange(n))["deff"] == pytest.approx(1.0)


def test_design_effect_is_bounded_by_the_cluster_size() -> None:
    rng = np.random.default_rng(1)
    worst = 0.0
    for _ in range(300):
        k = int(rng.integers(2, 12))
        # pairs whose two units agree (plus noise): the design effect approaches 2
        base = rng.uniform(size=k) < 0.5
        noise = rng.uniform(size=2 * k) < 0.05
        x = (np.repeat(base, 2) ^ noise).astype(float)
        y = np.zeros(2 * k)
        d = clustered_paired_diff(x, y, np.repeat(np.arange(k), 2))["deff"]
        assert d >= 1.0 and d <= 2.0
        worst = max(worst, d)
    assert worst == pytest.approx(2.0)
    # one cluster: no between-cluster variance to estimate, it is one unit
    assert design_effect(np.array([1.0, -1.0, 0.5]), np.zeros(3)) == pytest.approx(3.0)
    # unequal clusters: perfectly correlated ones are worth sum(m^2) / n
    u = np.zeros(6)
    assert design_effect(u, np.array([0, 0, 0, 1, 2, 2])) == pytest.approx((9 + 1 + 4) / 6)


def test_effective_size_keeps_coverage_for_correlated_orders() -> None:
    rng = np.random.default_rng(2)
    covered = 0
    runs = 300
    for _ in range(runs):
        k = 150
        # each pair's two orders share the flip 70 % of the time; true effect 0.1
        shared = rng.uniform(size=k) < 0.7
        cue_p, plc_p = rng.uniform(size=k) < 0.25, rng.uniform(size=k) < 0.15
        x = np.where(np.repeat(shared, 2), np.repeat(cue_p, 2), rng.uniform(size=2 * k) < 0.25)
        y = np.where(np.repeat(shared, 2), np.repeat(plc_p, 2), rng.uniform(size=2 * k) < 0.15)
        res = clustered_paired_diff(x.astype(float), y.astype(float), np.repeat(np.arange(k), 2))
        covered += res["ci_low"] <= 0.1 <= res["ci_high"]
    assert covered / runs >= 0.92


def test_newcombe_p_agrees_with_the_interval_everywhere() -> None:
    for x1, n1, x2, n2 in itertools.product(range(0, 13, 2), (12,), range(0, 21, 3), (20,)):
        for alpha in (0.01, 0.05, 0.2):
            _, lo, hi = newcombe_diff(x1, n1, x2, n2, alpha)
            p = newcombe_diff_p(x1, n1, x2, n2)
            excludes = lo > 0 or hi < 0
            if abs(p - alpha) > 1e-6:
                assert excludes == (p < alpha), (x1, n1, x2, n2, alpha, lo, hi, p)
    # the issue's cases: 3/10 vs 0/10 and 1/1 vs 0/1 include 0, so p > 0.05
    assert newcombe_diff_p(3, 10, 0, 10) > 0.05
    assert newcombe_diff_p(1, 1, 0, 1) > 0.05
    # with large counts it is the score test
    assert newcombe_diff_p(70, 130, 45, 120) == pytest.approx(0.0096, abs=0.001)


def test_mover_p_agrees_with_its_interval() -> None:
    rng = np.random.default_rng(3)
    for _ in range(500):
        ea, eb = rng.uniform(-0.3, 0.3, 2)
        la, ua = ea - rng.uniform(0, 0.2), ea + rng.uniform(0, 0.2)
        lb, ub = eb - rng.uniform(0, 0.2), eb + rng.uniform(0, 0.2)
        r = mover_diff(ea, la, ua, eb, lb, ub)
        excludes = r["diff_ci_low"] > 0 or r["diff_ci_high"] < 0
        assert excludes == (r["p_value"] < 0.05)
    assert math.isnan(mover_diff(0.1, 0.1, 0.1, 0.3, 0.3, 0.3)["p_value"])


def test_accuracy_interval_counts_the_verdicts_it_averages() -> None:
    # 40 pairs right in both orders, 40 wrong in both, 40 with one valid verdict (right):
    # the accuracy averages 200 verdicts (120 right); its interval must be centred on that
    frame = pd.DataFrame(
        {
            "verdict_ab": ["a"] * 40 + ["b"] * 40 + ["a"] * 40,
            "verdict_ba": ["a"] * 40 + ["b"] * 40 + [None] * 40,
            "gold": ["a"] * 120,
        }
    )
    acc = accuracy_stats(frame, first="verdict_ab", second="verdict_ba", gold="gold")
    assert acc["accuracy"] == pytest.approx(0.6)
    lo, hi = acc["accuracy_ci_low"], acc["accuracy_ci_high"]
    assert lo < 0.6 < hi
    # the two orders always agree: close to the design effect of perfectly correlated
    # pairs, sum(m^2) / n = (80 * 4 + 40) / 200 = 1.8, and never above 2
    deff = acc["accuracy_deff"]
    assert deff > 1.7 and deff <= 2.0
    from statsmodels.stats.proportion import proportion_confint

    # t on the effective number of clusters less one: 200^2 / (80 * 2^2 + 40 * 1^2) - 1
    ref = proportion_confint(
        0.6 * 200 / deff, 200 / deff, t_alpha(0.05, 200**2 / 360 - 1), method="wilson"
    )
    assert (lo, hi) == pytest.approx(ref)
    # the old interval took 120 pairs around the 200-verdict mean; the pair-level mean
    # (0.667) is a different figure, and the interval now centres on the verdicts'
    pair_mean = (40 * 1 + 40 * 0 + 40 * 1) / 120
    assert abs((lo + hi) / 2 - 0.6) < abs((lo + hi) / 2 - pair_mean)


def _all_tables(max_n: int) -> np.ndarray:
    """Every 2x2 table of paired outcomes with n <= max_n: all discordant counts b, c,
    the concordant pairs all in a, split evenly, or all in d."""
    rows = []
    for n in range(1, max_n + 1):
        b, c = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
        keep = b + c <= n
        b, c = b[keep], c[keep]
        rest = n - b - c
        for a in (rest, rest // 2, np.zeros_like(rest)):
            rows.append(np.column_stack([a, b, c, rest - a]))
    return np.concatenate(rows).astype(float)


@pytest.mark.slow
def test_paired_p_never_contradicts_the_interval_up_to_150_pairs() -> None:
    tables = _all_tables(150)
    a, b, c, d = tables.T
    p = newcombe_paired_p(a, b, c, d)
    for alpha in (0.01, 0.05, 0.2):
        _, lo, hi = newcombe_paired_diff(a, b, c, d, alpha)
        excludes = (lo > 0) | (hi < 0)
        assert not np.any(excludes != (p < alpha)), alpha
    # the exact McNemar test on the discordant counts (the probes' p-value before)
    # contradicted the 95 % interval on 1.74 % of these 1,755,825 tables
    _, lo, hi = newcombe_paired_diff(a, b, c, d, 0.05)
    mcnemar = np.where(
        b + c == 0, 1.0, np.minimum(1.0, 2.0 * binom.cdf(np.minimum(b, c), b + c, 0.5))
    )
    before = float(np.mean(((lo > 0) | (hi < 0)) != (mcnemar < 0.05)))
    assert len(tables) == 1_755_825 and 0.017 < before < 0.018


def test_the_issue_table_n20_b0_c4() -> None:
    # 8 pairs (1, 1), none (1, 0), 4 (0, 1), 8 (0, 0): the interval ends just below 0
    est, _, hi = newcombe_paired_diff(8, 0, 4, 8)
    assert est == pytest.approx(-0.2) and hi == pytest.approx(-0.0004, abs=5e-5)
    assert binomtest(0, 4).pvalue == pytest.approx(0.125)  # what was reported before
    p = newcombe_paired_p(8, 0, 4, 8)
    assert p < 0.05 and p == pytest.approx(0.0495, abs=5e-4)
    # one level more confident and the interval reaches 0, as p says
    assert newcombe_paired_diff(8, 0, 4, 8, alpha=p * 0.999)[2] > 0
    assert newcombe_paired_diff(8, 0, 4, 8, alpha=p * 1.001)[2] < 0


def test_inverted_paired_test_keeps_its_level() -> None:
    # exact size under p10 = p01 (the sum over every table of its probability)
    from scipy.stats import multinomial

    for n, q in ((20, 0.1), (60, 0.05), (100, 0.1)):
        cells = np.array(
            [
                (x, y, z, n - x - y - z)
                for x in range(n + 1)
                for y in range(n + 1 - x)
                for z in range(n + 1 - x - y)
            ],
            dtype=float,
        )
        prob = multinomial.pmf(cells, n, [0.5 - q, q, q, 0.5 - q])
        size = float(np.sum(prob[newcombe_paired_p(*cells.T) < 0.05]))
        assert 0.01 < size <= 0.05, (n, q, size)
