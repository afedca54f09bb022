"""``judgebias agree``: agreement of a judge with humans.

Only converts flags and prints; the work is :func:`judgebias.humans.agree.agreement`.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from judgebias.cli.common import command_line

__all__ = ["EPILOG", "agree_command"]

EPILOG = """Examples:

  judgebias agree pandalm/testset-v1.json pandalm/gpt-3.5-turbo-testset-v1.json --item idx --judge gpt_result --human annotator1,annotator2,annotator3 --out pandalm-agree

  judgebias agree mtbench/human.jsonl mtbench/gpt4_pair.jsonl --annotator judge --label winner --item question_id,turn --models model_a,model_b --judge gpt4_pair --human-match 'expert_.*' --group turn --out mtbench-agree

  Wide layout: one row per item, --judge COL and --human COL,COL (several files are joined on --item).
  Long layout: one row per vote, --annotator COL --label COL --item COLS, and --judge NAME, the annotator
  that is the judge (several files are stacked). Labels: a/b/tie (1/2/0, model_a/model_b, anything
  containing "tie") or numeric scores (--scale score).
"""


def agree_command(
    files: Annotated[
        list[str],
        typer.Argument(help="Table(s) of labels (CSV, TSV, JSONL, JSON, Parquet; .gz ok)."),
    ],
    judge: Annotated[
        str,
        typer.Option(
            "--judge", help="Wide: the judge's label column. Long: the judge's annotator name."
        ),
    ],
    human: Annotated[
        str | None,
        typer.Option("--human", help="Wide: human label columns, COL[,COL...]."),
    ] = None,
    annotator: Annotated[
        str | None, typer.Option("--annotator", help="Long: the column naming who voted.")
    ] = None,
    label: Annotated[str | None, typer.Option("--label", help="Long: the vote column.")] = None,
    item: Annotated[
        str | None,
        typer.Option("--item", help="Columns identifying an item (wide default: the row)."),
    ] = None,
    group: Annotated[
        str | None,
        typer.Option("--group", help="Columns to report figures by (turn, category, ...)."),
    ] = None,
    models: Annotated[
        str | None,
        typer.Option(
            "--models",
            help="A,B: the item's two model columns; votes are order-normalised per sorted pair.",
        ),
    ] = None,
    human_match: Annotated[
        str | None,
        typer.Option(
            "--human-match", help="Long: only annotators whose name matches this regex are human."
        ),
    ] = None,
    soft: Annotated[
        str | None,
        typer.Option("--soft", help="The judge's probability that a is better, for calibration."),
    ] = None,
    no_ties: Annotated[
        bool, typer.Option("--no-ties", help="Treat every tie vote as missing.")
    ] = False,
    epsilon: Annotated[
        float,
        typer.Option(
            "--epsilon", help="Alt-test margin: 0.2 experts, 0.15 skilled, 0.1 crowd workers."
        ),
    ] = 0.2,
    few_items: Annotated[
        str,
        typer.Option(
            "--few-items",
            help="Alt-test humans with fewer than --min-items items: skip (as the authors) or wilcoxon.",
        ),
    ] = "skip",
    min_items: Annotated[int, typer.Option("--min-items", help="Alt-test: items per human.")] = 30,
    win_rate: Annotated[
        bool,
        typer.Option(
            "--win-rate",
            help="Also the win rate of a corrected for the judge's errors (rows without humans = unlabelled set).",
        ),
    ] = False,
    scale: Annotated[
        str, typer.Option("--scale", help="auto, pairwise (a/b/tie) or score (numbers).")
    ] = "auto",
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap replicates.")] = 2000,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    out: Annotated[
        str, typer.Option("--out", help="Output folder: summary.json, summary.csv, report.html.")
    ] = "judgebias-agree",
    title: Annotated[str | None, typer.Option("--title", help="Title of report.html.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout.")] = False,
) -> None:
    """Agreement of a judge with humans: with and without ties, kappa, the human ceiling, the alt-test."""
    from judgebias.humans.agree import agreement, write_outputs
    from judgebias.stats.alt_test import MIN_HUMANS_TESTED

    result = agreement(
        files if len(files) > 1 else files[0],
        judge=judge,
        human=human,
        annotator=annotator,
        label=label,
        item=item,
        group=group,
        models=models,
        human_match=human_match,
        soft=soft,
        scale=scale,  # type: ignore[arg-type]
        no_ties=no_ties,
        epsilon=epsilon,
        min_items=min_items,
        few_items=few_items,  # type: ignore[arg-type]
        win_rate=win_rate,
        n_boot=n_boot,
        seed=seed,
        command=command_line(quoted=True),
    )
    write_outputs(result, out, title=title)
    if as_json:
        typer.echo(json.dumps(result.summary, indent=2))
        return
    if quiet:
        return
    s = result.summary

    def pct(x: float | None) -> str:
        return "–" if x is None else f"{100 * x:.1f}%"

    for name, key in (("judge vs humans", "agreement"), ("human vs human", "human_human")):
        b = s[key]
        typer.echo(
            f"{name}: {pct(b['with_ties'])} with ties ({b['n_with_ties']} vote pairs), "
            f"{pct(b['without_ties'])} without ({b['n_without_ties']})"
        )
    kappa = "–" if s["kappa"] is None else f"{s['kappa']:.3f}"
    typer.echo(f"Cohen's kappa {kappa} over {s['n_items']} items and {s['n_humans']} humans")
    alt = s["alt_test"]
    if alt:
        verdict = {"passed": "PASSED", "not passed": "not passed"}.get(alt["status"], "NOT TESTED")
        typer.echo(
            f"alt-test (epsilon {alt['epsilon']:g}): {verdict}, "
            f"winning rate {pct(alt['winning_rate'])}, advantage probability "
            f"{pct(alt['advantage_probability'])} ({alt['n_humans_tested']} humans tested"
            + (f"; {alt['note']})" if alt.get("note") else ")")
        )
    else:
        typer.echo("alt-test: NOT TESTED (no human has enough items shared with another human)")
    groups = s.get("groups") or {}
    untested = [g for g, b in groups.items() if (b.get("alt_test") or {}).get("passed") is None]
    if untested:
        shown = ", ".join(untested[:10]) + (
            f", ... ({len(untested) - 10} more)" if len(untested) > 10 else ""
        )
        typer.echo(
            f"alt-test NOT TESTED in {len(untested)} of {len(groups)} groups (fewer than "
            f"{MIN_HUMANS_TESTED} humans tested): {shown}"
        )
    typer.echo(f"wrote {out}/summary.json, summary.csv, report.html")
