"""The report's figures, drawn with matplotlib and inlined as SVG.

Each ``*_figure`` function takes one or more runs and returns a matplotlib
``Figure`` (or ``None`` with a note when there is nothing to draw). The report
builds figures with :class:`matplotlib.figure.Figure` directly, never through
pyplot, so rendering touches no global state and does not switch a notebook's
backend. :func:`judgebias.report.html.to_svg` turns a figure into an SVG fragment.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from judgebias.report.html import num as _num
from judgebias.report.html import to_svg as to_svg  # written once, in report/html.py
from judgebias.report.runs import Run, ordered_probes

__all__ = [
    "COLORS",
    "dbg_figure",
    "draw_forest",
    "factor_figure",
    "forest_figure",
    "length_figure",
    "length_table",
    "new_figure",
    "position_figure",
    "to_svg",
]

COLORS = ("#1f5fa8", "#d9731a", "#2a9d5b", "#b03a7a", "#6b5bd2", "#8c6d1f", "#3b8ea5", "#c0392b")


def _label(text: Any) -> str:
    """A label matplotlib shows literally: ``$`` would otherwise start mathtext."""
    return str(text).replace("\\", "\\\\").replace("$", r"\$")


def _effect(fig: dict[str, Any]) -> Any:
    return fig.get("effect", fig.get("dbg"))


def new_figure(width: float, height: float) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(width, height))
    return fig, fig.add_subplot()


# -- forest plot ---------------------------------------------------------------------------


def draw_forest(ax: Axes, runs: list[Run]) -> None:
    """Effects of every probe with 95 % intervals; one colour per run; planted values ticked."""
    names = ordered_probes(n for r in runs for n in r.probes)
    m = len(runs)
    height = 0.7 / max(m, 1)
    planted_labelled = False
    for j, run in enumerate(runs):
        color = COLORS[j % len(COLORS)]
        first = True
        for i, name in enumerate(names):
            fig = run.probes.get(name)
            if not isinstance(fig, dict):
                continue
            eff, lo, hi = _num(_effect(fig)), _num(fig.get("ci_low")), _num(fig.get("ci_high"))
            if eff is None:
                continue
            y = i + (j - (m - 1) / 2) * height
            if lo is not None and hi is not None:
                ax.plot([100 * lo, 100 * hi], [y, y], color=color, lw=2, solid_capstyle="butt")
            sig = (_num(fig.get("p_adjusted")) or 1.0) < 0.05
            ax.plot(
                [100 * eff],
                [y],
                "o",
                color=color,
                ms=6,
                markerfacecolor=color if sig else "white",
                markeredgewidth=1.5,
                label=_label(run.label) if first and m > 1 else None,
            )
            first = False
            planted = _num(run.planted_effect(name))
            if planted is not None:
                ax.plot(
                    [100 * planted],
                    [y],
                    "|",
                    color="#2a7",
                    ms=13,
                    mew=2,
                    label=None if planted_labelled else "planted (simulated judge)",
                )
                planted_labelled = True
    ax.axvline(0, color="#999", lw=1, ls="--")
    ax.set_yticks(range(len(names)), [_label(n) for n in names])
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_xlabel("effect in percentage points, with 95 % interval (filled: significant after BH)")
    ax.grid(axis="x", color="#eee")
    if m > 1 or any(r.planted for r in runs):
        _, labels = ax.get_legend_handles_labels()
        if labels:
            ax.legend(
                loc="lower center",
                bbox_to_anchor=(0.5, 1.0),
                ncol=min(3, len(labels)),
                frameon=False,
                fontsize=8,
            )


def forest_figure(runs: list[Run]) -> Figure:
    names = ordered_probes(n for r in runs for n in r.probes)
    fig, ax = new_figure(7.0, 1.0 + 0.42 * max(1, len(names)) * (1 + 0.25 * (len(runs) - 1)))
    draw_forest(ax, runs)
    fig.tight_layout()
    return fig


# -- position ------------------------------------------------------------------------------


def position_figure(runs: list[Run]) -> Figure | None:
    rows = [
        (r.label, r.probes["position"]) for r in runs if isinstance(r.probes.get("position"), dict)
    ]
    if not rows:
        return None
    fig, ax = new_figure(7.0, 0.9 + 0.45 * len(rows))
    parts = (
        ("consistency", "#4a9a6a", "consistent"),
        ("primacy", "#d9731a", "first shown wins"),
        ("recency", "#3b7dc4", "second shown wins"),
    )
    for i, (_, pos) in enumerate(rows):
        left = 0.0
        for key, color, name in parts:
            w = 100 * (_num(pos.get(key)) or 0.0)
            ax.barh([i], [w], left=left, color=color, height=0.6, label=name if i == 0 else None)
            if w >= 6:
                ax.text(
                    left + w / 2,
                    i,
                    f"{w:.0f}%",
                    ha="center",
                    va="center",
                    color="white",
                    fontsize=8,
                )
            left += w
    ax.set_xlim(0, 100)
    ax.set_yticks(range(len(rows)), [_label(label) for label, _ in rows] if len(rows) > 1 else [""])
    if len(rows) == 1:
        ax.set_yticks([])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel("share of pairs judged in both orders (%)")
    ax.legend(ncol=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


# -- preference against length difference ---------------------------------------------------


def length_table(run: Run) -> pd.DataFrame:
    """The run's length bins (:func:`judgebias.stats.run_figures.length_bins`), as stored in
    summary.json's ``figures``; computed by stats/ for run folders written before it was."""
    from judgebias.stats.run_figures import bins_from_summary, length_bins

    figures = run.summary.get("figures")
    if isinstance(figures, dict):
        return bins_from_summary(figures)
    return length_bins(run.records, run.pairs)


