"""The ``judgebias`` command line (typer). Heavy imports happen inside commands.

Exit status: 0 success, 1 a ``--fail-on`` gate tripped, 2 usage or input error
(one line on stderr naming the file, line or flag; never a traceback).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from .errors import JudgebiasError

app = typer.Typer(
    name="judgebias",
    help="Measure, test and correct the biases of LLM judges.",
    epilog="""Examples:

  judgebias demo --out demo

  judgebias audit --judge openai:gpt-4o-mini --data pairs.jsonl --probes all --out runs/4o-mini

  judgebias report runs/4o-mini runs/llama-70b --out judges.html

  Exit status: 0 success, 1 a --fail-on gate tripped, 2 usage or input error. 'judgebias COMMAND --help' shows each command's options and examples.
""",
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


@app.command(
    epilog="""Examples:

  judgebias audit --judge "sim:accuracy=0.9,position=0.3" --probes position --out runs/sim

  judgebias audit --judge openai:gpt-4o-mini --data my_pairs.jsonl --out runs/4o-mini

  judgebias audit --judge openai:Qwen2.5-7B-Instruct --base-url http://localhost:8000/v1 --data pairs.csv

  judgebias audit --judge openai:gpt-4o-mini --data pairs.jsonl --probes all --fail-on "position>0.1,bandwagon>0.05" --quiet

  judgebias audit --judge openai:o4-mini --reasoning-effort low --data pairs.jsonl --max-cost 20 --price-in 1.1 --price-out 4.4 --dry-run

  --fail-on exits with status 1 when a bias's whole 95% interval lies above its threshold (fractions: 0.1 = 10 points; also NAME<x, |NAME|>x, accuracy<x).
