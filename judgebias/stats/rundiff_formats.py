"""The difference of a figure between two listwise runs or two pointwise runs
(``judgebias compare``).

Every figure of these formats is a ratio of per-cluster sums, as in
:mod:`judgebias.stats.rundiff`, so the same paired bootstrap, with the p-value that inverts it
(:func:`judgebias.stats.rundiff.paired`), applies when both runs judged the same items
(over the run's clusters when its records carry them):

- pointwise (``--format single``), one cluster per pair: a probe's shift is the sum
  of the grade differences (cue − placebo, descending − ascending rubric, letters −
  numbers) of the pair's answers readable in both conditions over their count; the
  anchor's pull is the sum of the shifts toward the stated grade over the sum of the
  distances to it; accuracy the credit of the gold answer's grade over the
  gold-labelled pairs. Differences are in grade points (steps, pull) like the figures.
- listwise (``--candidates k``), one cluster per item: the share of wins of shown
  position j is the wins there over the item's verdicts, both over its complete
  rotations (:mod:`judgebias.stats.listwise`); ``position`` (first − last) is their
  difference; accuracy the verdicts naming the gold response. An item kept in one
  run and left out of the other (no complete rotation there) counts in that one
  only. A run written before shares were computed on complete rotations (pooled over
  every readable verdict) reproduces its figures from these sums only when every
  answer was read; otherwise it is compared from its intervals.

The sums are checked against the figure the run's summary holds; when they do not
reproduce it (a rewrite probe whose units carry their tone's direction, ``self``, a
run without records), the difference is computed from the two intervals
(square-and-add, :func:`judgebias.stats.rundiff.independent`) instead.

Runs of different formats (a pairwise run and a listwise one, or listwise runs with
different numbers of candidates) measure different things: :func:`check_comparable`
says so in one line.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from judgebias.errors import UsageError
from judgebias.stats.listwise import complete_rotation_wins
from judgebias.stats.rundiff import adjusted_table, figure_row, independent, paired, shared_clusters

__all__ = [
    "check_comparable",
    "format_differences",
    "format_name",
    "format_sums",
    "run_format",
]

_KEY = ["pair_id", "target"]


def run_format(summary: dict[str, Any]) -> str:
    """``pair``, ``list`` or ``single``."""
    return str(summary.get("format") or "pair")


def format_name(summary: dict[str, Any]) -> str:
    fmt = run_format(summary)
    if fmt == "list":
        return f"a listwise run (--candidates {summary.get('candidates')})"
    if fmt == "single":
        return "a pointwise run (--format single)"
    return "a pairwise run"


def check_comparable(sum_a: dict[str, Any], sum_b: dict[str, Any], a: str, b: str) -> str:
    """The common format of two runs, or a :class:`UsageError` naming both."""
    fa, fb = run_format(sum_a), run_format(sum_b)
    if fa != fb or (fa == "list" and sum_a.get("candidates") != sum_b.get("candidates")):
        raise UsageError(
            f"compare: {a} is {format_name(sum_a)} and {b} is {format_name(sum_b)}; their "
            "figures measure different things and cannot be compared (compare runs of one format)"
        )
    return fa


def _sums(num: pd.Series, den: pd.Series) -> pd.DataFrame:
    out = pd.DataFrame({"num": num, "den": den}).fillna(0.0)
    out.index = out.index.astype(str)
    return out.assign(num2=0.0, den2=1.0)


def _scores(records: pd.DataFrame, probe: str, kind: str) -> pd.Series:
    r = records[(records["probe"] == probe) & (records["kind"] == kind)]
    return r.groupby(_KEY)["score"].first()


_CONDITIONS = {
    "rubric_order": (("rubric_order", "cue"), ("control", "control")),
    "score_labels": (("score_labels", "cue"), ("score_labels", "control")),
}


def _single_sums(records: pd.DataFrame, figure: str, summary: dict[str, Any]) -> pd.DataFrame:
    if figure == "accuracy":
        ctrl = records[(records["probe"] == "control") & (records["kind"] == "control")]
        wide = ctrl.pivot_table(index="pair_id", columns="target", values="score", aggfunc="first")
        gold = ctrl.groupby("pair_id")["gold"].first()
        if not {"a", "b"} <= set(wide.columns):
            return _sums(pd.Series(dtype=float), pd.Series(dtype=float))
        w = wide.dropna().join(gold).dropna(subset=["gold"])
        w = w[w["gold"].isin(["a", "b"])]
        diff = pd.Series(np.where(w["gold"] == "a", w["a"] - w["b"], w["b"] - w["a"]), w.index)
        credit = (diff > 0).astype(float) + 0.5 * (diff == 0)
        return _sums(credit, pd.Series(1.0, index=credit.index))
    if figure == "anchor":
        a, b = _scores(records, "anchor", "cue"), _scores(records, "anchor", "placebo")
        mine = records[(records["probe"] == "anchor") & (records["kind"] == "cue")]
        r = mine.groupby(_KEY)["anchor"].first()
        u = pd.concat({"a": a, "b": b, "r": r}, axis=1).dropna()
        shift = (u["a"] - u["b"]) * np.sign(u["r"] - u["b"])
        dist = (u["r"] - u["b"]).abs()
        pairs = u.index.get_level_values("pair_id")
        return _sums(shift.groupby(pairs).sum(), dist.groupby(pairs).sum())
    cue, base = _CONDITIONS.get(figure, ((figure, "cue"), (figure, "placebo")))
    fig = (summary.get("probes") or {}).get(figure) or {}
    sign = -1.0 if fig.get("direction") == "away" else 1.0
    both = pd.concat({"a": _scores(records, *cue), "b": _scores(records, *base)}, axis=1).dropna()
    d = sign * (both["a"] - both["b"])
    pairs = d.index.get_level_values("pair_id")
    return _sums(d.groupby(pairs).sum(), d.groupby(pairs).count().astype(float))


def _list_sums(records: pd.DataFrame, figure: str, k: int) -> pd.DataFrame:
    if figure == "accuracy":
        valid = records[records["valid"].astype(bool) & records["shown"].notna()]
        gold = valid[valid["gold"].notna()]
        hit = (gold["verdict"] == gold["gold"]).astype(float).groupby(gold["pair_id"])
        return _sums(hit.sum(), hit.count().astype(float))
    wins = complete_rotation_wins(records, k)
    n_i = wins.sum(axis=1)
    if figure == "position":
        return _sums(wins[1] - wins[k], n_i)
    return _sums(wins[int(figure.rsplit(" ", 1)[-1])], n_i)


def format_sums(records: pd.DataFrame, summary: dict[str, Any], figure: str) -> pd.DataFrame | None:
    """Per cluster ``num, den, num2, den2`` of one figure, or ``None`` when the sums do not
    reproduce the summary's figure (see the module docstring)."""
    fmt = run_format(summary)
    try:
        if fmt == "single":
            sums = _single_sums(records, figure, summary)
        else:
            sums = _list_sums(records, figure, int(summary.get("candidates") or 0))
    except (KeyError, ValueError):
        return None
    want = _figure(summary, figure)[0]
    den = float(sums["den"].sum())
    got = float(sums["num"].sum()) / den if den > 0 else math.nan
    if math.isnan(want) or math.isnan(got) or abs(got - want) > 1e-9:
        return None
    return sums


