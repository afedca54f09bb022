"""The ``judgebias`` command line (typer). Heavy imports happen inside commands.

Exit status: 0 success, 1 a ``--fail-on`` gate tripped, 2 usage or input error
(one line on stderr naming the file, line or flag; never a traceback).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from .errors import JudgebiasError

app = typer.Typer(
    name="judgebias",
    help="Measure, test and correct the biases of LLM judges.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"judgebias: error: {message}", err=True)
    raise typer.Exit(code)


def _parse_map(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    from .data import parse_mapping

    return parse_mapping(text)


@app.command(epilog="""Examples:

  judgebias audit --judge "sim:accuracy=0.9,position=0.3" --probes position --out runs/sim

  judgebias audit --judge openai:gpt-4o-mini --data my_pairs.jsonl --out runs/4o-mini

  judgebias audit --judge openai:Qwen2.5-7B-Instruct --base-url http://localhost:8000/v1 --data pairs.csv
""")
def audit(
    judge: Annotated[str, typer.Option("--judge", help="Judge spec: sim[:k=v,...], openai:MODEL, litellm:PROVIDER/MODEL, replay:FILE.")],
    data: Annotated[str | None, typer.Option("--data", help="Pairs file (JSONL, CSV, Parquet; .gz ok). Default: the bundled 240 pairs.")] = None,
    probes: Annotated[str, typer.Option("--probes", help="Comma-separated: position, length, bandwagon, authority, reflection, distraction, self; or 'all'.")] = "position",
    probe_file: Annotated[list[str] | None, typer.Option("--probe-file", help="A probe YAML file of your own (repeatable); it is added to --probes.")] = None,
    gold_judge: Annotated[str | None, typer.Option("--gold-judge", help="Judge spec whose verdicts are the gold for the self probe.")] = None,
    self_answers: Annotated[str | None, typer.Option("--self-answers", help="The judge model's own answers (columns id, response) for the self probe; default: ask the judge model.")] = None,
    out: Annotated[str, typer.Option("--out", help="Run folder (store, summary.json, records, report.html). Re-using it resumes.")] = "judgebias-run",
    concurrency: Annotated[int, typer.Option("--concurrency", help="Requests in flight at once.")] = 8,
    limit: Annotated[int | None, typer.Option("--limit", help="Use only the first N pairs.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for probe variant choices.")] = 0,
    base_url: Annotated[list[str] | None, typer.Option("--base-url", help="OpenAI-compatible endpoint; repeat to spread load over replicas.")] = None,
    template: Annotated[str | None, typer.Option("--template", help="Judge prompt template (YAML with system/user).")] = None,
    map_: Annotated[str | None, typer.Option("--map", help="Rename columns of --data: new=old,...")] = None,
    mode: Annotated[str, typer.Option("--mode", help="verdict (parse [[A]]/[[B]]) or logprob (P(A) from top_logprobs).")] = "verdict",
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds before a request is abandoned and retried.")] = 60.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout.")] = False,
) -> None:
    """Audit a judge: ask it every probe's variants in both orders and measure its biases."""
    from .pipeline import AuditConfig, run_audit

    cfg = AuditConfig(
        judge=judge, data=data, probes=probes.split(","), probe_files=list(probe_file or []),
        gold_judge=gold_judge, self_answers=self_answers, out=out, concurrency=concurrency,
        limit=limit, seed=seed, base_urls=list(base_url or []), template=template,
        mapping=_parse_map(map_), mode=mode, timeout=timeout, quiet=quiet or as_json,
        command=" ".join(["judgebias", *sys.argv[1:]]),
    )
    outcome = run_audit(cfg)
    _print_outcome(outcome.summary, outcome.out, quiet=quiet, as_json=as_json)