"""
)
def audit(
    judge: Annotated[
        str,
        typer.Option(
            "--judge",
            help="Judge spec: sim[:k=v,...], openai:MODEL, litellm:PROVIDER/MODEL, replay:FILE.",
        ),
    ],
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            help="Pairs file (JSONL, CSV, Parquet; .gz ok). Default: the bundled 245 pairs.",
        ),
    ] = None,
    probes: Annotated[
        str,
        typer.Option(
            "--probes",
            help="Comma-separated: position, length, bandwagon, authority, reflection, distraction, self; or 'all'.",
        ),
    ] = "position",
    probe_file: Annotated[
        list[str] | None,
        typer.Option(
            "--probe-file",
            help="A probe YAML file of your own (repeatable); it is added to --probes.",
        ),
    ] = None,
    gold_judge: Annotated[
        str | None,
        typer.Option(
            "--gold-judge", help="Judge spec whose verdicts are the gold for the self probe."
        ),
    ] = None,
    self_answers: Annotated[
        str | None,
        typer.Option(
            "--self-answers",
            help="The judge model's own answers (columns id, response) for the self probe; default: ask the judge model.",
        ),
    ] = None,
    out: Annotated[
        str,
        typer.Option(
            "--out",
            help="Run folder (store, summary.json, records, report.html). Re-using it resumes.",
        ),
    ] = "judgebias-run",
    concurrency: Annotated[
        int, typer.Option("--concurrency", help="Requests in flight at once.")
    ] = 8,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Use only the first N pairs.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for probe variant choices.")] = 0,
    base_url: Annotated[
        list[str] | None,
        typer.Option(
            "--base-url", help="OpenAI-compatible endpoint; repeat to spread load over replicas."
        ),
    ] = None,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            help="Judge prompt template (YAML with system/user), or a bundled one: "
            "default, cot (reasoning before the verdict), direct (verdict only).",
        ),
    ] = None,
    map_: Annotated[
        str | None, typer.Option("--map", help="Rename columns of --data: new=old,...")
    ] = None,
    mode: Annotated[
        str,
        typer.Option(
            "--mode", help="verdict (parse [[A]]/[[B]]) or logprob (P(A) from top_logprobs)."
        ),
    ] = "verdict",
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds before a request is abandoned and retried.")
    ] = 60.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout.")] = False,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help='CI gate, e.g. "position>0.1,bandwagon>0.05": exit 1 when a bias\'s 95% interval lies wholly above its threshold.',
        ),
    ] = None,
    rpm: Annotated[
        float | None, typer.Option("--rpm", help="Requests per minute per endpoint.")
    ] = None,
    tpm: Annotated[
        float | None,
        typer.Option("--tpm", help="Tokens per minute per endpoint (estimated before sending)."),
    ] = None,
    price_in: Annotated[
        float | None,
        typer.Option(
            "--price-in",
            help="USD per million prompt tokens (when the backend does not know the price).",
        ),
    ] = None,
    price_out: Annotated[
        float | None, typer.Option("--price-out", help="USD per million completion tokens.")
    ] = None,
    max_cost: Annotated[
        float | None,
        typer.Option(
            "--max-cost",
            help="Stop sending before the run's total cost would cross this many USD (resumable).",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Print the number of calls, estimated tokens and cost; send nothing."
        ),
    ] = False,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            help="Run shard i/n of the pairs into its own --out; join shards with 'judgebias merge'.",
        ),
    ] = None,
    max_attempts: Annotated[
        int,
        typer.Option(
            "--max-attempts",
            help="Attempts per request before it is recorded as failed (retried on the next run).",
        ),
    ] = 16,
    replay_first: Annotated[
        str | None,
        typer.Option(
            "--first",
            help="replay: judges: the verdict column with answer 1 shown first (as in 'analyze').",
        ),
    ] = None,
    replay_second: Annotated[
        str | None,
        typer.Option("--second", help="replay: judges: the verdict column with the order swapped."),
    ] = None,
    replay_items: Annotated[
        str | None,
        typer.Option("--items", help="replay: judges: the table of the pairs' texts."),
    ] = None,
    batch: Annotated[
        bool,
        typer.Option(
            "--batch",
            help="Send the missing requests through the provider's batch API (openai:MODEL), poll, and ingest.",
        ),
    ] = False,
    batch_poll: Annotated[
        float, typer.Option("--batch-poll", help="Seconds between batch status polls.")
    ] = 5.0,
    transport: Annotated[
        str | None,
        typer.Option(
            "--transport",
            help="openai backend: 'lean' (aiohttp, default for local servers) or 'sdk' (openai SDK, default for api.openai.com).",
        ),
    ] = None,
    mitigation: Annotated[
        str | None,
        typer.Option(
            "--mitigation",
            help="Audit the judge with mitigations: system-prompt, few-shot, reflect, swap, multi-sample, jury:SPEC1;SPEC2, or a YAML file (comma-separated).",
        ),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples",
            help="Samples per request for multi-sample (default 5; K >= 2 implies multi-sample).",
        ),
    ] = None,
    max_invalid: Annotated[
        float,
        typer.Option(
            "--max-invalid",
            help="Largest share of unreadable answers (0..1) before the audit fails closed with exit status 3.",
        ),
    ] = 0.1,
    max_tokens: Annotated[
        int | None,
        typer.Option(
            "--max-tokens",
            help="Completion budget per request, reasoning included (default 512 verdict, 32 score, 5 logprob; 25000 for reasoning judges).",
        ),
    ] = None,
    reasoning_effort: Annotated[
        str | None,
        typer.Option(
            "--reasoning-effort",
            help="low, medium or high: sent as reasoning_effort to reasoning judges (OpenAI o-series and gpt-5, vLLM, Ollama, litellm).",
        ),
    ] = None,
    rewriter: Annotated[
        str | None,
        typer.Option(
            "--rewriter",
            help="Judge spec of the model that rewrites responses for the sentiment and fallacy "
            "probes (sim: the simulated judge's deterministic rewriter).",
        ),
    ] = None,
    format_: Annotated[
        str,
        typer.Option(
            "--format",
            help="pair (two answers per prompt, the default) or single (one answer graded 1-10 "
            "at a time: probe shifts, rubric order, score labels, anchor).",
        ),
    ] = "pair",
    candidates: Annotated[
        int | None,
        typer.Option(
            "--candidates",
            help="Listwise position audit: 3 or 4 responses per prompt (fields response_a ... "
            "response_d), every order of a balanced Latin square.",
        ),
    ] = None,
) -> None:
    """Audit a judge: ask it every probe's variants in both orders and measure its biases."""
    from .config import check_audit_config
    from .judges.openai_compat import hide_url_credentials
    from .pipeline import AuditConfig, run_audit

    replay_opts = {"first": replay_first, "second": replay_second, "items": replay_items}
    if any(replay_opts.values()):
        if not judge.strip().lower().startswith("replay:"):
            given = next(k for k, v in replay_opts.items() if v)
            _fail(
                f"--{given}: only for a replay:FILE judge (it names columns of the recorded verdicts)"
            )
        judge = judge + "".join(f",{k}={v}" for k, v in replay_opts.items() if v)
    cfg = AuditConfig(
        judge=judge,
        data=data,
        probes=probes.split(","),
        probe_files=list(probe_file or []),
        gold_judge=gold_judge,
        self_answers=self_answers,
        out=out,
        concurrency=concurrency,
        limit=limit,
        seed=seed,
        base_urls=list(base_url or []),
        template=template,
        mapping=_parse_map(map_),
        mode=mode,
        timeout=timeout,
        quiet=quiet or as_json,
        command=hide_url_credentials(" ".join(["judgebias", *sys.argv[1:]])),
        rpm=rpm,
        tpm=tpm,
        price_in=price_in,
        price_out=price_out,
        max_cost=max_cost,
        shard=shard,
        transport=transport,
        batch=batch,
        batch_poll_s=batch_poll,
        mitigations=[mitigation] if mitigation else [],
        samples=samples,
        max_attempts=max_attempts,
        max_invalid=max_invalid,
        max_tokens=max_tokens,
        reasoning_effort=reasoning_effort,
        candidates=candidates,
        format=format_,
        rewriter=rewriter,
    )
    check_audit_config(cfg)
    conditions = None
    if fail_on is not None:
        from .gate import conditions_for_audit

        if format_ == "single":  # the probes of one-answer grading (issue 16)
            from .gate import parse_fail_on, require_measured
            from .pointwise import single_probes

            specs, grading, wants_self = single_probes(cfg)
            measured = [s.name for s in specs] + grading + (["self"] if wants_self else [])
            conditions = parse_fail_on(fail_on)
            require_measured(conditions, measured)
        else:
            conditions = conditions_for_audit(fail_on, probes, probe_file or [])
    if dry_run:
        from .pipeline import plan_audit

        plan = plan_audit(cfg)
        if as_json:
            typer.echo(json.dumps(plan, indent=2))
        else:
            c, t = plan["calls"], plan["tokens_estimate"]
            cost = plan["cost_usd_at_most"]
            typer.echo(
                f"dry run: {plan['n_pairs']} pairs, probes {', '.join(plan['probes'])}\n"
                f"  calls: {c['controls']} controls ({c['cached_controls']} already answered)"
                f" + at most {c['probes_at_most']} probe and {c['self_at_most']} self calls"
                f" = at most {c['total_at_most']}\n"
                f"  tokens: about {t['prompt']:,} prompt, at most {t['completion_at_most']:,} completion"
                f" (up to {plan['max_tokens']:,} per call, reasoning included: --max-tokens"
                f"{'; effort ' + plan['reasoning_effort'] if plan['reasoning_effort'] else ''})\n"
                f"  cost: {'unknown (give --price-in/--price-out)' if cost is None else f'at most ${cost:.2f}'}\n"
                "nothing was sent."
            )
        return
    outcome = run_audit(cfg)
    _print_outcome(outcome.summary, outcome.out, quiet=quiet, as_json=as_json)
    _report_failures(outcome)
    tripped = False
    if conditions is not None:
        from .gate import check_gate

        tripped = _echo_gate(check_gate(outcome.summary, conditions), quiet=quiet or as_json)
    _fail_closed(outcome.summary, outcome.out)
    if tripped:
        raise typer.Exit(1)


