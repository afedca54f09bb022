"""Uncertainty and identification of one model's length-controlled win rate.

:mod:`judgebias.stats.lc` fits, per model, the soft-target logistic model
``logit p_i = theta + phi * tanh(delta_i / sd) + gamma * d_i`` and reports
``LC = mean_i logistic(theta + gamma d_i)``. AlpacaEval's standard error of LC is
the standard error of the mean of those per-instruction predictions: it treats the
fitted coefficients as known, so it is too small (0.22 to 0.65 of the bootstrap's,
median 0.45, on AlpacaEval 2.0's 25 models) and it is 0 when the predictions do not
vary (constant difficulty, all ties). This module gives

- :func:`lc_bootstrap`: a percentile interval from a bootstrap over instructions
  with the model refitted in every resample (the difficulty ``d_i`` held at its
  joint estimate: it is fitted on every model's verdicts, so one model's resample
  moves it little). The refits run as one batched Newton-Raphson over all
  resamples (frequency weights, the exact gradient and Hessian of the soft-target
  binomial likelihood), starting from the full-data estimate; a resample whose fit
  does not converge to finite coefficients (separation in that resample) is
  counted, and when more than :data:`MAX_FAILED` (5 %) of them fail the interval is
  withheld and the estimate flagged (:func:`near_separation`): the data are nearly
  separated, a finite fit held up by a few comparisons, so the estimate is not reliable.
- :func:`identification_problem`: why the fit has no finite maximum, or None.
  Too few rows (fewer than :data:`MIN_ROWS`); every comparison won or lost; or
  (quasi-)complete separation, found exactly as a linear programme (Konis 2007):
  a direction ``b != 0`` with ``x_i . b >= 0`` on every row the model won outright,
  ``<= 0`` on every row it lost and ``= 0`` on every soft or tied row makes the
  likelihood increase forever along ``b`` (a model that wins exactly when it is
  longer, fitted as length coefficient 1461). No arbitrary number is then reported.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
from scipy.optimize import linprog
from scipy.special import expit

__all__ = [
    "MAX_FAILED",
    "MAX_LENGTH_COEFFICIENT",
    "MIN_ROWS",
    "identification_problem",
    "lc_bootstrap",
    "near_separation",
    "stable_seed",
]

MIN_ROWS = 10
"""Fewest rated instructions for which a model's three-coefficient fit is attempted."""

MAX_FAILED = 0.05
"""Largest share of bootstrap refits without a finite fit for which the estimate is trusted
(and its interval given); above it the fit is flagged as nearly separated."""

MAX_LENGTH_COEFFICIENT = 10.0
"""Largest absolute length coefficient trusted. The length feature is a tanh in (-1, 1), so a
coefficient of 10 moves the log-odds by about 15 between answers one standard deviation
shorter and longer (win rates 0.03 % against 99.97 %): verdicts that length alone decides,
which a few hundred comparisons cannot tell from separation. On AlpacaEval 2.0's 25 models
the coefficients lie between 0.9 and 2.6."""
_MAX_LOGIT = 35.0
_MAX_ITER = 50


def stable_seed(*parts: object) -> int:
    """A seed that depends only on its parts (a model's name), not on the table's order."""
    blob = "\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(blob, digest_size=8).digest(), "big")


def identification_problem(y: np.ndarray, design: np.ndarray) -> str | None:
    """Why the soft-target logistic fit of ``y`` on ``design`` has no finite estimate, or None."""
    n = len(y)
    if n < MIN_ROWS:
        return f"too few rows ({n}; at least {MIN_ROWS}) to fit the length-controlled model"
    if np.all(y >= 1.0):
        return "every comparison won outright: the fit has no finite estimate"
    if np.all(y <= 0.0):
        return "every comparison lost outright: the fit has no finite estimate"
    won, lost = y >= 1.0, y <= 0.0
    hard = won | lost
    if not hard.any():
        return None  # every row pulls both ways: the likelihood is bounded in every direction
    sign = np.where(won, 1.0, -1.0)[hard]
    a_hard = design[hard] * sign[:, None]
    soft = design[~hard]
    p = design.shape[1]
    res = linprog(
        -a_hard.sum(axis=0),
        A_ub=-a_hard,
        b_ub=np.zeros(len(a_hard)),
        A_eq=soft if len(soft) else None,
        b_eq=np.zeros(len(soft)) if len(soft) else None,
        bounds=[(-1.0, 1.0)] * p,
        method="highs",
    )
    if res.status == 0 and -res.fun > 1e-7 * max(1.0, float(np.abs(a_hard).sum())):
        return (
            "separation: the outright wins and losses are split exactly by the length "
            "difference and the difficulty, so the fit has no finite estimate"
        )
    return None


