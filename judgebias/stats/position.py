"""Position bias from verdicts given in both orders.

Input: one row per pair with the verdict when response_a was shown first
(``first`` column) and when response_b was shown first (``second`` column), both
already in the pair's own labels (``a``, ``b``, ``tie``; missing = unparseable).

Each pair with both verdicts valid is *consistent* (same verdict), *primacy*
(the first-shown answer is favoured: a then b, or a first-shown win plus a tie)
or *recency* (the mirror). An unparseable verdict makes its pair invalid for the
position figures (it is counted in ``n_invalid``, never as consistent) and
leaves the other order's verdict usable for accuracy.

- ``consistency`` = consistent / n; ``primacy``, ``recency`` likewise.
- ``effect`` = primacy - recency: the share of pairs whose verdict follows the
  position rather than the content, positive toward the first position. Its 95 %
  interval is Newcombe's paired score interval; its p-value that interval inverted
  (:func:`~judgebias.stats.intervals.newcombe_paired_p`: ``p < alpha`` exactly when
  the interval excludes 0).
- Clusters: with ``cluster`` (a column; e.g. the instruction, when several pairs
  share one), pairs of one cluster are not independent. The effect's 2x2 counts
  are divided by the design effect of the pairs' scores (+1 primacy, -1 recency, 0
  consistent; :func:`~judgebias.stats.intervals.design_effect`, at least 1) before
  the interval and its p-value are taken, and the consistency interval is Wilson's
  at ``n / deff`` of the consistent indicators; both with Student's t quantile for
  ``clusters - 1`` degrees of freedom in place of z, as the design effect is estimated
  from them. Without it (or when every pair is its own cluster) the design effect is 1
  and the figures are the unclustered ones.
- ``preference_fairness`` = recency - primacy, in [-1, 1]; 0 is fair.
- ``accuracy`` = mean credit over valid verdicts on pairs with gold a or b (1 for
  the gold answer, 0.5 for a tie, 0 otherwise), each valid verdict one unit. Its
  Wilson interval is taken at the effective number of verdicts, ``n_verdicts /
  deff``, the design effect of the two orders of a pair (and of the pairs of one
  cluster) against binomial verdicts: so the interval's centre and its n count the
  same units;
  ``accuracy_first`` /
  ``accuracy_second`` the same over the calls where the gold answer was shown
  first / second (their gap is what position bias costs in accuracy).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from judgebias.stats.clustering import cluster_keys
from judgebias.stats.intervals import (
    cluster_df,
    design_effect,
    newcombe_paired_diff,
    newcombe_paired_p,
    t_alpha,
    wilson,
)
from judgebias.vocabulary import normalize_label

__all__ = [
    "accuracy_stats",
    "classify_orders",
    "position_stats",
]


def classify_orders(first: pd.Series, second: pd.Series) -> pd.Series:
    """Per pair: 'consistent', 'primacy', 'recency', or None when a verdict is missing."""
    f = first.map(normalize_label)
    s = second.map(normalize_label)
    out = pd.Series([None] * len(f), index=f.index, dtype=object)
    valid = f.notna() & s.notna()
    out[valid & (f == s)] = "consistent"
    prim = valid & (
        ((f == "a") & (s == "b")) | ((f == "a") & (s == "tie")) | ((f == "tie") & (s == "b"))
    )
    rec = valid & (
        ((f == "b") & (s == "a")) | ((f == "b") & (s == "tie")) | ((f == "tie") & (s == "a"))
    )
    out[prim] = "primacy"
    out[rec] = "recency"
    return out


def _credit(verdict: pd.Series, gold: pd.Series) -> pd.Series:
    c = pd.Series(np.nan, index=verdict.index, dtype=float)
    ok = verdict.notna() & gold.isin(["a", "b"])
    c[ok] = 0.0
    c[ok & (verdict == gold)] = 1.0
    c[ok & (verdict == "tie")] = 0.5
    return c


def position_stats(
    frame: pd.DataFrame,
    *,
    first: str = "verdict_ab",
    second: str = "verdict_ba",
    gold: str | None = "gold",
    alpha: float = 0.05,
    cluster: str | None = None,
) -> dict[str, Any]:
    """Position-bias and accuracy figures for one group of pairs (see the module docstring);
    ``cluster`` names the column whose equal values are one cluster (None: every pair is
    its own)."""
    cls = classify_orders(frame[first], frame[second])
    clusters = cluster_keys(frame, cluster)
    n_pairs = len(frame)
    n = int(cls.notna().sum())
    n_cons = int((cls == "consistent").sum())
    n_pri = int((cls == "primacy").sum())
    n_rec = int((cls == "recency").sum())
    out: dict[str, Any] = {"n_pairs": n_pairs, "n": n, "n_valid": n, "n_invalid": n_pairs - n}
    if n > 0:
        f = frame[first].map(normalize_label)
        cons = cls == "consistent"
        a_cnt = float(((f == "a") & cons).sum()) + 0.5 * float(((f == "tie") & cons).sum())
        d_cnt = float(n_cons) - a_cnt
        valid = cls.notna().to_numpy()
        scores = {"primacy": 1.0, "recency": -1.0, "consistent": 0.0}
        score = cls[valid].map(scores).to_numpy(dtype=float)
        deff = design_effect(score - score.mean(), clusters[valid])
        df = cluster_df(clusters[valid])
        eff_counts = (a_cnt / deff, n_pri / deff, n_rec / deff, d_cnt / deff)
        _, lo, hi = newcombe_paired_diff(*eff_counts, alpha, df)
        effect = (n_pri - n_rec) / n
        is_cons = cons[valid].to_numpy(dtype=float)
        c_deff = design_effect(is_cons - is_cons.mean(), clusters[valid])
        c_lo, c_hi = wilson(n_cons / c_deff, n / c_deff, t_alpha(alpha, df))
        out.update(
            {
                "effect": effect,
                "ci_low": lo,
                "ci_high": hi,
                "p_value": float(newcombe_paired_p(*eff_counts, df=df)),
                "deff": deff,
                "consistency_deff": c_deff,
                "n_clusters": len(pd.unique(clusters[valid])),
                "consistency": n_cons / n,
                "consistency_ci_low": c_lo,
                "consistency_ci_high": c_hi,
                "primacy": n_pri / n,
                "recency": n_rec / n,
                "preference_fairness": (n_rec - n_pri) / n,
                "n_consistent": n_cons,
                "n_primacy": n_pri,
                "n_recency": n_rec,
            }
        )
    else:
        for k in (
            "effect",
            "ci_low",
            "ci_high",
            "p_value",
            "consistency",
            "consistency_ci_low",
            "consistency_ci_high",
            "primacy",
            "recency",
            "preference_fairness",
            "deff",
            "consistency_deff",
        ):
            out[k] = math.nan
        out.update({"n_consistent": 0, "n_primacy": 0, "n_recency": 0, "n_clusters": 0})

    out.update(
        accuracy_stats(frame, first=first, second=second, gold=gold, alpha=alpha, cluster=cluster)
    )
    return out


def accuracy_stats(
    frame: pd.DataFrame,
    *,
    first: str,
    second: str,
    gold: str | None,
    alpha: float = 0.05,
    cluster: str | None = None,
) -> dict[str, Any]:
    """Accuracy against gold over both orders, and split by where the gold answer was shown;
    the verdicts of one pair (and of one ``cluster``) are correlated units."""
    nan = math.nan
    empty = {
        "accuracy": nan,
        "accuracy_ci_low": nan,
        "accuracy_ci_high": nan,
        "accuracy_first": nan,
        "accuracy_second": nan,
        "n_gold": 0,
    }
    if gold is None or gold not in frame.columns:
        return empty
    g = frame[gold].map(normalize_label)
    f = frame[first].map(normalize_label)
    s = frame[second].map(normalize_label)
    cf, cs = _credit(f, g), _credit(s, g)
    both = pd.concat([cf, cs])
    if both.notna().sum() == 0:
        return empty
    per_pair = pd.concat([cf, cs], axis=1).mean(axis=1, skipna=True).dropna()
    keys = np.concatenate([cluster_keys(frame, cluster)] * 2)[both.notna().to_numpy()]
    valid = both.dropna()
    acc = float(valid.mean())
    n_verdicts = len(valid)
    # the two verdicts of a pair are correlated: Wilson at the effective number of
    # verdicts, the centre and n both counting verdicts
    deff = design_effect(
        valid.to_numpy(dtype=float) - acc,
        keys,
        np.full(n_verdicts, acc * (1.0 - acc)),
    )
    lo, hi = wilson(acc * n_verdicts / deff, n_verdicts / deff, t_alpha(alpha, cluster_df(keys)))
    # gold shown first: gold a in the ab order, gold b in the ba order
    gold_first = pd.concat([cf[g == "a"], cs[g == "b"]])
    gold_second = pd.concat([cf[g == "b"], cs[g == "a"]])
    return {
        "accuracy": acc,
        "accuracy_ci_low": lo,
        "accuracy_ci_high": hi,
        "accuracy_first": float(gold_first.mean()) if gold_first.notna().any() else nan,
        "accuracy_second": float(gold_second.mean()) if gold_second.notna().any() else nan,
        "n_gold": len(per_pair),
        "n_gold_verdicts": n_verdicts,
        "accuracy_deff": deff,
    }
