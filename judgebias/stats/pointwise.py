"""Pointwise grading figures (``--format single``): score shifts with paired intervals.

Input: one row per grading call with ``pair_id``, ``target`` (which answer),
``probe``, ``kind``, ``variant``, ``score`` (the grade's rank on its scale, 1 = worst;
letters A-E count 5 ... 1; missing when unreadable) and ``anchor``.

A unit is one answer of one pair. Every figure compares two conditions of the same
answer and is clustered by the records' ``cluster`` (the two answers of a pair share an
instruction; by default so do all the pairs of one instruction;
:mod:`judgebias.stats.clustering`), by pair when the records have none:

- perturbation probes: ``effect`` = mean(grade with the cue − grade with its
  placebo), in grade points (+ = the cue raises the grade; for ``away`` probes such
  as distraction, + = the cue lowers it);
- ``rubric_order``: mean(grade with the rubric listed best-first − listed
  worst-first), in points of the 1-10 scale;
- ``score_labels``: mean(grade with letters A-E − with numbers 1-5), in steps of the
  5-point scale (A = 5);
- ``anchor``: the pull toward a stated reference grade R, sum of the shifts toward R
  over sum of the distances to R (grades with the anchor against its placebo note):
  0 = no anchoring, 1 = the grade becomes R;
- ``self``: the judge's own answer graded as written and as paraphrased by the
  rewriter, net of the same for the pair's answers, in points
  (:mod:`judgebias.stats.selfpref_single`; no gold judge enters it). With a gold
  judge, the judge-minus-gold difference is kept as ``gold_difference``, descriptive
  only.

Intervals: BCa bootstrap over clusters of the ratio estimator; p-values: the
cluster-robust t-test (:func:`judgebias.stats.listwise.ratio_ci`); Benjamini-Hochberg
across the run's measured figures; a figure is ``uninformative`` (severity ``not
measurable``) when the judge gave (nearly) the same grade to every answer it compares,
or ranks the gold answer above the other no better than a coin
(:mod:`judgebias.stats.informative`). ``robustness_rate`` is the share of answers whose grade the
cue left unchanged (CALM), next to ``placebo_robustness_rate``. ``distribution``
holds the grade counts of each condition for the report.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from judgebias.stats.clustering import pair_clusters
from judgebias.stats.informative import grades_informative, run_informative
from judgebias.stats.intervals import bh_adjust
from judgebias.stats.listwise import ratio_ci
from judgebias.stats.selfpref_single import single_self
from judgebias.stats.validity import DEFAULT_MAX_INVALID, fail_closed

__all__ = ["pointwise_summary", "shift_stats"]

_KEY = ["pair_id", "target"]


def _scores(records: pd.DataFrame, probe: str, kind: str) -> pd.Series:
    r = records[(records["probe"] == probe) & (records["kind"] == kind)]
    return r.groupby(_KEY)["score"].first()


def _distribution(s: pd.Series) -> dict[str, int]:
    counts = s.dropna().astype(int).value_counts().sort_index()
    return {str(k): int(v) for k, v in counts.items()}


def _by_pair(
    d: pd.Series, den: pd.Series | None = None, keys: pd.Series | None = None
) -> tuple[float, float, float, float]:
    """The ratio sum(d) / sum(den) with its interval, clustered by ``keys`` (the cluster of
    each pair id; by pair when None)."""
    pairs = d.index.get_level_values("pair_id")
    known = keys.to_dict() if keys is not None else {}
    groups = [known.get(i, i) for i in pairs]
    # clusters in the order of their first pair (the bootstrap's draws follow the order)
    weights = den if den is not None else pd.Series(1.0, index=d.index)
    num = d.groupby(groups, sort=False).sum()
    cnt = weights.groupby(groups, sort=False).sum()
    return ratio_ci(num.to_numpy(dtype=float), cnt.to_numpy(dtype=float))


def _figures(d: pd.Series, n_units: int, keys: pd.Series | None = None) -> dict[str, Any]:
    eff, lo, hi, p = _by_pair(d, keys=keys) if len(d) else (math.nan,) * 4
    return {
        "effect": eff,
        "ci_low": lo,
        "ci_high": hi,
        "p_value": p,
        "n": len(d),
        "n_invalid": int(n_units - len(d)),
        "unit": "points",
    }


def shift_stats(
    records: pd.DataFrame,
    cue: tuple[str, str],
    base: tuple[str, str],
    sign: float | pd.Series = 1.0,
    labels: tuple[str, str] = ("cue", "placebo"),
) -> dict[str, Any]:
    """Mean grade shift of condition ``cue`` over ``base`` (each ``(probe, kind)``), paired
    by answer, with the grade distributions of both and of the control. ``sign`` may be a
    Series by answer (a rewrite probe's per-tone direction)."""
    a, b = _scores(records, *cue), _scores(records, *base)
    ctrl = _scores(records, "control", "control")
    both = pd.concat({"a": a, "b": b}, axis=1)
    valid = both.dropna()
    factor = sign.reindex(valid.index).fillna(1.0) if isinstance(sign, pd.Series) else sign
    d = factor * (valid["a"] - valid["b"])
    out = _figures(d, len(both), pair_clusters(records))
    out.update(
        {
            f"mean_{labels[0]}": float(valid["a"].mean()) if len(valid) else math.nan,
            f"mean_{labels[1]}": float(valid["b"].mean()) if len(valid) else math.nan,
            "distribution": {
                labels[0]: _distribution(a),
                labels[1]: _distribution(b),
                "control": _distribution(ctrl),
            },
        }
    )
    if labels == ("cue", "placebo"):
        c = pd.concat({"cue": a, "placebo": b, "control": ctrl}, axis=1).dropna()
        out["robustness_rate"] = float((c["cue"] == c["control"]).mean()) if len(c) else math.nan
        out["placebo_robustness_rate"] = (
            float((c["placebo"] == c["control"]).mean()) if len(c) else math.nan
        )
    return out


def _perturbation(
    records: pd.DataFrame, probe: str, sign: float, per_variant: dict[str, str] | None = None
) -> dict[str, Any]:
    signs: float | pd.Series = sign
    if per_variant:  # each unit in its cue's direction (away: a lower grade is the bias)
        cues = records[(records["probe"] == probe) & (records["kind"] == "cue")]
        signs = cues.set_index(_KEY)["variant"].map(
            lambda v: -1.0 if per_variant.get(str(v)) == "away" else 1.0
        )
    fig = shift_stats(records, (probe, "cue"), (probe, "placebo"), signs)
    mine = records[records["probe"] == probe]
    variants = []
    cue_rows = mine[mine["kind"] == "cue"]
    for name, rows in cue_rows.groupby("variant", sort=True):
        keys = pd.MultiIndex.from_frame(rows[_KEY])
        sub = mine[pd.MultiIndex.from_frame(mine[_KEY]).isin(keys)]
        v_sign = -1.0 if (per_variant or {}).get(str(name)) == "away" else sign
        f = shift_stats(sub, (probe, "cue"), (probe, "placebo"), v_sign)
        variants.append(
            {"variant": str(name), **{k: f[k] for k in ("effect", "ci_low", "ci_high", "n")}}
        )
    fig["variants"] = variants
    return fig


def _anchor(records: pd.DataFrame) -> dict[str, Any]:
    mine = records[records["probe"] == "anchor"]
    a = _scores(records, "anchor", "cue")
    b = _scores(records, "anchor", "placebo")
    r = mine[mine["kind"] == "cue"].groupby(_KEY)["anchor"].first()
    u = pd.concat({"anchor": a, "placebo": b, "r": r}, axis=1)
    valid = u.dropna()
    toward = np.sign(valid["r"] - valid["placebo"])
    shift = (valid["anchor"] - valid["placebo"]) * toward
    dist = (valid["r"] - valid["placebo"]).abs()
    keys = pair_clusters(records)
    eff, lo, hi, p = _by_pair(shift, dist, keys) if len(valid) else (math.nan,) * 4
    return {
        "effect": eff,
        "ci_low": lo,
        "ci_high": hi,
        "p_value": p,
        "n": len(valid),
        "n_invalid": int(len(u) - len(valid)),
        "unit": "pull",
        "mean_shift_toward": float(shift.mean()) if len(valid) else math.nan,
        "anchors": sorted(int(x) for x in r.dropna().unique()),
        "distribution": {
            "with anchor": _distribution(a),
            "placebo": _distribution(b),
            "control": _distribution(_scores(records, "control", "control")),
        },
    }


def _accuracy(records: pd.DataFrame) -> dict[str, float]:
    """Share of gold-labelled pairs whose control grades rank the gold answer higher
    (a tie counts half)."""
    ctrl = records[(records["probe"] == "control") & (records["kind"] == "control")]
    wide = ctrl.pivot_table(index="pair_id", columns="target", values="score", aggfunc="first")
    gold = ctrl.groupby("pair_id")["gold"].first()
    if not {"a", "b"} <= set(wide.columns):
        return {"accuracy": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    w = wide.dropna().join(gold).dropna(subset=["gold"])
    w = w[w["gold"].isin(["a", "b"])]
    if w.empty:
        return {"accuracy": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    diff = np.where(w["gold"] == "a", w["a"] - w["b"], w["b"] - w["a"])
    credit = pd.Series(np.where(diff > 0, 1.0, np.where(diff == 0, 0.5, 0.0)), index=w.index)
    known = pair_clusters(records).to_dict()
    keys = [known.get(i, i) for i in w.index]
    by_cluster = credit.groupby(keys, sort=False).agg(["sum", "count"])
    est, lo, hi, _ = ratio_ci(
        by_cluster["sum"].to_numpy(dtype=float), by_cluster["count"].to_numpy(dtype=float)
    )
    return {"accuracy": est, "ci_low": lo, "ci_high": hi}


def _severity(effect: float, p_adj: float, unit: str, unreadable: bool = False) -> str:
    """Severity on the scale of the figure: grade points (1-10 or 5-point steps) or pull;
    ``inconclusive`` instead of ``not detected`` when too many of its answers were
    unreadable (:func:`judgebias.stats.validity.severity`)."""
    if math.isnan(effect) or math.isnan(p_adj) or p_adj >= 0.05:
        return "inconclusive" if unreadable else "not detected"
    strong, moderate = (0.3, 0.1) if unit == "pull" else (1.0, 0.3)
    a = abs(effect)
    return "strong" if a >= strong else "moderate" if a >= moderate else "slight"


def pointwise_summary(
    records: pd.DataFrame,
    probes: list[str],
    grading: list[str],
    self_probe: bool,
    directions: dict[str, str] | None = None,
    variant_directions: dict[str, dict[str, str]] | None = None,
    max_invalid: float = DEFAULT_MAX_INVALID,
) -> dict[str, Any]:
    """Every figure of a pointwise run, BH-adjusted (``_accuracy`` holds the accuracy).
    Each figure is computed on readable grades only; with fewer than the minimum readable
    units it is ``not_measured`` (:func:`judgebias.stats.validity.fail_closed`)."""
    directions = directions or {}
    out: dict[str, Any] = {}
    for name in probes:
        sign = -1.0 if directions.get(name) == "away" else 1.0
        out[name] = _perturbation(records, name, sign, (variant_directions or {}).get(name))
    if "rubric_order" in grading:
        out["rubric_order"] = shift_stats(
            records,
            ("rubric_order", "cue"),
            ("control", "control"),
            labels=("descending", "ascending"),
        )
    if "score_labels" in grading:
        out["score_labels"] = shift_stats(
            records,
            ("score_labels", "cue"),
            ("score_labels", "control"),
            labels=("letters", "numbers"),
        )
        out["score_labels"]["unit"] = "steps of 5"
    if "anchor" in grading:
        out["anchor"] = _anchor(records)
    if self_probe:
        out["self"] = single_self(records)
    names = list(out)
    for n in names:
        fail_closed(out[n], int(out[n].get("n") or 0), int(out[n].get("n_invalid") or 0))
    acc = _accuracy(records)
    accuracy = (acc["accuracy"], acc["ci_low"], acc["ci_high"])
    grades_informative(out, records, accuracy)  # a grade that does not vary, or at chance
    adjusted = bh_adjust(
        [out[n]["p_value"] if out[n]["status"] == "measured" else math.nan for n in names]
    )
    for n, q in zip(names, adjusted, strict=True):
        out[n]["p_adjusted"] = q
        out[n]["severity"] = (
            "not measured"
            if out[n]["status"] == "not_measured"
            else "not measurable"
            if out[n]["status"] == "uninformative"
            else _severity(
                out[n]["effect"], q, out[n]["unit"], out[n]["invalid_share"] > max_invalid
            )
        )
    judged = records[~records["kind"].astype(str).str.startswith("gold-")]
    out["_informative"] = run_informative(
        judged["score"],
        accuracy,
        out,
        consequence="so no figure of this run can show a bias",
        grades=True,
        unit="graded answers",
    )
    out["_accuracy"] = acc
    return out