def _figure(summary: dict[str, Any], name: str) -> tuple[float, float, float, float]:
    """(value, ci_low, ci_high, n) of a figure of a listwise or pointwise summary."""
    probes = summary.get("probes") or {}
    if name == "accuracy":
        ci = summary.get("accuracy_ci") or [None, None]
        vals: tuple[Any, ...] = (summary.get("accuracy"), ci[0], ci[1], summary.get("n_pairs"))
    elif name.startswith("position: shown "):
        pos = probes.get("position") or {}
        j = int(name.rsplit(" ", 1)[-1])
        sh: dict[str, Any] = next(
            (s for s in pos.get("shares") or [] if s.get("position") == j), {}
        )
        vals = (sh.get("share"), sh.get("ci_low"), sh.get("ci_high"), pos.get("n"))
    else:
        f = probes.get(name) or {}
        if name == "self" and f.get("measure") != "controlled":
            # a run from before the controlled figure (judge minus gold): not compared
            f = {}
        vals = (f.get("effect"), f.get("ci_low"), f.get("ci_high"), f.get("n"))
    return tuple(math.nan if v is None else float(v) for v in vals)  # type: ignore[return-value]


def _names(sum_a: dict[str, Any], sum_b: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for s in (sum_a, sum_b):
        names += [n for n in s.get("probes") or {} if n not in names]
    if run_format(sum_a) == "list":
        k = int(sum_a.get("candidates") or 0)
        names += [f"position: shown {j}" for j in range(1, k + 1)]
    return names


def format_differences(
    sum_a: dict[str, Any],
    rec_a: pd.DataFrame | None,
    sum_b: dict[str, Any],
    rec_b: pd.DataFrame | None,
    *,
    ids: list[str],
    same_pairs: bool,
    n_boot: int,
    rng: np.random.Generator,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """One row per figure (every probe of either run, each shown position's share for
    listwise runs, ``accuracy``): the columns of :func:`judgebias.stats.rundiff.run_differences`."""
    names = _names(sum_a, sum_b)
    rows: list[dict[str, Any]] = []
    clusters = shared_clusters(rec_a, rec_b)
    for name in [*names, "accuracy"]:
        fa, fb = _figure(sum_a, name), _figure(sum_b, name)
        diff = None
        if same_pairs and rec_a is not None and rec_b is not None:
            sa, sb = format_sums(rec_a, sum_a, name), format_sums(rec_b, sum_b, name)
            if sa is not None and sb is not None:
                diff = paired(sa, sb, ids, n_boot, rng, alpha, clusters)
        if diff is None:
            diff = independent(fa[0], fa[1], fa[2], fb[0], fb[1], fb[2], alpha)
        rows.append(figure_row(name, fa, fb, diff))
    return adjusted_table(rows, [n for n in names if not n.startswith("position: ")])
