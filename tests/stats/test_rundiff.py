"""Comparing two runs: p-values that agree with their intervals, ties by Newcombe, self paired."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import make_pairs
from statsmodels.stats.proportion import proportion_confint

from judgebias.audits.pipeline import AuditConfig, run_audit
from judgebias.report.compare import compare_runs
from judgebias.stats.rundiff import independent, independent_counts, percentile_p


def wilson(x: int, n: int) -> tuple[float, float]:
    lo, hi = proportion_confint(x, n, method="wilson")
    return float(lo), float(hi)


@pytest.mark.parametrize(("xa", "na", "xb", "nb"), [(0, 10, 3, 10), (1, 1, 0, 1), (0, 8, 4, 8)])
def test_independent_p_value_agrees_with_the_interval(xa: int, na: int, xb: int, nb: int) -> None:
    # from the two runs' intervals alone (probe effects) ...
    la, ua = wilson(xa, na)
    lb, ub = wilson(xb, nb)
    d = independent(xa / na, la, ua, xb / nb, lb, ub, 0.05)
    excludes = d["diff_ci_low"] > 0 or d["diff_ci_high"] < 0
    assert excludes == (d["p_value"] < 0.05)
    # ... and from the counts (accuracy, ties): the same Newcombe interval, its own inverse
    c = independent_counts(xa, na, xb, nb, 0.05)
    assert (c["diff_ci_low"], c["diff_ci_high"]) == pytest.approx(
        (d["diff_ci_low"], d["diff_ci_high"])
    )
    assert (c["diff_ci_low"] > 0 or c["diff_ci_high"] < 0) == (c["p_value"] < 0.05)
    if (xa, na, xb, nb) == (0, 10, 3, 10):  # the interval [-0.038, 0.603] includes 0
        assert d["diff_ci_low"] == pytest.approx(-0.0376, abs=1e-3) and d["p_value"] > 0.05
    if (xa, na, xb, nb) == (1, 1, 0, 1):
        assert c["p_value"] > 0.05 and d["p_value"] > 0.05


def test_ties_difference_is_newcombe_even_without_ties() -> None:
    c = independent_counts(0, 200, 3, 200, 0.05)
    assert (c["diff_ci_low"], c["diff_ci_high"]) == pytest.approx((-0.0063, 0.0432), abs=1e-4)
    assert c["p_value"] > 0.05


def audit(data: Path, out: Path, judge: str, mitigations: list[str], probes: list[str]) -> Path:
    run_audit(
        AuditConfig(
            judge=judge,
            data=str(data),
            out=str(out),
            quiet=True,
            write_report=False,
            probes=probes,
            gold_judge="sim:accuracy=1" if "self" in probes else None,
            mitigations=mitigations,
        )
    )
    return out


def pairs(path: Path, n: int, seed: int) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in make_pairs(n, seed)))
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cmp")
    one, two = pairs(root / "one.jsonl", 120, 61), pairs(root / "two.jsonl", 120, 62)
    judge = "sim:accuracy=0.9,position=0.2"
    return {
        "plain": audit(one, root / "plain", judge, [], ["position"]),
        "swap": audit(one, root / "swap", judge, ["swap"], ["position"]),
        "swap_other": audit(two, root / "swap2", judge, ["swap"], ["position"]),
        "self0": audit(one, root / "s0", "sim:accuracy=0.8", [], ["self"]),
        "self3": audit(one, root / "s3", "sim:accuracy=0.8,self=0.3", [], ["self"]),
    }


def test_tie_rows_have_real_intervals(runs: dict[str, Path]) -> None:
    ind = compare_runs(runs["plain"], runs["swap_other"], n_boot=200)
    assert not ind["paired"]
    ties = ind["table"].set_index("figure").loc["ties"]
    assert ties["effect_a"] == 0.0 and ties["ci_high_a"] > 0.0  # Wilson, not [0, 0]
    assert (ties["diff_ci_low"] > 0 or ties["diff_ci_high"] < 0) == (ties["p_value"] < 0.05)
    paired = compare_runs(runs["plain"], runs["swap"], n_boot=200)
    t = paired["table"].set_index("figure").loc["ties"]
    assert paired["paired"] and t["method"] == "paired newcombe"
    assert t["diff_ci_low"] < t["difference"] < t["diff_ci_high"]
    assert t["difference"] == pytest.approx(t["effect_b"] - t["effect_a"])


def test_paired_self_difference_is_the_headline_difference(runs: dict[str, Path]) -> None:
    res = compare_runs(runs["self0"], runs["self3"], n_boot=300)
    assert res["paired"]
    row = res["table"].set_index("figure").loc["self"]
    assert row["difference"] == pytest.approx(row["effect_b"] - row["effect_a"])
    assert row["diff_ci_low"] <= 0.3 <= row["diff_ci_high"] and row["diff_ci_low"] > 0


def test_percentile_p_inverts_the_percentile_interval() -> None:
    rng = np.random.default_rng(5)
    for _ in range(300):
        boot = rng.normal(rng.uniform(-0.05, 0.05), 0.02, size=int(rng.integers(20, 400)))
        if rng.uniform() < 0.2:  # ties at zero, as a bootstrap of rare events has
            boot[rng.uniform(size=len(boot)) < 0.5] = 0.0
        p = percentile_p(boot)
        for alpha in (0.01, 0.05, 0.1, 0.3):
            lo, hi = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
            if abs(p - alpha) > 1e-9 and alpha > 1 / len(boot):
                assert ((lo > 0) or (hi < 0)) == (p < alpha), (alpha, lo, hi, p)
    assert percentile_p(np.zeros(50)) == 1.0
    assert percentile_p(np.full(50, 0.01)) == 1 / 50  # all draws above 0: the floor
