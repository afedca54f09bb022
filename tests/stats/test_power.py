"""Sample-size planning by the exact McNemar test: reference values, units, the inverse."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest

from judgebias.errors import UsageError
from judgebias.stats.power import mcnemar_power, minimum_detectable_effect, plan_sample_size


def test_position_design_is_sized_by_the_exact_test() -> None:
    # REFERENCES.md: 10 % inconsistent pairs, effect 0.05 (p10 = 0.075, p01 = 0.025)
    plan = plan_sample_size(0.05, baseline_flip=0.1, design="position")
    assert plan["units"] == 337 and plan["pairs"] == 337
    assert plan["achieved_power"] >= 0.8
    assert mcnemar_power(336, 0.075, 0.025) < 0.8 <= mcnemar_power(337, 0.075, 0.025)
    # the normal approximation's 287 pairs reach only 72 %; Connor's formula says 312
    assert mcnemar_power(287, 0.075, 0.025) == pytest.approx(0.72, abs=0.005)
    assert plan["connor_units"] == 312
    assert plan["unit"].startswith("pairs") and plan["inconsistent_pairs"] == 34
    # losing a fifth of the pairs to invalid verdicts costs a fifth more pairs
    assert plan_sample_size(0.05, 0.1, design="position", usable=0.8)["pairs"] == math.ceil(
        337 / 0.8
    )


def test_probe_design_counts_units_and_pairs() -> None:
    plan = plan_sample_size(0.05, baseline_flip=0.1)
    assert (plan["p10"], plan["p01"]) == pytest.approx((0.15 * 0.9, 0.1 * 0.85))
    # 681 (the normal approximation on two independent proportions) gives 0.776
    assert mcnemar_power(681, plan["p10"], plan["p01"]) == pytest.approx(0.776, abs=0.002)
    assert plan["units"] > 681 and plan["achieved_power"] >= 0.8
    assert plan["unit"].startswith("(pair, order) units")
    # default: the two orders of a pair count as one unit (deff 2): pairs = units
    assert plan["pairs"] == plan["units"] and plan["deff"] == 2.0
    # independent orders, 90 % of units usable: two units per pair, less the losses
    kw = {"usable": 0.9, "deff": 1.0}
    assert plan_sample_size(0.05, 0.1, **kw)["pairs"] == math.ceil(plan["units"] / 1.8)  # type: ignore[arg-type]


def test_exact_power_matches_simulation() -> None:
    rng = np.random.default_rng(0)
    n, p10, p01 = 60, 0.2, 0.05
    runs = 4000
    cells = rng.multinomial(n, [p10, p01, 1 - p10 - p01], size=runs)
    reject = {
        (b, c): binomtest(b, b + c, 0.5).pvalue <= 0.05 if b + c else False
        for b, c in {(int(r[0]), int(r[1])) for r in cells}
    }
    sim = np.mean([reject[(int(r[0]), int(r[1]))] for r in cells])
    assert mcnemar_power(n, p10, p01) == pytest.approx(sim, abs=0.025)
    one = {
        (b, c): binomtest(b, b + c, 0.5, alternative="greater").pvalue <= 0.05 if b + c else False
        for b, c in {(int(r[0]), int(r[1])) for r in cells}
    }
    sim_one = np.mean([one[(int(r[0]), int(r[1]))] for r in cells])
    assert mcnemar_power(n, p10, p01, alternative="larger") == pytest.approx(sim_one, abs=0.025)


@pytest.mark.parametrize("design", ["probe", "position"])
def test_monotonicity(design: str) -> None:
    kw = {"baseline_flip": 0.3, "design": design}
    by_effect = [plan_sample_size(e, **kw)["pairs"] for e in (0.02, 0.05, 0.1, 0.2)]  # type: ignore[arg-type]
    assert by_effect == sorted(by_effect, reverse=True) and len(set(by_effect)) == 4
    by_power = [plan_sample_size(0.05, power=p, **kw)["pairs"] for p in (0.5, 0.8, 0.9, 0.99)]  # type: ignore[arg-type]
    assert by_power == sorted(by_power) and len(set(by_power)) == 4
    by_alpha = [plan_sample_size(0.05, alpha=a, **kw)["pairs"] for a in (0.001, 0.01, 0.05, 0.1)]  # type: ignore[arg-type]
    assert by_alpha == sorted(by_alpha, reverse=True)
    one_sided = plan_sample_size(0.05, alternative="larger", **kw)["pairs"]  # type: ignore[arg-type]
    assert one_sided < plan_sample_size(0.05, **kw)["pairs"]  # type: ignore[arg-type]
    mde = [minimum_detectable_effect(n, **kw)["effect"] for n in (50, 200, 1000, 5000)]  # type: ignore[arg-type]
    assert mde == sorted(mde, reverse=True)


def test_probe_needs_more_pairs_when_the_judge_is_unstable() -> None:
    pairs = [plan_sample_size(0.05, baseline_flip=b)["pairs"] for b in (0.0, 0.05, 0.1, 0.3)]
    assert pairs == sorted(pairs)


@pytest.mark.parametrize("design", ["probe", "position"])
def test_minimum_detectable_effect_inverts_the_plan(design: str) -> None:
    plan = plan_sample_size(0.06, baseline_flip=0.2, design=design)  # type: ignore[arg-type]
    back = minimum_detectable_effect(plan["pairs"], baseline_flip=0.2, design=design)  # type: ignore[arg-type]
    assert back["effect"] == pytest.approx(0.06, abs=0.002)
    assert back["effect"] <= 0.06 + 1e-9  # rounding the pairs up can only help


def test_bad_arguments() -> None:
    with pytest.raises(UsageError, match="effect"):
        plan_sample_size(0.0)
    with pytest.raises(UsageError, match="not a rate"):
        plan_sample_size(0.5, baseline_flip=0.7)
    with pytest.raises(UsageError, match="cannot exceed"):
        plan_sample_size(0.2, baseline_flip=0.1, design="position")
    with pytest.raises(UsageError, match="power"):
        plan_sample_size(0.05, power=1.2)
    with pytest.raises(UsageError, match="design"):
        plan_sample_size(0.05, design="other")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="wrong sign"):
        plan_sample_size(-0.05, alternative="larger")
    with pytest.raises(UsageError, match="n_pairs"):
        minimum_detectable_effect(0)
    assert math.isnan(minimum_detectable_effect(2, baseline_flip=0.1, design="position")["effect"])
