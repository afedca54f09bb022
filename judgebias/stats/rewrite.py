"""Figures of the rewritten cues (``sentiment``, ``fallacy``; see :mod:`judgebias.probes.rewrite`).

- ``sentiment`` (and any rewrite probe but fallacy): a perturbation probe whose units
  each follow their cue's direction (cheerful: toward the rewritten answer; angry, sad,
  fearful: away from it). The figures are those of
  :mod:`judgebias.stats.perturbation` over all units together (placebo-net effect,
  Newcombe interval at the effective sample size and the p-value that inverts it), and
  per tone.
- ``fallacy``: every answer's neutral paraphrase (sound reasoning) against its
  corrupted rewrite (same final answer), in both orders. ``accuracy`` is the share of
  verdicts naming the sound one (a tie counts half), with a BCa interval over the
  run's clusters (pairs, or the pairs of one instruction);
  ``accuracy_drop`` = 1 − accuracy; ``effect`` = 2 × (1 − accuracy), the accuracy lost
  to the fallacy on a scale from a judge that always notices (0) to one that cannot
  tell the two apart (1, chance), with the interval mapped the same way; the p-value
  tests accuracy = 1 (cluster-robust t-test).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from judgebias.stats.clustering import CLUSTER_COLUMN, with_clusters
from judgebias.stats.listwise import ratio_ci
from judgebias.stats.perturbation import perturbation_units, unit_figures
from judgebias.vocabulary import CREDIT

if TYPE_CHECKING:
    from judgebias.probes.catalog import ProbeSpec

__all__ = ["directed_perturbation_stats", "fallacy_stats", "rewrite_figures"]


def directed_perturbation_stats(
    records: pd.DataFrame, probe: str, directions: dict[str, str], default: str = "toward"
) -> dict[str, Any]:
    """Perturbation figures when each cue variant has its own direction."""
    parts = []
    for direction in ("toward", "away"):
        units = perturbation_units(records, probe, direction)
        keep = units["variant"].map(lambda v: directions.get(str(v), default)) == direction
        parts.append(units[keep])
    units = pd.concat(parts, ignore_index=True)
    out = unit_figures(units)
    out["variants"] = [
        {"variant": str(name), "direction": directions.get(str(name), default), **unit_figures(g)}
        for name, g in units.groupby("variant", sort=True)
    ]
    return out


def fallacy_stats(records: pd.DataFrame, probe: str = "fallacy") -> dict[str, Any]:
    r = records[(records["probe"] == probe) & (records["kind"] == "cue")]
    valid = r[r["verdict"].notna()]
    valid = valid.sort_values("pair_id", kind="stable")  # clusters in their first pair's order
    credit = valid["verdict"].map(CREDIT)
    clusters = with_clusters(valid[["pair_id"]], records)[CLUSTER_COLUMN]
    per_pair = credit.groupby(clusters.to_numpy(), sort=False).agg(["sum", "count"])
    nan = math.nan
    if per_pair.empty:
        acc = lo = hi = p = nan
    else:
        acc, lo, hi, p = ratio_ci(
            per_pair["sum"].to_numpy(dtype=float),
            per_pair["count"].to_numpy(dtype=float),
            null=1.0,
        )
    return {
        "effect": 2 * (1 - acc),
        "ci_low": 2 * (1 - hi) if not np.isnan(hi) else nan,
        "ci_high": 2 * (1 - lo) if not np.isnan(lo) else nan,
        "p_value": p,
        "n": len(valid),
        "n_invalid": int(len(r) - len(valid)),
        "n_units": int(r.groupby(["pair_id", "target"]).ngroups),
        "accuracy": acc,
        "accuracy_ci_low": lo,
        "accuracy_ci_high": hi,
        "accuracy_drop": 1 - acc,
    }


def rewrite_figures(records: pd.DataFrame, spec: ProbeSpec) -> dict[str, Any]:
    """The summary figures of one rewrite probe (see :mod:`judgebias.stats.rewrite`)."""
    if spec.name == "fallacy" or spec.bias == "fallacy":
        return fallacy_stats(records, spec.name)
    directions = {c.id: c.direction or spec.direction for c in spec.cues}
    fig = directed_perturbation_stats(records, spec.name, directions, spec.direction)
    fig["direction"] = "per cue"
    return fig
