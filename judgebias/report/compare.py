"""Two audits side by side: ``judgebias compare RUN_A RUN_B [--out FILE]``.

For every probe of either run, and for accuracy and the tie share of the control
verdicts: the figure with its 95 % interval in each run, the difference
``B - A`` (RUN_A is "before", RUN_B "after") with its own 95 % interval and
p-value, and ``ratio = B / A``; plus each run's judge, mitigations, calls, tokens
and cost. Written as CSV or JSON (by the suffix of ``--out``) or as one
self-contained HTML page (``.html``).

How the difference is tested
----------------------------
Each figure of a run is computed from per-pair sums over the pairs it judged
(position: primacy minus recency over pairs with two valid control verdicts;
a perturbation probe: cue flips minus placebo flips over its units, each unit a
pair in one order; self: P(judge picks own | gold picks other) minus P(judge picks
other | gold picks own) over the judge's verdicts, two ratios of sums; accuracy:
credit over valid control verdicts; ties: tie verdicts over valid control verdicts).

* **Paired** (``method = "paired bootstrap"``), when both runs have their records
  and judged the same pairs (at least half of each run's pairs share an id and the
  same texts): the difference is computed on the shared pairs. Its interval is the
  percentile interval of a bootstrap over the run's clusters (the pairs sharing an
  instruction, or each pair, as run A was clustered: ``--cluster``; the same
  resampled clusters in both runs, ``n_boot`` draws, seeded); its p-value is that
  interval inverted (twice the bootstrap share on the far side of 0, read off the
  same quantile function), so ``p < 0.05`` exactly when the 95 % interval excludes
  0. (A randomisation test used before disagreed with the interval: planted 0.10
  against 0.11, length +1.0 pp [+0.2, +2.0] with p = 0.07.) Pairing removes the
  pair-to-pair variation the two runs share, so a mitigation's effect is measured
  far more precisely than from two independent intervals. The ``ties`` row
  (``method = "paired newcombe"``) is a difference of paired proportions over the
  (pair, order) verdicts valid in both runs: Newcombe's paired interval at the
  effective sample size and the p-value that inverts it (a bootstrap of a rare count
  is [0, 0] when one run has none).
* **Independent** (``method = "newcombe"``), otherwise. For ``accuracy`` and
  ``ties``, whose counts the records give, each run's share has a Wilson interval
  and the difference Newcombe's hybrid score interval for independent
  proportions (statsmodels ``confint_proportions_2indep(method="newcomb")``); its
  p-value is that interval inverted, so it never contradicts it. For the probe
  effects only each run's interval is known: the difference has Newcombe's
  square-and-add (MOVER) interval from the two intervals,
  ``D - sqrt((B - lo_B)^2 + (hi_A - A)^2)`` to ``D + sqrt((hi_B - B)^2 + (A - lo_A)^2)``,
  and its p-value the normal test whose standard error is the half-width on the
  side facing 0 (below 0.05 exactly when the 95 % interval excludes 0).

Benjamini-Hochberg adjusts the probe rows' p-values together (``p_adjusted``).

Listwise and pointwise runs are compared the same way by
:mod:`judgebias.stats.rundiff_formats` (shifts in grade points, shares of wins by
shown position); runs of different formats cannot be compared (one line, exit 2).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from judgebias.errors import UsageError
from judgebias.jsonsafe import json_safe
from judgebias.stats.rundiff import run_differences
from judgebias.stats.rundiff_formats import check_comparable, format_differences
from judgebias.tables.runfolder import Run, read_run

__all__ = [
    "COMPARE_COLUMNS",
    "compare_runs",
    "comparison_json",
    "read_run_folder",
    "render_compare_html",
    "write_compare",
]

COMPARE_COLUMNS: tuple[str, ...] = (
    "figure",
    "effect_a",
    "ci_low_a",
    "ci_high_a",
    "n_a",
    "effect_b",
    "ci_low_b",
    "ci_high_b",
    "n_b",
    "difference",
    "diff_ci_low",
    "diff_ci_high",
    "p_value",
    "p_adjusted",
    "ratio",
    "method",
    "n_shared",
    "n_clusters",
)
"""The columns of the comparison table (figures as fractions; ``difference`` = B - A;
``n_clusters`` the clusters a paired difference was resampled over)."""

UNIT_NOTES = {
    "pair": "percentage points",
    "list": "percentage points (shares of wins by shown position; position = first - last)",
    "single": "grade points (score_labels: steps of the 5-point scale; anchor: pull, 0-1); "
    "accuracy in percentage points",
}
"""What the differences of each format are measured in."""


def read_run_folder(path: str | Path, label: str | None = None) -> Run:
    """Read a run folder's summary.json and, when present, its records and pairs
    (empty tables when absent; CSV with inferred types), labelled with its folder name."""
    return read_run(path, label or Path(path).name, as_text=False)


# --------------------------------------------------------------------------- pairs


def _shared_pairs(a: Run, b: Run) -> tuple[list[str], bool]:
    """Pair ids both runs judged with the same texts, and whether they are most of each."""
    if a.records.empty or b.records.empty:
        return [], False
    ia = set(map(str, a.records["pair_id"].unique()))
    ib = set(map(str, b.records["pair_id"].unique()))
    shared = ia & ib
    if "id" in a.pairs.columns and "id" in b.pairs.columns:
        cols = [
            c
            for c in ("instruction", "response_a", "response_b", "response_c", "response_d")
            if c in a.pairs.columns and c in b.pairs.columns
        ]
        if cols:
            pa = a.pairs.assign(id=a.pairs["id"].astype(str)).set_index("id")[cols]
            pb = b.pairs.assign(id=b.pairs["id"].astype(str)).set_index("id")[cols]
            common = sorted(shared & set(pa.index) & set(pb.index))
            same = (pa.loc[common].astype(str) == pb.loc[common].astype(str)).all(axis=1)
            shared = set(same[same].index) | (shared - set(pa.index) - set(pb.index))
    ids = sorted(shared)
    ok = bool(ids) and len(ids) >= 0.5 * len(ia) and len(ids) >= 0.5 * len(ib)
    return ids, ok


def _run_info(r: Run) -> dict[str, Any]:
    s = r.summary
    run = s.get("run") or {}
    calls = s.get("calls") or {}
    return {
        "label": r.label,
        "path": str(r.path),
        "judge": s.get("judge"),
        "mitigations": run.get("mitigations") or [],
        "n_pairs": s.get("n_pairs"),
        "accuracy": s.get("accuracy"),
        "accuracy_ci": s.get("accuracy_ci"),
        "calls": calls.get("total"),
        "calls_sent": calls.get("sent"),
        "calls_cached": calls.get("cached"),
        "calls_failed": calls.get("failed"),
        "verdicts": calls.get("verdicts", calls.get("total")),
        "calls_per_verdict": calls.get("per_verdict", 1),
        "tokens": (s.get("tokens") or {}).get("total"),
        "cost_usd": s.get("cost_usd"),
        "seconds": run.get("seconds"),
        "mode": run.get("mode"),
        "template": run.get("template"),
        "planted": run.get("planted"),
        "reasoning_effort": run.get("reasoning_effort"),
        "reasoning_tokens": (s.get("tokens") or {}).get("reasoning"),
    }


def _check_formats(run_a: str | Path | Run, run_b: str | Path | Run) -> None:
    """Runs of different formats cannot be compared (from their summary.json alone)."""
    summaries = []
    for r in (run_a, run_b):
        if isinstance(r, Run):
            summaries.append((r.summary, r.label))
            continue
        try:
            summaries.append((json.loads((Path(r) / "summary.json").read_text()), Path(r).name))
        except (OSError, ValueError):
            return  # reading the folder names what is wrong with it
    (sa, la), (sb, lb) = summaries
    check_comparable(sa, sb, la, lb)


def compare_runs(
    run_a: str | Path | Run,
    run_b: str | Path | Run,
    *,
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Compare two run folders (see the module docstring).

    Returns ``{"runs": {"a": ..., "b": ...}, "table": DataFrame, "paired": bool,
    "n_shared": int}``; the table has :data:`COMPARE_COLUMNS`.
    """
    if n_boot < 100:
        raise UsageError(f"--n-boot: at least 100 draws, got {n_boot}")
    _check_formats(run_a, run_b)  # before any table is read: a mismatch is one line, quickly
    a = run_a if isinstance(run_a, Run) else read_run_folder(run_a)
    b = run_b if isinstance(run_b, Run) else read_run_folder(run_b)
    if a.label == b.label:
        a.label, b.label = f"A: {a.label}", f"B: {b.label}"
    fmt = check_comparable(a.summary, b.summary, a.label, b.label)
    rng = np.random.default_rng(seed)
    ids, paired = _shared_pairs(a, b)
    differences = run_differences if fmt == "pair" else format_differences
    table = differences(
        a.summary,
        None if a.records.empty else a.records,  # no records: figures from the summaries
        b.summary,
        None if b.records.empty else b.records,
        ids=ids,
        same_pairs=paired,
        n_boot=n_boot,
        rng=rng,
        alpha=alpha,
    )
    table = table.reindex(columns=list(COMPARE_COLUMNS))
    return {
        "runs": {"a": _run_info(a), "b": _run_info(b)},
        "table": table,
        "paired": paired,
        "n_shared": len(ids) if paired else 0,
        "format": fmt,
        "unit_note": UNIT_NOTES[fmt],
    }


