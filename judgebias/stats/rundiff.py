"""The difference of one figure between two audit runs (``judgebias compare``).

Each figure is a function of per-pair sums, ``sum num / sum den - sum num2 / sum
den2`` (:func:`pair_sums`; the second ratio is 0 except for ``self``, whose controlled
figure is the flip rate minus the placebo flip rate over the same room), so a
difference between runs on the same pairs can be bootstrapped and permuted over
pairs, or over the clusters of pairs that share an instruction (:func:`paired`: a
percentile bootstrap and the p-value that inverts it); the tie share of runs on the same
pairs is a difference of paired proportions (:func:`paired_ties`); runs on different pairs are compared from
their counts (:func:`independent_counts`) or, for effects known only with their
intervals, by square-and-add (:func:`independent`). See :mod:`judgebias.report.compare`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "adjusted_table",
    "figure_row",
    "independent",
    "independent_counts",
    "own_share",
    "pair_sums",
    "paired",
    "paired_ties",
    "percentile_p",
    "run_differences",
    "shared_clusters",
    "summary_figure",
]


def pair_sums(records: pd.DataFrame, figure: str, direction: str) -> pd.DataFrame:
    """Per pair: ``num, den, num2, den2``; the figure is sum num / sum den - sum num2 / sum den2."""
    sums = _ratio_sums(records, figure, direction)
    if "num2" not in sums.columns:
        sums = sums.assign(num2=0.0, den2=1.0)
    return sums


def _ratio_sums(records: pd.DataFrame, figure: str, direction: str) -> pd.DataFrame:
    from judgebias.stats.perturbation import perturbation_units
    from judgebias.stats.position import classify_orders
    from judgebias.stats.selfpref import CONTROLLED_COLUMNS, controlled_units

    empty = pd.DataFrame(columns=["num", "den"], dtype=float)
    if records is None or records.empty or "kind" not in records.columns:
        return empty
    ctrl = records[records["kind"] == "control"]
    if figure in ("position", "accuracy", "ties"):
        if ctrl.empty:
            return empty
        wide = ctrl.pivot_table(
            index="pair_id", columns="order", values="verdict", aggfunc="first", dropna=False
        ).reindex(columns=["ab", "ba"])
        if figure == "position":
            cls = classify_orders(wide["ab"], wide["ba"])
            num = cls.map({"primacy": 1.0, "recency": -1.0, "consistent": 0.0})
            return pd.DataFrame({"num": num.fillna(0.0), "den": cls.notna().astype(float)})
        v = ctrl[ctrl["verdict"].isin(["a", "b", "tie"])]
        if figure == "ties":
            g = v.assign(t=(v["verdict"] == "tie").astype(float)).groupby("pair_id")["t"]
            return pd.DataFrame({"num": g.sum(), "den": g.count().astype(float)})
        v = v[v["gold"].isin(["a", "b"])]
        credit = np.where(v["verdict"] == v["gold"], 1.0, np.where(v["verdict"] == "tie", 0.5, 0.0))
        g = v.assign(c=credit).groupby("pair_id")["c"]
        return pd.DataFrame({"num": g.sum(), "den": g.count().astype(float)})
    if figure == "self":  # the controlled figure: flip rate - placebo flip rate
        u = controlled_units(records).dropna(subset=list(CONTROLLED_COLUMNS))
        if u.empty:
            return empty
        room = 1.0 - u["own_para"]
        parts = pd.DataFrame(
            {
                "pair_id": u["pair_id"],
                "num": u["own"] - u["own_para"],
                "den": room,
                "num2": u["other"] - u["other_para"],
                "den2": room,
            }
        )
        return parts.groupby("pair_id")[["num", "den", "num2", "den2"]].sum()
    if (records["probe"] == figure).sum() == 0:
        return empty
    u = perturbation_units(records, figure, direction)
    u = u[u["valid"]]
    u = u.assign(d=u["flip"].astype(float) - u["placebo_flip"].astype(float))
    g = u.groupby("pair_id")["d"]
    return pd.DataFrame({"num": g.sum(), "den": g.count().astype(float)})


def percentile_p(boot: np.ndarray) -> float:
    """The p-value that inverts the percentile interval of ``boot`` (``np.quantile``'s
    linear interpolation): ``p < alpha`` exactly when ``quantile(boot, [alpha/2, 1 -
    alpha/2])`` excludes 0, for every alpha from ``1 / len(boot)`` up. It is twice the share
    of the bootstrap distribution on the far side of 0, read off the same interpolated
    quantile function, and at least ``1 / len(boot)``: the draws resolve no smaller p.
    """
    s = np.sort(np.asarray(boot, dtype=float))
    m = len(s)
    if m == 0:
        return math.nan
    if m == 1:
        return 1.0 if s[0] == 0 else 0.0

    def position(i: int) -> float:
        """Where between s[i] and s[i + 1] (as a quantile) the interpolation crosses 0."""
        return (i + (0.0 - s[i]) / (s[i + 1] - s[i])) / (m - 1)

    below = np.flatnonzero(s <= 0.0)  # the quantile function is <= 0 up to q_le
    q_le = 0.0 if not len(below) else 1.0 if below[-1] == m - 1 else position(int(below[-1]))
    above = np.flatnonzero(s >= 0.0)  # and >= 0 from q_ge on
    q_ge = 1.0 if not len(above) else 0.0 if above[0] == 0 else position(int(above[0]) - 1)
    return float(max(1.0 / m, min(1.0, 2.0 * q_le, 2.0 * (1.0 - q_ge))))


def _by_cluster(
    sums: pd.DataFrame, ids: list[str], codes: np.ndarray, k: int
) -> dict[str, np.ndarray]:
    """Each of ``num, den, num2, den2`` summed over the pairs ``ids`` of each cluster."""
    out = {}
    for c in ("num", "den", "num2", "den2"):
        v = sums[c].reindex(ids).fillna(0.0).to_numpy(float)
        out[c] = np.bincount(codes, weights=v, minlength=k)
    return out


def paired(
    sa: pd.DataFrame,
    sb: pd.DataFrame,
    ids: list[str],
    n_boot: int,
    rng: np.random.Generator,
    alpha: float,
    clusters: pd.Series | None = None,
) -> dict[str, Any] | None:
    """B - A of a figure of per-pair sums over the shared pairs ``ids``: a percentile
    bootstrap over clusters (``clusters``: pair id -> cluster; by pair when None) and the
    p-value that inverts it (:func:`percentile_p`), so the two never disagree about 0."""
    known = clusters.to_dict() if clusters is not None else {}
    keys = np.asarray([known.get(i, i) for i in ids], dtype=object)
    codes = pd.factorize(pd.Series(keys, dtype=object).astype(str))[0]
    k = int(codes.max()) + 1 if len(codes) else 0
    a = _by_cluster(sa, ids, codes, k)
    b = _by_cluster(sb, ids, codes, k)
    if min(a["den"].sum(), a["den2"].sum(), b["den"].sum(), b["den2"].sum()) == 0:
        return None

    def value(
        w: np.ndarray, x: dict[str, np.ndarray], v: np.ndarray, y: dict[str, np.ndarray]
    ) -> Any:
        """The figure over pairs drawn with weights w from x plus weights v from y."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return (w @ x["num"] + v @ y["num"]) / (w @ x["den"] + v @ y["den"]) - (
                w @ x["num2"] + v @ y["num2"]
            ) / (w @ x["den2"] + v @ y["den2"])

    one, none = np.ones(k), np.zeros(k)
    d_obs = float(value(one, b, none, a) - value(one, a, none, b))
    w = rng.multinomial(k, np.full(k, 1.0 / k), size=n_boot).astype(float)
    zero = np.zeros_like(w)
    boot = value(w, b, zero, a) - value(w, a, zero, b)
    boot = boot[np.isfinite(boot)]
    lo, hi = np.quantile(boot, [alpha / 2, 1 - alpha / 2]) if len(boot) else (math.nan, math.nan)
    return {
        "difference": d_obs,
        "diff_ci_low": float(lo),
        "diff_ci_high": float(hi),
        "p_value": percentile_p(boot),
        "method": "paired bootstrap",
        "n_shared": len(ids),
        "n_clusters": k,
    }


