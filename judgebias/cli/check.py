"""``judgebias check``: a few calls per setting before a paid audit (see
:mod:`judgebias.audits.check`). Exit status 0 when some setting reads at least 90 % of the
answers, 3 when none does, 2 for a usage or input error."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer

from judgebias.cli.common import parse_map

__all__ = ["CHECK_EPILOG", "check"]

CHECK_EPILOG = """Examples:

  judgebias check --judge openai:Qwen2.5-7B-Instruct --base-url http://localhost:8000/v1

  judgebias check --judge python:my_judges:judge_pair --json

  Exit status: 0 some setting reads at least 90 % of the answers (its flags are recommended), 3 none does, 2 usage or input error.
"""


def _fmt(x: float | None, spec: str, unit: str = "") -> str:
    return "-" if x is None else f"{x:{spec}}{unit}"


def _print(report: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    from judgebias.audits.check import reason_words

    console = Console()
    table = Table(title=f"judgebias check: {report.judge} ({report.n_pairs} pairs, both orders)")
    for col in ("setting", "readable", "why not", "latency", "tokens", "varies", "gold"):
        table.add_column(col)
    for r in report.settings:
        if r.note is not None:
            table.add_row(r.setting, "-", f"not tried: {r.note}", "", "", "", "")
            continue
        why = ", ".join(f"{k} {v}" for k, v in r.reasons.items()) or "-"
        gold = (
            "-"
            if r.gold_agreement is None
            else f"{r.gold_agreement:.0%} of {r.gold_n}" + (" (follows)" if r.follows_gold else "")
        )
        mark = "[green]" if r.passed else "[red]"
        table.add_row(
            r.setting,
            f"{mark}{r.readable:.0%}[/] of {r.n}",
            why,
            f"{_fmt(r.latency_median_s, '.2f', ' s')} (max {_fmt(r.latency_max_s, '.2f', ' s')})",
            f"{_fmt(r.prompt_tokens, '.0f')} in / {_fmt(r.completion_tokens, '.0f')} out",
            "yes" if r.verdicts_vary else "no",
            gold,
        )
    console.print(table)
    for r in report.settings:
        for reason in r.reasons:
            console.print(f"  {r.setting}: {reason} = {reason_words(reason)}")
        for error in r.errors[:1]:
            console.print(f"  {r.setting}: first error: {error}", markup=False)
    rec = report.recommended
    if rec is None:
        console.print(
            f"[red]No setting reads {report.threshold:.0%} of the answers[/]: an audit would "
            "fail closed. Adapt the prompt (--template), the endpoint or the model."
        )
    else:
        flags = " ".join(rec.flags) or "(the defaults: no flag needed)"
        console.print(f"Recommended: judgebias audit --judge {report.judge} {flags}".rstrip())
        if not rec.verdicts_vary:
            console.print(
                "[yellow]Warning[/]: its verdicts name the same position every time; an audit "
                "would read uninformative (not 'no bias')."
            )
        elif rec.gold_n and not rec.follows_gold:
            console.print(
                "[yellow]Warning[/]: its verdicts do not follow the known better answer on "
                "these easy pairs; an audit may read uninformative."
            )


def check(
    judge: Annotated[
        str,
        typer.Option(
            "--judge",
            help="Judge spec: sim[:k=v,...], openai:MODEL, litellm:PROVIDER/MODEL, python:MODULE:FUNC.",
        ),
    ],
    base_url: Annotated[
        list[str] | None,
        typer.Option("--base-url", help="OpenAI-compatible endpoint; repeatable."),
    ] = None,
    data: Annotated[
        str | None,
        typer.Option("--data", help="Pairs file. Default: easy bundled pairs with a known gold."),
    ] = None,
    pairs: Annotated[
        int, typer.Option("--pairs", help="Pairs asked per setting (each in both orders).")
    ] = 8,
    template: Annotated[
        str | None, typer.Option("--template", help="Judge prompt template (YAML) or cot/direct.")
    ] = None,
    mapping: Annotated[
        str | None, typer.Option("--map", help="Rename columns of --data: new=old,...")
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option("--max-tokens", help="The judge's completion budget per call.")
    ] = None,
    reasoning_effort: Annotated[
        str | None, typer.Option("--reasoning-effort", help="low, medium or high.")
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per request.")] = 60.0,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Requests in flight.")] = 8,
    out: Annotated[
        str | None,
        typer.Option("--out", help="Keep the answers in DIR/check.sqlite (a re-run asks nothing)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Try each setting (verdict, logprob and score modes, and the answer constraints) on a
    few pairs, and recommend the flags for the audit."""
    from judgebias.audits.check import run_check
    from judgebias.audits.config import AuditConfig
    from judgebias.errors import UsageError

    if pairs < 1:
        raise UsageError("--pairs: must be at least 1")
    if concurrency < 1:
        raise UsageError("--concurrency: must be at least 1")
    cfg = AuditConfig(
        judge=judge,
        data=data,
        base_urls=list(base_url or []),
        template=template,
        mapping=parse_map(mapping),
        max_tokens=max_tokens,
        reasoning_effort=reasoning_effort,
        timeout=timeout,
        concurrency=concurrency,
        out=out or "",
        quiet=True,
    )
    report = asyncio.run(run_check(cfg, n_pairs=pairs))
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        _print(report)
    raise typer.Exit(report.exit_code)
