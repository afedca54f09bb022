"""The controlled self-preference figure's interval: a ratio of sums over clusters."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from judgebias.stats.clusterboot import cluster_sums
from judgebias.stats.ratio_interval import cluster_ratio_t
from judgebias.stats.selfpref import controlled_self_preference

TRUTH = 0.2


def self_like(rng: np.random.Generator, k: int = 38, m: int = 8) -> tuple[np.ndarray, ...]:
    """Clusters of ``m`` units: the judge errs on a fifth of the items (there the
    paraphrased own answer mostly loses, so the room is large), noise moves the other
    items' verdicts, and the self-preference (mean ``TRUTH``) is spread over items."""
    c = np.repeat(np.arange(k), m)
    right = np.where(rng.random(k) < 0.2, 0.0, 1.0)[c]
    room = np.where(rng.random(k * m) < np.where(right == 1, 0.3, 0.9), 1.0, 0.0)
    s = np.where(rng.random(k) < 0.5, 2 * TRUTH, 0.0)[c]
    noise = rng.choice([-1.0, 0.0, 1.0], k * m, p=[0.1, 0.8, 0.1]) * right
    return c, (rng.random(k * m) < s) * room + noise, room


def test_covers_where_the_percentile_bootstrap_is_narrow() -> None:
    """The percentile cluster bootstrap (1,000 replicates) covered 0.927 of these 300 data
    sets; the cluster-robust t interval 0.943 (the adversarial study's self-gold-seed
    configuration: 0.917 and 0.933 of 120 runs)."""
    rng = np.random.default_rng(0)
    runs, covered = 300, 0
    for _ in range(runs):
        c, d, room = self_like(rng)
        sums = cluster_sums(c, d=d, room=room)
        res = cluster_ratio_t(sums["d"], sums["room"])
        covered += res["ci_low"] <= TRUTH <= res["ci_high"]
        assert (res["p_value"] < 0.05) == (res["ci_low"] > 0 or res["ci_high"] < 0)
    assert covered / runs >= 0.93


def test_p_value_inverts_the_interval_and_no_spread_has_a_floor() -> None:
    rng = np.random.default_rng(3)
    c, d, room = self_like(rng, k=12)
    sums = cluster_sums(c, d=d, room=room)
    for alpha in (0.01, 0.05, 0.2):
        edge = cluster_ratio_t(sums["d"], sums["room"], alpha=alpha)["ci_low"]
        at = cluster_ratio_t(sums["d"], sums["room"], null=edge)
        assert math.isclose(at["p_value"], alpha, rel_tol=1e-9)  # the interval's end: p = alpha
    # one cluster holding the whole denominator: no interval
    assert math.isnan(cluster_ratio_t(np.array([1.0, 0.0]), np.array([2.0, 0.0]))["ci_low"])
    # nothing moved: the interval of one moved unit either way, never [0, 0]
    units = pd.DataFrame(
        {
            "own": np.zeros(40),
            "own_para": np.zeros(40),
            "other": np.zeros(40),
            "other_para": np.zeros(40),
            "cluster": np.arange(40) // 4,
        }
    )
    out = controlled_self_preference(units, cluster_col="cluster")
    assert out["effect"] == 0.0 and out["ci_low"] < 0.0 < out["ci_high"] and out["p_value"] == 1.0
