"""``judgebias audit`` and ``judgebias demo``: flags in, an :class:`AuditConfig` out, the
outcome printed. The rules the settings must meet are :mod:`judgebias.audits.config`'s; the audit
is :func:`judgebias.audits.pipeline.run_audit`. Exit status 1 when a ``--fail-on`` gate trips,
2 when every call failed, 3 when too many answers could not be read (fail closed).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields
from typing import TYPE_CHECKING, Annotated, Any

import typer

from judgebias.cli.common import command_line, echo_gate, parse_map
from judgebias.cli.outcome import fail_closed, print_outcome, report_failures
from judgebias.probes.catalog import PROBE_ORDER

if TYPE_CHECKING:
    from judgebias.audits.config import AuditConfig

__all__ = ["AUDIT_EPILOG", "DEMO_EPILOG", "audit", "config_from_flags", "demo"]

# audit's parameters whose AuditConfig field has another name
_FIELD_OF = {
    "probe_file": "probe_files",
    "base_url": "base_urls",
    "map_": "mapping",
    "batch_poll": "batch_poll_s",
    "format_": "format",
    "mitigation": "mitigations",
}
# how a flag's value becomes its field's
_CONVERT: dict[str, Callable[[Any], Any]] = {
    "probes": lambda v: v.split(","),
    "probe_files": lambda v: list(v or []),
    "base_urls": lambda v: list(v or []),
    "mapping": parse_map,
    "mitigations": lambda v: [v] if v else [],
}
# audit's parameters that steer the command, not the audit
_COMMAND_ONLY = ("as_json", "fail_on", "dry_run")


def config_from_flags(flags: dict[str, Any]) -> AuditConfig:
    """The :class:`AuditConfig` of ``audit``'s flags, matched to its fields by name (a
    flag with no field raises TypeError: each flag is declared once, in :func:`audit`)."""
    from judgebias.audits.config import AuditConfig

    names = {f.name for f in fields(AuditConfig)}
    kwargs: dict[str, Any] = {}
    for flag, value in flags.items():
        if flag in _COMMAND_ONLY:
            continue
        name = _FIELD_OF.get(flag, flag)
        if name not in names:
            raise TypeError(f"audit: the flag parameter '{flag}' has no AuditConfig field")
        kwargs[name] = _CONVERT[name](value) if name in _CONVERT else value
    kwargs["quiet"] = bool(flags.get("quiet") or flags.get("as_json"))
    kwargs["command"] = command_line()
    return AuditConfig(**kwargs)


AUDIT_EPILOG = """Examples:

  judgebias audit --judge "sim:accuracy=0.9,position=0.3" --probes position --out runs/sim

  judgebias audit --judge openai:gpt-4o-mini --data my_pairs.jsonl --out runs/4o-mini

  judgebias audit --judge openai:Qwen2.5-7B-Instruct --base-url http://localhost:8000/v1 --data pairs.csv

  judgebias audit --judge openai:gpt-4o-mini --data pairs.jsonl --probes all --fail-on "position>0.1,bandwagon>0.05" --quiet

  judgebias audit --judge openai:o4-mini --reasoning-effort low --data pairs.jsonl --max-cost 20 --price-in 1.1 --price-out 4.4 --dry-run

  --fail-on exits with status 1 when a bias's whole 95% interval lies above its threshold (0.1, 10% and 10pp all mean 10 points; also NAME<x, |NAME|>x, accuracy<x).

  Exit status: 0 success, 1 a --fail-on gate tripped, 2 usage or input error, 3 too many unreadable answers (--max-invalid), 4 the judge could not be reached or its calls failed.
"""

DEMO_EPILOG = """Example:

  judgebias demo --out demo && open demo/report.html
"""


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
            help="Comma-separated: "
            + ", ".join(PROBE_ORDER)
            + "; or 'all' (every probe this run can measure: self needs --rewriter or "
            "--gold-judge, sentiment and fallacy --rewriter).",
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
            "--gold-judge",
            help="Judge spec whose verdicts are the gold for the self probe's descriptive "
            "figures (DBG, error asymmetry); also its rewriter when --rewriter is not given.",
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
            help="Run folder (store, summary.json, records, report.html). Re-using it resumes "
            "the same run; a folder holding a run with other settings needs --force.",
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
            "probes and paraphrases the judge's own answers for the self probe (another model "
            "than the judge; sim: the simulated judge's deterministic rewriter).",
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
    constrain: Annotated[
        str,
        typer.Option(
            "--constrain",
            help="Ask the server to restrict the answer to a verdict: auto (the first form "
            "the endpoint enforces, else none with the reason), json (response_format "
            "json_schema, llama-cpp-python's json_object schema, Ollama's format), choice "
            "(vLLM), grammar (GBNF), logit-bias, or none.",
        ),
    ] = "none",
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace the run in --out even when it was made with other settings (judge, "
            "data, mode, template, format, mitigations); without it such a folder is refused.",
        ),
    ] = False,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            help="The unit the intervals are clustered by: instruction (the default: pairs "
            "sharing an instruction are one cluster), pair, or a column of the pairs file "
            "(e.g. question_id).",
        ),
    ] = None,
) -> None:
    """Audit a judge: ask it every probe's variants in both orders and measure its biases."""
    cfg = config_from_flags(locals())  # first: locals() holds the flags only
    from judgebias.audits.config import check_audit_config
    from judgebias.audits.pipeline import run_audit

    check_audit_config(cfg)
    conditions = None
    if fail_on is not None:
        from judgebias.audits.gate import conditions_for_audit

        if format_ == "single":  # the probes of one-answer grading
            from judgebias.audits.formats.pointwise import single_probes
            from judgebias.audits.gate import parse_fail_on, require_measured

            specs, grading, wants_self = single_probes(cfg)
            measured = [s.name for s in specs] + grading + (["self"] if wants_self else [])
            conditions = parse_fail_on(fail_on)
            require_measured(conditions, measured)
        else:
            conditions = conditions_for_audit(fail_on, probes, probe_file or [])
    if dry_run:
        from judgebias.audits.pipeline import plan_audit

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
            for note in plan.get("notes") or []:
                typer.echo(f"note: {note}")
        return
    outcome = run_audit(cfg)
    print_outcome(outcome.summary, outcome.out, quiet=quiet, as_json=as_json)
    report_failures(outcome)
    tripped = False
    if conditions is not None:
        from judgebias.audits.gate import check_gate

        tripped = echo_gate(check_gate(outcome.summary, conditions), quiet=quiet or as_json)
    fail_closed(outcome.summary, outcome.out)
    if tripped:
        raise typer.Exit(1)


def demo(
    out: Annotated[str, typer.Option("--out", help="Run folder.")] = "judgebias-demo",
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Audit the simulated judge (documented planted biases) on the bundled pairs, offline."""
    from judgebias.audits.pipeline import AuditConfig, run_audit
    from judgebias.demo import DEMO_GOLD_JUDGE, DEMO_JUDGE, DEMO_PROBES

    cfg = AuditConfig(
        judge=DEMO_JUDGE,
        probes=list(DEMO_PROBES),
        gold_judge=DEMO_GOLD_JUDGE,
        out=out,
        quiet=quiet,
        command=command_line(),
    )
    outcome = run_audit(cfg)
    print_outcome(outcome.summary, outcome.out, quiet=quiet, as_json=False)
