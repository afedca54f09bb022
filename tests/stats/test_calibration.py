"""Calibration: ECE and Brier by their definitions, and cross-fitted recalibration
that repairs a distorted judge out of sample."""

from __future__ import annotations

import numpy as np
import pytest

from judgebias.stats.calibration import calibration, reliability


def _labels(rng: np.random.Generator, p_true: np.ndarray) -> np.ndarray:
    return np.where(rng.random(len(p_true)) < p_true, "a", "b")


def test_ece_and_brier_by_definition() -> None:
    p = np.array([0.05, 0.15, 0.15, 0.95, 0.95, 0.95])
    y = np.array([0, 0, 1, 1, 1, 0], dtype=float)
    r = reliability(p, y, bins=10)
    # bins: [0, .1): p .05 share 0; [.1, .2): p .15 share .5; [.9, 1]: p .95 share 2/3
    expected = (1 / 6) * 0.05 + (2 / 6) * abs(0.5 - 0.15) + (3 / 6) * abs(2 / 3 - 0.95)
    assert r["ece"] == pytest.approx(expected)
    assert r["brier"] == pytest.approx(np.mean((p - y) ** 2))
    assert [b["n"] for b in r["bins"]] == [1, 2, 0, 0, 0, 0, 0, 0, 0, 3]


def test_a_calibrated_judge_has_small_ece_and_a_distorted_one_is_repaired() -> None:
    rng = np.random.default_rng(0)
    p_true = rng.uniform(0, 1, 3000)
    human = _labels(rng, p_true)
    calibrated = calibration(p_true, human)
    assert calibrated is not None and calibrated["ece"] < 0.04
    # an overconfident judge: probabilities pushed toward 0 and 1
    distorted = 1 / (1 + np.exp(-4 * np.log(p_true / (1 - p_true))))
    out = calibration(distorted, human, folds=5)
    assert out is not None
    assert out["ece"] > 0.1
    assert out["ece_isotonic"] < 0.05 and out["ece_platt"] < 0.05
    assert out["brier_platt"] < out["brier"] and out["brier_isotonic"] < out["brier"]
    assert out["binning"] == "10 equal-width bins of P(a) on [0, 1]"


def test_ties_are_left_out_and_counted() -> None:
    p = np.array([0.9, 0.2, 0.5, 0.7])
    human = np.array(["a", "b", "tie", "a"], dtype=object)
    out = calibration(p, human, folds=2)
    assert out is not None and out["n_ties_dropped"] == 1 and out["raw"]["n"] == 3