# --------------------------------------------------------------------------- output


def comparison_json(result: dict[str, Any]) -> dict[str, Any]:
    return json_safe(
        {
            "runs": result["runs"],
            "paired": result["paired"],
            "n_shared": result["n_shared"],
            "format": result.get("format", "pair"),
            "unit_note": result.get("unit_note", UNIT_NOTES["pair"]),
            "figures": result["table"].to_dict(orient="records"),
        }
    )


def _forest_svg(rows: list[dict[str, Any]]) -> str:
    """A small inline SVG: each figure's two intervals on one axis (numbers only)."""
    vals = [
        v
        for r in rows
        for v in (
            r["ci_low_a"],
            r["ci_high_a"],
            r["ci_low_b"],
            r["ci_high_b"],
            r["effect_a"],
            r["effect_b"],
        )
        if v is not None and not math.isnan(v)
    ]
    if not vals:
        return ""
    lo, hi = min(min(vals), 0.0), max(max(vals), 0.0)
    span = (hi - lo) or 1.0
    lo, hi = lo - 0.05 * span, hi + 0.05 * span
    width, left, right, row_h = 760, 130, 20, 34

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * (width - left - right)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{row_h * len(rows) + 30}" role="img" aria-label="intervals">'
    ]
    zero = x(0.0)
    parts.append(
        f'<line x1="{zero:.1f}" y1="0" x2="{zero:.1f}" y2="{row_h * len(rows)}" '
        'stroke="#999" stroke-dasharray="3,3"/>'
    )
    for i, r in enumerate(rows):
        y = i * row_h + 12
        label = "".join(ch for ch in str(r["figure"]) if ch.isalnum() or ch in "-_ ")
        parts.append(f'<text x="4" y="{y + 6}" font-size="12">{label}</text>')
        for k, (e, a, b_, color) in enumerate(
            (
                (r["effect_a"], r["ci_low_a"], r["ci_high_a"], "#345"),
                (r["effect_b"], r["ci_low_b"], r["ci_high_b"], "#c63"),
            )
        ):
            yy = y + 9 * k
            if a is not None and b_ is not None and not (math.isnan(a) or math.isnan(b_)):
                parts.append(
                    f'<line x1="{x(a):.1f}" y1="{yy}" x2="{x(b_):.1f}" y2="{yy}" '
                    f'stroke="{color}" stroke-width="2"/>'
                )
            if e is not None and not math.isnan(e):
                parts.append(f'<circle cx="{x(e):.1f}" cy="{yy}" r="3.5" fill="{color}"/>')
    for t in np.linspace(lo, hi, 6):
        parts.append(
            f'<text x="{x(t):.1f}" y="{row_h * len(rows) + 20}" font-size="11" '
            f'text-anchor="middle">{100 * t:+.0f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def render_compare_html(result: dict[str, Any]) -> str:
    """One self-contained HTML page (``compare_runs.html.j2``; no external resources)."""
    from judgebias.report.html import environment

    env = environment(strict=True)
    rows = json_safe(result["table"].to_dict(orient="records"))
    info_rows = [
        ("judge", "judge"),
        ("mitigations", "mitigations"),
        ("mode", "mode"),
        ("reasoning_effort", "reasoning effort"),
        ("template", "template"),
        ("n_pairs", "pairs"),
        ("accuracy", "accuracy"),
        ("verdicts", "verdicts"),
        ("calls_per_verdict", "backend calls per verdict"),
        ("calls", "backend requests"),
        ("calls_sent", "sent"),
        ("calls_cached", "cached"),
        ("calls_failed", "failed"),
        ("tokens", "tokens"),
        ("reasoning_tokens", "of which reasoning"),
        ("cost_usd", "cost (USD)"),
        ("seconds", "seconds"),
    ]
    tpl = env.get_template("compare_runs.html.j2")
    return tpl.render(
        a=json_safe(result["runs"]["a"]),
        b=json_safe(result["runs"]["b"]),
        rows=rows,
        info_rows=info_rows,
        paired=result["paired"],
        n_shared=result["n_shared"],
        svg=_forest_svg(rows),
    )


def write_compare(result: dict[str, Any], out: str | Path) -> Path:
    """Write by suffix: ``.html`` page, ``.json`` (runs and figures), else CSV (figures)."""
    path = Path(out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        suffix = path.suffix.lower()
        if suffix in (".html", ".htm"):
            path.write_text(render_compare_html(result), encoding="utf-8")
        elif suffix == ".json":
            path.write_text(json.dumps(comparison_json(result), indent=2) + "\n", encoding="utf-8")
        else:
            result["table"].to_csv(path, index=False)
    except OSError as exc:
        raise UsageError(f"--out: cannot write {path} ({exc.strerror or exc})") from None
    return path