def _print_outcome(summary: dict[str, object], out: Path, *, quiet: bool, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    if quiet:
        return
    from .report.console import print_summary

    print_summary(summary, out)


@app.command(epilog="""Example:

  judgebias demo --out demo && open demo/report.html
""")
def demo(
    out: Annotated[str, typer.Option("--out", help="Run folder.")] = "judgebias-demo",
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Audit the simulated judge (documented planted biases) on the bundled pairs, offline."""
    from .demo import DEMO_GOLD_JUDGE, DEMO_JUDGE, DEMO_PROBES
    from .pipeline import AuditConfig, run_audit

    cfg = AuditConfig(judge=DEMO_JUDGE, probes=list(DEMO_PROBES), gold_judge=DEMO_GOLD_JUDGE,
                      out=out, quiet=quiet,
                      command=" ".join(["judgebias", *sys.argv[1:]]))
    outcome = run_audit(cfg)
    _print_outcome(outcome.summary, outcome.out, quiet=quiet, as_json=False)


@app.command("serve-sim", epilog="""Examples:

  judgebias serve-sim --judge "sim:accuracy=0.9,position=0.3" --port 8011

  judgebias serve-sim --judge sim --port 0 --latency-ms 50 --fault-rate 0.2
""")
def serve_sim(
    judge: Annotated[str, typer.Option("--judge", help="sim[:key=value,...]")] = "sim",
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port; 0 picks a free one (printed).")] = 8011,
    latency_ms: Annotated[float, typer.Option("--latency-ms", help="Mean latency per request.")] = 0.0,
    fault_rate: Annotated[float, typer.Option("--fault-rate", help="Share of requests that meet a fault.")] = 0.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the fault and latency draws.")] = 0,
    stall_s: Annotated[float, typer.Option("--stall-s", help="How long a stall fault holds a request.")] = 120.0,
    retry_after: Annotated[float, typer.Option("--retry-after", help="Retry-After seconds sent with 429.")] = 1.0,
) -> None:
    """Serve the simulated judge behind an OpenAI-compatible HTTP endpoint."""
    from .judges.base import parse_spec
    from .judges.simulated import parse_sim_params
    from .simserver import ServerConfig, serve

    kind, rest = parse_spec(judge)
    if kind != "sim":
        _fail(f"--judge: serve-sim serves the simulated judge only ('sim:...'), not '{kind}'")
    if not 0.0 <= fault_rate <= 1.0:
        _fail(f"--fault-rate: {fault_rate} is outside [0, 1]")
    if latency_ms < 0:
        _fail("--latency-ms: must not be negative")
    if not 0 <= port <= 65535:
        _fail(f"--port: {port} is not a TCP port")
    cfg = ServerConfig(params=parse_sim_params(rest), latency_ms=latency_ms,
                       fault_rate=fault_rate, seed=seed, stall_s=stall_s, retry_after_s=retry_after)
    try:
        serve(cfg, host=host, port=port)
    except OSError as exc:
        _fail(f"--port: cannot listen on {host}:{port} ({exc.strerror or exc})")


@app.command(epilog="""Example:

  judgebias report runs/gpt-4o-mini --out report.html
""")
def report(
    runs: Annotated[list[str], typer.Argument(help="Run folders written by 'judgebias audit'.")],
    out: Annotated[str | None, typer.Option("--out", help="Output HTML (default: RUN/report.html).")] = None,
) -> None:
    """Re-render the HTML report of stored runs, without calling any judge."""
    from .report.render import write_report

    if len(runs) > 1:
        _fail("report: comparing several runs in one report is not available yet; give one RUN")
    path = write_report(Path(runs[0]), Path(out) if out else None)
    typer.echo(str(path))


def _parse_where(items: list[str] | None) -> dict[str, list[str]]:
    """``--where COL=VALUE`` (repeatable; several values of one column = any of them)."""
    from .errors import UsageError

    out: dict[str, list[str]] = {}
    for item in items or []:
        col, eq, value = item.partition("=")
        if not eq or not col.strip():
            raise UsageError(f"--where: {item!r} is not of the form COLUMN=VALUE (e.g. --where judge=GPT-4)")
        out.setdefault(col.strip(), []).append(value.strip())
    return out


@app.command(epilog="""Examples:

  judgebias analyze verdicts.csv --first verdict_ab --second verdict_ba --gold gold --out analysis

  judgebias analyze judgments.csv.gz --first "synth_noswap|winner_noswap" --second "synth_swap|winner_swap" --gold label --group subset,judge,strategy --items items.jsonl.gz --compare-to Vanilla --out llmbar

  judgebias analyze runs/x/records.parquet --order order --verdict verdict --pair pair_id --where kind=control --gold gold --items runs/x/pairs.parquet --on pair_id=id

  COL1|COL2 = the first non-empty of these columns. Long layout: one row per judge
  call; --order-values FIRST,SECOND says which values of --order mean "answer 1
  shown first" and "swapped" (ab,ba and noswap,swap are recognised).
""")
def analyze(
    file: Annotated[str, typer.Argument(help="Table of recorded verdicts (CSV, TSV, JSONL, JSON, Parquet; .gz ok).")],
    first: Annotated[str | None, typer.Option("--first", help="Wide layout: verdict column when answer 1 was shown first (COL or COL1|COL2).")] = None,
    second: Annotated[str | None, typer.Option("--second", help="Wide layout: verdict column when the order was swapped, mapped back to 1/2.")] = None,
    gold: Annotated[str | None, typer.Option("--gold", help="Gold label column (1/2, a/b; tie or empty = no gold).")] = None,
    group: Annotated[str | None, typer.Option("--group", help="Comma-separated columns to split the figures by.")] = None,
    items: Annotated[str | None, typer.Option("--items", help="Table of the pairs' texts, joined for answer lengths.")] = None,
    on: Annotated[str | None, typer.Option("--on", help="Join keys for --items: COL or COL=ITEMS_COL, comma-separated (default: the columns both tables share).")] = None,
    texts: Annotated[str | None, typer.Option("--texts", help="Answer text columns A,B (default: response_a,response_b or output_1,output_2 ...).")] = None,
    lengths: Annotated[str | None, typer.Option("--lengths", help="Answer length columns A,B when there are no texts (default: len_1,len_2 or len_a,len_b ...).")] = None,
    order: Annotated[str | None, typer.Option("--order", help="Long layout: column telling the order shown.")] = None,
    verdict: Annotated[str | None, typer.Option("--verdict", help="Long layout: verdict column (in the pair's own labels).")] = None,
    pair: Annotated[str | None, typer.Option("--pair", help="Columns identifying a pair (long layout: required; default: --items keys or id/idx).")] = None,
    order_values: Annotated[str | None, typer.Option("--order-values", help="Long layout: FIRST,SECOND values of --order.")] = None,
    where: Annotated[list[str] | None, typer.Option("--where", help="Keep rows with COLUMN=VALUE (repeatable).")] = None,
    min_length_diff: Annotated[float, typer.Option("--min-length-diff", help="Characters by which answers must differ to count for prefers_longer.")] = 30.0,
    compare_to: Annotated[str | None, typer.Option("--compare-to", help="Compare every strategy with this one on the same pairs (e.g. Vanilla).")] = None,
    compare_column: Annotated[str, typer.Option("--compare-column", help="Column holding the strategies compared by --compare-to.")] = "strategy",
    compare_within: Annotated[str | None, typer.Option("--compare-within", help="Compare separately per value of these columns (default: judge, if present).")] = None,
    out: Annotated[str, typer.Option("--out", help="Output folder: summary.csv, summary.json, report.html.")] = "judgebias-analyze",
    title: Annotated[str | None, typer.Option("--title", help="Title of report.html.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout.")] = False,
) -> None:
    """Audit verdicts a judge already gave (both orders): position consistency, accuracy, length preference per group."""
    import shlex

    from .analyze import SUMMARY_COLUMNS, run_analyze

    result = run_analyze(
        file, first, second, gold, group, items, out, title=title,
        command=shlex.join(["judgebias", *sys.argv[1:]]), on=on, texts=texts, lengths=lengths,
        order=order, verdict=verdict, pair=pair, order_values=order_values,
        where=_parse_where(where), min_length_diff=min_length_diff, compare_to=compare_to,
        compare_column=compare_column, compare_within=compare_within,
    )
    if as_json:
        typer.echo(json.dumps(result.summary, indent=2))
        return
    if quiet:
        return
    cols = [*result.prepared.group, *SUMMARY_COLUMNS[:3], "accuracy", "prefers_longer"]
    shown = result.table[cols].head(40).copy()
    for c in ("position_consistency", "accuracy", "prefers_longer"):
        shown[c] = shown[c].map(lambda x: "–" if x != x else f"{100 * x:.1f}%")
    typer.echo(shown.to_string(index=False))
    if len(result.table) > 40:
        typer.echo(f"... {len(result.table) - 40} more groups in summary.csv")
    for col, bad in result.prepared.unrecognized.items():
        typer.echo(f"note: --{col}: values not understood as verdicts, counted as unparseable: "
                   + ", ".join(f"{v!r} x{c}" for v, c in bad.items()), err=True)
    typer.echo(f"wrote {Path(out) / 'summary.csv'}, summary.json, report.html")


from . import cli_stats  # noqa: E402  (the table commands live in their own module)

app.command("lc", epilog="""Examples:

  judgebias lc annotations_*.json.gz --out lc.csv

  judgebias lc judgments.csv.gz --map preference=pref --out lc.csv
""")(cli_stats.lc_command)
app.command("dbg", epilog="""Example:

  judgebias dbg self.csv --judge-col judge_pref --gold-col human_pref --item-col instruction
""")(cli_stats.dbg_command)
app.command("factors", epilog="""Example:

  judgebias factors pairs.csv --text-a output_1 --text-b output_2 --pref pref_a --gold human_a
""")(cli_stats.factors_command)
app.command("plan", epilog="""Example:

  judgebias plan --effect 0.05 --baseline-flip 0.1
""")(cli_stats.plan_command)


def main() -> None:
    """Console entry point: run the app, turning judgebias errors into one line and exit 2."""
    try:
        app()
    except JudgebiasError as exc:
        typer.echo(f"judgebias: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("judgebias: interrupted; re-run the same command to resume", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
