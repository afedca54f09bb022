"""Perturbation probes' clustered interval when one cluster (an instruction) holds a third
of the units and the bias differs from one instruction to the next."""

from __future__ import annotations

import numpy as np

from judgebias.stats.intervals import (
    cluster_df,
    clustered_paired_diff,
    design_effect,
    newcombe_paired_diff,
)
from judgebias.stats.pooled import pooled_cluster_variance

HIGH, P_HIGH, LOW = 0.6, 0.3, 0.1
TRUTH = 0.9 * (P_HIGH * HIGH + (1 - P_HIGH) * LOW)  # the cue flips s of the 90 % unmoved


def units(
    rng: np.random.Generator, sizes: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cue and placebo flips: placebo 10 %; the cue moves a unit with its instruction's
    strength (``HIGH`` for a share ``P_HIGH`` of instructions, else ``LOW``), else 10 %."""
    c = np.repeat(np.arange(len(sizes)), sizes)
    s = np.where(rng.random(len(sizes)) < P_HIGH, HIGH, LOW)[c]
    y = (rng.random(len(c)) < 0.1).astype(float)
    x = np.where(rng.random(len(c)) < s, 1.0, (rng.random(len(c)) < 0.1).astype(float))
    return x, y, c


def cluster_robust_only(x: np.ndarray, y: np.ndarray, c: np.ndarray) -> tuple[float, float]:
    """The interval before the pooled variance: Newcombe's at the cluster-robust design
    effect, t on the effective number of clusters less one."""
    n = len(x)
    a, b = np.sum((x == 1) & (y == 1)), np.sum((x == 1) & (y == 0))
    cc = np.sum((x == 0) & (y == 1))
    deff = design_effect(x - y - (b - cc) / n, c)
    _, lo, hi = newcombe_paired_diff(
        a / deff, b / deff, cc / deff, (n - a - b - cc) / deff, 0.05, cluster_df(c)
    )
    return lo, hi


def test_one_dominant_instruction_is_covered_and_not_needlessly_wide() -> None:
    """One instruction with 100 of 300 units, 50 with 4: the cluster-robust interval alone
    covered 0.917 of these 300 data sets (in the adversarial study's ``dominant``
    configuration, the length probe 0.908 of 120 runs); with the mean of the cluster-robust
    and pooled variances 0.983. Not needlessly wide: it detects the bias in 0.917 of them
    (the cluster-robust one 0.947) with a median width 1.14 times the cluster-robust one's;
    the larger of the two variances (the rule before) detected about 0.79 at 1.25 times."""
    rng = np.random.default_rng(0)
    runs, covered, old, detected = 300, 0, 0, 0
    widths, old_widths = [], []
    for _ in range(runs):
        x, y, c = units(rng, (100,) + (4,) * 50)
        res = clustered_paired_diff(x, y, c)
        covered += res["ci_low"] <= TRUTH <= res["ci_high"]
        detected += res["p_value"] < 0.05
        widths.append(res["ci_high"] - res["ci_low"])
        assert (res["p_value"] < 0.05) == (res["ci_low"] > 0 or res["ci_high"] < 0)
        lo, hi = cluster_robust_only(x, y, c)
        old += lo <= TRUTH <= hi
        old_widths.append(hi - lo)
    assert covered / runs >= 0.95
    assert old / runs < covered / runs
    assert detected / runs >= 0.88
    assert float(np.median(widths)) <= 1.2 * float(np.median(old_widths))


def test_equal_clusters_are_unchanged() -> None:
    """For clusters of equal size the pooled variance is the cluster-robust one, so the
    interval is the cluster-robust one."""
    rng = np.random.default_rng(1)
    for _ in range(30):
        x, y, c = units(rng, (4,) * 40)
        res = clustered_paired_diff(x, y, c)
        assert (res["ci_low"], res["ci_high"]) == cluster_robust_only(x, y, c)
        u = x - y - (x - y).mean()
        pooled = pooled_cluster_variance(u, c)
        if pooled is not None:
            sums = np.bincount(c, weights=u)
            assert abs(pooled.variance - 40 / 39 * np.sum(sums**2)) < 1e-9 * pooled.variance
            assert abs(pooled.df - 39) < 1e-9


def test_pooled_variance_does_not_apply_without_clusters_or_spread() -> None:
    u = np.array([1.0, -1.0, 0.5, -0.5, 0.0, 0.0])
    assert pooled_cluster_variance(u, np.arange(6)) is None  # every unit its own cluster
    # clusters less alike inside than across: no positive between-cluster component
    assert pooled_cluster_variance(u, np.array([0, 0, 1, 1, 2, 2])) is None
