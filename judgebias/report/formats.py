"""The report of an audit in the listwise or pointwise format: listwise (``--candidates``)
and pointwise (``--format single``).

Everything drawn here was computed by :mod:`judgebias.stats.listwise` or
:mod:`judgebias.stats.pointwise` and stored in ``summary.json``; the page only lays
it out, with examples read from the records. Model text is escaped by the
template's autoescaping.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from judgebias.errors import InputError
from judgebias.report.examples import clip
from judgebias.report.html import SEVERITY_WORDS, to_svg
from judgebias.report.html import num as _num
from judgebias.report.plots import new_figure
from judgebias.report.runs import Run

__all__ = [
    "common_format",
    "distribution_figure",
    "fallacy_examples",
    "format_figures",
    "is_format_run",
    "render_format_report",
    "shares_figure",
    "single_examples",
]


def is_format_run(run: Run) -> bool:
    return run.summary.get("format") in ("list", "single")


def shares_figure(fig: dict[str, Any]) -> str | None:
    """Share of wins by shown position with 95 % intervals, against the uniform share."""
    shares = [s for s in fig.get("shares") or [] if isinstance(s, dict)]
    if not shares:
        return None
    f, ax = new_figure(5.5, 2.6)
    xs = [int(s["position"]) for s in shares]
    ys = [100 * (_num(s.get("share")) or 0.0) for s in shares]
    lo = [100 * (_num(s.get("ci_low")) or _num(s.get("share")) or 0.0) for s in shares]
    hi = [100 * (_num(s.get("ci_high")) or _num(s.get("share")) or 0.0) for s in shares]
    ax.bar(xs, ys, color="#1f5fa8", alpha=0.75, width=0.6)
    ax.errorbar(
        xs,
        ys,
        yerr=[
            [y - a for y, a in zip(ys, lo, strict=True)],
            [b - y for y, b in zip(ys, hi, strict=True)],
        ],
        fmt="none",
        ecolor="#1d2430",
        capsize=4,
    )
    exp = 100 * (_num(fig.get("expected_share")) or 0.0)
    ax.axhline(exp, color="#c0392b", linestyle="--", linewidth=1, label=f"uniform ({exp:.0f} %)")
    ax.set_xticks(xs, [f"shown {x}" for x in xs])
    ax.set_ylabel("share of wins (%)")
    ax.set_ylim(0, max(100.0, max(hi) + 5) if max(hi) > 60 else max(hi) + 10)
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return to_svg(f, "shares")


def list_examples(run: Run, limit: int = 3) -> list[dict[str, Any]]:
    """Items whose chosen response changed with the order shown."""
    r = run.records
    if r.empty or "kind" not in r.columns:
        return []
    lw = r[r["kind"] == "list"]
    moved = lw.groupby("pair_id")["verdict"].nunique()
    ids = list(moved[moved > 1].index[:limit])
    texts: dict[str, dict[str, Any]] = {}
    if not run.pairs.empty and "id" in run.pairs.columns:
        texts = {
            str(p["id"]): {str(k): v for k, v in p.items()} for p in run.pairs.to_dict("records")
        }
    out = []
    for pid in ids:
        rows = lw[lw["pair_id"] == pid].sort_values("variant")
        p = texts.get(str(pid), {})
        cands = [
            (c.upper(), clip(p.get(f"response_{c}")))
            for c in "abcd"
            if isinstance(p.get(f"response_{c}"), str)
        ]
        out.append(
            {
                "id": pid,
                "instruction": clip(p.get("instruction")),
                "candidates": cands,
                "orders": [
                    {
                        "order": " ".join(str(x).upper() for x in str(row["order"])),
                        "verdict": str(row["verdict"]).upper()
                        if isinstance(row["verdict"], str)
                        else "unreadable",
                        "shown": row["shown"] if pd.notna(row["shown"]) else None,
                        "raw": clip(row.get("raw"), 800),
                    }
                    for row in rows.to_dict("records")
                ],
            }
        )
    return out


def distribution_figure(name: str, fig: dict[str, Any]) -> str | None:
    """Grade counts of each condition of one pointwise figure, side by side."""
    dist = fig.get("distribution")
    if not isinstance(dist, dict) or not dist:
        return None
    labels = [k for k, v in dist.items() if isinstance(v, dict) and v]
    if not labels:
        return None
    grades = sorted({int(g) for k in labels for g in dist[k]})
    f, ax = new_figure(5.5, 2.2)
    width = 0.8 / len(labels)
    colors = ("#1f5fa8", "#d9731a", "#98a2b3")
    for i, k in enumerate(labels):
        total = sum(dist[k].values()) or 1
        ys = [100 * dist[k].get(str(g), 0) / total for g in grades]
        xs = [g + (i - (len(labels) - 1) / 2) * width for g in grades]
        ax.bar(xs, ys, width=width, color=colors[i % len(colors)], label=k)
    ax.set_xticks(grades, [str(g) for g in grades])
    ax.set_xlabel("grade (1 = worst)")
    ax.set_ylabel("% of answers")
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return to_svg(f, f"dist-{name}")


def single_examples(run: Run, limit: int = 2) -> list[dict[str, Any]]:
    """For each perturbation probe, answers whose grade the cue moved and the placebo did not."""
    r = run.records
    if r.empty or "score" not in r.columns:
        return []
    out = []
    key = ["pair_id", "target"]
    ctrl = r[r["probe"] == "control"].set_index(key)["score"]
    for name, f in run.probes.items():
        if not isinstance(f, dict) or "variants" not in f:
            continue
        mine = r[r["probe"] == name]
        cue = mine[mine["kind"] == "cue"].set_index(key)
        plc = mine[mine["kind"] == "placebo"].set_index(key)["score"]
        both = cue.join(plc.rename("placebo_score")).join(ctrl.rename("control_score"))
        moved = both[(both["score"] != both["control_score"]) & both["score"].notna()]
        moved = moved[moved["placebo_score"] == moved["control_score"]]
        for idx, row in list(moved.iterrows())[:limit]:
            pid, target = idx if isinstance(idx, tuple) else (idx, "")
            out.append(
                {
                    "probe": name,
                    "id": pid,
                    "target": target,
                    "variant": row["variant"],
                    "control": row["control_score"],
                    "cue": row["score"],
                    "placebo": row["placebo_score"],
                    "raw": clip(row.get("raw"), 800),
                }
            )
    return out


def fallacy_examples(run: Run, probe: str = "fallacy", limit: int = 3) -> dict[str, Any]:
    """Fallacy verdicts that preferred the corrupted reasoning (Response B in the pair's own
    labels: the sound paraphrase is response_a), with the prompt read from the store."""
    from judgebias.report.runs import stored_messages

    r = run.records
    mine = r[(r["probe"] == probe) & (r["kind"] == "cue")] if "probe" in r.columns else r
    wrong = mine[mine["verdict"] == "b"]
    picked = wrong.head(limit).to_dict("records")
    keys = [str(x.get("request_key")) for x in picked if x.get("request_key")]
    msgs = stored_messages(run.store_path, keys)
    items = []
    for x in picked:
        user = next(
            (c for role, c in msgs.get(str(x.get("request_key")), []) if role == "user"), None
        )
        items.append(
            {
                "id": x["pair_id"],
                "order": x.get("order"),
                "answer": x.get("target"),
                "user": clip(user),
                "raw": clip(x.get("raw"), 800),
            }
        )
    return {"items": items, "n": len(mine), "n_flipped": len(wrong)}


def render_format_report(run: Run, env: Any, scorecard: list[dict[str, Any]], run_rows: Any) -> str:
    """The page of a listwise or pointwise run."""

    fmt = run.summary.get("format")
    pos = run.probes.get("position") if isinstance(run.probes.get("position"), dict) else None
    ctx: dict[str, Any] = {
        "s": run.summary,
        "run": run.run_info,
        "label": run.label,
        "rows": scorecard,
        "run_rows": run_rows,
        "planted": run.planted,
        "simulated": bool(run.run_info.get("simulated")),
        "severity_words": SEVERITY_WORDS,
        "fmt": fmt,
        "pos": pos,
        "shares_svg": shares_figure(pos) if fmt == "list" and pos else None,
        "list_examples": list_examples(run) if fmt == "list" else [],
        "single_figures": [
            {"name": name, "fig": f, "svg": distribution_figure(name, f)}
            for name, f in run.probes.items()
            if fmt == "single" and isinstance(f, dict)
        ],
        "single_examples": single_examples(run) if fmt == "single" else [],
    }
    return str(env.get_template("report_formats.html.j2").render(**ctx))


def common_format(runs: list[Run]) -> str:
    """The format all runs share (``pair``, ``list`` or ``single``); runs of different
    formats (or listwise runs of different k) measure different things: one line, exit 2."""
    from judgebias.stats.rundiff_formats import format_name, run_format

    first = runs[0]
    for r in runs[1:]:
        fa, fb = run_format(first.summary), run_format(r.summary)
        if fa != fb or (
            fa == "list" and first.summary.get("candidates") != r.summary.get("candidates")
        ):
            raise InputError(
                "report",
                f"{first.label} is {format_name(first.summary)} and {r.label} is "
                f"{format_name(r.summary)}: runs of different formats cannot share one page "
                "(report each alone, or compare runs of one format)",
            )
    return run_format(first.summary)


def format_figures(runs: list[Run], fmt: str) -> dict[str, Any]:
    """The figures of a multi-run page of listwise or pointwise runs: the forest of
    effects for listwise runs (fractions, like pairs) and each run's shares by position;
    pointwise effects are in grade points, shown in the table only."""
    from judgebias.report.plots import forest_figure

    out: dict[str, Any] = {
        "forest": to_svg(forest_figure(runs), "forest") if fmt == "list" else None,
        "position": None,
        "length": None,
        "length_tables": {},
        "factors": None,
        "factor_notes": {},
        "factor_tables": {},
        "dbg": None,
        "shares": {},
    }
    if fmt == "list":
        for r in runs:
            pos = r.probes.get("position")
            if isinstance(pos, dict):
                out["shares"][r.label] = pos.get("shares") or []
    return out
