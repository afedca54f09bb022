"""Prompting strategies compared with a baseline on the same pairs: consistency and
accuracy differences (Newcombe's paired interval and the p-value that inverts it, at the
effective sample size when pairs share a cluster; BH) and the length bias net of accuracy
(see :mod:`judgebias.analysis`, "Comparing prompting strategies")."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from judgebias.errors import UsageError
from judgebias.stats.clustering import cluster_keys
from judgebias.stats.intervals import (
    bh_adjust,
    design_effect,
    newcombe_diff,
    newcombe_paired_diff,
    newcombe_paired_p,
)
from judgebias.stats.position import classify_orders
from judgebias.stats.recorded import length_figures, toward
from judgebias.tables.verdicts import (
    DEFAULT_MIN_LENGTH_DIFF,
    FIRST,
    GOLD,
    SECOND,
    cell_key,
    column_did_you_mean,
    column_listing,
    column_not_found,
    group_items,
    key_series,
)

__all__ = ["StrategyComparison", "compare_strategies"]

# --------------------------------------------------------------------------- strategies


@dataclass
class StrategyComparison:
    """Each strategy against the baseline on the same pairs (see the module docstring)."""

    column: str
    baseline: str
    within: list[str]
    match: list[str]
    differences: pd.DataFrame
    """One row per (within..., strategy, figure): baseline, value, difference, interval, p, p_adjusted, n."""
    length: pd.DataFrame
    """One row per (within..., strategy): P(prefers longer | gold shorter) and its contrast."""


def _credit_pairs(x: pd.Series, y: pd.Series) -> tuple[float, float, float, float]:
    """The (fractional) 2x2 table of per-pair credits x (strategy) and y (baseline)."""
    a = float(np.minimum(x, y).sum())
    b = float(np.maximum(x - y, 0.0).sum())
    c = float(np.maximum(y - x, 0.0).sum())
    d = float(np.minimum(1.0 - x, 1.0 - y).sum())
    return a, b, c, d


def _pair_credit(g: pd.DataFrame) -> pd.Series:
    gold = g[GOLD].where(g[GOLD].isin(["a", "b"]), None)
    cf, cs = toward(g[FIRST], gold), toward(g[SECOND], gold)
    return pd.concat([cf, cs], axis=1).mean(axis=1, skipna=True)


def _compare_one(
    base: pd.DataFrame, other: pd.DataFrame, alpha: float, cluster: str | None = None
) -> list[dict[str, Any]]:
    m = base.merge(other, on="_jb_match", suffixes=("_b", "_s"))
    keys = pd.Series(
        cluster_keys(m, cluster + "_b") if cluster is not None else m["_jb_match"].to_numpy(),
        index=m.index,
    )
    rows: list[dict[str, Any]] = []
    cls_b = classify_orders(m[FIRST + "_b"], m[SECOND + "_b"])
    cls_s = classify_orders(m[FIRST + "_s"], m[SECOND + "_s"])
    ok = cls_b.notna() & cls_s.notna()
    x = (cls_s[ok] == "consistent").astype(float)
    y = (cls_b[ok] == "consistent").astype(float)
    rows.append(_diff_row("position_consistency", x, y, alpha, keys[ok]))
    cb = _pair_credit(
        m.rename(columns={FIRST + "_b": FIRST, SECOND + "_b": SECOND, GOLD + "_b": GOLD})
    )
    cs = _pair_credit(
        m.rename(columns={FIRST + "_s": FIRST, SECOND + "_s": SECOND, GOLD + "_s": GOLD})
    )
    ok = cb.notna() & cs.notna()
    rows.append(_diff_row("accuracy", cs[ok], cb[ok], alpha, keys[ok]))
    return rows


def _diff_row(
    figure: str, x: pd.Series, y: pd.Series, alpha: float, clusters: pd.Series
) -> dict[str, Any]:
    n = len(x)
    if n == 0:
        return {
            "figure": figure,
            "n": 0,
            "baseline_value": math.nan,
            "value": math.nan,
            "difference": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "p_value": math.nan,
            "n_better": 0,
            "n_worse": 0,
        }
    a, b, c, d = _credit_pairs(x, y)
    delta = (x - y).to_numpy(dtype=float)
    deff = design_effect(delta - delta.mean(), clusters.to_numpy())
    a, b, c, d = a / deff, b / deff, c / deff, d / deff
    diff, lo, hi = newcombe_paired_diff(a, b, c, d, alpha)
    better, worse = int((x > y).sum()), int((x < y).sum())
    return {
        "figure": figure,
        "n": n,
        "baseline_value": float(y.mean()),
        "value": float(x.mean()),
        "difference": diff,
        "ci_low": lo,
        "ci_high": hi,
        "p_value": float(newcombe_paired_p(a, b, c, d)),
        "n_better": better,
        "n_worse": worse,
        "deff": deff,
    }


def _newcombe_indep(
    v1: float, n1: int, v2: float, n2: int, alpha: float
) -> tuple[float, float, float]:
    """Newcombe's hybrid score interval for the difference of two independent shares."""
    if n1 <= 0 or n2 <= 0 or math.isnan(v1) or math.isnan(v2):
        return (math.nan, math.nan, math.nan)
    return newcombe_diff(v1 * n1, n1, v2 * n2, n2, alpha)