def lc_bootstrap(
    y: np.ndarray,
    design: np.ndarray,
    diff_col: int | None,
    start: np.ndarray,
    *,
    n_boot: int,
    seed: int,
    alpha: float = 0.05,
) -> tuple[float, float, float, float, str]:
    """Percentile interval of LC (fractions) from a bootstrap over instructions with refits.

    ``design`` has the columns of the fit (length term, difficulty, intercept, in
    that order, the length term absent when it does not vary), ``diff_col`` the
    difficulty's column (None when absent), ``start`` the full-data estimate.
    Returns ``(low, high, bootstrap standard error, share of refits that failed, note)``;
    NaN interval and standard error when more than :data:`MAX_FAILED` failed.
    """
    n, k = design.shape
    rng = np.random.default_rng(seed)
    w = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)
    pairs = [(i, j) for i in range(k) for j in range(i, k)]
    cross = np.column_stack([design[:, i] * design[:, j] for i, j in pairs])

    def newton_step(wa: np.ndarray, resid: np.ndarray, var: np.ndarray) -> np.ndarray:
        """Solve H step = g for every resample, from weighted residuals and variances."""
        grad = resid @ design
        h_flat = var @ cross
        hess = np.empty((len(wa), k, k))
        for c, (i, j) in enumerate(pairs):
            hess[:, i, j] = hess[:, j, i] = h_flat[:, c]
        return np.linalg.solve(hess + 1e-12 * np.eye(k), grad[:, :, None])[:, :, 0]

    # first step from the full-data fit, at its fitted probabilities (no resample's own):
    # already within O(1/n) of each resample's estimate, then Newton to convergence
    mu0 = expit(design @ start)
    beta = start + newton_step(w, w * (y - mu0), w * (mu0 * (1.0 - mu0)))
    converged = np.zeros(n_boot, dtype=bool)
    active = np.arange(n_boot)  # resamples still iterating
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(_MAX_ITER):
            b, wa = beta[active], w[active]
            mu = expit(b @ design.T)
            resid = np.subtract(y, mu)
            np.multiply(resid, wa, out=resid)
            np.multiply(mu, 1.0 - mu, out=mu)  # the binomial variance, in place
            np.multiply(mu, wa, out=mu)
            try:
                step = newton_step(wa, resid, mu)
            except np.linalg.LinAlgError:
                break
            beta[active] = b + step
            small = np.all(np.abs(step) < 1e-6, axis=1)
            diverged = ~np.all(np.isfinite(beta[active]), axis=1)
            converged[active[small & ~diverged]] = True
            active = active[~small & ~diverged]
            if not len(active):
                break
    ok = converged & np.all(np.isfinite(beta), axis=1)
    # a separated resample drifts toward infinite log-odds; a converged fit does not
    with np.errstate(over="ignore", invalid="ignore"):
        ok[ok] = np.abs(beta[ok] @ design.T).max(axis=1) < _MAX_LOGIT
    failed = 1.0 - float(ok.mean())
    if failed > MAX_FAILED:
        return (
            math.nan,
            math.nan,
            math.nan,
            failed,
            f"{100 * failed:.0f} % of bootstrap refits had no finite fit (near separation): "
            "no interval",
        )
    intercept = beta[ok, k - 1]
    gamma = beta[ok, diff_col] if diff_col is not None else np.zeros(int(ok.sum()))
    diff = design[:, diff_col] if diff_col is not None else np.zeros(n)
    pred = expit(intercept[:, None] + gamma[:, None] * diff[None, :])
    np.multiply(pred, w[ok], out=pred)
    lc = pred.sum(axis=1) / n
    lo, hi = np.quantile(lc, [alpha / 2.0, 1.0 - alpha / 2.0])
    note = ""
    if failed > 0:
        note = f"{100 * failed:.1f} % of the bootstrap resamples had no finite fit and were dropped"
    return float(lo), float(hi), float(np.std(lc, ddof=1)), failed, note


def near_separation(length_coefficient: float, failed: float) -> str | None:
    """Why a finite fit is flagged as nearly separated, or None: more than
    :data:`MAX_FAILED` of its bootstrap refits failed (``failed`` is NaN when there was no
    bootstrap), or its length coefficient is beyond :data:`MAX_LENGTH_COEFFICIENT`."""
    reasons = []
    if not math.isnan(failed) and failed > MAX_FAILED:
        reasons.append(f"{100 * failed:.0f} % of bootstrap refits had no finite fit")
    if not math.isnan(length_coefficient) and abs(length_coefficient) > MAX_LENGTH_COEFFICIENT:
        reasons.append(
            f"length coefficient {length_coefficient:.1f} (beyond ±{MAX_LENGTH_COEFFICIENT:g}:"
            " length alone decides the verdicts)"
        )
    if not reasons:
        return None
    return "; ".join(reasons) + " (near separation): the LC estimate is not reliable, no interval"
