"""The ``self`` probe's figures for summary.json: the controlled headline of
:mod:`.selfpref` with the descriptive error asymmetry and DBG (:mod:`.dbg`) beside it.

Kept apart from both so that neither imports the other's consumer: :mod:`.dbg` uses
the error asymmetry of :mod:`.selfpref`, and this module uses both.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from judgebias.stats.dbg import dbg
from judgebias.stats.selfpref import (
    controlled_self_preference,
    controlled_units,
    self_preference,
    self_units,
)

__all__ = ["self_probe_stats"]


def self_probe_stats(
    records: pd.DataFrame, alpha: float = 0.05, clusters: pd.Series | None = None
) -> dict[str, Any]:
    """The ``self`` probe's figures for summary.json, as fractions.

    ``effect, ci_low, ci_high, p_value, n`` (and ``flip_rate, placebo_flip_rate,
    own_shift, placebo_shift, room, se, n_clusters, cluster``) are the controlled figure
    (:func:`controlled_self_preference`, clustered by ``clusters`` or the pair; ``n``
    the units with all four verdicts, ``n_invalid`` those with any unread). With a gold
    judge, descriptive only: ``error_asymmetry, error_asymmetry_ci_low,
    error_asymmetry_ci_high, error_asymmetry_p_value`` with ``p_own_given_gold_other,
    p_other_given_gold_own, equal_opportunity, error_asymmetry_n`` (verdicts) and
    ``error_asymmetry_note``; ``dbg, dbg_ci_low, dbg_ci_high, dbg_p_value`` with
    ``judge_win_rate, gold_win_rate, n_comparisons``.
    """
    nan = math.nan
    cu = controlled_units(records, clusters)
    head = controlled_self_preference(cu, cluster_col="cluster", alpha=alpha)
    head["cluster"] = "pair" if clusters is None else str(clusters.name or "cluster")
    out: dict[str, Any] = {"measure": "controlled", **head}
    units = self_units(records)
    both = units.dropna(subset=["judge", "gold"])
    out.update(
        error_asymmetry=nan,
        error_asymmetry_ci_low=nan,
        error_asymmetry_ci_high=nan,
        error_asymmetry_p_value=nan,
        error_asymmetry_n=0,
        error_asymmetry_note="",
        p_own_given_gold_other=nan,
        p_other_given_gold_own=nan,
        equal_opportunity=nan,
        dbg=nan,
        dbg_ci_low=nan,
        dbg_ci_high=nan,
        dbg_p_value=nan,
        judge_win_rate=nan,
        gold_win_rate=nan,
        n_comparisons=0,
    )
    if both.empty:
        return out
    items = both["pair_id"] if clusters is None else both["pair_id"].map(clusters)
    ea = self_preference(
        both.assign(item=items.to_numpy()),
        judge_col="judge",
        gold_col="gold",
        item_col="item",
        alpha=alpha,
    )
    out.update(
        error_asymmetry=ea["effect"],
        error_asymmetry_ci_low=ea["ci_low"],
        error_asymmetry_ci_high=ea["ci_high"],
        error_asymmetry_p_value=ea["p_value"],
        error_asymmetry_n=ea["n"],
        error_asymmetry_note=ea["note"],
        p_own_given_gold_other=ea["p_own_given_gold_other"],
        p_other_given_gold_own=ea["p_other_given_gold_own"],
        equal_opportunity=ea["equal_opportunity"],
    )
    per_cmp = both.groupby(["pair_id", "variant"], as_index=False)[["judge", "gold"]].mean()
    if clusters is not None:
        per_cmp["pair_id"] = per_cmp["pair_id"].map(clusters)
    out["n_comparisons"] = len(per_cmp)
    res = dbg(
        per_cmp,
        judge_col="judge",
        gold_col="gold",
        item_col="pair_id",
        alpha=alpha,
        kind="probability",
    )
    r = res.iloc[0]
    out.update(
        dbg=r["dbg"] / 100.0,
        dbg_ci_low=r["ci_low"] / 100.0,
        dbg_ci_high=r["ci_high"] / 100.0,
        dbg_p_value=float(r["p_value"]),
        judge_win_rate=r["judge_win_rate"] / 100.0,
        gold_win_rate=r["gold_win_rate"] / 100.0,
    )
    if r.get("note"):
        out["dbg_note"] = str(r["note"])
    return out