def _echo_gate(results: list[Any], *, quiet: bool, run: str | None = None) -> bool:
    """Print a --fail-on gate's outcome on stderr; True when it tripped."""
    from .gate import result_lines

    for line in result_lines(results, quiet=quiet, run=run):
        typer.echo(line, err=True)
    return any(r.tripped for r in results)


def _fail_closed(summary: dict[str, Any], out: Path) -> None:
    """Exit 3 with one line when the run's share of unreadable answers is over --max-invalid.
    Everything is written first, and the run stays resumable."""
    inv = summary.get("invalid") or {}
    if not inv.get("exceeded"):
        return
    share = inv.get("share")
    reasons = ", ".join(f"{k} {v}" for k, v in list((inv.get("reasons") or {}).items())[:3])
    typer.echo(
        f"judgebias: {inv.get('n_invalid')} of {inv.get('n')} answers could not be read"
        f" ({'all' if share is None else f'{100 * share:.1f} %'}; over --max-invalid"
        f" {inv.get('max_invalid'):g}; {reasons or 'no answers'}): no figure of this run may be"
        f" read as 'no bias'. {inv.get('advice') or ''} Details: {out / 'report.html'}",
        err=True,
    )
    raise typer.Exit(3)


def _report_failures(outcome: Any) -> None:
    """Calls that failed after every retry: a warning, or exit 2 when none succeeded.
    The run folder is complete either way, and a re-run asks only the failed calls again."""
    calls = outcome.summary.get("calls", {})
    failed, total = int(calls.get("failed") or 0), int(calls.get("total") or 0)
    if not failed:
        return
    errors = list(outcome.records["error"].dropna()) if "error" in outcome.records else []
    first = str(errors[0]) if errors else "unknown"
    msg = (
        f"{failed} of {total} judge calls failed after retries (first error: {first}); "
        "re-run the same command to retry only those"
    )
    if failed >= total:
        _fail(msg)
    typer.echo(f"judgebias: warning: {msg}", err=True)