def paired_ties(
    ra: pd.DataFrame,
    rb: pd.DataFrame,
    ids: list[str],
    alpha: float,
    clusters: pd.Series | None = None,
) -> dict[str, Any]:
    """B - A tie share over the (pair, order) control verdicts valid in both runs, clustered
    by ``clusters`` (pair id -> cluster; by pair when None)."""
    from judgebias.stats.intervals import clustered_paired_diff

    def ties(r: pd.DataFrame) -> pd.Series:
        c = r[(r["kind"] == "control") & r["verdict"].isin(["a", "b", "tie"])]
        c = c[c["pair_id"].astype(str).isin(set(ids))]
        return (
            (c["verdict"] == "tie")
            .astype(float)
            .set_axis(pd.MultiIndex.from_arrays([c["pair_id"].astype(str), c["order"]]))
        )

    both = pd.concat({"a": ties(ra), "b": ties(rb)}, axis=1).dropna()
    pair_ids = both.index.get_level_values(0)
    known = clusters.to_dict() if clusters is not None else {}
    groups = [known.get(i, i) for i in pair_ids]
    res = clustered_paired_diff(
        both["b"].to_numpy(), both["a"].to_numpy(), np.asarray(groups, dtype=object), alpha
    )
    return {
        "difference": res["effect"],
        "diff_ci_low": res["ci_low"],
        "diff_ci_high": res["ci_high"],
        "p_value": res["p_value"],
        "method": "paired newcombe",
        "n_shared": len(ids),
        "n_clusters": res["n_clusters"],
    }


