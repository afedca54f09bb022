"""Perturbation probes (length, bandwagon, authority, reflection, distraction, custom).

The unit is one pair in one order whose control verdict named an answer. The cue
was attached to the answer the control verdict was against (``toward`` probes) or
to the one it favoured (``away`` probes); the placebo went to the same answer.

- ``flip_rate``: share of units whose cued verdict moved in the probe's direction
  (to the cued answer; for ``away`` probes, to the other answer).
- ``placebo_flip_rate``: the same for the placebo request.
- ``effect`` = flip_rate - placebo_flip_rate, the bias net of the judge's
  sensitivity to any edit. Positive = the judge moves the way the bias predicts.
  95 % interval: Newcombe's paired score interval (cue and placebo are paired
  within a unit); p-value: that interval inverted, so ``p < 0.05`` exactly when the
  interval excludes 0. Both are taken at the effective sample size: the two orders
  of one pair, and the pairs of one instruction, are correlated for most judges, so
  the counts are divided by the design effect ``deff`` (the cluster-robust variance
  over the records' clusters, :mod:`judgebias.stats.clustering`, against the
  independent one, at least 1).
- ``attributable_rate`` = (flip - placebo) / (1 - placebo).
- ``robustness_rate``: CALM's share of cued verdicts equal to the control verdict,
  reported for comparability with CALM; ``placebo_robustness_rate`` is the same
  share for the placebo. The robustness rate counts every change, including those
  any edit of that size causes, so it is not net of the placebo: ``effect`` is.

Units with an unparseable cue or placebo verdict are left out and counted in
``n_invalid``.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from judgebias.stats.clustering import CLUSTER_COLUMN, with_clusters
from judgebias.stats.intervals import clustered_paired_diff

__all__ = ["perturbation_stats", "perturbation_units", "unit_figures"]

_OTHER = {"a": "b", "b": "a"}


def perturbation_units(
    records: pd.DataFrame, probe: str, direction: str = "toward"
) -> pd.DataFrame:
    """One row per (pair, order): control, cue and placebo verdicts, the two flip flags and
    the pair's ``cluster``."""
    key = ["pair_id", "order"]
    ctrl = records[records["kind"] == "control"][[*key, "verdict"]].rename(
        columns={"verdict": "control"}
    )
    mine = records[records["probe"] == probe]
    cue = mine[mine["kind"] == "cue"][[*key, "target", "variant", "verdict"]].rename(
        columns={"verdict": "cue"}
    )
    plc = mine[mine["kind"] == "placebo"][[*key, "verdict", "variant"]].rename(
        columns={"verdict": "placebo", "variant": "placebo_variant"}
    )
    units = cue.merge(plc, on=key, how="left").merge(ctrl, on=key, how="left")
    goal = units["target"] if direction == "toward" else units["target"].map(_OTHER)
    units["valid"] = units["cue"].notna() & units["placebo"].notna()
    units["flip"] = (units["cue"] == goal) & units["valid"]
    units["placebo_flip"] = (units["placebo"] == goal) & units["valid"]
    return with_clusters(units, records)


def unit_figures(u: pd.DataFrame) -> dict[str, Any]:
    """The figures of a set of perturbation units (see :func:`perturbation_units`): the
    cue-minus-placebo effect with its clustered interval and p-value, and the counts."""
    v = u[u["valid"]]
    n = len(v)
    out: dict[str, Any] = {"n": n, "n_invalid": int(len(u) - n)}
    if n == 0:
        for k in (
            "effect",
            "ci_low",
            "ci_high",
            "p_value",
            "flip_rate",
            "placebo_flip_rate",
            "attributable_rate",
            "robustness_rate",
            "placebo_robustness_rate",
        ):
            out[k] = math.nan
        return out
    x = v["flip"].to_numpy(dtype=float)
    y = v["placebo_flip"].to_numpy(dtype=float)
    res = clustered_paired_diff(x, y, v[CLUSTER_COLUMN].to_numpy())
    flip, placebo = float(x.mean()), float(y.mean())
    out.update(
        {
            **res,
            "flip_rate": flip,
            "placebo_flip_rate": placebo,
            "attributable_rate": (flip - placebo) / (1 - placebo) if placebo < 1 else math.nan,
            "robustness_rate": float((v["cue"] == v["control"]).mean()),
            "placebo_robustness_rate": float((v["placebo"] == v["control"]).mean()),
        }
    )
    return out


def perturbation_stats(
    records: pd.DataFrame, probe: str, direction: str = "toward"
) -> dict[str, Any]:
    """Figures of one perturbation probe, overall and per template variant."""
    units = perturbation_units(records, probe, direction)
    out = unit_figures(units)
    out["variants"] = [
        {"variant": str(name), **unit_figures(g)} for name, g in units.groupby("variant", sort=True)
    ]
    return out
