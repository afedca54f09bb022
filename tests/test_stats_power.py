"""Sample-size planning: textbook values, monotonicity, and the inverse."""

from __future__ import annotations

import math

import pytest

from judgebias.errors import UsageError
from judgebias.stats.power import minimum_detectable_effect, plan_sample_size


def effect_for_h(h: float, p0: float) -> float:
    """The rate difference p1 - p0 whose Cohen's h is ``h``."""
    return math.sin(math.asin(math.sqrt(p0)) + h / 2.0) ** 2 - p0


@pytest.mark.parametrize(("h", "textbook"), [(0.2, 392), (0.5, 63), (0.8, 25)])
def test_cohen_table_two_proportions(h: float, textbook: int) -> None:
    # Cohen (1988), Table 6.4.1: n per group for h at alpha = .05 two-sided, power .80
    plan = plan_sample_size(effect_for_h(h, 0.3), baseline_flip=0.3)
    assert plan["cohens_h"] == pytest.approx(h)
    assert abs(plan["pairs"] - textbook) <= 1


def test_one_sample_position_value() -> None:
    # one-sample normal test: n = ((z_.975 + z_.8) / h)^2 = 7.849 / h^2 inconsistent pairs
    flip = 0.4
    q = math.sin(math.pi / 4 + 0.1) ** 2  # h = 0.2 against 1/2
    effect = (2 * q - 1) * flip
    plan = plan_sample_size(effect, baseline_flip=flip, design="position")
    assert plan["cohens_h"] == pytest.approx(0.2)
    assert plan["inconsistent_pairs"] == math.ceil(7.8489 / 0.04)
    assert abs(plan["pairs"] - plan["inconsistent_pairs"] / flip) <= 1 / flip


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