def compare_strategies(
    pairs: pd.DataFrame,
    *,
    baseline: str,
    column: str = "strategy",
    within: Sequence[str] | None = None,
    match: Sequence[str],
    alpha: float = 0.05,
    min_length_diff: float = DEFAULT_MIN_LENGTH_DIFF,
    cluster: str | None = None,
) -> StrategyComparison:
    """Compare every value of ``column`` with ``baseline`` on the same pairs.

    ``pairs`` is :attr:`AnalyzeResult.pairs` (the prepared one-row-per-pair frame);
    ``match`` the columns that identify the same pair under two strategies;
    ``within`` the columns whose values are compared separately (e.g. ``judge``);
    ``cluster`` the column whose equal values are one cluster (None: each pair).
    """
    within = list(within or [])
    for col in [column, *within, *match]:
        if col not in pairs.columns:
            raise UsageError(
                f"--compare-column/--compare-within/--pair: {column_not_found(col, list(pairs.columns))}"
            )
    if not match:
        raise UsageError(
            "--pair: comparing strategies needs the columns that identify a pair (e.g. --pair idx)"
        )
    base_key = cell_key(baseline)
    strat = pairs[column].map(cell_key)
    if not (strat == base_key).any():
        present = sorted({str(v) for v in pairs[column].dropna().unique()})
        hint = column_did_you_mean(baseline, present)
        raise UsageError(
            f"--compare-to: no pair has {column}={baseline}{hint} (values: {column_listing(present)})"
        )
    frame = pairs.assign(
        _jb_match=key_series(pairs, match).to_numpy(), _jb_strategy=strat.to_numpy()
    )
    dup = frame.duplicated([*within, "_jb_strategy", "_jb_match"], keep=False)
    if dup.any():
        row = frame[dup].iloc[0]
        example = ", ".join(f"{k}={row[k]}" for k in [*within, column, *match])
        raise UsageError(
            f"--pair: ({', '.join(match)}) does not identify one pair per {column} (e.g. {example} "
            f"appears {int(dup.sum())} times); add columns to --pair or --group"
        )
    keep = [FIRST, SECOND, GOLD, "_jb_match", *([cluster] if cluster is not None else [])]
    diffs: list[dict[str, Any]] = []
    lengths: list[dict[str, Any]] = []
    for values, g in group_items(frame, within):
        base = g[g["_jb_strategy"] == base_key]
        order = list(dict.fromkeys(g[column].tolist()))
        rows_here: list[dict[str, Any]] = []
        for value in order:
            sg = g[g["_jb_strategy"] == cell_key(value)]
            lf = length_figures(sg, min_length_diff, alpha)
            d, lo, hi = _newcombe_indep(
                lf["prefers_longer_when_gold_shorter"],
                lf["n_gold_shorter"],
                lf["prefers_shorter_when_gold_longer"],
                lf["n_gold_longer"],
                alpha,
            )
            lengths.append(
                {
                    **values,
                    column: value,
                    **{
                        k: lf[k]
                        for k in (
                            "prefers_longer_when_gold_shorter",
                            "prefers_longer_when_gold_shorter_ci_low",
                            "prefers_longer_when_gold_shorter_ci_high",
                            "n_gold_shorter",
                            "prefers_shorter_when_gold_longer",
                            "prefers_shorter_when_gold_longer_ci_low",
                            "prefers_shorter_when_gold_longer_ci_high",
                            "n_gold_longer",
                        )
                    },
                    "length_bias": d,
                    "length_bias_ci_low": lo,
                    "length_bias_ci_high": hi,
                }
            )
            if cell_key(value) == base_key:
                continue
            for r in _compare_one(base[keep], sg[keep], alpha, cluster):
                rows_here.append({**values, column: value, **r})
        adjusted = bh_adjust([r["p_value"] for r in rows_here])
        for r, q in zip(rows_here, adjusted, strict=True):
            r["p_adjusted"] = q
        diffs.extend(rows_here)
    return StrategyComparison(
        column=column,
        baseline=baseline,
        within=within,
        match=list(match),
        differences=pd.DataFrame(diffs),
        length=pd.DataFrame(lengths),
    )