def shared_clusters(rec_a: pd.DataFrame | None, rec_b: pd.DataFrame | None) -> pd.Series:
    """Pair id -> cluster for a paired comparison: run A's clusters (B's when A's records
    carry none; by pair when neither does)."""
    from judgebias.stats.clustering import CLUSTER_COLUMN, pair_clusters

    for rec in (rec_a, rec_b):
        if rec is not None and CLUSTER_COLUMN in rec.columns:
            keys = pair_clusters(rec)
            keys.index = keys.index.astype(str)
            return keys
    return pd.Series(dtype=object)


def independent(
    ea: float, la: float, ua: float, eb: float, lb: float, ub: float, alpha: float
) -> dict[str, Any]:
    """Two runs' figures known only with their intervals: MOVER (see the module docstring)."""
    from judgebias.stats.intervals import mover_diff

    return {**mover_diff(ea, la, ua, eb, lb, ub, alpha), "method": "newcombe", "n_shared": 0}


def independent_counts(xa: float, na: float, xb: float, nb: float, alpha: float) -> dict[str, Any]:
    """Two runs' shares with known counts: Newcombe's interval and the p-value inverting it."""
    from judgebias.stats.intervals import newcombe_diff, newcombe_diff_p

    d, lo, hi = newcombe_diff(xb, nb, xa, na, alpha)
    return {
        "difference": d,
        "diff_ci_low": lo,
        "diff_ci_high": hi,
        "p_value": newcombe_diff_p(xb, nb, xa, na),
        "method": "newcombe",
        "n_shared": 0,
    }


def own_share(sums: pd.DataFrame, alpha: float) -> tuple[float, float, float, float]:
    """A share with its Wilson interval, from per-pair sums (ties row): estimate, low, high, n."""
    from judgebias.stats.intervals import wilson

    x, n = float(sums["num"].sum()), float(sums["den"].sum())
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    lo, hi = wilson(x, n, alpha)
    return x / n, lo, hi, n


def summary_figure(summary: dict[str, Any], name: str) -> tuple[float, float, float, float]:
    """A figure of an audit summary: (value, ci_low, ci_high, n), NaN where missing."""
    nan = math.nan
    if name == "accuracy":
        ci = summary.get("accuracy_ci") or [None, None]
        pos = summary.get("probes", {}).get("position", {})
        n = pos.get("n_pairs", summary.get("n_pairs"))
        vals = (summary.get("accuracy"), ci[0], ci[1], n)
    else:
        f = summary.get("probes", {}).get(name)
        if not isinstance(f, dict):
            return nan, nan, nan, nan
        if name == "self" and f.get("measure") != "controlled":
            # a run from before the controlled figure: its headline (the error asymmetry
            # or DBG) can flag a judge without self-preference, so it is not compared
            return nan, nan, nan, nan
        vals = (f.get("effect", f.get("dbg")), f.get("ci_low"), f.get("ci_high"), f.get("n"))
    return tuple(nan if v is None else float(v) for v in vals)  # type: ignore[return-value]


