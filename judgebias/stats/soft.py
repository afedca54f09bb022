"""The soft shift of a cue probe: how far a cue moves the judge's probability, in logprob
and score modes (where each answer carries P(first shown is better), ``p_first``).

A judge whose verdict never flips can still lean: its P(cued answer) may rise from 0.40
to 0.48 under the cue without ever crossing 0.5. The hard effect cannot see that; this
figure can.

The unit is the perturbation probe's: one pair in one order, the cue attached to one
answer (``target``). For each unit, P(the answer the bias favours) under the cue, under
its placebo and in the control: the cued answer for ``toward`` probes, the other one for
``away`` probes (distraction), each read from ``p_first`` as P(first) when that answer
was shown first and 1 - P(first) otherwise.

- ``soft_effect``: mean over units of P(favoured | cue) - P(favoured | placebo), net of
  the placebo as the hard effect is, signed the same way (+ = the judge leans the way
  the bias predicts). 95 % interval (``soft_ci_low``, ``soft_ci_high``) and
  ``soft_p_value``: a t interval and t-test with a cluster-robust standard error over
  the run's clusters (the pairs of one instruction, both orders of a pair, together;
  :func:`~judgebias.stats.intervals.clustered_mean`). ``soft_n``: units,
  ``soft_n_pairs``: pairs, ``soft_n_clusters``: clusters.
- ``soft_cue``, ``soft_placebo``, ``soft_control``: the mean P(favoured) in each
  condition; ``soft_vs_control``: the mean paired shift from the control to the cue
  (the raw "with and without the cue", not net of the placebo).

Units whose cue or placebo answer was invalid or carried no probability are left out.
In verdict mode there are no probabilities and no soft figures.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from judgebias.stats.clustering import pair_clusters
from judgebias.stats.intervals import clustered_mean

if TYPE_CHECKING:
    from judgebias.probes.catalog import ProbeSpec

__all__ = ["soft_figures", "soft_shift"]

_KEY = ["pair_id", "order"]
_EMPTY: dict[str, Any] = {
    **dict.fromkeys(("soft_effect", "soft_ci_low", "soft_ci_high", "soft_p_value"), math.nan),
    "soft_n": 0,
    "soft_n_pairs": 0,
    "soft_n_clusters": 0,
    **dict.fromkeys(("soft_cue", "soft_placebo", "soft_control", "soft_vs_control"), math.nan),
}


def _p(records: pd.DataFrame, kind: str, name: str) -> pd.DataFrame:
    r = records[(records["kind"] == kind) & records["valid"].astype(bool)]
    r = r[r["p_first"].notna()]
    return r[[*_KEY, "p_first"]].rename(columns={"p_first": name}).drop_duplicates(_KEY)


def soft_shift(
    records: pd.DataFrame,
    probe: str,
    directions: dict[str, str] | None = None,
    default: str = "toward",
) -> dict[str, Any]:
    """The soft figures of one cue probe (see the module docstring); ``directions`` maps
    a cue variant to its own direction (rewrite probes), else ``default``. Empty when
    the run's records carry no probabilities (verdict mode); NaN figures with
    ``soft_n`` 0 when they do but none of this probe's units has both."""
    if "p_first" not in records.columns or not records["p_first"].notna().any():
        return {}
    mine = records[records["probe"] == probe]
    cue_rows = mine[(mine["kind"] == "cue") & mine["valid"].astype(bool)]
    cue_rows = cue_rows[cue_rows["p_first"].notna()]
    if cue_rows.empty:
        return _EMPTY.copy()
    first = (
        cue_rows["first_shown"]
        if "first_shown" in cue_rows.columns
        else cue_rows["order"].map({"ab": "a", "ba": "b"})
    )
    units = cue_rows[[*_KEY, "target", "variant"]].assign(
        cue=cue_rows["p_first"].astype(float), target_first=(first == cue_rows["target"])
    )
    units = units.merge(_p(mine, "placebo", "placebo"), on=_KEY, how="inner")
    units = units.merge(_p(records, "control", "control"), on=_KEY, how="left")
    if units.empty:
        return _EMPTY.copy()
    away = units["variant"].map(lambda v: (directions or {}).get(str(v), default)) == "away"
    # P(first) -> P(the answer the bias favours): the cued one (toward) or the other (away)
    favoured_first = (units["target_first"] ^ away).to_numpy()
    fav = {
        c: np.where(favoured_first, units[c], 1.0 - units[c]).astype(float)
        for c in ("cue", "placebo", "control")
    }
    d = fav["cue"] - fav["placebo"]
    groups = units["pair_id"].map(pair_clusters(records)).fillna(units["pair_id"]).to_numpy()
    eff, lo, hi, p, k = clustered_mean(d, groups)
    has_ctrl = ~np.isnan(fav["control"])
    return {
        "soft_effect": eff,
        "soft_ci_low": lo,
        "soft_ci_high": hi,
        "soft_p_value": p,
        "soft_n": len(units),
        "soft_n_pairs": int(units["pair_id"].nunique()),
        "soft_n_clusters": k,
        "soft_cue": float(fav["cue"].mean()),
        "soft_placebo": float(fav["placebo"].mean()),
        "soft_control": float(fav["control"][has_ctrl].mean()) if has_ctrl.any() else math.nan,
        "soft_vs_control": (
            float((fav["cue"] - fav["control"])[has_ctrl].mean()) if has_ctrl.any() else math.nan
        ),
    }


def soft_figures(records: pd.DataFrame, spec: ProbeSpec) -> dict[str, Any]:
    """:func:`soft_shift` for a cue probe of any kind (perturbation, catalogue, custom,
    sentiment rewrites); empty for the others (fallacy, self) and in verdict mode."""
    if spec.kind == "perturbation":
        return soft_shift(records, spec.name, default=spec.direction)
    if spec.kind == "rewrite" and not (spec.name == "fallacy" or spec.bias == "fallacy"):
        directions = {c.id: c.direction or spec.direction for c in spec.cues}
        return soft_shift(records, spec.name, directions, spec.direction)
    return {}
