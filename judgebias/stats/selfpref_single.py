"""Self-preference in ``--format single``: the judge's own answer graded as written and as
paraphrased by another model, net of the same for the pair's answers.

The controlled design of :mod:`judgebias.stats.selfpref`, on grades. Per pair, with
``g`` the judge's grade (its rank on the scale)::

    own_shift     = g(own answer as written) - g(its paraphrase)
    placebo_shift = mean over the pair's two answers of g(as written) - g(paraphrase)
    effect        = mean over pairs of (own_shift - placebo_shift)      [grade points]

The answers as written are the control gradings; the paraphrases come from the
rewriter (``--rewriter``, by default the gold judge). No gold judge enters it, so
where the judge or the gold err, or how the judge's scale is compressed, cannot make
it nonzero; it assumes, as the pairwise figure does, that the paraphrase removes the
marks by which the judge recognises its own text and shifts the grade of its own and
others' answers alike. The simulated judge's ``self`` raises the grade of its own
answer by one point with probability ``self``, so the effect equals ``self`` points.

Interval and p-value: one cluster bootstrap over the run's clusters (by default the
instruction; :mod:`.clusterboot`); with no
grade moved at all, the interval of one pair moved by a point either way.

With a gold judge, descriptive only (no severity): ``gold_difference`` = mean over
pairs of (judge - gold grade of the own answer) - (judge - gold grade of the pair's
answers), the former headline. A judge whose grades are a compressed copy of the
gold's (``judge = a + b gold``, ``b < 1``) scores ``(b - 1) (gold_own - gold_other)``
on it without any self-preference.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from judgebias.stats.clusterboot import cluster_bootstrap, cluster_sums
from judgebias.stats.clustering import pair_clusters

__all__ = ["single_self"]

_KEY = ["pair_id", "target"]


def _scores(records: pd.DataFrame, probe: str, kind: str) -> pd.Series:
    r = records[(records["probe"] == probe) & (records["kind"] == kind)]
    return r.groupby(_KEY)["score"].first()


def _mean_ci(
    per_pair: pd.Series, floor_se: float, clusters: pd.Series
) -> tuple[float, float, float, float]:
    """Mean over pairs with a cluster bootstrap over ``clusters`` (pair id -> cluster)."""
    v = per_pair.to_numpy(dtype=float)
    if len(v) == 0:
        return (math.nan,) * 4
    keys = per_pair.index.to_series().map(clusters).fillna(per_pair.index.to_series())
    sums = cluster_sums(keys.to_numpy(), d=v, n=np.ones(len(v)))
    res = cluster_bootstrap(sums, lambda t: t["d"] / t["n"], floor_se=floor_se)
    return (
        float(v.mean()),
        float(res["ci_low"]),
        float(res["ci_high"]),
        float(res["p_value"]),
    )


def single_self(records: pd.DataFrame) -> dict[str, Any]:
    """The pointwise ``self`` figure (see the module docstring), in grade points."""
    own = _scores(records, "self", "own").droplevel("target")
    own_para = _scores(records, "self", "own-paraphrased").droplevel("target")
    other = _scores(records, "control", "control")
    other_para = _scores(records, "self", "other-paraphrased")
    planned = own_para.index.unique() if len(own_para) else pd.Index([])
    placebo = (other - other_para).dropna().groupby(level="pair_id").mean()
    per_pair = ((own - own_para) - placebo).reindex(planned).dropna()
    n = len(per_pair)
    clusters = pair_clusters(records)
    eff, lo, hi, p = _mean_ci(per_pair, math.sqrt(2.0) / max(n, 1), clusters)
    out: dict[str, Any] = {
        "measure": "controlled",
        "effect": eff,
        "ci_low": lo,
        "ci_high": hi,
        "p_value": p,
        "n": n,
        "n_invalid": max(0, len(planned) - n),
        "unit": "points",
        "own_shift": float((own - own_para).reindex(per_pair.index).mean()) if n else math.nan,
        "placebo_shift": float(placebo.reindex(per_pair.index).mean()) if n else math.nan,
    }
    # descriptive only: the judge's grades against the gold's
    g_own = _scores(records, "self", "gold-own").droplevel("target")
    g_other = _scores(records, "self", "gold-other")
    d_own = (own - g_own).dropna()
    d_other = (other - g_other).dropna().groupby(level="pair_id").mean()
    diff = (d_own - d_other).dropna()
    g_eff, g_lo, g_hi, g_p = _mean_ci(diff, math.sqrt(2.0) / max(len(diff), 1), clusters)
    out.update(
        gold_difference=g_eff,
        gold_difference_ci_low=g_lo,
        gold_difference_ci_high=g_hi,
        gold_difference_p_value=g_p,
        judge_minus_gold_own=float(d_own.mean()) if len(d_own) else math.nan,
        judge_minus_gold_other=float(d_other.mean()) if len(d_other) else math.nan,
    )
    return out