def run_differences(
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
    """One row per figure (every probe of either run, ``accuracy``, ``ties``): each run's
    value and interval, B - A with its interval and p-value (paired over ``ids`` when
    ``same_pairs``, else from counts or by square-and-add), the ratio B / A, and the p-values
    of the probe rows BH-adjusted together (``p_adjusted``)."""
    names: list[str] = list(sum_a["probes"])
    names += [n for n in sum_b["probes"] if n not in names]
    rows: list[dict[str, Any]] = []

    def direction(name: str) -> str:
        for r in (sum_a, sum_b):
            f = r["probes"].get(name)
            if isinstance(f, dict) and f.get("direction") in ("toward", "away"):
                return str(f["direction"])
        return "toward"

    clusters = shared_clusters(rec_a, rec_b)
    for name in [*names, "accuracy", "ties"]:
        sa: pd.DataFrame | None = None
        sb: pd.DataFrame | None = None
        fa: tuple[float, float, float, float]
        fb: tuple[float, float, float, float]
        if name == "ties":
            if rec_a is None or rec_b is None:
                continue
            sa, sb = pair_sums(rec_a, "ties", ""), pair_sums(rec_b, "ties", "")
            fa, fb = own_share(sa, alpha), own_share(sb, alpha)
        else:
            fa, fb = summary_figure(sum_a, name), summary_figure(sum_b, name)
            if rec_a is not None and rec_b is not None:
                sa = pair_sums(rec_a, name, direction(name))
                sb = pair_sums(rec_b, name, direction(name))
        diff = None
        if same_pairs and sa is not None and sb is not None and len(sa) and len(sb):
            if name == "ties":
                assert rec_a is not None and rec_b is not None
                diff = paired_ties(rec_a, rec_b, ids, alpha, clusters)
            else:
                diff = paired(sa, sb, ids, n_boot, rng, alpha, clusters)
        if diff is None and name in ("accuracy", "ties") and sa is not None and sb is not None:
            na, nb = float(sa["den"].sum()), float(sb["den"].sum())
            if na > 0 and nb > 0:
                xa, xb = float(sa["num"].sum()), float(sb["num"].sum())
                diff = independent_counts(xa, na, xb, nb, alpha)
        if diff is None:
            diff = independent(fa[0], fa[1], fa[2], fb[0], fb[1], fb[2], alpha)
        rows.append(figure_row(name, fa, fb, diff))
    return adjusted_table(rows, names)


def figure_row(
    name: str,
    fa: tuple[float, float, float, float],
    fb: tuple[float, float, float, float],
    diff: dict[str, Any],
) -> dict[str, Any]:
    """One row of a comparison: each run's (value, low, high, n), the difference, B / A."""
    ratio = fb[0] / fa[0] if fa[0] != 0.0 and not math.isnan(fa[0]) else math.nan
    return {
        "figure": name,
        "effect_a": fa[0],
        "ci_low_a": fa[1],
        "ci_high_a": fa[2],
        "n_a": fa[3],
        "effect_b": fb[0],
        "ci_low_b": fb[1],
        "ci_high_b": fb[2],
        "n_b": fb[3],
        **diff,
        "ratio": ratio,
    }


def adjusted_table(rows: list[dict[str, Any]], probes: list[str]) -> pd.DataFrame:
    """The rows as a table, the p-values of the ``probes`` rows BH-adjusted together."""
    from judgebias.stats.intervals import bh_adjust

    table = pd.DataFrame(rows)
    probe_rows = table["figure"].isin(probes)
    table["p_adjusted"] = math.nan
    table.loc[probe_rows, "p_adjusted"] = bh_adjust(table.loc[probe_rows, "p_value"].tolist())
    return table
