"""``judgebias report`` and ``judgebias compare``: read stored runs, write the HTML
(:mod:`judgebias.report`) or the comparison (:mod:`judgebias.report.compare`), print a summary.
No judge is called."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from judgebias.cli.common import echo_gate

__all__ = ["COMPARE_EPILOG", "REPORT_EPILOG", "compare_command", "report"]

REPORT_EPILOG = """Examples:

  judgebias report runs/gpt-4o-mini

  judgebias report runs/gpt-4o-mini runs/llama-70b runs/qwen-7b --out judges.html

  judgebias report runs/gpt-4o-mini --fail-on "position>0.1" --quiet

  With one RUN the report is written to RUN/report.html (or --out); with several, one page compares the judges side by side (default judgebias-comparison.html). No judge is called: everything comes from the run folders.
"""

COMPARE_EPILOG = """Examples:

  judgebias audit --judge "sim:position=0.3,suppression=0.5" --out runs/plain
  judgebias audit --judge "sim:position=0.3,suppression=0.5" --mitigation swap --out runs/swap
  judgebias compare runs/plain runs/swap --out swap.html

  Differences are B - A. Runs on the same pairs are compared pair by pair (bootstrap interval over clusters of pairs, and the p-value that inverts it); other runs by Newcombe's interval from each run's own interval.
"""


def report(
    runs: Annotated[list[str], typer.Argument(help="Run folders written by 'judgebias audit'.")],
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            help="Output HTML (default: RUN/report.html; several runs: judgebias-comparison.html).",
        ),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Also gate the stored runs: exit 1 when a bias's 95% interval lies wholly above its threshold.",
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing but errors and gate failures.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the written path (and gate results) as JSON.")
    ] = False,
) -> None:
    """Re-render the HTML report of stored runs (several: compare the judges), without calling any judge."""
    from judgebias.audits.gate import check_gate, parse_fail_on, require_measured
    from judgebias.report.render import write_comparison, write_report
    from judgebias.report.runs import read_run

    conditions = parse_fail_on(fail_on) if fail_on is not None else None
    paths = [Path(r) for r in runs]
    checked = []
    for p in paths if conditions is not None else []:
        summary = read_run(p).summary
        require_measured(conditions or [], summary.get("probes") or {})
        checked.append((p, check_gate(summary, conditions or [])))
    if len(paths) == 1:
        written = write_report(paths[0], Path(out) if out else None)
    else:
        written = write_comparison(paths, Path(out or "judgebias-comparison.html"))
    gates: dict[str, list[dict[str, object]]] = {}
    tripped = False
    for p, results in checked:
        gates[str(p)] = [r.as_dict() for r in results]
        label = str(p) if len(paths) > 1 else None
        tripped = echo_gate(results, quiet=quiet or as_json, run=label) or tripped
    if as_json:
        payload: dict[str, object] = {"report": str(written), "runs": [str(p) for p in paths]}
        if conditions is not None:
            payload["gate"] = {"tripped": tripped, "results": gates}
        typer.echo(json.dumps(payload, indent=2))
    elif not quiet:
        typer.echo(str(written))
    if tripped:
        raise typer.Exit(1)


def compare_command(
    run_a: Annotated[
        str, typer.Argument(help="Run folder A (before), written by 'judgebias audit'.")
    ],
    run_b: Annotated[str, typer.Argument(help="Run folder B (after).")],
    out: Annotated[
        str | None,
        typer.Option(
            "--out", help="Write the comparison: .html (one self-contained page), .json, or CSV."
        ),
    ] = None,
    n_boot: Annotated[
        int, typer.Option("--n-boot", help="Bootstrap draws for paired runs.")
    ] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
) -> None:
    """Two runs side by side: every probe's effect in both, the difference with its interval and p-value, accuracy and cost."""
    from judgebias.report.compare import compare_runs, comparison_json, write_compare

    result = compare_runs(run_a, run_b, n_boot=n_boot, seed=seed)
    if out:
        path = write_compare(result, out)
    if as_json:
        typer.echo(json.dumps(comparison_json(result), indent=2))
        return
    a, b = result["runs"]["a"], result["runs"]["b"]
    for key, r in (("A", a), ("B", b)):
        mit = ", ".join(r["mitigations"]) or "none"
        cost = "–" if r["cost_usd"] is None else f"${r['cost_usd']:.4f}"
        effort = f", reasoning effort {r['reasoning_effort']}" if r.get("reasoning_effort") else ""
        typer.echo(
            f"{key} {r['label']}: {r['judge']} (mitigations: {mit}{effort}); "
            f"{r['calls']} backend requests, {r['calls_per_verdict']} per verdict, "
            f"{r['tokens']} tokens, cost {cost}"
        )
    t = result["table"]

    points = result.get("format") == "single"  # pointwise shifts are in grade points

    def pp(x: float, figure: str = "") -> str:
        if x != x:
            return "–"
        return f"{x:+.2f}" if points and figure != "accuracy" else f"{100 * x:+.1f}"

    rows = t.to_dict(orient="records")
    w = max([13, *(len(str(r["figure"])) + 1 for r in rows)])  # listwise: "position: shown 1"
    typer.echo(f"{'figure':<{w}}{'A':>8}{'B':>8}{'B-A':>8}  {'95% CI of B-A':<17}{'p':>8}")
    for r in rows:
        f = r["figure"]
        ci = f"[{pp(r['diff_ci_low'], f)}, {pp(r['diff_ci_high'], f)}]"
        p = "–" if r["p_value"] != r["p_value"] else f"{r['p_value']:.3g}"
        typer.echo(
            f"{f:<{w}}{pp(r['effect_a'], f):>8}{pp(r['effect_b'], f):>8}"
            f"{pp(r['difference'], f):>8}  {ci:<17}{p:>8}"
        )
    how = (
        f"paired over {result['n_shared']} shared pairs"
        if result["paired"]
        else "independent runs (Newcombe)"
    )
    typer.echo(f"{result.get('unit_note', 'percentage points')}; {how}")
    if out:
        typer.echo(f"wrote {path}")
