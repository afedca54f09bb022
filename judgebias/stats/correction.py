"""Win rates corrected for the judge's errors against humans.

A judge's raw win rate ``P(judge says a)`` is biased wherever the judge errs:
random errors pull it toward one half, one-sided errors push it anywhere. Given a
human-labelled subset (the judge's and the humans' label on the same items) and the
judge's labels on the full set, three estimates of the *human* win rate of ``a``
(``P(a) + P(tie) / 2``; without ties simply ``P(a)``):

* **raw**: the judge's own rate on the full set, for comparison;
* **Rogan-Gladen / matrix inverse** (``corrected``): the confusion matrix
  ``M[j, h] = P(judge = j | human = h)`` is estimated on the labelled subset and the
  judge's label shares ``q`` on the full set are solved for the human shares,
  ``q = M pi``. With two outcomes this is Rogan and Gladen's
  ``theta = (p + Sp - 1) / (Se + Sp - 1)`` (sensitivity ``Se = P(judge a | human a)``,
  specificity ``Sp = P(judge b | human b)``), defined only when ``Se + Sp > 1``; with
  ties it is the 3x3 inverse (a least-squares solution when the judge uses labels
  the humans never do). Shares are clipped to [0, 1] and renormalised.
* **prediction-powered inference** (``ppi``, Angelopoulos et al. 2023): the judge's
  mean on the full set plus the mean human-minus-judge difference on the labelled
  subset, ``theta = mean_N f - mean_n (f - y)``, with the scores a = 1, tie = 1/2,
  b = 0; it also has the analytic normal interval ``ppi_ci_normal``.

Intervals: a percentile bootstrap over **both** sets at once. Every estimate is a
function of the labelled (judge x human) count table and the full set's judge
counts, so a replicate redraws both tables from their multinomials (the same as
resampling the items of each set with replacement); the two sets are resampled
independently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .agreement import finite, percentile_ci

__all__ = ["OUTCOMES", "corrected_win_rate", "solve_shares"]

OUTCOMES: tuple[str, str, str] = ("a", "b", "tie")
_SCORE = np.array([1.0, 0.0, 0.5])


def _codes(labels: Sequence[Any], what: str) -> np.ndarray:
    index = {o: i for i, o in enumerate(OUTCOMES)}
    out = []
    for x in labels:
        if x not in index:
            raise ValueError(f"{what}: label {x!r} is not one of a, b, tie")
        out.append(index[x])
    return np.asarray(out, dtype=int)


def solve_shares(table: np.ndarray, judge_counts: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Human label shares from one or many labelled tables and full-set judge counts.

    ``table[..., j, h]`` counts labelled items with judge label j and human label h;
    ``judge_counts[..., j]`` the full set's judge labels; ``truth`` the human outcomes
    to solve for (indices). Returns shares over all three outcomes (0 for outcomes
    outside ``truth``); NaN where a human outcome has no labelled item or the
    confusion matrix is singular (for two outcomes: ``Se + Sp <= 1``).
    """
    t = np.asarray(table, dtype=float)[..., :, truth]
    col = t.sum(axis=-2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = t / col
        q = judge_counts / judge_counts.sum(axis=-1, keepdims=True)
    ok = np.all(col[..., 0, :] > 0, axis=-1) & np.all(np.isfinite(q), axis=-1)
    m = np.where(ok[..., None, None], m, 0.0)
    q = np.where(ok[..., None], q, 0.0)
    if len(truth) == 2:
        # Rogan-Gladen: Se + Sp > 1 (the judge is better than chance) or undefined
        se_sp = m[..., truth[0], 0] + m[..., truth[1], 1]
        ok &= se_sp > 1
    pi = np.einsum("...hj,...j->...h", np.linalg.pinv(m), q)
    pi = np.clip(pi, 0.0, 1.0)
    total = pi.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        pi = pi / total
    ok &= total[..., 0] > 0
    out = np.zeros((*pi.shape[:-1], 3))
    out[..., truth] = pi
    return np.where(ok[..., None], out, np.nan)


def corrected_win_rate(
    labelled_judge: Sequence[str],
    labelled_human: Sequence[str],
    judge_all: Sequence[str],
    *,
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Raw, confusion-corrected and prediction-powered win rates of ``a`` with intervals.

    ``labelled_judge``/``labelled_human``: the two labels (``a``, ``b``, ``tie``) on
    each human-labelled item; ``judge_all``: the judge's labels on the full set (it may
    include the labelled items). See the module doc for the estimators.
    """
    from scipy.stats import norm

    jl = _codes(labelled_judge, "labelled_judge")
    hl = _codes(labelled_human, "labelled_human")
    ja = _codes(judge_all, "judge_all")
    if len(jl) != len(hl):
        raise ValueError("labelled_judge and labelled_human must have the same length")
    n, big_n = len(jl), len(ja)
    table = np.zeros((3, 3))
    np.add.at(table, (jl, hl), 1.0)
    counts = np.bincount(ja, minlength=3).astype(float)
    truth = np.array([i for i in range(3) if table[:, i].sum() > 0])
    if truth.size == 0 or big_n == 0:
        raise ValueError("need at least one labelled item and one item in the full set")

    def estimates(tab: np.ndarray, cnt: np.ndarray) -> tuple[np.ndarray, ...]:
        raw = cnt @ _SCORE / cnt.sum(axis=-1)
        shares = solve_shares(tab, cnt, truth)
        corrected = shares @ _SCORE
        rectifier = (tab * (_SCORE[:, None] - _SCORE[None, :])).sum(axis=(-2, -1)) / tab.sum(
            axis=(-2, -1)
        )
        return raw, corrected, raw - rectifier, shares

    raw, corrected, ppi, shares = estimates(table, counts)
    rng = np.random.default_rng(seed)
    tabs = rng.multinomial(n, table.ravel() / n, size=n_boot).reshape(n_boot, 3, 3)
    cnts = rng.multinomial(big_n, counts / big_n, size=n_boot).astype(float)
    b_raw, b_corr, b_ppi, _ = estimates(tabs.astype(float), cnts)

    f = _SCORE[ja]
    diff = _SCORE[jl] - _SCORE[hl]
    se = (
        math.sqrt(f.var(ddof=1) / big_n + diff.var(ddof=1) / n) if n > 1 and big_n > 1 else math.nan
    )
    z = float(norm.ppf(1 - alpha / 2))
    two = list(truth) == [0, 1] and not table[2].any() and counts[2] == 0
    col = table / np.where(table.sum(axis=0) > 0, table.sum(axis=0), 1.0)
    confusion = {
        f"human_{OUTCOMES[h]}": {f"judge_{OUTCOMES[j]}": float(col[j, h]) for j in range(3)}
        for h in truth
    }
    out: dict[str, Any] = {
        "n_labelled": n,
        "n_full": big_n,
        "truth_labels": [OUTCOMES[i] for i in truth],
        "raw": {"estimate": float(raw), "ci": percentile_ci(b_raw, alpha)},
        "corrected": {
            "method": "rogan_gladen" if two else "matrix_inverse",
            "estimate": finite(float(corrected)),
            "ci": percentile_ci(b_corr, alpha),
            "shares": {OUTCOMES[i]: finite(float(shares[i])) for i in range(3)},
            "confusion": confusion,
        },
        "ppi": {
            "estimate": float(ppi),
            "ci": percentile_ci(b_ppi, alpha),
            "ci_normal": [float(ppi - z * se), float(ppi + z * se)]
            if math.isfinite(se)
            else [None, None],
        },
        "labelled_raw": float(_SCORE[jl].mean()) if n else None,
        "labelled_human": float(_SCORE[hl].mean()) if n else None,
    }
    if two:
        out["corrected"]["sensitivity"] = float(col[0, 0])
        out["corrected"]["specificity"] = float(col[1, 1])
    return out
