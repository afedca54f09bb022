"""How many pairs an audit needs: sample size and minimum detectable effect.

Both designs are analysed by the audit with a paired test of discordant counts
(McNemar), so both are sized by the power of the **exact** McNemar test. With
discordant probabilities ``p10`` (the outcome the bias predicts) and ``p01`` (the
opposite) and ``n`` units::

    D ~ Binomial(n, p10 + p01)                       discordant units
    X | D = d ~ Binomial(d, p10 / (p10 + p01))       of which the predicted kind
    power(n) = sum_d P(D = d) P(the exact binomial test of X against 1/2 rejects | d)

the two-sided test at level ``alpha`` (one-sided with ``alternative``). The units
needed are the smallest ``n`` whose exact power reaches the target (searched from
the bisection's crossing downward over the sawtooth of the discrete test).
Connor's (1987) normal approximation, ``n = [z_(alpha/2) sqrt(psi) + z_beta
sqrt(psi - delta^2)]^2 / delta^2`` with ``psi = p10 + p01`` and ``delta = p10 - p01``,
is returned for reference (``connor_units``): it is slightly anti-conservative for
small effects (10 % inconsistent pairs, effect 0.05: Connor 312, exact 337).

``position`` (each pair judged in both orders)
    A unit is a **pair** with both control verdicts valid. ``baseline_flip`` is the
    share of pairs whose verdict changes with the order (1 - position consistency)
    and ``effect`` = primacy share - recency share (the position effect of
    :mod:`judgebias.stats.position`): ``p10 = (baseline_flip + effect) / 2``,
    ``p01 = (baseline_flip - effect) / 2``. Pairs to send = units / ``usable`` (the
    share of pairs whose two verdicts are valid).

``probe`` (a perturbation probe with a placebo control)
    A unit is **one pair in one order** whose control verdict named an answer (a
    tie or an unreadable control gives no unit) and whose cue and placebo verdicts
    are valid; each pair gives at most two. In a unit the cue flips the verdict
    with probability ``baseline_flip + effect`` and the placebo with
    ``baseline_flip`` (the judge's own instability); taking the two flips as
    independent, ``p10 = (baseline_flip + effect)(1 - baseline_flip)`` and ``p01 =
    baseline_flip (1 - baseline_flip - effect)`` (conservative when they are
    positively correlated, as they are for most judges). The audit tests at the
    effective sample size, units / ``deff`` where ``deff`` (1 to 2) is the design
    effect of the two orders of a pair, so the pairs to send are ``units * deff /
    (2 * usable)``, ``usable`` the share of (pair, order) units that survive ties
    and invalid verdicts. The default ``deff = 2`` (the two orders always agree)
    makes one pair worth one unit: safe for any judge.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from scipy import stats as st

from judgebias.errors import UsageError

__all__ = ["mcnemar_power", "minimum_detectable_effect", "plan_sample_size"]

Design = Literal["probe", "position"]
Alternative = Literal["two-sided", "larger", "smaller"]

_UNIT = {
    "position": "pairs with both control verdicts valid",
    "probe": "(pair, order) units whose control verdict named an answer",
}


def _critical(d: np.ndarray, alpha: float, alternative: str) -> np.ndarray:
    """For each number of discordant units ``d``, the rejection bound of the exact test at 1/2.

    Two-sided: the largest k with P(X <= k) <= alpha/2 (reject x <= k or x >= d - k);
    one-sided: the smallest c with P(X >= c) <= alpha (reject x >= c). Found from the
    normal approximation and corrected step by step (binomial cdfs are cheap, quantile
    searches are not).
    """
    level = alpha / 2.0 if alternative == "two-sided" else alpha
    z = float(st.norm.isf(level))
    k = np.maximum(np.floor(d / 2.0 - z * np.sqrt(d) / 2.0) - 2.0, -1.0)  # below the bound
    tol = level * (1 + 1e-12)
    for _ in range(200):
        step = (k + 1.0 <= d) & (st.binom.cdf(k + 1.0, d, 0.5) <= tol)
        if not step.any():
            break
        k = k + step
    if alternative == "two-sided":
        return k
    return d - k  # by symmetry P(X >= d - k) = P(X <= k)


def mcnemar_power(
    n: int, p10: float, p01: float, alpha: float = 0.05, alternative: Alternative = "two-sided"
) -> float:
    """Exact power of McNemar's (binomial) test with ``n`` units (see the module docstring).

    ``alternative="larger"`` tests p10 > p01, ``"smaller"`` p10 < p01. The sum runs
    over the discordant counts within 12 standard deviations of their mean (the rest
    weighs less than 1e-30).
    """
    psi = p10 + p01
    if n < 1 or psi <= 0:
        return 0.0
    q = p10 / psi
    spread = 12.0 * math.sqrt(n * psi * (1.0 - psi)) + 12.0
    d = np.arange(max(0, math.floor(n * psi - spread)), min(n, math.ceil(n * psi + spread)) + 1)
    d = d.astype(float)
    bound = _critical(d, alpha, alternative)
    if alternative == "two-sided":
        reject = st.binom.cdf(bound, d, q) + st.binom.sf(d - bound - 1, d, q)
    else:
        if alternative == "smaller":
            q = 1.0 - q
        reject = st.binom.sf(bound - 1, d, q)
    weights = st.binom.pmf(d, n, psi)
    return float(np.clip(np.sum(weights * reject), 0.0, 1.0))


def _connor(p10: float, p01: float, alpha: float, power: float, alternative: str) -> float:
    psi, delta = p10 + p01, abs(p10 - p01)
    za = st.norm.isf(alpha / 2.0 if alternative == "two-sided" else alpha)
    zb = st.norm.ppf(power)
    return float((za * math.sqrt(psi) + zb * math.sqrt(max(psi - delta**2, 0.0))) ** 2 / delta**2)


def _units_needed(p10: float, p01: float, alpha: float, power: float, alternative: str) -> int:
    """The smallest n whose exact power reaches ``power``."""
    alt: Alternative = alternative  # type: ignore[assignment]

    def ok(n: int) -> bool:
        return mcnemar_power(n, p10, p01, alpha, alt) >= power

    hi = max(2, math.ceil(_connor(p10, p01, alpha, power, alternative)))
    while not ok(hi):
        hi *= 2
        if hi > 50_000_000:
            raise UsageError("the effect is too small to detect with any practical number of pairs")
    lo = 1
    while hi - lo > 1:  # bisection to a crossing
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    # the exact test's power is a sawtooth in n: the first crossing may lie a little lower
    for n in range(max(1, hi - 40), hi):
        if ok(n):
            return n
    return hi


def _discordant(design: str, effect: float, baseline_flip: float) -> tuple[float, float]:
    if design == "position":
        return (baseline_flip + effect) / 2.0, (baseline_flip - effect) / 2.0
    cue = baseline_flip + effect
    return cue * (1.0 - baseline_flip), baseline_flip * (1.0 - cue)


def _check(
    design: str,
    alternative: str,
    power: float,
    alpha: float,
    baseline_flip: float,
    usable: float,
    deff: float,
) -> None:
    if not 0.0 < alpha < 1.0:
        raise UsageError(f"alpha must be in (0, 1), got {alpha}")
    if not 0.0 < power < 1.0:
        raise UsageError(f"power must be in (0, 1), got {power}")
    if design not in ("probe", "position"):
        raise UsageError(f"design must be 'probe' or 'position', got {design!r}")
    if alternative not in ("two-sided", "larger", "smaller"):
        raise UsageError(f"alternative must be two-sided, larger or smaller, got {alternative!r}")
    if not 0.0 < usable <= 1.0:
        raise UsageError(f"usable (share of units kept) must be in (0, 1], got {usable}")
    if not 1.0 <= deff <= 2.0:
        raise UsageError(
            f"deff (design effect of a pair's two orders) must be in [1, 2], got {deff}"
        )
    if design == "probe" and not 0.0 <= baseline_flip < 1.0:
        raise UsageError(
            f"baseline_flip (placebo flip rate) must be in [0, 1), got {baseline_flip}"
        )
    if design == "position" and not 0.0 < baseline_flip <= 1.0:
        raise UsageError(
            f"baseline_flip (share of pairs inconsistent across orders) must be in (0, 1], "
            f"got {baseline_flip}"
        )


def _check_effect(design: str, effect: float, baseline_flip: float, alternative: str) -> None:
    if not math.isfinite(effect) or effect == 0.0:
        raise UsageError("effect must be a non-zero rate difference, e.g. 0.05")
    if (alternative == "larger" and effect < 0) or (alternative == "smaller" and effect > 0):
        raise UsageError(f"effect {effect} has the wrong sign for alternative={alternative!r}")
    if design == "probe" and not 0.0 <= baseline_flip + effect <= 1.0:
        raise UsageError(
            f"baseline_flip + effect = {baseline_flip + effect:g} is not a rate in [0, 1]"
        )
    if design == "position" and abs(effect) > baseline_flip:
        raise UsageError(
            f"|effect| ({abs(effect):g}) cannot exceed the inconsistent share baseline_flip "
            f"({baseline_flip:g}): primacy - recency is at most their sum"
        )


def _pairs(design: str, units: int, usable: float, deff: float) -> int:
    per_pair = 2.0 * usable / deff if design == "probe" else usable
    return math.ceil(units / per_pair - 1e-9)


def _units_from_pairs(design: str, pairs: int, usable: float, deff: float) -> int:
    per_pair = 2.0 * usable / deff if design == "probe" else usable
    return math.floor(pairs * per_pair + 1e-9)


def _cohens_h(design: str, effect: float, baseline_flip: float) -> float:
    """Cohen's arcsine effect size, for reference: the cue rate against the placebo rate
    (probe), or the primacy share of the inconsistent pairs against 1/2 (position)."""
    if design == "probe":
        a, b = baseline_flip + effect, baseline_flip
    else:
        a, b = 0.5 + effect / (2.0 * baseline_flip), 0.5
    return 2.0 * math.asin(math.sqrt(a)) - 2.0 * math.asin(math.sqrt(b))


def plan_sample_size(
    effect: float,
    baseline_flip: float = 0.1,
    power: float = 0.8,
    alpha: float = 0.05,
    *,
    design: Design = "probe",
    alternative: Alternative = "two-sided",
    usable: float = 1.0,
    deff: float = 2.0,
) -> dict[str, Any]:
    """Pairs needed to detect a bias of size ``effect`` (a difference of rates, e.g. 0.05).

    See the module docstring for the designs, the units and the exact power. Returns
    a dict with ``design, effect, baseline_flip, power, alpha, alternative, p10,
    p01``, ``unit`` (what a unit is), ``units`` (needed for the exact McNemar test),
    ``achieved_power`` (its exact power at ``units``), ``connor_units`` (the normal
    approximation, for reference), ``usable``, ``deff`` (probe design only),
    ``pairs`` (to send: the units after losses, and for the probe design the two
    orders' design effect), ``cohens_h`` and, for ``position``,
    ``inconsistent_pairs`` (the discordant pairs expected among the units).
    """
    _check(design, alternative, power, alpha, baseline_flip, usable, deff)
    _check_effect(design, effect, baseline_flip, alternative)
    p10, p01 = _discordant(design, effect, baseline_flip)
    units = _units_needed(p10, p01, alpha, power, alternative)
    out: dict[str, Any] = {
        "design": design,
        "effect": effect,
        "baseline_flip": baseline_flip,
        "power": power,
        "alpha": alpha,
        "alternative": alternative,
        "method": "exact McNemar",
        "p10": p10,
        "p01": p01,
        "unit": _UNIT[design],
        "units": units,
        "achieved_power": mcnemar_power(units, p10, p01, alpha, alternative),
        "connor_units": math.ceil(_connor(p10, p01, alpha, power, alternative) - 1e-9),
        "usable": usable,
        "pairs": _pairs(design, units, usable, deff),
        "cohens_h": _cohens_h(design, effect, baseline_flip),
    }
    if design == "probe":
        out["deff"] = deff
    else:
        out["inconsistent_pairs"] = math.ceil(units * baseline_flip - 1e-9)
    return out


def minimum_detectable_effect(
    n_pairs: int,
    baseline_flip: float = 0.1,
    power: float = 0.8,
    alpha: float = 0.05,
    *,
    design: Design = "probe",
    alternative: Alternative = "two-sided",
    usable: float = 1.0,
    deff: float = 2.0,
) -> dict[str, Any]:
    """The smallest positive ``effect`` that ``n_pairs`` pairs detect with this power.

    The inverse of :func:`plan_sample_size` (same designs, units and exact power).
    Returns ``design, n_pairs, units, baseline_flip, power, alpha, alternative,
    effect`` (a rate difference; NaN when even the largest possible effect is not
    detectable), ``achieved_power`` and ``cohens_h``.
    """
    _check(design, alternative, power, alpha, baseline_flip, usable, deff)
    if n_pairs < 1:
        raise UsageError(f"n_pairs must be at least 1, got {n_pairs}")
    units = _units_from_pairs(design, n_pairs, usable, deff)
    sign = -1.0 if alternative == "smaller" else 1.0
    top = baseline_flip if design == "position" else 1.0 - baseline_flip
    out: dict[str, Any] = {
        "design": design,
        "n_pairs": n_pairs,
        "units": units,
        "baseline_flip": baseline_flip,
        "power": power,
        "alpha": alpha,
        "alternative": alternative,
        "effect": math.nan,
        "achieved_power": math.nan,
        "cohens_h": math.nan,
    }
    if design == "probe" and alternative == "smaller":
        top = baseline_flip

    def pw(e: float) -> float:
        return mcnemar_power(
            units, *_discordant(design, sign * e, baseline_flip), alpha, alternative
        )

    if units < 1 or top <= 0 or pw(top) < power:
        return out
    lo, hi = 0.0, top
    for _ in range(60):
        mid = (lo + hi) / 2.0
        lo, hi = (lo, mid) if pw(mid) >= power else (mid, hi)
    out.update(
        effect=sign * hi,
        achieved_power=pw(hi),
        cohens_h=_cohens_h(design, sign * hi, baseline_flip),
    )
    return out
