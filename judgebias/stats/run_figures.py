"""The figures behind an audit report's length and factor plots, from records and pairs.

:func:`run_figures` is what ``run_audit`` stores under ``figures`` in summary.json, so the
report only draws them:

- ``length_bins``: the pairs of unequal length (whitespace-separated words), binned by
  how much longer the longer answer is (quantiles of log(longer/shorter), at most 6 bins
  of at least ~15 pairs). Per bin: ``ratio`` (median longer/shorter), ``judge`` (share
  of the judge's control verdicts for the longer answer; both orders averaged per pair,
  a tie counts half) with a Wilson interval (``judge_lo``, ``judge_hi``) over the bin's
  pairs (successes = the summed per-pair shares), ``n``, and ``gold`` / ``n_gold`` (the
  gold labels' share for the longer answer). The interval replaces the normal
  approximation ``mean ± 1.96·sd/√n`` used before, which could leave [0, 1] and collapse
  to a point in bins where every verdict agreed.
- ``length_overall``: the same shares over all binned pairs (``n``, ``judge``, ``gold``).
- ``factors``: :func:`judgebias.stats.factors.factor_attribution` fitted on the per-pair
  control preference (and on gold when at least ``MIN_FACTOR_PAIRS`` pairs have one), its
  standard errors clustered by the run's clusters (the records' ``cluster``, by default
  the instruction), as a list of rows, or ``None`` with a ``note`` saying why not.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from judgebias.stats.clustering import CLUSTER_COLUMN, pair_clusters
from judgebias.stats.dbg import to_preference
from judgebias.stats.intervals import wilson
from judgebias.vocabulary import CREDIT

__all__ = [
    "MAX_FACTOR_PAIRS",
    "MIN_FACTOR_PAIRS",
    "bins_from_summary",
    "factor_fit",
    "factors_from_summary",
    "length_bins",
    "run_figures",
]

MIN_FACTOR_PAIRS = 40
MAX_FACTOR_PAIRS = 10_000


def _pair_preference(records: pd.DataFrame) -> pd.Series:
    """Per pair, the mean credit of answer a over its valid control verdicts."""
    ctrl = records[records["kind"] == "control"]
    return ctrl.assign(credit=ctrl["verdict"].map(CREDIT)).groupby("pair_id")["credit"].mean()


def length_bins(
    records: pd.DataFrame, pairs: pd.DataFrame, bins: int = 6, alpha: float = 0.05
) -> pd.DataFrame:
    """Per bin of the longer/shorter length ratio, the judge's and gold's share for the
    longer answer (columns in the module docstring); empty when under 10 pairs qualify."""
    cols = {"id", "response_a", "response_b"}
    if (
        records.empty
        or pairs.empty
        or not cols <= set(pairs.columns)
        or "kind" not in records.columns
    ):
        return pd.DataFrame()
    pref = _pair_preference(records).dropna()
    p = pairs.assign(id=pairs["id"].astype(str)).set_index("id")
    p = p[p.index.isin(pref.index.astype(str))]
    if p.empty:
        return pd.DataFrame()
    wa = p["response_a"].astype(str).map(lambda t: max(1, len(t.split())))
    wb = p["response_b"].astype(str).map(lambda t: max(1, len(t.split())))
    frame = pd.DataFrame(
        {"wa": wa, "wb": wb, "pref_a": pref.reindex(p.index).to_numpy()}, index=p.index
    )
    frame["gold_a"] = p["gold"].map(CREDIT) if "gold" in p.columns else np.nan
    frame = frame[frame["wa"] != frame["wb"]].dropna(subset=["pref_a"])
    if len(frame) < 10:
        return pd.DataFrame()
    a_longer = frame["wa"] > frame["wb"]
    frame["ratio"] = np.where(a_longer, frame["wa"] / frame["wb"], frame["wb"] / frame["wa"])
    frame["judge"] = np.where(a_longer, frame["pref_a"], 1 - frame["pref_a"])
    frame["gold"] = np.where(a_longer, frame["gold_a"], 1 - frame["gold_a"])
    k = max(1, min(bins, len(frame) // 15))
    frame["bin"] = pd.qcut(np.log(frame["ratio"]), q=k, labels=False, duplicates="drop")
    rows = []
    for _, g in frame.groupby("bin"):
        n = len(g)
        lo, hi = wilson(float(g["judge"].sum()), n, alpha)
        gold = g["gold"].dropna()
        rows.append(
            {
                "ratio": float(g["ratio"].median()),
                "judge": float(g["judge"].mean()),
                "judge_lo": lo,
                "judge_hi": hi,
                "n": n,
                "gold": float(gold.mean()) if len(gold) else math.nan,
                "n_gold": len(gold),
            }
        )
    return pd.DataFrame(rows)


def length_overall(table: pd.DataFrame) -> dict[str, Any]:
    """The judge's (and gold's) share for the longer answer over every binned pair."""
    if table.empty:
        return {}
    n = int(table["n"].sum())
    out: dict[str, Any] = {"n": n, "judge": float((table["judge"] * table["n"]).sum() / n)}
    gold = table.dropna(subset=["gold"])
    out["gold"] = (
        float((gold["gold"] * gold["n_gold"]).sum() / gold["n_gold"].sum())
        if len(gold) and gold["n_gold"].sum() > 0
        else None
    )
    return out


def _factor_frame(
    records: pd.DataFrame, pairs: pd.DataFrame, unit: str
) -> tuple[pd.DataFrame | None, str]:
    if records.empty or pairs.empty or "kind" not in records.columns:
        return None, "needs the run's records and pairs"
    if not {"id", "response_a", "response_b"} <= set(pairs.columns):
        return None, "the pairs table has no response texts"
    pref = _pair_preference(records)
    df = pairs.assign(id=pairs["id"].astype(str))
    df = df.assign(pref=df["id"].map(pref.to_dict()))
    if CLUSTER_COLUMN in records.columns:  # the run's clusters (--cluster), named by unit
        keys = pair_clusters(records).to_dict()
        df = df.assign(**{unit: df["id"].map(lambda i: keys.get(i, i))})
    df = df[df["pref"].notna()]
    if len(df) < MIN_FACTOR_PAIRS:
        return None, (
            f"only {len(df)} pairs have a valid control verdict; the factor model "
            f"needs at least {MIN_FACTOR_PAIRS}"
        )
    if len(df) > MAX_FACTOR_PAIRS:
        # a fixed random sample keeps large reports fast and small; the note says so
        df = df.sample(n=MAX_FACTOR_PAIRS, random_state=0)
        return df, f"fitted on a random sample of {MAX_FACTOR_PAIRS:,} pairs"
    return df, ""


def factor_fit(
    records: pd.DataFrame, pairs: pd.DataFrame, unit: str = "instruction"
) -> tuple[pd.DataFrame | None, str]:
    """factor_attribution on the control verdicts (and gold when present), or a note why not;
    the standard errors clustered by the records' clusters, ``unit`` naming them (by
    instruction when the records carry none)."""
    if unit in ("id", "pref", "response_a", "response_b", "gold"):  # columns the fit reads
        unit = f"{unit} (cluster)"
    df, note = _factor_frame(records, pairs, unit)
    if df is None:
        return None, note
    has_gold = "gold" in df.columns and bool(
        df["gold"].isin(["a", "b", "tie"]).sum() >= MIN_FACTOR_PAIRS
    )
    try:
        from judgebias.stats.factors import factor_attribution

        if has_gold:  # the gold's labels as numbers, so both columns read as probabilities
            df = df.assign(gold=to_preference(df["gold"], name="gold", kind="label"))

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                table = factor_attribution(
                    df,
                    text_a="response_a",
                    text_b="response_b",
                    pref="pref",
                    gold="gold" if has_gold else None,
                    item=unit if unit in df.columns else None,
                    kind="probability",  # the pair's mean credit (0 = b won both orders)
                )
    except Exception as exc:  # a failed fit must never stop the audit or its report
        return None, f"the factor model could not be fitted ({type(exc).__name__}: {exc})"
    fitted = table[(table["factor"] != "(intercept)") & table["coef"].notna()]
    if fitted.empty:
        return None, "no factor varied enough between the two answers to be fitted"
    return table, ""  # a sample (above MAX_FACTOR_PAIRS) is stated in the methods section


def run_figures(
    records: pd.DataFrame, pairs: pd.DataFrame, unit: str = "instruction"
) -> dict[str, Any]:
    """summary.json's ``figures``: ``length_bins``, ``length_overall`` and ``factors``
    (``unit``: what one of the records' clusters is, e.g. ``instruction``)."""
    bins = length_bins(records, pairs)
    table, note = factor_fit(records, pairs, unit)
    return {
        "length_bins": bins.to_dict("records"),
        "length_overall": length_overall(bins),
        "factors": {
            "table": None if table is None else table.to_dict("records"),
            "note": note,
        },
    }


_TEXT_COLUMNS = ("factor", "note")


def bins_from_summary(figures: dict[str, Any]) -> pd.DataFrame:
    """``length_bins`` of a summary's ``figures`` as a table (numbers as floats)."""
    rows = figures.get("length_bins") or []
    return pd.DataFrame(rows).apply(pd.to_numeric, errors="coerce") if rows else pd.DataFrame()


def factors_from_summary(figures: dict[str, Any]) -> tuple[pd.DataFrame | None, str]:
    """``factors`` of a summary's ``figures`` as (table, note), numbers as floats."""
    f = figures.get("factors") or {}
    rows = f.get("table")
    if not rows:
        return None, str(f.get("note") or "")
    t = pd.DataFrame(rows)
    for c in t.columns:
        if c not in _TEXT_COLUMNS:
            t[c] = pd.to_numeric(t[c], errors="coerce")
    return t, str(f.get("note") or "")
