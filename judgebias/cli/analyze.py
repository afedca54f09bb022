"""``judgebias analyze``: flags in, :func:`judgebias.analysis.run_analyze` (which writes
summary.csv, summary.json and report.html), a short table out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from judgebias.cli.common import command_line, parse_where

if TYPE_CHECKING:  # pragma: no cover
    from judgebias.analysis import AnalyzeResult

__all__ = ["ANALYZE_EPILOG", "analyze", "raw_answers_outcome"]

ANALYZE_EPILOG = """Examples:

  judgebias analyze verdicts.csv --first verdict_ab --second verdict_ba --gold gold --out analysis

  judgebias analyze judgments.csv.gz --first "synth_noswap|winner_noswap" --second "synth_swap|winner_swap" --gold label --group subset,judge,strategy --items items.jsonl.gz --compare-to Vanilla --out llmbar

  judgebias analyze runs/x/records.parquet --order order --verdict verdict --pair pair_id --where kind=control --gold gold --items runs/x/pairs.parquet --on pair_id=id

  judgebias analyze position_raw_devbench.csv.gz --raw --answer-pattern "Choice: ([AB])" --first raw_ref_first --second raw_model_first --group judge --out devbench

  COL1|COL2 = the first non-empty of these columns. --raw: the columns hold the judge's
  raw answers (the text it wrote with answer 1 shown first, and with answer 2 shown
  first), read by the strict reader of live audits ([[A]]/[[B]]/[[C]] of the bundled
  template, or --template NAME|FILE, or --answer-pattern REGEX with one group, the
  label); unreadable answers are counted with their reasons, exit 3 over --max-invalid. Long layout: one row per judge
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
    # --- recorded raw answers ---------------------------------------------------------
    raw: Annotated[
        bool,
        typer.Option(
            "--raw",
            help="The verdict columns hold the judge's raw answers (the text it wrote in each "
            "order), read by the strict reader of live audits; unreadable ones are counted "
            "with their reasons.",
        ),
    ] = False,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            help="With --raw: the template the judge answered (bundled NAME or FILE; default: "
            "the pairwise one asking for [[A]]/[[B]]/[[C]]); its echo check applies.",
        ),
    ] = None,
    answer_pattern: Annotated[
        str | None,
        typer.Option(
            "--answer-pattern",
            help="With --raw: a regular expression with one capture group, the label, for "
            "prompts that ask for another form, e.g. 'Choice: ([AB])'.",
        ),
    ] = None,
    max_invalid: Annotated[
        float,
        typer.Option(
            "--max-invalid",
            help="With --raw: exit 3 (after writing everything) when more than this share of "
            "the answers cannot be read.",
        ),
    ] = 0.1,
    # --- end of recorded raw answers ---------------------------------------------------
    out: Annotated[
        str, typer.Option("--out", help="Output folder: summary.csv, summary.json, report.html.")
    ] = "judgebias-analyze",
    title: Annotated[str | None, typer.Option("--title", help="Title of report.html.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout.")] = False,
) -> None:
    """Audit verdicts a judge already gave (both orders): position consistency, accuracy, length preference per group."""
    from judgebias.analysis import run_analyze
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
        raw=raw,
        template=template,
        answer_pattern=answer_pattern,
        max_invalid=max_invalid,
    )
    _show(result, out, quiet=quiet, as_json=as_json)
    inv = result.summary.get("invalid")
    if inv is not None:
        raw_answers_outcome(inv, Path(out), quiet=quiet and not inv.get("exceeded"))


def _show(result: AnalyzeResult, out: str, *, quiet: bool, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result.summary, indent=2))
        return
    if quiet:
        return
    from judgebias.report.analyze_console import analyze_text

    typer.echo(analyze_text(result.table, list(result.prepared.group)))
    for col, bad in result.prepared.unrecognized.items():
        typer.echo(
            f"note: --{col}: values not understood as verdicts, counted as unparseable: "
            + ", ".join(f"{v!r} x{c}" for v, c in bad.items()),
            err=True,
        )
    typer.echo(f"wrote {Path(out) / 'summary.csv'}, summary.json, report.html")


def raw_answers_outcome(inv: dict[str, Any], out: Path, *, quiet: bool) -> None:
    """With ``--raw``: one line on the unreadable answers (stderr), and exit 3 with the
    fail-closed sentence when their share is over ``--max-invalid``."""
    reasons = ", ".join(f"{k} {v}" for k, v in list((inv.get("reasons") or {}).items())[:4])
    share = inv.get("share")
    shown = "all" if share is None or share != share else f"{100 * share:.1f} %"
    line = f"{inv.get('n_invalid')} of {inv.get('n')} raw answers could not be read ({shown}"
    line += f"; {reasons})" if reasons else ")"
    if not inv.get("exceeded"):
        if not quiet:
            typer.echo(f"judgebias: {line}; figures use the pairs read in both orders", err=True)
        return
    typer.echo(
        f"judgebias: {line}, over --max-invalid {inv.get('max_invalid'):g}: no figure may be "
        f"read as 'no bias'. {inv.get('advice') or ''} Details: {out / 'report.html'}",
        err=True,
    )
    raise typer.Exit(3)
