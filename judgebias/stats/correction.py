"""Win rates corrected for the judge's errors against humans.

A judge's raw win rate ``P(judge says a)`` is biased wherever the judge errs:
random errors pull it toward one half, one-sided errors push it anywhere. The items
fall in two disjoint sets: the **labelled** ones (the judge's and the humans' label)
and the **unlabelled** ones (the judge's label only); every item enters once. Three
estimates of the *human* win rate of ``a`` (``P(a) + P(tie) / 2``; without ties
simply ``P(a)``), next to the human rate of the labelled items alone:

* **raw**: the judge's own rate over all items, for comparison;
* **Rogan-Gladen / matrix inverse** (``corrected``): the confusion matrix
  ``M[j, h] = P(judge = j | human = h)`` is estimated on the labelled items and the
  judge's label shares ``q`` over all items are solved for the human shares,
  ``q = M pi``. With two outcomes this is Rogan and Gladen's
  ``theta = (p + Sp - 1) / (Se + Sp - 1)`` (sensitivity ``Se = P(judge a | human a)``,
  specificity ``Sp = P(judge b | human b)``), defined only when ``Se + Sp > 1``; with
  ties it is the 3x3 inverse (a least-squares solution when the judge uses labels
  the humans never do). Shares are clipped to [0, 1] and renormalised.
* **prediction-powered inference** (``ppi``, Angelopoulos et al. 2023): the judge's
  mean over all items minus the labelled items' mean judge-minus-human difference,
  ``theta = mean_all f - mean_lab (f - y)``, with the scores a = 1, tie = 1/2, b = 0.
  Written over the two sets, with ``w = N_unlab / (N_lab + N_unlab)``,
  ``theta = mean_lab (y - w f) + w mean_unlab f``: its analytic normal interval
  ``ci_normal`` uses ``Var_lab(y - w f) / N_lab + w^2 Var_unlab(f) / N_unlab``.

With every item labelled both estimates *are* the human rate (``M q`` gives back the
human shares; the PPI difference cancels), and so are their intervals.

Intervals: a percentile bootstrap that resamples the labelled and the unlabelled set
**separately**. Every estimate is a function of the labelled (judge x human) count
table and the unlabelled judge counts, so a replicate redraws each table from its own
multinomial (the same as resampling the items of each set with replacement). The
labelled items' judge labels enter the full-set shares through their own table,
never as a second, independent sample: counting them again among the unlabelled
items made the intervals 1.4-2.7 times too wide.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from judgebias.stats.agreement import finite, percentile_ci

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
    *,
    unlabelled_judge: Sequence[str] = (),
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Raw, confusion-corrected and prediction-powered win rates of ``a`` with intervals.

    ``labelled_judge``/``labelled_human``: the two labels (``a``, ``b``, ``tie``) on
    each human-labelled item; ``unlabelled_judge``: the judge's labels on the items
    *without* a human label (never the labelled ones again). See the module doc for
    the estimators. Returns ``raw``, ``corrected``, ``ppi`` and ``human`` (the labelled
    items' human rate), each with ``estimate`` and a bootstrap ``ci``, and the counts
    ``n_labelled``, ``n_unlabelled`` and ``n_full`` (their sum).
    """
    from scipy.stats import norm

    if isinstance(unlabelled_judge, str):
        raise ValueError("unlabelled_judge: give a sequence of labels, not one string")
    jl = _codes(labelled_judge, "labelled_judge")
    hl = _codes(labelled_human, "labelled_human")
    ju = _codes(unlabelled_judge, "unlabelled_judge")
    if len(jl) != len(hl):
        raise ValueError("labelled_judge and labelled_human must have the same length")
    n, n_u = len(jl), len(ju)
    table = np.zeros((3, 3))
    np.add.at(table, (jl, hl), 1.0)
    unlab = np.bincount(ju, minlength=3).astype(float)
    truth = np.array([i for i in range(3) if table[:, i].sum() > 0])
    if truth.size == 0:
        raise ValueError("need at least one labelled item")

    def estimates(tab: np.ndarray, cnt_u: np.ndarray) -> tuple[np.ndarray, ...]:
        full = tab.sum(axis=-1) + cnt_u  # every item once: labelled judge labels + the rest
        raw = full @ _SCORE / full.sum(axis=-1)
        shares = solve_shares(tab, full, truth)
        corrected = shares @ _SCORE
        size = tab.sum(axis=(-2, -1))
        rectifier = (tab * (_SCORE[:, None] - _SCORE[None, :])).sum(axis=(-2, -1)) / size
        human = tab.sum(axis=-2) @ _SCORE / size
        return raw, corrected, raw - rectifier, human, shares

    raw, corrected, ppi, human, shares = estimates(table, unlab)
    rng = np.random.default_rng(seed)
    tabs = rng.multinomial(n, table.ravel() / n, size=n_boot).reshape(n_boot, 3, 3)
    cnts = (
        rng.multinomial(n_u, unlab / n_u, size=n_boot).astype(float)
        if n_u
        else np.zeros((n_boot, 3))
    )
    b_raw, b_corr, b_ppi, b_human, _ = estimates(tabs.astype(float), cnts)

    w = n_u / (n + n_u)
    f_l, y_l, f_u = _SCORE[jl], _SCORE[hl], _SCORE[ju]
    var_l = float(np.var(y_l - w * f_l, ddof=1)) / n if n > 1 else math.nan
    var_u = (float(np.var(f_u, ddof=1)) / n_u if n_u > 1 else math.nan) if n_u else 0.0
    se = math.sqrt(var_l + w * w * var_u) if math.isfinite(var_l + var_u) else math.nan
    z = float(norm.ppf(1 - alpha / 2))
    two = list(truth) == [0, 1] and not table[2].any() and unlab[2] == 0
    col = table / np.where(table.sum(axis=0) > 0, table.sum(axis=0), 1.0)
    confusion = {
        f"human_{OUTCOMES[h]}": {f"judge_{OUTCOMES[j]}": float(col[j, h]) for j in range(3)}
        for h in truth
    }
    out: dict[str, Any] = {
        "n_labelled": n,
        "n_unlabelled": n_u,
        "n_full": n + n_u,
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
        "human": {"estimate": float(human), "ci": percentile_ci(b_human, alpha)},
        "labelled_raw": float(f_l.mean()),
        "labelled_human": float(human),
    }
    if two:
        out["corrected"]["sensitivity"] = float(col[0, 0])
        out["corrected"]["specificity"] = float(col[1, 1])
    return out
