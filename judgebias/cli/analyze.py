"""``judgebias analyze``: flags in, :func:`judgebias.analysis.run_analyze` (which writes
summary.csv, summary.json and report.html), a short table out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from judgebias.cli.common import command_line, parse_where

__all__ = ["ANALYZE_EPILOG", "analyze"]

ANALYZE_EPILOG = """Examples:

  judgebias analyze verdicts.csv --first verdict_ab --second verdict_ba --gold gold --out analysis

  judgebias analyze judgments.csv.gz --first "synth_noswap|winner_noswap" --second "synth_swap|winner_swap" --gold label --group subset,judge,strategy --items items.jsonl.gz --compare-to Vanilla --out llmbar

  judgebias analyze runs/x/records.parquet --order order --verdict verdict --pair pair_id --where kind=control --gold gold --items runs/x/pairs.parquet --on pair_id=id

  COL1|COL2 = the first non-empty of these columns. Long layout: one row per judge
  call; --order-values FIRST,SECOND says which values of --order mean "answer 1
  shown first" and "swapped" (ab,ba and noswap,swap are recognised).
"""


def analyze(
    file: Annotated[
        str,
        typer.Argument(help="Table of recorded verdicts (CSV, TSV, JSONL, JSON, Parquet; .gz ok)."),
    ],
    first: Annotated[
        str | None,
        typer.Option(
            "--first",
            help="Wide layout: verdict column when answer 1 was shown first (COL or COL1|COL2).",
        ),
    ] = None,
    second: Annotated[
        str | None,
        typer.Option(
            "--second",
            help="Wide layout: verdict column when the order was swapped, mapped back to 1/2.",
        ),
    ] = None,
    gold: Annotated[
        str | None,
        typer.Option("--gold", help="Gold label column (1/2, a/b; tie or empty = no gold)."),
    ] = None,
    group: Annotated[
        str | None, typer.Option("--group", help="Comma-separated columns to split the figures by.")
    ] = None,
    items: Annotated[
        str | None,
        typer.Option("--items", help="Table of the pairs' texts, joined for answer lengths."),
    ] = None,
    on: Annotated[
        str | None,
        typer.Option(
            "--on",
            help="Join keys for --items: COL or COL=ITEMS_COL, comma-separated (default: the columns both tables share).",
        ),
    ] = None,
    texts: Annotated[
        str | None,
        typer.Option(
            "--texts",
            help="Answer text columns A,B (default: response_a,response_b or output_1,output_2 ...).",
        ),
    ] = None,
    lengths: Annotated[
        str | None,
        typer.Option(
            "--lengths",
            help="Answer length columns A,B when there are no texts (default: len_1,len_2 or len_a,len_b ...).",
        ),
    ] = None,
    order: Annotated[
        str | None, typer.Option("--order", help="Long layout: column telling the order shown.")
    ] = None,
    verdict: Annotated[
        str | None,
        typer.Option("--verdict", help="Long layout: verdict column (in the pair's own labels)."),
    ] = None,
    pair: Annotated[
        str | None,
        typer.Option(
            "--pair",
            help="Columns identifying a pair (long layout: required; default: --items keys or id/idx).",
        ),
    ] = None,
    order_values: Annotated[
        str | None,
        typer.Option("--order-values", help="Long layout: FIRST,SECOND values of --order."),
    ] = None,
    where: Annotated[
        list[str] | None, typer.Option("--where", help="Keep rows with COLUMN=VALUE (repeatable).")
    ] = None,
    min_length_diff: Annotated[
        float,
        typer.Option(
            "--min-length-diff",
            help="Characters by which answers must differ to count for prefers_longer.",
        ),
    ] = 30.0,
    compare_to: Annotated[
        str | None,
        typer.Option(
            "--compare-to",
            help="Compare every strategy with this one on the same pairs (e.g. Vanilla).",
        ),
    ] = None,
    compare_column: Annotated[
        str,
        typer.Option(
            "--compare-column", help="Column holding the strategies compared by --compare-to."
        ),
    ] = "strategy",
    compare_within: Annotated[
        str | None,
        typer.Option(
            "--compare-within",
            help="Compare separately per value of these columns (default: judge, if present).",
        ),
    ] = None,
    # --- Shi et al.'s figures: repetition stability, means over units -----------------
    repeat: Annotated[
        str | None,
        typer.Option(
            "--repeat",
            help="Column telling which repetition of the same request a row is (pairs identified by --pair): adds repetition_stability per group.",
        ),
    ] = None,
    units: Annotated[
        str | None,
        typer.Option(
            "--units",
            help="Columns of a unit (e.g. model,task): adds position_consistency_units_mean and preference_fairness_units_mean, the means over units.",
        ),
    ] = None,
    # --- end of Shi et al.'s figures ---------------------------------------------------
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            help="The unit the intervals are clustered by: instruction (the default, when the "
            "table or --items has one), pair, or a column (e.g. question_id).",
        ),
    ] = None,
    out: Annotated[
        str, typer.Option("--out", help="Output folder: summary.csv, summary.json, report.html.")
    ] = "judgebias-analyze",
    title: Annotated[str | None, typer.Option("--title", help="Title of report.html.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout.")] = False,
) -> None:
    """Audit verdicts a judge already gave (both orders): position consistency, accuracy, length preference per group."""
    from judgebias.analysis import SUMMARY_COLUMNS, run_analyze
    from judgebias.tables.verdicts import VerdictColumns

    columns = VerdictColumns(
        first=first,
        second=second,
        gold=gold,
        group=group,
        on=on,
        texts=texts,
        lengths=lengths,
        order=order,
        verdict=verdict,
        pair=pair,
        order_values=order_values,
        where=parse_where(where, example=" (e.g. --where judge=GPT-4)"),
        repeat=repeat,
    )
    result = run_analyze(
        file,
        items=items,
        out=out,
        columns=columns,
        title=title,
        command=command_line(quoted=True),
        min_length_diff=min_length_diff,
        compare_to=compare_to,
        compare_column=compare_column,
        compare_within=compare_within,
        units=units,
        cluster=cluster,
    )
    if as_json:
        typer.echo(json.dumps(result.summary, indent=2))
        return
    if quiet:
        return
    cols = [*result.prepared.group, *SUMMARY_COLUMNS[:3], "accuracy", "prefers_longer"]
    extra = [
        c
        for c in (
            "repetition_stability",
            "position_consistency_units_mean",
            "preference_fairness_units_mean",
        )
        if c in result.table.columns
    ]
    shown = result.table[cols + extra].head(40).copy()
    percent = ("repetition_stability", "position_consistency_units_mean")
    for c in ("position_consistency", "accuracy", "prefers_longer", *percent):
        if c in shown.columns:
            shown[c] = shown[c].map(lambda x: "–" if x != x else f"{100 * x:.1f}%")
    if "preference_fairness_units_mean" in shown.columns:
        shown["preference_fairness_units_mean"] = shown["preference_fairness_units_mean"].map(
            lambda x: "–" if x != x else f"{x:+.3f}"
        )
    typer.echo(shown.to_string(index=False))
    if len(result.table) > 40:
        typer.echo(f"... {len(result.table) - 40} more groups in summary.csv")
    for col, bad in result.prepared.unrecognized.items():
        typer.echo(
            f"note: --{col}: values not understood as verdicts, counted as unparseable: "
            + ", ".join(f"{v!r} x{c}" for v, c in bad.items()),
            err=True,
        )
    typer.echo(f"wrote {Path(out) / 'summary.csv'}, summary.json, report.html")
