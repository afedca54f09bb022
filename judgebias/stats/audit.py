"""The probe figures of an audit (the ``probes`` part of summary.json).

:func:`probe_figures` turns an audit's records into one dict per probe: position (from
the control verdicts in both orders, with :func:`soft_position` when the judge gave
soft preferences), each perturbation probe (with its soft shift, :mod:`.soft`),
self-preference and the rewrite probes, each failing closed (:mod:`.validity`) and
marked ``uninformative`` when its verdicts cannot show a bias (:mod:`.informative`),
BH-adjusted over the probes that were measured and given a severity.
:mod:`judgebias.audits.pipeline` only calls it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from judgebias.stats.clustering import CLUSTER_COLUMN, pair_clusters
from judgebias.stats.informative import pairwise_informative, run_informative, verdict_positions
from judgebias.stats.intervals import bh_adjust, clustered_mean
from judgebias.stats.perturbation import perturbation_stats
from judgebias.stats.position import position_stats
from judgebias.stats.rewrite import rewrite_figures
from judgebias.stats.self_figures import self_probe_stats
from judgebias.stats.soft import soft_figures
from judgebias.stats.validity import DEFAULT_MAX_INVALID, fail_closed, severity

if TYPE_CHECKING:
    from judgebias.probes.catalog import ProbeSpec

__all__ = ["invalid_controls", "probe_figures", "soft_position"]


def soft_position(ctrl: pd.DataFrame) -> dict[str, Any]:
    """Position bias from soft preferences (logprob or score modes), when the judge gave them.

    Per pair, P(first shown is better) in both orders; ``soft_effect`` is the mean over
    pairs of p_ab + p_ba - 1 (0 for a fair judge, positive toward the first position),
    with a t interval whose standard error is cluster-robust over the records' clusters
    (the pairs of one instruction together; ``clusters - 1`` degrees of freedom). When
    every pair is its own cluster this is the plain t interval over pairs.
    """
    if "p_first" not in ctrl.columns or ctrl["p_first"].notna().sum() == 0:
        return {}
    wide = ctrl.pivot_table(index="pair_id", columns="order", values="p_first", aggfunc="first")
    if not {"ab", "ba"} <= set(wide.columns):
        return {}
    diff = (wide["ab"] + wide["ba"] - 1.0).dropna()
    d = diff.to_numpy(dtype=float)
    if len(d) < 2:
        return {}
    groups = pair_clusters(ctrl).reindex(diff.index).to_numpy()
    mean, lo, hi, _, k = clustered_mean(d, groups)
    if k < 2:
        return {}
    return {
        "soft_effect": mean,
        "soft_ci_low": lo,
        "soft_ci_high": hi,
        "soft_n": len(d),
        "soft_n_clusters": k,
    }


def invalid_controls(records: pd.DataFrame) -> int:
    """(pair, order) controls whose answer was invalid: units every perturbation probe lost."""
    ctrl = records[records["kind"] == "control"]
    return int((~ctrl["valid"].astype(bool)).sum())


def probe_figures(
    records: pd.DataFrame, probes: list[ProbeSpec], max_invalid: float = DEFAULT_MAX_INVALID
) -> dict[str, Any]:
    """The probe figures of a run (the ``probes`` part of summary.json), BH-adjusted over
    the probes that were measured, each failing closed (:mod:`judgebias.stats.validity`)."""
    out: dict[str, Any] = {}
    ctrl = records[records["kind"] == "control"]
    wide = ctrl.pivot_table(
        index="pair_id", columns="order", values="verdict", aggfunc="first", dropna=False
    )
    wide = wide.reindex(columns=["ab", "ba"])
    gold = ctrl.groupby("pair_id")["gold"].first()
    frame = pd.DataFrame(
        {
            "verdict_ab": wide["ab"],
            "verdict_ba": wide["ba"],
            "gold": gold.reindex(wide.index),
            CLUSTER_COLUMN: pair_clusters(ctrl).reindex(wide.index),
        }
    )
    pos = position_stats(frame, cluster=CLUSTER_COLUMN)
    names = [p.name for p in probes]
    if "position" in names:
        out["position"] = {
            k: pos[k]
            for k in (
                "effect",
                "ci_low",
                "ci_high",
                "p_value",
                "n",
                "consistency",
                "primacy",
                "recency",
                "consistency_ci_low",
                "consistency_ci_high",
                "preference_fairness",
                "n_pairs",
                "n_primacy",
                "n_recency",
                "n_consistent",
                "n_clusters",
                "deff",
                "accuracy",
                "accuracy_first",
                "accuracy_second",
            )
        }
        out["position"].update(soft_position(ctrl))
        # CALM's robustness rate for position: verdicts unchanged by swapping the order
        out["position"]["robustness_rate"] = pos["consistency"]
        fail_closed(out["position"], int(pos["n"]), int(pos["n_invalid"]))
    lost = invalid_controls(records)
    for spec in probes:
        if spec.kind == "perturbation":
            fig = perturbation_stats(records, spec.name, spec.direction)
            fig["direction"] = spec.direction
            fig.update(soft_figures(records, spec))
            out[spec.name] = fail_closed(fig, int(fig["n"]), int(fig["n_invalid"]) + lost)
        elif spec.kind == "self":
            # the controlled headline (effect ...); the error asymmetry and DBG only describe
            fig = self_probe_stats(records, clusters=pair_clusters(records))
            out[spec.name] = fail_closed(fig, int(fig["n"]), int(fig["n_invalid"]))
        elif spec.kind == "rewrite":  # sentiment, fallacy
            fig = rewrite_figures(records, spec)
            fig.update(soft_figures(records, spec))
            out[spec.name] = fail_closed(
                fig, int(fig.get("n") or 0), int(fig.get("n_invalid") or 0)
            )
    accuracy = (pos["accuracy"], pos["accuracy_ci_low"], pos["accuracy_ci_high"])
    pairwise_informative(out, records, _movable(probes), accuracy)
    names = list(out)
    # the BH family: the probes measured (an uninformative probe's p-value is no test)
    adjusted = bh_adjust(
        [out[n]["p_value"] if out[n]["status"] == "measured" else math.nan for n in names]
    )
    for n, q in zip(names, adjusted, strict=True):
        fig = out[n]
        fig["p_adjusted"] = q
        fig["severity"] = severity(
            fig.get("effect", math.nan),
            q,
            status=fig["status"],
            invalid_share=fig["invalid_share"],
            max_invalid=max_invalid,
        )
    out["_accuracy"] = pos
    judged = records[records["kind"] != "self-gold"]
    out["_informative"] = run_informative(
        verdict_positions(judged),
        accuracy,
        out,
        consequence=(
            "so no figure but position can show a bias"
            if out.get("position", {}).get("status") == "measured"
            else "so no figure of this run can show a bias"
        ),
    )
    return out


def _movable(probes: list[ProbeSpec]) -> dict[str, tuple[str, ...]]:
    """Per probe, the kinds of its records whose verdicts can show its effect."""
    out: dict[str, tuple[str, ...]] = {}
    for spec in probes:
        if spec.kind == "self":
            out[spec.name] = ("self",)
        elif spec.kind == "rewrite" and (spec.name == "fallacy" or spec.bias == "fallacy"):
            out[spec.name] = ("cue",)
        else:
            out[spec.name] = ("cue", "placebo")
    return out