def length_figure(runs: list[Run]) -> tuple[Figure | None, dict[str, pd.DataFrame]]:
    tables = {r.label: length_table(r) for r in runs}
    tables = {k: t for k, t in tables.items() if not t.empty}
    if not tables:
        return None, {}
    fig, ax = new_figure(7.0, 3.0)
    gold_done: set[tuple[str, ...]] = set()
    for j, run in enumerate(runs):
        t = tables.get(run.label)
        if t is None:
            continue
        color = COLORS[j % len(COLORS)]
        x = t["ratio"]
        name = "judge" if len(runs) == 1 else _label(run.label)
        ax.fill_between(x, 100 * t["judge_lo"], 100 * t["judge_hi"], color=color, alpha=0.15, lw=0)
        ax.plot(x, 100 * t["judge"], "o-", color=color, label=name)
        pair_set = tuple(sorted(run.pairs["id"].astype(str)))
        if t["gold"].notna().any() and pair_set not in gold_done:
            gold_done.add(pair_set)
            ax.plot(
                x,
                100 * t["gold"],
                "s--",
                color="#555",
                ms=4,
                lw=1,
                label="gold" if len(runs) == 1 else _label(f"gold ({run.label})"),
            )
    ax.axhline(50, color="#999", lw=1, ls="--")
    ax.set_xscale("log")
    lo = min(float(t["ratio"].min()) for t in tables.values())
    hi = max(float(t["ratio"].max()) for t in tables.values())
    ticks = [v for v in (1.1, 1.5, 2, 3, 5, 10, 20, 50, 100, 1000) if lo / 1.1 <= v <= hi * 1.1]
    ax.set_xlim(lo / 1.08, hi * 1.08)
    ax.set_xticks(ticks, [f"×{v:g}" for v in ticks])
    ax.minorticks_off()
    ax.set_ylim(0, 100)
    ax.set_xlabel(
        "length of the longer answer ÷ length of the shorter (words; each point a bin of pairs)"
    )
    ax.set_ylabel("verdicts for the longer answer (%)")
    ax.grid(color="#eee")
    ax.legend(frameon=False, fontsize=8, loc="best")
    fig.tight_layout()
    return fig, tables


# -- factor influence ----------------------------------------------------------------------


def factor_fit(run: Run) -> tuple[pd.DataFrame | None, str]:
    """The run's factor model (:func:`judgebias.stats.run_figures.factor_fit`) as stored in
    summary.json's ``figures``, or a note why there is none; computed by stats/ for run
    folders written before it was stored."""
    from judgebias.stats.run_figures import factor_fit as fit
    from judgebias.stats.run_figures import factors_from_summary

    figures = run.summary.get("figures")
    if isinstance(figures, dict):
        return factors_from_summary(figures)
    return fit(run.records, run.pairs)


