"""Calibration of a judge's soft preferences against human labels.

Input: the judge's probability ``p`` that answer ``a`` is better (logprob mode's
P(A), score mode's ``0.5 + (a - b) / 18``, an AlpacaEval-style preference) and the
human label per item (``a`` = 1, ``b`` = 0; items whose human label is a tie are
left out and counted in ``n_ties_dropped``).

* **Reliability diagram**: ``bins`` (10) equal-width bins of ``p`` on [0, 1]; per bin
  the number of items, the mean ``p`` and the share of human ``a`` (Wilson interval).
* **ECE** over the same bins: ``sum_b (|B_b| / n) |share of a in B_b - mean p in B_b|``
  (empty bins add nothing).
* **Brier score**: ``mean((p - y)^2)``.
* **Recalibration**, isotonic (scikit-learn's ``IsotonicRegression``) and Platt
  (a logistic curve in logit(p), fitted with Platt's smoothed targets
  ``(N+ + 1) / (N+ + 2)`` and ``1 / (N- + 2)``), both **cross-fitted**: the items are
  split into ``folds`` (5) random folds; each fold's recalibrated probabilities come
  from a map fitted on the other folds only, so the ECE and Brier reported after
  recalibration are out of sample.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from judgebias.stats.intervals import wilson

__all__ = ["calibration", "reliability"]

_EPS = 1e-6


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Reliability-diagram data, ECE over the same equal-width bins, and the Brier score."""
    p = np.asarray(p, dtype=float)
    y = np.asarray(y, dtype=float)
    idx = np.minimum((p * bins).astype(int), bins - 1)
    rows = []
    ece = 0.0
    for b in range(bins):
        inb = idx == b
        k = int(inb.sum())
        row: dict[str, Any] = {"bin_low": b / bins, "bin_high": (b + 1) / bins, "n": k}
        if k:
            mean_p = float(p[inb].mean())
            share = float(y[inb].mean())
            lo, hi = wilson(float(y[inb].sum()), k)
            row.update(mean_p=mean_p, share_a=share, share_ci=[lo, hi])
            ece += k / len(p) * abs(share - mean_p)
        rows.append(row)
    return {
        "n": len(p),
        "ece": float(ece) if len(p) else None,
        "brier": float(np.mean((p - y) ** 2)) if len(p) else None,
        "bins": rows,
    }


def _platt_fit(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from scipy.optimize import minimize

    x = np.log(np.clip(p, _EPS, 1 - _EPS) / np.clip(1 - p, _EPS, 1 - _EPS))
    pos, neg = float(y.sum()), float(len(y) - y.sum())
    t = np.where(y == 1, (pos + 1) / (pos + 2), 1 / (neg + 2))

    def loss(w: np.ndarray) -> float:
        z = w[0] * x + w[1]
        return float(np.sum(np.logaddexp(0, z) - t * z))

    def grad(w: np.ndarray) -> np.ndarray:
        r = 1 / (1 + np.exp(-(w[0] * x + w[1]))) - t
        return np.array([np.sum(r * x), np.sum(r)])

    res = minimize(loss, np.array([1.0, 0.0]), jac=grad, method="L-BFGS-B")
    return float(res.x[0]), float(res.x[1])


def _platt_apply(p: np.ndarray, w: tuple[float, float]) -> np.ndarray:
    x = np.log(np.clip(p, _EPS, 1 - _EPS) / np.clip(1 - p, _EPS, 1 - _EPS))
    return 1 / (1 + np.exp(-(w[0] * x + w[1])))


def _cross_fit(p: np.ndarray, y: np.ndarray, folds: int, seed: int) -> dict[str, np.ndarray] | None:
    from sklearn.isotonic import IsotonicRegression

    n = len(p)
    k = min(folds, n)
    if k < 2 or len(np.unique(y)) < 2:
        return None
    fold = np.random.default_rng(seed).permutation(np.arange(n) % k)
    iso = np.full(n, np.nan)
    platt = np.full(n, np.nan)
    for f in range(k):
        test = fold == f
        train = ~test
        if len(np.unique(y[train])) < 2:
            return None
        model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        model.fit(p[train], y[train])
        iso[test] = model.predict(p[test])
        platt[test] = _platt_apply(p[test], _platt_fit(p[train], y[train]))
    return {"isotonic": iso, "platt": platt}


def calibration(
    p: np.ndarray,
    human: np.ndarray,
    *,
    bins: int = 10,
    folds: int = 5,
    seed: int = 0,
) -> dict[str, Any] | None:
    """Reliability, ECE and Brier of ``p`` (P(a)) against ``human`` labels (a/b/tie),
    before and after cross-fitted isotonic and Platt recalibration; ``None`` without
    an item that has both a probability and an ``a``/``b`` human label."""
    p = np.asarray(p, dtype=float)
    h = np.asarray(human, dtype=object)
    ok = np.isfinite(p) & np.isin(h, ["a", "b"])
    ties = int((np.isfinite(p) & (h == "tie")).sum())
    if not ok.any():
        return None
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise ValueError("probabilities must lie in [0, 1]")
    pp = p[ok]
    y = (h[ok] == "a").astype(float)
    out: dict[str, Any] = {
        "binning": f"{bins} equal-width bins of P(a) on [0, 1]",
        "folds": folds,
        "n_ties_dropped": ties,
        "raw": reliability(pp, y, bins),
    }
    fitted = _cross_fit(pp, y, folds, seed)
    for name in ("isotonic", "platt"):
        out[name] = None if fitted is None else reliability(fitted[name], y, bins)
    out["ece"] = out["raw"]["ece"]
    out["brier"] = out["raw"]["brier"]
    for name in ("isotonic", "platt"):
        r = out[name]
        out[f"ece_{name}"] = None if r is None else r["ece"]
        out[f"brier_{name}"] = None if r is None else r["brier"]
    return {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in out.items()
    }
