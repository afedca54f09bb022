"""How many pairs an audit needs: sample size and minimum detectable effect.

Two designs, both with the normal approximation on Cohen's arcsine effect size
``h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p2))`` (statsmodels
``proportion_effectsize`` and ``NormalIndPower``):

``probe`` (a perturbation probe with a placebo control)
    Each pair is judged once with the bias cue and once with a placebo edit of the
    same size. ``baseline_flip`` is the placebo flip rate (how often an edit that
    carries no cue changes the verdict: the judge's own instability) and
    ``effect`` the extra flip rate toward the cue, so the cue flip rate is
    ``baseline_flip + effect``. The comparison is that of two proportions with one
    observation of each per pair; treating the arms as independent is
    conservative (a paired analysis gains power when the two flips correlate).
    Returns the pairs needed (= observations per arm).

``position`` (each pair judged in both orders)
    ``baseline_flip`` is the share of pairs whose verdict changes with the order
    (1 - position consistency) and ``effect`` = primacy share - recency share
    (the position effect of :mod:`judgebias.stats.position`). Only inconsistent
    pairs carry information: among them the primacy share is ``q = 1/2 +
    effect / (2 * baseline_flip)``, tested against 1/2 with a one-sample test,
    which is McNemar's test of primacy against recency conditional on the number
    of discordant pairs. Pairs needed = inconsistent pairs needed /
    ``baseline_flip``.

Tests are two-sided unless ``alternative`` says otherwise.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from ..errors import UsageError

__all__ = ["minimum_detectable_effect", "plan_sample_size"]

Design = Literal["probe", "position"]
Alternative = Literal["two-sided", "larger", "smaller"]


def _check_common(power: float, alpha: float, design: str, alternative: str) -> None:
    if not 0.0 < alpha < 1.0:
        raise UsageError(f"alpha must be in (0, 1), got {alpha}")
    if not 0.0 < power < 1.0:
        raise UsageError(f"power must be in (0, 1), got {power}")
    if design not in ("probe", "position"):
        raise UsageError(f"design must be 'probe' or 'position', got {design!r}")
    if alternative not in ("two-sided", "larger", "smaller"):
        raise UsageError(f"alternative must be two-sided, larger or smaller, got {alternative!r}")


def _solve_n(h: float, alpha: float, power: float, ratio: float, alternative: str) -> float:
    # statsmodels' one-sided "larger" expects a positive effect; use |h| for both tails
    alt = "two-sided" if alternative == "two-sided" else "larger"
    n = NormalIndPower().solve_power(
        effect_size=abs(h), nobs1=None, alpha=alpha, power=power, ratio=ratio, alternative=alt
    )
    return float(n)


def plan_sample_size(
    effect: float,
    baseline_flip: float = 0.1,
    power: float = 0.8,
    alpha: float = 0.05,
    *,
    design: Design = "probe",
    alternative: Alternative = "two-sided",
) -> dict[str, Any]:
    """Pairs needed to detect a bias of size ``effect`` (a difference of rates, e.g. 0.05).

    See the module docstring for the two designs. Returns a dict with ``design,
    effect, baseline_flip, power, alpha, alternative, cohens_h, pairs`` (rounded up)
    and, for ``position``, ``inconsistent_pairs`` (the discordant pairs needed).
    """
    _check_common(power, alpha, design, alternative)
    if not math.isfinite(effect) or effect == 0.0:
        raise UsageError("effect must be a non-zero rate difference, e.g. 0.05")
    if (alternative == "larger" and effect < 0) or (alternative == "smaller" and effect > 0):
        raise UsageError(f"effect {effect} has the wrong sign for alternative={alternative!r}")
    out: dict[str, Any] = {
        "design": design,
        "effect": effect,
        "baseline_flip": baseline_flip,
        "power": power,
        "alpha": alpha,
        "alternative": alternative,
    }
    if design == "probe":
        if not 0.0 <= baseline_flip < 1.0:
            raise UsageError(
                f"baseline_flip (placebo flip rate) must be in [0, 1), got {baseline_flip}"
            )
        cue = baseline_flip + effect
        if not 0.0 <= cue <= 1.0:
            raise UsageError(f"baseline_flip + effect = {cue:g} is not a rate in [0, 1]")
        h = float(proportion_effectsize(cue, baseline_flip))
        n = _solve_n(h, alpha, power, 1.0, alternative)
        out.update(cohens_h=h, pairs=math.ceil(n - 1e-9))
        return out
    if not 0.0 < baseline_flip <= 1.0:
        raise UsageError(
            f"baseline_flip (share of pairs inconsistent across orders) must be in (0, 1], got {baseline_flip}"
        )
    if abs(effect) > baseline_flip:
        raise UsageError(
            f"|effect| ({abs(effect):g}) cannot exceed the inconsistent share baseline_flip "
            f"({baseline_flip:g}): primacy - recency is at most their sum"
        )
    q = 0.5 + effect / (2.0 * baseline_flip)
    h = float(proportion_effectsize(q, 0.5))
    n_incons = _solve_n(h, alpha, power, 0.0, alternative)
    out.update(
        cohens_h=h,
        inconsistent_pairs=math.ceil(n_incons - 1e-9),
        pairs=math.ceil(n_incons / baseline_flip - 1e-9),
    )
    return out


def minimum_detectable_effect(
    n_pairs: int,
    baseline_flip: float = 0.1,
    power: float = 0.8,
    alpha: float = 0.05,
    *,
    design: Design = "probe",
    alternative: Alternative = "two-sided",
) -> dict[str, Any]:
    """The smallest positive ``effect`` that ``n_pairs`` pairs detect with this power.

    The inverse of :func:`plan_sample_size` (same designs and meaning of
    ``baseline_flip``). Returns ``design, n_pairs, baseline_flip, power, alpha,
    alternative, cohens_h, effect`` (a rate difference; NaN when even the largest
    possible effect is not detectable).
    """
    _check_common(power, alpha, design, alternative)
    if n_pairs < 1:
        raise UsageError(f"n_pairs must be at least 1, got {n_pairs}")
    alt = "two-sided" if alternative == "two-sided" else "larger"
    out: dict[str, Any] = {
        "design": design,
        "n_pairs": n_pairs,
        "baseline_flip": baseline_flip,
        "power": power,
        "alpha": alpha,
        "alternative": alternative,
    }
    if design == "probe":
        if not 0.0 <= baseline_flip < 1.0:
            raise UsageError(
                f"baseline_flip (placebo flip rate) must be in [0, 1), got {baseline_flip}"
            )
        h = float(
            NormalIndPower().solve_power(
                effect_size=None,
                nobs1=n_pairs,
                alpha=alpha,
                power=power,
                ratio=1.0,
                alternative=alt,
            )
        )
        start = math.asin(math.sqrt(baseline_flip))
        top = start + h / 2.0
        effect = math.sin(top) ** 2 - baseline_flip if top <= math.pi / 2 else math.nan
        out.update(cohens_h=h, effect=effect)
        return out
    if not 0.0 < baseline_flip <= 1.0:
        raise UsageError(
            f"baseline_flip (share of pairs inconsistent across orders) must be in (0, 1], got {baseline_flip}"
        )
    n_incons = n_pairs * baseline_flip
    h = float(
        NormalIndPower().solve_power(
            effect_size=None, nobs1=n_incons, alpha=alpha, power=power, ratio=0.0, alternative=alt
        )
    )
    top = math.pi / 4.0 + h / 2.0
    effect = (2.0 * math.sin(top) ** 2 - 1.0) * baseline_flip if top <= math.pi / 2 else math.nan
    out.update(cohens_h=h, effect=effect)
    return out