def _print_outcome(summary: dict[str, object], out: Path, *, quiet: bool, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    if quiet:
        return
    from .report.console import print_summary

    print_summary(summary, out)


@app.command(
    epilog="""Example:

  judgebias demo --out demo && open demo/report.html
"""
)
def demo(
    out: Annotated[str, typer.Option("--out", help="Run folder.")] = "judgebias-demo",
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Audit the simulated judge (documented planted biases) on the bundled pairs, offline."""
    from .demo import DEMO_GOLD_JUDGE, DEMO_JUDGE, DEMO_PROBES
    from .pipeline import AuditConfig, run_audit

    cfg = AuditConfig(
        judge=DEMO_JUDGE,
        probes=list(DEMO_PROBES),
        gold_judge=DEMO_GOLD_JUDGE,
        out=out,
        quiet=quiet,
        command=" ".join(["judgebias", *sys.argv[1:]]),
    )
    outcome = run_audit(cfg)
    _print_outcome(outcome.summary, outcome.out, quiet=quiet, as_json=False)


@app.command(
    "serve-sim",
    epilog="""Examples:

  judgebias serve-sim --judge "sim:accuracy=0.9,position=0.3" --port 8011

  judgebias serve-sim --judge sim --port 0 --latency-ms 50 --fault-rate 0.2
""",
)
def serve_sim(
    judge: Annotated[str, typer.Option("--judge", help="sim[:key=value,...]")] = "sim",
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="TCP port; 0 picks a free one (printed).")
    ] = 8011,
    latency_ms: Annotated[
        float, typer.Option("--latency-ms", help="Mean latency per request.")
    ] = 0.0,
    fault_rate: Annotated[
        float, typer.Option("--fault-rate", help="Share of requests that meet a fault.")
    ] = 0.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the fault and latency draws.")] = 0,
    stall_s: Annotated[
        float, typer.Option("--stall-s", help="How long a stall fault holds a request.")
    ] = 120.0,
    retry_after: Annotated[
        float, typer.Option("--retry-after", help="Retry-After seconds sent with 429.")
    ] = 1.0,
    require_key_env: Annotated[
        str | None,
        typer.Option(
            "--require-key-env",
            help="Require 'Authorization: Bearer $VAR' (the key is read from this environment variable).",
        ),
    ] = None,
) -> None:
    """Serve the simulated judge behind an OpenAI-compatible HTTP endpoint."""
    from .judges.base import parse_spec
    from .judges.simulated import parse_sim_params
    from .sim.server import ServerConfig, serve

    kind, rest = parse_spec(judge)
    if kind != "sim":
        _fail(f"--judge: serve-sim serves the simulated judge only ('sim:...'), not '{kind}'")
    if not 0.0 <= fault_rate <= 1.0:
        _fail(f"--fault-rate: {fault_rate} is outside [0, 1]")
    if latency_ms < 0:
        _fail("--latency-ms: must not be negative")
    if not 0 <= port <= 65535:
        _fail(f"--port: {port} is not a TCP port")
    api_key = None
    if require_key_env:
        import os

        api_key = os.environ.get(require_key_env)
        if not api_key:
            _fail(f"--require-key-env: the environment variable {require_key_env} is not set")
    cfg = ServerConfig(
        params=parse_sim_params(rest),
        latency_ms=latency_ms,
        fault_rate=fault_rate,
        seed=seed,
        stall_s=stall_s,
        retry_after_s=retry_after,
        api_key=api_key,
    )
    try:
        serve(cfg, host=host, port=port)
    except OSError as exc:
        _fail(f"--port: cannot listen on {host}:{port} ({exc.strerror or exc})")


@app.command(
    epilog="""Examples:

  judgebias report runs/gpt-4o-mini

  judgebias report runs/gpt-4o-mini runs/llama-70b runs/qwen-7b --out judges.html

  judgebias report runs/gpt-4o-mini --fail-on "position>0.1" --quiet

  With one RUN the report is written to RUN/report.html (or --out); with several, one page compares the judges side by side (default judgebias-comparison.html). No judge is called: everything comes from the run folders.
"""
)
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
    from .gate import check_gate, parse_fail_on, require_measured
    from .report.render import write_comparison, write_report
    from .report.runs import read_run

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
        tripped = _echo_gate(results, quiet=quiet or as_json, run=label) or tripped
    if as_json:
        payload: dict[str, object] = {"report": str(written), "runs": [str(p) for p in paths]}
        if conditions is not None:
            payload["gate"] = {"tripped": tripped, "results": gates}
        typer.echo(json.dumps(payload, indent=2))
    elif not quiet:
        typer.echo(str(written))
    if tripped:
        raise typer.Exit(1)


def _parse_where(items: list[str] | None) -> dict[str, list[str]]:
    """``--where COL=VALUE`` (repeatable; several values of one column = any of them)."""
    from .errors import UsageError

    out: dict[str, list[str]] = {}
    for item in items or []:
        col, eq, value = item.partition("=")
        if not eq or not col.strip():
            raise UsageError(
                f"--where: {item!r} is not of the form COLUMN=VALUE (e.g. --where judge=GPT-4)"
            )
        out.setdefault(col.strip(), []).append(value.strip())
    return out


@app.command(
    epilog="""Examples:

  judgebias analyze verdicts.csv --first verdict_ab --second verdict_ba --gold gold --out analysis

  judgebias analyze judgments.csv.gz --first "synth_noswap|winner_noswap" --second "synth_swap|winner_swap" --gold label --group subset,judge,strategy --items items.jsonl.gz --compare-to Vanilla --out llmbar

  judgebias analyze runs/x/records.parquet --order order --verdict verdict --pair pair_id --where kind=control --gold gold --items runs/x/pairs.parquet --on pair_id=id

  COL1|COL2 = the first non-empty of these columns. Long layout: one row per judge
  call; --order-values FIRST,SECOND says which values of --order mean "answer 1
  shown first" and "swapped" (ab,ba and noswap,swap are recognised).
"""
)
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
    out: Annotated[
        str, typer.Option("--out", help="Output folder: summary.csv, summary.json, report.html.")
    ] = "judgebias-analyze",
    title: Annotated[str | None, typer.Option("--title", help="Title of report.html.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout.")] = False,
) -> None:
    """Audit verdicts a judge already gave (both orders): position consistency, accuracy, length preference per group."""
    import shlex

    from .analyze import SUMMARY_COLUMNS, run_analyze
    from .verdicts import VerdictColumns

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
        where=_parse_where(where),
    )
    result = run_analyze(
        file,
        items=items,
        out=out,
        columns=columns,
        title=title,
        command=shlex.join(["judgebias", *sys.argv[1:]]),
        min_length_diff=min_length_diff,
        compare_to=compare_to,
        compare_column=compare_column,
        compare_within=compare_within,
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
        typer.echo(
            f"note: --{col}: values not understood as verdicts, counted as unparseable: "
            + ", ".join(f"{v!r} x{c}" for v, c in bad.items()),
            err=True,
        )
    typer.echo(f"wrote {Path(out) / 'summary.csv'}, summary.json, report.html")


@app.command(
    epilog="""Example (an audit split over 4 machines, then summarised on one):

  judgebias audit --judge openai:M --base-url http://vllm-1:8000/v1 --data pairs.jsonl --shard 1/4 --out shard1

  ...

  judgebias merge shard1 shard2 shard3 shard4 --out full

  judgebias audit --judge openai:M --data pairs.jsonl --out full     # everything cached: sends nothing
"""
)
def merge(
    stores: Annotated[
        list[str], typer.Argument(help="Run folders or store files (store.sqlite) to combine.")
    ],
    out: Annotated[
        str,
        typer.Option(
            "--out", help="Run folder or .sqlite file to merge into (created if missing)."
        ),
    ] = "judgebias-merged",
) -> None:
    """Combine the stores of several runs or shards; answered requests are copied once."""
    from .store import STORE_NAME, Store

    def store_path(text: str, must_exist: bool) -> Path:
        p = Path(text)
        if p.suffix != ".sqlite":
            p = p / STORE_NAME
        if must_exist and not p.exists():
            _fail(f"{text}: no judgebias store there (expected {p})")
        return p

    sources = [store_path(s, True) for s in stores]
    target = store_path(out, False)
    added = 0
    with Store(target) as dst:
        for src_path in sources:
            if src_path.resolve() == target.resolve():
                continue
            with Store(src_path) as src:
                added += dst.merge_from(src)
        total = dst.count().get("ok", 0)
    typer.echo(
        f"merged {len(sources)} store(s) into {target}: {added} answers added, {total} in all"
    )


from . import cli_stats  # noqa: E402  (the table commands live in their own module)

app.command(
    "lc",
    epilog="""Examples:

  judgebias lc annotations_*.json.gz --out lc.csv

  judgebias lc judgments.csv.gz --map preference=pref --out lc.csv
""",
)(cli_stats.lc_command)
app.command(
    "dbg",
    epilog="""Example:

  judgebias dbg self.csv --judge-col judge_pref --gold-col human_pref --item-col instruction
""",
)(cli_stats.dbg_command)
app.command(
    "factors",
    epilog="""Example:

  judgebias factors pairs.csv --text-a output_1 --text-b output_2 --pref pref_a --gold human_a
""",
)(cli_stats.factors_command)
app.command(
    "plan",
    epilog="""Example:

  judgebias plan --effect 0.05 --baseline-flip 0.1
""",
)(cli_stats.plan_command)

from . import cli_debias  # noqa: E402  (corrections and comparisons live in their own module)

app.command(
    "debias",
    epilog="""Examples:

  judgebias debias judgments.csv.gz --method swap --first winner_noswap --second winner_swap --gold label --group judge,strategy --out swapped.csv

  judgebias debias scores.csv --method bpc --first s1_ab,s2_ab --second s1_ba,s2_ba --out calibrated.csv

  judgebias debias annotations_*.json.gz --method length

  judgebias debias runs/gpt-4o-mini --method placebo

  swap writes the input rows with a new column (swap_verdict): 1 or 2 when both orders agree, tie when they disagree, empty when either verdict is unparseable.
""",
)(cli_debias.debias_command)
app.command(
    "compare",
    epilog="""Examples:

  judgebias audit --judge "sim:position=0.3,suppression=0.5" --out runs/plain
  judgebias audit --judge "sim:position=0.3,suppression=0.5" --mitigation swap --out runs/swap
  judgebias compare runs/plain runs/swap --out swap.html

  Differences are B - A. Runs on the same pairs are compared pair by pair (bootstrap interval, randomisation p-value); other runs by Newcombe's interval from each run's own interval.
""",
)(cli_debias.compare_command)

from . import cli_agree  # noqa: E402  (agreement with humans lives in its own module)

app.command("agree", epilog=cli_agree.EPILOG)(cli_agree.agree_command)


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
