"""Intervals clustered by instruction: pairs that share one are not independent.

The data here break the assumption of pair-clustered intervals: many pairs share a few
instructions and the judge's bias differs from one instruction to the next (instruction-level
random effects, or one dominant instruction). The truth is the mean bias over the population
of instructions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from judgebias.stats.clustering import CLUSTER_COLUMN, cluster_keys, pair_clusters
from judgebias.stats.intervals import clustered_paired_diff, newcombe_paired_diff, newcombe_paired_p
from judgebias.stats.perturbation import perturbation_stats
from judgebias.stats.position import position_stats

PLACEBO = 0.05


def probe_units(
    rng: np.random.Generator, k: int, m: int, mean: float = 0.15, conc: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """k instructions of m pairs, two orders each. Instruction i's bias b_i ~ Beta with the
    given mean and concentration: a unit moves with the cue when the bias fires, or by
    chance as often as with the placebo. Returns cue flips, placebo flips, pair and
    instruction of each unit, and the true effect (mean bias net of the placebo)."""
    b = rng.beta(mean * conc, (1 - mean) * conc, size=k)
    p = np.repeat(b, 2 * m)
    x = (rng.uniform(size=len(p)) < p + (1 - p) * PLACEBO).astype(float)
    y = (rng.uniform(size=len(p)) < PLACEBO).astype(float)
    pair = np.repeat(np.arange(k * m), 2)
    instruction = np.repeat(np.arange(k), 2 * m)
    return x, y, pair, instruction, mean * (1 - PLACEBO)


@pytest.mark.slow
@pytest.mark.parametrize(("k", "m", "runs"), [(30, 10, 1000), (80, 30, 400)])
def test_instruction_clustering_covers_where_pair_clustering_does_not(
    k: int, m: int, runs: int
) -> None:
    rng = np.random.default_rng(7)
    by_pair, by_instruction = 0, 0
    for _ in range(runs):
        x, y, pair, instruction, truth = probe_units(rng, k, m)
        a = clustered_paired_diff(x, y, pair)
        b = clustered_paired_diff(x, y, instruction)
        by_pair += a["ci_low"] <= truth <= a["ci_high"]
        by_instruction += b["ci_low"] <= truth <= b["ci_high"]
        # one method: the p-value never contradicts the interval
        assert (b["ci_low"] > 0 or b["ci_high"] < 0) == (b["p_value"] < 0.05)
    # measured (1,000 runs, seeds 7 and 8): 30 instructions x 10 pairs, by pair 0.63 / 0.61,
    # by instruction 0.946 / 0.935; 80 x 30 (MT-Bench's size), 0.39 / 0.38 against
    # 0.955 / 0.956 (Newcombe's interval at z instead of t: 0.936 and 0.951)
    assert by_pair / runs < 0.75, by_pair / runs
    assert by_instruction / runs >= 0.93, by_instruction / runs


def position_frame(rng: np.random.Generator, k: int, m: int) -> tuple[pd.DataFrame, float]:
    """Pairs whose verdict follows the position (the first-shown answer wins both orders)
    with a probability that differs by instruction; otherwise a content verdict."""
    b = rng.beta(0.3, 1.7, size=k)  # mean 0.15
    inst = np.repeat(np.arange(k), m)
    by_position = rng.uniform(size=k * m) < b[inst]
    content = rng.choice(["a", "b"], size=k * m)
    first = np.where(by_position, "a", content)
    second = np.where(by_position, "b", content)
    frame = pd.DataFrame({"verdict_ab": first, "verdict_ba": second, "instruction": inst})
    return frame, 0.15


@pytest.mark.slow
def test_position_intervals_cluster_by_instruction() -> None:
    rng = np.random.default_rng(11)
    runs, by_pair, by_instruction = 300, 0, 0
    for _ in range(runs):
        frame, truth = position_frame(rng, 40, 12)
        a = position_stats(frame, gold=None)
        b = position_stats(frame, gold=None, cluster="instruction")
        assert a["effect"] == b["effect"] and b["n_clusters"] == 40
        by_pair += a["ci_low"] <= truth <= a["ci_high"]
        by_instruction += b["ci_low"] <= truth <= b["ci_high"]
        assert (b["ci_low"] > 0 or b["ci_high"] < 0) == (b["p_value"] < 0.05)
    assert by_pair / runs < 0.8, by_pair / runs
    assert by_instruction / runs >= 0.93, by_instruction / runs


def test_a_dominant_instruction_widens_the_interval() -> None:
    # half of 200 pairs ask one instruction, on which the judge always follows the cue;
    # it never does on the other 100 instructions: the 0.5 effect rests on one instruction
    n_dom, n_rest = 100, 100
    x = np.concatenate([np.ones(2 * n_dom), np.zeros(2 * n_rest)])
    y = np.zeros(len(x))
    pair = np.repeat(np.arange(n_dom + n_rest), 2)
    inst = np.concatenate([np.zeros(2 * n_dom), np.repeat(np.arange(1, n_rest + 1), 2)])
    a = clustered_paired_diff(x, y, pair)
    b = clustered_paired_diff(x, y, inst)
    assert a["effect"] == b["effect"] == pytest.approx(0.5)
    # by pair: 200 independent pairs, a tight interval; by instruction: the one dominant
    # instruction is worth about as much as any other
    assert a["ci_high"] - a["ci_low"] < 0.2
    assert b["ci_high"] - b["ci_low"] > 2.5 * (a["ci_high"] - a["ci_low"])
    assert b["deff"] > 20 and b["n_clusters"] == 101


def test_clustered_p_agrees_with_its_t_interval() -> None:
    for df in (4.0, 29.0):
        for a, b, c, d in [(8, 0, 4, 8), (3, 9, 2, 6), (0, 5, 0, 1), (20, 30, 12, 40)]:
            p = newcombe_paired_p(a, b, c, d, df=df)
            for alpha in (0.01, 0.05, 0.2):
                _, lo, hi = newcombe_paired_diff(a, b, c, d, alpha, df)
                if abs(p - alpha) > 1e-6:
                    assert ((lo > 0) or (hi < 0)) == (p < alpha), (a, b, c, d, df, alpha)
    # fewer clusters, a wider interval than the normal one
    assert newcombe_paired_diff(3, 9, 2, 6, df=4)[1] < newcombe_paired_diff(3, 9, 2, 6)[1]


def records_for(x: np.ndarray, y: np.ndarray, pair: np.ndarray, cluster: np.ndarray | None):
    """Audit records of one perturbation probe: control verdict a in both orders, the cue
    on b, the cue's and the placebo's verdict b when they moved it."""
    rows = []
    for i, (xi, yi, pid) in enumerate(zip(x, y, pair, strict=True)):
        order = "ab" if i % 2 == 0 else "ba"
        base = {"pair_id": f"p{pid}", "order": order, "variant": "v1", "target": "b"}
        rows.append({**base, "probe": "control", "kind": "control", "verdict": "a"})
        rows.append({**base, "probe": "bandwagon", "kind": "cue", "verdict": "b" if xi else "a"})
        rows.append(
            {**base, "probe": "bandwagon", "kind": "placebo", "verdict": "b" if yi else "a"}
        )
    rec = pd.DataFrame(rows)
    if cluster is not None:
        rec[CLUSTER_COLUMN] = rec["pair_id"].map(
            {f"p{p}": f"i{c}" for p, c in zip(pair, cluster, strict=True)}
        )
    return rec


def test_perturbation_probes_take_the_records_clusters() -> None:
    x, y, pair, inst, _ = probe_units(np.random.default_rng(3), 20, 10)
    by_pair = perturbation_stats(records_for(x, y, pair, None), "bandwagon")
    by_inst = perturbation_stats(records_for(x, y, pair, inst), "bandwagon")
    assert by_pair["n_clusters"] == 200 and by_inst["n_clusters"] == 20
    ref = clustered_paired_diff(x, y, inst)
    assert (by_inst["ci_low"], by_inst["ci_high"]) == pytest.approx((ref["ci_low"], ref["ci_high"]))
    assert by_inst["ci_high"] - by_inst["ci_low"] > by_pair["ci_high"] - by_pair["ci_low"]


def test_cluster_keys() -> None:
    frame = pd.DataFrame({"q": [1, 1, None, 2]})
    keys = cluster_keys(frame, "q")
    assert keys[0] == keys[1] != keys[3] and keys[2] not in (keys[0], keys[3])
    assert len(set(cluster_keys(frame, None))) == 4
    rec = pd.DataFrame({"pair_id": ["a", "a", "b"], CLUSTER_COLUMN: ["x", "x", "x"]})
    assert pair_clusters(rec).to_dict() == {"a": "x", "b": "x"}
    assert pair_clusters(rec.drop(columns=CLUSTER_COLUMN)).to_dict() == {"a": "a", "b": "b"}