def factor_figure(runs: list[Run]) -> tuple[Figure | None, dict[str, pd.DataFrame], dict[str, str]]:
    tables: dict[str, pd.DataFrame] = {}
    notes: dict[str, str] = {}
    for r in runs:
        t, note = factor_fit(r)
        if t is None:
            notes[r.label] = note
        else:
            tables[r.label] = t
    if not tables:
        return None, tables, notes
    first = next(iter(tables.values()))
    rows = first[(first["factor"] != "(intercept)") & first["coef"].notna()].copy()
    rows = rows.reindex(rows["coef"].abs().sort_values(ascending=False).index)
    factors = list(rows["factor"])
    for t in tables.values():
        for f in t[(t["factor"] != "(intercept)") & t["coef"].notna()]["factor"]:
            if f not in factors:
                factors.append(f)
    fig, ax = new_figure(7.0, 0.9 + 0.3 * len(factors))
    series: list[tuple[str, pd.DataFrame, str, str]] = []
    for j, r in enumerate(runs):
        if r.label in tables:
            series.append(
                (
                    "judge" if len(runs) == 1 else _label(r.label),
                    tables[r.label],
                    "coef",
                    COLORS[j % len(COLORS)],
                )
            )
    gold_t = next((t for t in tables.values() if "coef_gold" in t.columns), None)
    if gold_t is not None:
        series.append(("gold", gold_t, "coef_gold", "#333"))
    m = len(series)
    step = 0.7 / max(m, 1)
    for k, (name, t, col, color) in enumerate(series):
        idx = t.set_index("factor")
        suffix = "_gold" if col == "coef_gold" else ""
        ys, xs, los, his = [], [], [], []
        for i, f in enumerate(factors):
            if f not in idx.index:
                continue
            c = _num(idx.loc[f, col])
            if c is None:
                continue
            ys.append(i + (k - (m - 1) / 2) * step)
            xs.append(c)
            los.append(_num(idx.loc[f, f"ci_low{suffix}"]))
            his.append(_num(idx.loc[f, f"ci_high{suffix}"]))
        for y, lo, hi in zip(ys, los, his, strict=True):
            if lo is not None and hi is not None:
                ax.plot([lo, hi], [y, y], color=color, lw=1.5)
        marker = "s" if col == "coef_gold" else "o"
        ax.plot(xs, ys, marker, color=color, ms=5, label=name, ls="none")
    ax.axvline(0, color="#999", lw=1, ls="--")
    ax.set_yticks(range(len(factors)), [_label(f) for f in factors])
    ax.set_ylim(len(factors) - 0.5, -0.5)
    ax.set_xlabel("change in log-odds of preferring an answer per SD of the factor's difference")
    ax.grid(axis="x", color="#eee")
    ax.legend(
        frameon=False, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=min(4, m)
    )
    fig.tight_layout()
    return fig, tables, notes


# -- self-preference (DBG) -----------------------------------------------------------------


def dbg_figure(runs: list[Run]) -> Figure | None:
    rows = [
        (r.label, r.probes["self"], j)
        for j, r in enumerate(runs)
        if isinstance(r.probes.get("self"), dict)
        and _num(r.probes["self"].get("judge_win_rate")) is not None
    ]
    if not rows:
        return None
    fig, ax = new_figure(7.0, 0.9 + 0.75 * len(rows))
    for i, (_, s, j) in enumerate(rows):
        judge = 100 * (_num(s.get("judge_win_rate")) or 0.0)
        gold = 100 * (_num(s.get("gold_win_rate")) or 0.0)
        ax.barh(
            [i - 0.18],
            [judge],
            height=0.34,
            color=COLORS[j % len(COLORS)],
            label="judge" if i == 0 else None,
        )
        ax.barh(
            [i + 0.18], [gold], height=0.34, color="#999", label="gold judge" if i == 0 else None
        )
        # DBG's own interval (older runs kept it under ci_low / ci_high)
        keys = (
            ("dbg", "dbg_ci_low", "dbg_ci_high") if "effect" in s else ("dbg", "ci_low", "ci_high")
        )
        d, lo, hi = (_num(s.get(k)) for k in keys)
        if d is not None:
            ci = f" [{100 * lo:+.1f}, {100 * hi:+.1f}]" if lo is not None and hi is not None else ""
            ax.text(
                max(judge, gold) + 1.5, i, f"DBG {100 * d:+.1f} pp{ci}", va="center", fontsize=8
            )
    ax.set_xlim(0, 125)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_yticks(
        range(len(rows)), [_label(label) for label, _, _ in rows] if len(rows) > 1 else [""]
    )
    if len(rows) == 1:
        ax.set_yticks([])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel("win rate of the judge model's own answers (%)")
    ax.legend(frameon=False, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
    fig.tight_layout()
    return fig
