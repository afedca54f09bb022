"""The alternative annotator test (Calderon, Reichart & Dror 2025, "The Alternative
Annotator Test for LLM-as-a-Judge"): can the judge replace the human annotators?

As the authors define and compute it:

1. Keep the items with at least ``min_humans`` (2) human labels and a judge label.
2. Leave one human ``j`` out at a time. On each of ``j``'s kept items, with ``R`` the
   other humans' labels there, score ``S_h = score(label_j, R)`` and
   ``S_f = score(label_judge, R)``: the mean agreement with ``R`` (``accuracy``, for
   categorical labels) or minus the root mean squared difference to ``R``
   (``neg_rmse``, for numeric labels).
3. ``W_f = 1[S_f >= S_h]``, ``W_h = 1[S_h >= S_f]``, ``d_i = W_h - W_f``.
4. ``p_j``: one-sample t-test of the ``d_i`` against ``epsilon``, alternative "less"
   (H0: the human's advantage is at least ``epsilon``). A human with fewer than
   ``min_items`` (30) items is skipped, as in the authors' code; the paper's advice
   for fewer items is the Wilcoxon signed-rank test of ``d_i - epsilon``, which
   ``few_items="wilcoxon"`` applies to those humans instead (a human with no item
   whose ``d_i`` differs from ``epsilon`` cannot be tested either way).
5. Benjamini-Yekutieli at ``q`` (0.05) over the humans tested. The **winning rate**
   omega is the share of tested humans whose null is rejected; the judge passes
   when omega >= 0.5. The **advantage probability** rho is the mean over the tested
   humans of mean(W_f): the chance that the judge is as good as a random human.

``epsilon`` is the cost-benefit margin granted to the judge: the authors recommend
0.2 for expert annotators, 0.15 for skilled ones and 0.1 for crowd workers.

The authors advise at least three annotators. With fewer than ``min_tested`` (3) humans
tested the result is **not tested**: ``passed`` is ``None`` and ``status`` says
``not tested`` (omega and rho are still given, as descriptions). With two humans, each
one's test compares the judge with a single other human, and one human beaten already
makes omega 0.5, a pass.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from judgebias.stats.agreement import Votes

__all__ = ["MIN_HUMANS_TESTED", "RECOMMENDED_EPSILON", "STATUSES", "alt_test"]

MIN_HUMANS_TESTED = 3
"""Fewer humans tested than this: the alt-test is not tested (the authors' advice)."""

STATUSES = ("passed", "not passed", "not tested")
"""The alt-test's ``status``: ``passed`` is True, False or None (not tested)."""

RECOMMENDED_EPSILON: dict[str, float] = {"experts": 0.2, "skilled": 0.15, "crowd": 0.1}
"""The authors' recommended margins by the kind of annotator."""

Scoring = Literal["accuracy", "neg_rmse"]


def _scores(
    v: Votes, keep: np.ndarray, scoring: Scoring
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per kept human vote: (S_h, S_f, the vote's item) against the other humans."""
    counts = v.counts()
    m = counts.sum(axis=1)
    vote_ok = keep[v.item]
    it = v.item[vote_ok]
    lab = v.label[vote_ok]
    jud = v.judge[it]
    others = m[it] - 1
    if scoring == "accuracy":
        c = counts[it]
        s_h = (c[np.arange(len(it)), lab] - 1) / others
        s_f = (c[np.arange(len(it)), jud] - (jud == lab)) / others
        return s_h, s_f, it
    vals = np.asarray(v.categories, dtype=float)
    s1 = counts @ vals
    s2 = counts @ vals**2
    x_h = vals[lab]
    x_f = vals[jud]
    r1 = s1[it] - x_h
    r2 = s2[it] - x_h**2

    def neg_rmse(x: np.ndarray) -> np.ndarray:
        msd = (r2 - 2 * x * r1 + others * x**2) / others
        return -np.sqrt(np.maximum(msd, 0.0))

    return neg_rmse(x_h), neg_rmse(x_f), it


def _by_reject(p_values: list[float], q: float) -> list[bool]:
    """Benjamini-Yekutieli step-up decisions (statsmodels' ``fdr_by``); NaN is never rejected."""
    from statsmodels.stats.multitest import multipletests

    p = np.array([1.0 if not math.isfinite(x) else x for x in p_values])
    if p.size == 0:
        return []
    return [bool(r) for r in multipletests(p, alpha=q, method="fdr_by")[0]]


def alt_test(
    v: Votes,
    *,
    epsilon: float = 0.2,
    q: float = 0.05,
    min_items: int = 30,
    min_humans: int = 2,
    scoring: Scoring | None = None,
    few_items: Literal["skip", "wilcoxon"] = "skip",
    min_tested: int = MIN_HUMANS_TESTED,
) -> dict[str, Any] | None:
    """Run the alt-test on ``v``; ``None`` when no human can be tested.

    ``scoring`` defaults to ``accuracy`` on the pairwise scale and ``neg_rmse`` on the
    score scale. Returns ``epsilon``, ``winning_rate``, ``advantage_probability``,
    ``passed`` (``None`` with fewer than ``min_tested`` humans tested), ``status``
    (one of :data:`STATUSES`), ``note`` (why not tested, else empty), and the per-human
    details (``humans``) and skipped humans (``skipped``).
    """
    from scipy.stats import ttest_1samp, wilcoxon

    score: Scoring = scoring or ("accuracy" if v.scale == "pairwise" else "neg_rmse")
    m = v.counts().sum(axis=1)
    keep = (m >= min_humans) & (v.judge >= 0)
    s_h, s_f, _ = _scores(v, keep, score)
    rater = v.rater[keep[v.item]]
    w_f = (s_f >= s_h).astype(float)
    w_h = (s_h >= s_f).astype(float)
    d = w_h - w_f
    rows: list[dict[str, Any]] = []
    skipped: dict[str, int] = {}
    for name in v.raters:
        mine = rater == name
        n = int(mine.sum())
        if n < min_items and (few_items == "skip" or n < 1):
            skipped[name] = n
            continue
        di = d[mine]
        if n >= min_items:
            test = "t"
            with np.errstate(all="ignore"):
                p = float(ttest_1samp(di, epsilon, alternative="less").pvalue)
        else:
            test = "wilcoxon"
            diff = di - epsilon
            if not np.any(diff != 0):
                skipped[name] = n
                continue
            p = float(wilcoxon(diff, alternative="less").pvalue)
        rows.append(
            {
                "human": name,
                "n": n,
                "test": test,
                "p_value": p if math.isfinite(p) else None,
                "judge_advantage": float(w_f[mine].mean()),
                "human_advantage": float(w_h[mine].mean()),
            }
        )
    if not rows:
        return None
    rejected = _by_reject([r["p_value"] if r["p_value"] is not None else math.nan for r in rows], q)
    for r, rej in zip(rows, rejected, strict=True):
        r["rejected"] = rej
    omega = sum(rejected) / len(rows)
    passed: bool | None = omega >= 0.5
    note = ""
    if len(rows) < min_tested:
        passed = None
        note = (
            f"not tested: {len(rows)} human{'s' if len(rows) != 1 else ''} tested, at least "
            f"{min_tested} needed (the authors' advice)"
        )
    return {
        "epsilon": float(epsilon),
        "winning_rate": omega,
        "advantage_probability": float(np.mean([r["judge_advantage"] for r in rows])),
        "passed": passed,
        "status": "not tested" if passed is None else ("passed" if passed else "not passed"),
        "note": note,
        "min_humans_tested": min_tested,
        "q": q,
        "scoring": score,
        "min_items": min_items,
        "n_items": int(keep.sum()),
        "n_humans_tested": len(rows),
        "humans": rows,
        "skipped": skipped,
    }
