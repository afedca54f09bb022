"""The figures of recorded verdicts, per group of the one-row-per-pair frame of
:func:`judgebias.analysis.prepare`: position, accuracy and length preference with Wilson
intervals, the position and accuracy ones at the effective sample size when pairs share a
cluster (see :mod:`judgebias.analysis` for the rules on unparseable verdicts).

:func:`group_figures` gives one group's figures; :func:`group_table` (from
:mod:`judgebias.stats.recorded_groups`) the same for every group at once."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from judgebias.stats.intervals import wilson
from judgebias.stats.position import position_stats
from judgebias.stats.recorded_groups import group_table
from judgebias.tables.verdicts import FIRST, GOLD, LEN_A, LEN_B, SECOND

__all__ = ["group_figures", "group_table", "length_figures", "pooled", "share_ci", "toward"]

# --------------------------------------------------------------------------- figures


def share_ci(value: float, n: int, alpha: float) -> tuple[float, float]:
    if n <= 0 or math.isnan(value):
        return (math.nan, math.nan)
    return wilson(value * n, n, alpha)


def pooled(first: pd.Series, second: pd.Series) -> tuple[float, int]:
    """Mean over the non-missing credits of both orders, and the number of pairs with any."""
    both = pd.concat([first, second])
    pairs = int((first.notna() | second.notna()).sum())
    if pairs == 0:
        return math.nan, 0
    return float(both.mean(skipna=True)), pairs


def toward(verdicts: pd.Series, target: pd.Series) -> pd.Series:
    """Credit 1 when the verdict is ``target``, 0.5 for a tie, 0 otherwise; NaN when missing."""
    out = pd.Series(np.nan, index=verdicts.index, dtype=float)
    ok = verdicts.notna() & target.notna()
    out[ok] = 0.0
    out[ok & (verdicts == target)] = 1.0
    out[ok & (verdicts == "tie")] = 0.5
    return out


def length_figures(g: pd.DataFrame, min_diff: float, alpha: float) -> dict[str, Any]:
    diff = g[LEN_A].astype(float) - g[LEN_B].astype(float)
    differs = diff.abs() > min_diff
    longer = pd.Series(np.where(diff > 0, "a", "b"), index=g.index, dtype=object).where(
        differs, None
    )
    shorter = longer.map({"a": "b", "b": "a"})
    cf, cs = toward(g[FIRST], longer), toward(g[SECOND], longer)
    value, n = pooled(cf, cs)
    gold = g[GOLD]
    gs = differs & gold.isin(["a", "b"]) & (gold == shorter)
    gl = differs & gold.isin(["a", "b"]) & (gold == longer)
    v_gs, n_gs = pooled(cf[gs], cs[gs])
    v_gl, n_gl = pooled(1.0 - cf[gl], 1.0 - cs[gl])
    out: dict[str, Any] = {
        "prefers_longer": value,
        "n_length": n,
        "prefers_longer_when_gold_shorter": v_gs,
        "n_gold_shorter": n_gs,
        "prefers_shorter_when_gold_longer": v_gl,
        "n_gold_longer": n_gl,
    }
    out["prefers_longer_ci_low"], out["prefers_longer_ci_high"] = share_ci(value, n, alpha)
    lo, hi = share_ci(v_gs, n_gs, alpha)
    out["prefers_longer_when_gold_shorter_ci_low"] = lo
    out["prefers_longer_when_gold_shorter_ci_high"] = hi
    lo, hi = share_ci(v_gl, n_gl, alpha)
    out["prefers_shorter_when_gold_longer_ci_low"] = lo
    out["prefers_shorter_when_gold_longer_ci_high"] = hi
    return out


def group_figures(
    g: pd.DataFrame, *, has_gold: bool, min_diff: float, alpha: float, cluster: str | None = None
) -> dict[str, Any]:
    ps = position_stats(
        g,
        first=FIRST,
        second=SECOND,
        gold=GOLD if has_gold else None,
        alpha=alpha,
        cluster=cluster,
    )
    n_valid = int(ps["n_valid"])
    gold = g[GOLD]
    n_gold_first = int(
        (g[FIRST].notna() & (gold == "a")).sum() + (g[SECOND].notna() & (gold == "b")).sum()
    )
    n_gold_second = int(
        (g[FIRST].notna() & (gold == "b")).sum() + (g[SECOND].notna() & (gold == "a")).sum()
    )
    row: dict[str, Any] = {
        "n": int(ps["n_pairs"]),
        "n_valid": n_valid,
        "position_consistency": ps["consistency"],
        "primacy": ps["primacy"],
        "recency": ps["recency"],
        "preference_fairness": ps["preference_fairness"],
        "accuracy": ps["accuracy"],
        "accuracy_first": ps["accuracy_first"],
        "accuracy_second": ps["accuracy_second"],
        "prefers_longer": math.nan,
        "n_invalid": int(ps["n_invalid"]),
        "n_unparseable": int(g[FIRST].isna().sum() + g[SECOND].isna().sum()),
        "n_consistent": int(ps["n_consistent"]),
        "n_primacy": int(ps["n_primacy"]),
        "n_recency": int(ps["n_recency"]),
        "position_consistency_ci_low": ps["consistency_ci_low"],
        "position_consistency_ci_high": ps["consistency_ci_high"],
        "position_effect": ps["effect"],
        "position_effect_ci_low": ps["ci_low"],
        "position_effect_ci_high": ps["ci_high"],
        "position_p_value": ps["p_value"],
        "n_clusters": int(ps["n_clusters"]),
        "preference_fairness_ci_low": -ps["ci_high"],
        "preference_fairness_ci_high": -ps["ci_low"],
        "accuracy_ci_low": ps["accuracy_ci_low"],
        "accuracy_ci_high": ps["accuracy_ci_high"],
        "n_gold": int(ps["n_gold"]),
        "n_gold_first": n_gold_first,
        "n_gold_second": n_gold_second,
    }
    for name, count in (
        ("primacy", n_valid),
        ("recency", n_valid),
        ("accuracy_first", n_gold_first),
        ("accuracy_second", n_gold_second),
    ):
        row[f"{name}_ci_low"], row[f"{name}_ci_high"] = share_ci(row[name], count, alpha)
    row.update(length_figures(g, min_diff, alpha))
    return row
