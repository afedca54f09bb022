"""Design effects, the effective-sample-size correction, and intervals with their p-values."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from judgebias.stats.intervals import (
    clustered_paired_diff,
    design_effect,
    mover_diff,
    newcombe_diff,
    newcombe_diff_p,
)
from judgebias.stats.position import accuracy_stats


def test_identical_differences_count_each_cluster_once() -> None:
    # 10 pairs x 2 orders, every unit flips with the cue and never with the placebo:
    # nothing to estimate the correlation from, so each pair is one effective unit
    x, y = np.ones(20), np.zeros(20)
    res = clustered_paired_diff(x, y, np.repeat(np.arange(10), 2))
    assert res["deff"] == pytest.approx(2.0)
    assert res["p_value"] == pytest.approx(binomtest(10, 10).pvalue)  # 0.00195, not 1.9e-6
    assert res["p_value"] > 1e-3


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
    # the cases: 3/10 vs 0/10 and 1/1 vs 0/1 include 0, so p > 0.05
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

    ref = proportion_confint(0.6 * 200 / deff, 200 / deff, method="wilson")
    assert (lo, hi) == pytest.approx(ref)
    # the old interval took 120 pairs around the 200-verdict mean; the pair-level mean
    # (0.667) is a different figure, and the interval now centres on the verdicts'
    pair_mean = (40 * 1 + 40 * 0 + 40 * 1) / 120
    assert abs((lo + hi) / 2 - 0.6) < abs((lo + hi) / 2 - pair_mean)
