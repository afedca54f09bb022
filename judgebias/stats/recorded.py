"""The figures of recorded verdicts, per group of the one-row-per-pair frame of
:func:`judgebias.analysis.prepare`: position, accuracy and length preference with Wilson
intervals, the position and accuracy ones at the effective sample size when pairs share a
cluster (see :mod:`judgebias.analysis` for the rules on unparseable verdicts).

:func:`group_table` (from :mod:`judgebias.stats.recorded_groups`) computes every
group's figures at once; :func:`length_figures` and :func:`share_ci` are one group's."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from judgebias.stats.intervals import wilson
from judgebias.stats.recorded_groups import group_table
from judgebias.tables.verdicts import FIRST, GOLD, LEN_A, LEN_B, SECOND

__all__ = ["group_table", "length_figures", "pooled", "share_ci", "toward"]

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
