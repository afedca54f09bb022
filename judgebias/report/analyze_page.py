"""The HTML page of ``judgebias analyze``: per-group and per-strategy interval plots and
the page itself (drawn from :class:`judgebias.analysis.AnalyzeResult`)."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from judgebias.report.html import environment, to_svg
from judgebias.stats.strategies import StrategyComparison
from judgebias.tables.verdicts import UNPARSEABLE_RULE, cell_key, group_items

if TYPE_CHECKING:  # pragma: no cover  (an annotation only: the page draws what it is given)
    from judgebias.analysis.result import AnalyzeResult

_RC: Any = {"font.size": 8}
"""The plots' text size (SVG export: :func:`judgebias.report.html.to_svg`)."""


def _group_label(values: Mapping[Any, Any], group: list[str]) -> str:
    return " · ".join(str(values.get(g)) for g in group) or "all pairs"


PLOTTED_GROUPS = 30
"""Groups drawn in the per-group plot at most; with more, those with the lowest position
consistency are drawn (the table lists every group and sorts by any column)."""


def plotted_groups(table: pd.DataFrame, limit: int = PLOTTED_GROUPS) -> pd.DataFrame:
    """The groups the plot draws: all, or the ``limit`` with the lowest position consistency
    (then the lowest accuracy; groups without the figure last), lowest first."""
    if len(table) <= limit:
        return table
    keys = table[["position_consistency", "accuracy"]].astype(float)
    order = keys.sort_values(
        ["position_consistency", "accuracy"], na_position="last", kind="stable"
    ).index
    return table.loc[order[:limit]]


def _groups_plot(table: pd.DataFrame, group: list[str]) -> str:
    import matplotlib
    from matplotlib.figure import Figure

    rows = table.to_dict("records")
    varying = [g for g in group if table[g].map(cell_key).nunique() > 1] or group
    labels = [_group_label(r, varying) for r in rows]
    height = 1.0 + 0.22 * len(rows)
    # without gold there is no accuracy to draw: the second panel shows the position
    # preference instead (recency - primacy, in points; 0 is fair)
    has_accuracy = bool(pd.to_numeric(table["accuracy"], errors="coerce").notna().any())
    second = (
        ("accuracy", "#3a5a9a", (-2, 102), 50, "accuracy (%, 95% interval)")
        if has_accuracy
        else (
            "preference_fairness",
            "#8e44ad",
            (-102, 102),
            0,
            "preference fairness: recency - primacy (pp, 95% interval)",
        )
    )
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(11, height))
        axes = fig.subplots(1, 2, sharey=True)
        for ax, (name, color, xlim, mark, xlabel) in (
            (
                axes[0],
                (
                    "position_consistency",
                    "#2a7a5a",
                    (-2, 102),
                    50,
                    "position consistency (%, 95% interval)",
                ),
            ),
            (axes[1], second),
        ):
            for i, r in enumerate(rows):
                v = r[name]
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    continue
                lo, hi = r[f"{name}_ci_low"], r[f"{name}_ci_high"]
                ax.plot([100 * lo, 100 * hi], [i, i], color=color, lw=1.4, alpha=0.6)
                ax.plot([100 * v], [i], "o", color=color, ms=3.5)
            ax.set_xlim(*xlim)
            ax.set_xlabel(xlabel)
            ax.grid(axis="x", color="#ddd", lw=0.6)
            ax.axvline(mark, color="#bbb", lw=0.8, ls=":")
        axes[0].set_yticks(range(len(rows)), labels)
        axes[0].set_ylim(len(rows) - 0.5, -0.5)
        fig.tight_layout()
        return to_svg(fig, "groups")


def _comparison_plot(
    diffs: pd.DataFrame, lengths: pd.DataFrame, column: str, baseline: Any, prefix: str
) -> str:
    import matplotlib
    from matplotlib.figure import Figure

    strategies = [baseline, *dict.fromkeys(diffs[column].tolist())]
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(10, 1.0 + 0.3 * len(strategies)))
        axes = fig.subplots(1, 3, sharey=True)
        for ax, figure in ((axes[0], "position_consistency"), (axes[1], "accuracy")):
            part = diffs[diffs["figure"] == figure].set_index(column)
            for i, s in enumerate(strategies):
                if s not in part.index or pd.isna(part.loc[s, "difference"]):
                    continue
                r = part.loc[s]
                sig = bool(r["p_adjusted"] < 0.05)
                color = "#c0392b" if sig else "#666"
                ax.plot([100 * r["ci_low"], 100 * r["ci_high"]], [i, i], color=color, lw=1.6)
                ax.plot([100 * r["difference"]], [i], "o", color=color, ms=4)
            ax.axvline(0, color="#999", lw=0.8, ls="--")
            ax.set_xlabel(f"Δ {figure.replace('_', ' ')} (pp)")
            ax.grid(axis="x", color="#eee", lw=0.6)
        lp = lengths.set_index(column)
        for i, s in enumerate(strategies):
            if s not in lp.index:
                continue
            r = lp.loc[s]
            v = r["prefers_longer_when_gold_shorter"]
            if pd.isna(v):
                continue
            axes[2].plot(
                [
                    100 * r["prefers_longer_when_gold_shorter_ci_low"],
                    100 * r["prefers_longer_when_gold_shorter_ci_high"],
                ],
                [i, i],
                color="#8e44ad",
                lw=1.6,
            )
            axes[2].plot([100 * v], [i], "o", color="#8e44ad", ms=4)
        axes[2].set_xlim(-2, 102)
        axes[2].set_xlabel("P(prefers longer | gold shorter) (%)")
        axes[2].grid(axis="x", color="#eee", lw=0.6)
        names = [f"{s} (baseline)" if i == 0 else str(s) for i, s in enumerate(strategies)]
        axes[0].set_yticks(range(len(strategies)), names)
        axes[0].set_ylim(len(strategies) - 0.5, -0.5)
        fig.tight_layout()
        return to_svg(fig, prefix)


def _baseline_value(lengths: pd.DataFrame, comp: StrategyComparison) -> Any:
    """The baseline as spelled in the data (``Vanilla``, or 1 for a numeric column)."""
    hit = lengths[lengths[comp.column].map(cell_key) == cell_key(comp.baseline)]
    return hit[comp.column].iloc[0] if len(hit) else comp.baseline


def render_analyze_html(result: AnalyzeResult, *, title: str | None = None) -> str:
    """The self-contained HTML report of an analysis (no external resources)."""
    env = environment()
    prep = result.prepared
    rows = result.table.to_dict("records")
    for r in rows:
        r["_label"] = [
            ("–" if r[g] is None or (isinstance(r[g], float) and math.isnan(r[g])) else r[g])
            for g in prep.group
        ]
    sections = []
    comp = result.comparison
    if comp is not None and not comp.differences.empty:
        for i, (values, part) in enumerate(group_items(comp.differences, comp.within)):
            lmask = pd.Series(True, index=comp.length.index)
            for k, v in values.items():
                lmask &= comp.length[k].map(cell_key) == cell_key(v)
            lpart = comp.length[lmask]
            sections.append(
                {
                    "label": _group_label(values, comp.within) if comp.within else "all pairs",
                    "plot": _comparison_plot(
                        part, lpart, comp.column, _baseline_value(lpart, comp), f"strategies-{i}"
                    ),
                    "consistency": part[part["figure"] == "position_consistency"].to_dict(
                        "records"
                    ),
                    "accuracy": part[part["figure"] == "accuracy"].to_dict("records"),
                    "length": lpart.to_dict("records"),
                }
            )
    return env.get_template("analyze.html.j2").render(
        title=title or f"judgebias analyze: {Path(str(result.summary['source'].get('file'))).name}",
        s=result.summary,
        src=result.summary["source"],
        group=prep.group,
        rows=rows,
        plot=_groups_plot(plotted_groups(result.table), prep.group),
        plotted=min(len(result.table), PLOTTED_GROUPS),
        comp=comp,
        sections=sections,
        rule=UNPARSEABLE_RULE,
        generated=time.strftime("%Y-%m-%d"),
        clusters=_cluster_words(result.summary.get("cluster")),
    )


def _cluster_words(info: Mapping[str, Any] | None) -> str:
    """``intervals clustered by question_id (80 clusters)`` for the page."""
    if not info or info.get("unit") == "pair":
        return "intervals clustered by pair (every pair its own cluster)"
    k = info.get("n_clusters")
    return f"intervals clustered by {info.get('unit')}" + (f" ({k:,} clusters)" if k else "")
