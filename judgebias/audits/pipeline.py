"""The audit pipeline: pairs -> variants -> calls -> runner/store -> records -> summary.

:func:`run_audit` is what ``judgebias audit`` and the notebook's
``judgebias.audit`` call. It writes one run folder: the SQLite store,
``records.parquet`` (one tidy row per judge call), ``summary.json`` and
``report.html``. Re-running the same audit into the same folder sends only what
is missing.

Every figure comes from :mod:`judgebias.stats` (:func:`judgebias.stats.audit.probe_figures`
for the probes, :func:`judgebias.stats.run_figures.run_figures` for what the report
draws), every call is sent by :mod:`judgebias.engine.runner`, and calls are built and read
back into records by :mod:`judgebias.audits.calls`; this module only orchestrates.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from judgebias import __version__
from judgebias.audits.calls import (
    build_calls,
    build_records,
    chunked,
    generation_requests,
    perturbation_variants,
    self_variants,
    shard_pairs,
)
from judgebias.audits.calls import own_answers_from_file as _own_answers_from_file  # the old name
from judgebias.audits.config import AuditConfig, resolve_audit_config, runner_config
from judgebias.audits.settings import (
    audit_generation,
    constrain_summary,
    flag_generation,
    plain_generation,
)
from judgebias.corrections.mitigations import Mitigations, plan_mitigations
from judgebias.engine.loop import run_async
from judgebias.engine.runner import RunCounts, RunnerConfig, run_requests
from judgebias.engine.store import STORE_NAME, Store
from judgebias.errors import UsageError
from judgebias.jsonsafe import json_safe
from judgebias.judges.base import JudgeOptions, make_judge, parse_spec
from judgebias.judges.request_rules import check_options
from judgebias.probes.catalog import control_variant, load_probe_file, resolve_probes
from judgebias.probes.rewrite import RewriteInfo
from judgebias.probes.selfprobe import check_rewriter, paraphrases, self_requests
from judgebias.prompts.templates import (
    answer_reader,
    resolve_template,
)
from judgebias.stats.audit import probe_figures
from judgebias.stats.audit import probe_figures as summarize  # the old name
from judgebias.stats.clustering import CLUSTER_COLUMN
from judgebias.stats.reasoning import reasoning_summary
from judgebias.stats.run_figures import run_figures
from judgebias.stats.validity import run_invalid
from judgebias.tables.clusters import resolve_clusters
from judgebias.tables.pairs import bundled_pairs_path, load_pairs
from judgebias.tables.runfolder import write_run_files
from judgebias.types import ChatRequest, JudgeCall, Pair, Variant

__all__ = [
    "AuditConfig",
    "AuditOutcome",
    "build_calls",
    "build_records",
    "plan_audit",
    "run_audit",
    "shard_pairs",
    "summarize",
]

MODES = ("verdict", "logprob", "score")
PAIR_COLUMNS = ("id", "instruction", "response_a", "response_b", "gold", "model_a", "model_b")


@dataclass
class AuditOutcome:
    out: Path
    summary: dict[str, Any]
    records: pd.DataFrame
    pairs: list[Pair]


def call_totals(records: pd.DataFrame, counts: RunCounts) -> dict[str, Any]:
    """summary.json's ``calls``, ``tokens`` and ``cost_usd`` over the run's unique requests."""
    uniq = records.drop_duplicates("request_key")
    pt = uniq["prompt_tokens"].dropna()
    ct = uniq["completion_tokens"].dropna()
    costs = uniq["cost_usd"].dropna()
    thought = (
        pd.to_numeric(uniq["reasoning_tokens"], errors="coerce").dropna()
        if "reasoning_tokens" in uniq.columns
        else pd.Series(dtype=float)
    )
    return {
        "calls": {
            "total": counts.total,
            "sent": counts.sent,
            "cached": counts.cached,
            "failed": int((uniq["status"] != "ok").sum()),
            "attempts": counts.attempts,
            "retried": counts.retried,
            "errors": counts.errors,
            "records": len(records),
        },
        "tokens": {
            "prompt": int(pt.sum()),
            "completion": int(ct.sum()),
            "total": int(pt.sum() + ct.sum()),
            **({"reasoning": int(thought.sum())} if len(thought) else {}),
        },
        "cost_usd": float(costs.sum()) if len(costs) else None,
    }


def _planted(judge_spec: str, reasoning_effort: str | None = None) -> dict[str, Any] | None:
    """The sim's parameters; with ``effort_bias``, each bias as it acts at the run's effort
    (the value the audit should recover), the reasoning, item and ``lean`` keys only when set."""
    kind, rest = parse_spec(judge_spec)
    if kind != "sim":
        return None
    from judgebias.judges.simulated import BIAS_KEYS, parse_sim_params
    from judgebias.sim.params import ITEM_KEYS
    from judgebias.sim.reasoning import REASONING_DEFAULTS, effort_scale

    params = parse_sim_params(rest)
    planted = {
        k: v
        for k, v in asdict(params).items()
        if (k not in REASONING_DEFAULTS or v != REASONING_DEFAULTS[k])
        and (k not in (*ITEM_KEYS, "lean") or v)
    }
    if params.effort_bias:
        factor = effort_scale(params, reasoning_effort)
        for k in ("position", *BIAS_KEYS):
            planted[k] = round(planted[k] * factor, 10)
        planted["effort_factor"] = factor
    return planted


async def run_audit_async(cfg: AuditConfig) -> AuditOutcome:

    cfg = resolve_audit_config(cfg)  # the same rules as the CLI's, in one place
    if cfg.candidates is not None:  # listwise
        from judgebias.audits.listwise import run_listwise

        return await run_listwise(cfg)
    if cfg.format != "pair":  # pointwise
        from judgebias.audits.pointwise import run_pointwise

        return await run_pointwise(cfg)
    if cfg.mode not in MODES:
        raise UsageError(f"--mode: '{cfg.mode}' is not one of {', '.join(MODES)}")
    if cfg.concurrency < 1:
        raise UsageError("--concurrency: must be at least 1")
    if cfg.limit is not None and cfg.limit < 1:
        raise UsageError("--limit: must be at least 1")
    extra = [load_probe_file(f) for f in cfg.probe_files]
    probes = resolve_probes(cfg.probes, extra=extra)
    from judgebias.probes.rewrite import rewrite_probes

    probes = rewrite_probes(probes, [p.strip().lower() for p in cfg.probes], cfg.rewriter)
    template = resolve_template(cfg.template)
    reader = answer_reader(template, cfg.mode)
    data_path = cfg.data or str(bundled_pairs_path())
    pairs = load_pairs(data_path, mapping=cfg.mapping or None, limit=cfg.limit)
    if cfg.shard:
        pairs = shard_pairs(pairs, cfg.shard)
    clusters = resolve_clusters(pairs, cfg.cluster, data_path, cfg.mapping)
    self_spec = next((p for p in probes if p.kind == "self"), None)
    wants_self = self_spec is not None
    # the self probe's paraphrases come from the rewriter, by default the gold judge's spec
    rewriter_spec = cfg.rewriter or (cfg.gold_judge if wants_self else None)
    if wants_self and not rewriter_spec:
        raise UsageError(
            "--probes self: needs --rewriter SPEC (the model that paraphrases the judge's "
            "answers) or --gold-judge SPEC (used as the rewriter, and for DBG)"
        )
    plan = plan_mitigations(
        cfg.mitigations, samples=cfg.samples, mode=cfg.mode, self_probe=wants_self
    )
    options = JudgeOptions(
        base_urls=cfg.base_urls,
        timeout=cfg.timeout,
        extra={"transport": cfg.transport} if cfg.transport else {},
    )
    judge = make_judge(cfg.judge, options)
    check_options(judge.model, cfg.mode, cfg.reasoning_effort, cfg.max_tokens)
    try:
        settings = await audit_generation(cfg, judge, reasoning_first=template.reasoning_first)
    except BaseException:
        await judge.aclose()
        raise
    reader = reader.with_constraint(settings.answer_form())
    mit = Mitigations.create(plan, judge, options, cfg.mode, reader)
    gold_judge = make_judge(cfg.gold_judge, options) if wants_self and cfg.gold_judge else None
    if gold_judge is not None:
        check_options(gold_judge.model, cfg.mode, who="the gold judge")
    rewrites = [s for s in probes if s.kind == "rewrite"]
    rewriter = (
        make_judge(rewriter_spec, options) if (rewrites or wants_self) and rewriter_spec else None
    )
    if wants_self and rewriter is not None:
        check_rewriter(judge.spec, judge.model, rewriter.spec, rewriter.model)
    rewrite_info: RewriteInfo | None = None
    rewrite_counts = RunCounts()
    out = Path(cfg.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out: cannot create {out} ({exc.strerror or exc})") from None
    started = time.time()
    try:
        runner_cfg = runner_config(cfg)
        with Store(out / STORE_NAME) as store:
            store.set_meta("judge", judge.spec)

            async def ask(
                variants: Iterable[Variant],
                model: str,
                label: str,
                send: Callable[[list[ChatRequest], str], Awaitable[RunCounts]],
                mitigation: Mitigations | None = None,
                audited: bool = True,
            ) -> tuple[list[JudgeCall], RunCounts]:
                """Render, ask and make light one chunk of variants at a time. The judge's
                budget and effort flags apply to the audited judge, not the gold judge."""
                done: list[JudgeCall] = []
                total = RunCounts()
                for i, chunk in enumerate(chunked(variants)):
                    how = (
                        replace(settings, model=model)
                        if audited
                        else plain_generation(model, cfg.mode)
                    )
                    part = build_calls(chunk, template, how, mitigation)
                    name = label if i == 0 else f"{label} ({i + 1})"
                    total = total.merged(await send([c.request for c in part], name))
                    done.extend(c.light() for c in part)
                    if mitigation is not None:
                        mitigation.partners.clear()  # swap twins of this chunk only
                return done, total

            def by_judge(reqs: list[ChatRequest], name: str) -> Awaitable[RunCounts]:
                return mit.run(reqs, store, runner_cfg, label=name)

            def by_gold(reqs: list[ChatRequest], name: str) -> Awaitable[RunCounts]:
                assert gold_judge is not None
                return run_requests(reqs, gold_judge, store, runner_cfg, label=name)

            # phase 1: the controls, shared by every probe
            calls, counts = await ask(
                (control_variant(p) for p in pairs), mit.judge.model, "controls", by_judge, mit
            )
            # records are built once per phase, for that phase's calls only
            records = build_records(calls, store, pairs, cfg.mode, reader=reader)
            # phase 2: cues and placebos, targeted by each order's control verdict
            pert = [s for s in probes if s.kind == "perturbation"]
            if pert:
                more, c2 = await ask(
                    perturbation_variants(pairs, pert, records, cfg.seed),
                    mit.judge.model,
                    "probes",
                    by_judge,
                    mit,
                )
                counts = counts.merged(c2)
                records = pd.concat(
                    [records, build_records(more, store, pairs, cfg.mode, reader=reader)],
                    ignore_index=True,
                )
                del more

            async def by_rewriter(reqs: list[ChatRequest], name: str) -> None:
                """The rewriter's calls, through the same runner and store."""
                nonlocal counts, rewrite_counts
                assert rewriter is not None
                done = await run_requests(reqs, rewriter, store, runner_cfg, label=name)
                counts, rewrite_counts = counts.merged(done), rewrite_counts.merged(done)

            # rewritten cues
            if rewrites and rewriter is not None:
                from judgebias.probes.rewrite import rewrite_variants

                rw = rewriter
                rv, rewrite_info = await rewrite_variants(
                    pairs, rewrites, records, cfg.seed, rw.model, by_rewriter, store
                )
                more, c5 = await ask(rv, mit.judge.model, "rewritten", by_judge, mit)
                counts = counts.merged(c5)
                records = pd.concat(
                    [records, build_records(more, store, pairs, cfg.mode, reader=reader)],
                    ignore_index=True,
                )
                del rv, more
            # the self probe: own answers as written and paraphrased, judged by the judge;
            # as written also by the gold judge
            if self_spec is not None and rewriter is not None:
                if cfg.self_answers:
                    own = _own_answers_from_file(cfg.self_answers, pairs)
                else:
                    gen = generation_requests(pairs, settings)
                    counts = counts.merged(
                        await run_requests(
                            list(gen.values()), judge, store, runner_cfg, label="own answers"
                        )
                    )
                    got = store.get_many(r.key() for r in gen.values())
                    own = {
                        pid: s.completion.text
                        for pid, r in gen.items()
                        if (s := got.get(r.key())) and s.completion is not None
                    }
                    del gen, got
                para, n_para, dropped = await paraphrases(
                    pairs, own, self_spec, rewriter.model, by_rewriter, store
                )
                rewrite_info = rewrite_info or RewriteInfo()
                rewrite_info.requested += n_para
                if dropped:
                    rewrite_info.discarded[self_spec.name] = dropped
                mine, c3 = await ask(
                    self_requests(pairs, own, para), mit.judge.model, "self", by_judge, mit
                )
                theirs: list[JudgeCall] = []
                if gold_judge is not None:
                    theirs, c4 = await ask(
                        (replace(v, kind="self-gold") for v in self_variants(pairs, own)),
                        gold_judge.model,
                        "self (gold)",
                        by_gold,
                        audited=False,
                    )
                    c3 = c3.merged(c4)
                counts = counts.merged(c3)
                del own, para
                plain = reader.with_constraint(None)  # the gold judge is not constrained
                records = pd.concat(
                    [
                        records,
                        build_records(mine, store, pairs, cfg.mode, reader=reader),
                        build_records(theirs, store, pairs, cfg.mode, reader=plain),
                    ],
                    ignore_index=True,
                )
                del mine, theirs
            usage = mit.usage(store)
    finally:
        await judge.aclose()
        await mit.aclose()
        if gold_judge is not None:
            await gold_judge.aclose()
        if rewriter is not None:
            await rewriter.aclose()

    records = records.assign(**{CLUSTER_COLUMN: records["pair_id"].map(clusters.keys)})
    probe_figs = probe_figures(records, probes, cfg.max_invalid)
    acc = probe_figs.pop("_accuracy")
    informative = probe_figs.pop("_informative")
    summary: dict[str, Any] = {
        "judge": judge.spec,
        "n_pairs": len(pairs),
        "accuracy": acc["accuracy"],
        "accuracy_ci": [acc["accuracy_ci_low"], acc["accuracy_ci_high"]],
        "probes": probe_figs,
        **call_totals(records, counts),
        "invalid": run_invalid(records, cfg.max_invalid),
        "informative": informative,
        "cluster": clusters.summary(),
        "run": {
            "judgebias_version": __version__,
            "data": data_path,
            "template": cfg.template or "bundled:" + template.name,
            "mode": cfg.mode,
            "max_invalid": cfg.max_invalid,
            "max_tokens": settings.max_tokens,
            "reasoning_effort": cfg.reasoning_effort,
            **constrain_summary(settings),
            "seed": cfg.seed,
            "probes": [p.name for p in probes],
            "probe_files": list(cfg.probe_files),
            "gold_judge": cfg.gold_judge,
            "self_answers": cfg.self_answers,
            "concurrency": cfg.concurrency,
            "cluster": clusters.column,
            "command": cfg.command,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "seconds": round(time.time() - started, 3),
            "simulated": _planted(cfg.judge) is not None,
            "planted": _planted(cfg.judge, cfg.reasoning_effort),
        },
    }
    summary.update(_human_agreement(records, data_path, cfg))
    if rewrite_info is not None and rewriter is not None:
        summary["rewriter"] = {
            "spec": rewriter.spec,
            **rewrite_info.as_dict(),
            "calls": {
                "total": rewrite_counts.total,
                "sent": rewrite_counts.sent,
                "cached": rewrite_counts.cached,
                "failed": rewrite_counts.failed,
            },
        }
        summary["run"]["rewriter"] = rewriter.spec
    summary["run"]["mitigations"] = list(plan.names)
    summary["run"]["mitigation"] = mit.describe()
    summary["calls"]["per_verdict"] = plan.calls_per_verdict
    reasoning = reasoning_summary(records, probes)
    if reasoning is not None:
        summary["reasoning"] = reasoning
    if usage is not None:  # a wrapper: count the backend requests behind the verdicts
        summary["calls"]["verdicts"] = mit.verdicts
        summary["tokens"] = usage["tokens"]
        summary["cost_usd"] = usage["cost_usd"]
    pairs_frame = pd.DataFrame({f: [getattr(p, f) for p in pairs] for f in PAIR_COLUMNS})
    summary["figures"] = run_figures(records, pairs_frame, clusters.unit)  # what the report draws
    summary = json_safe(summary)
    write_run_files(out, summary, records, pairs_frame)
    del calls
    gc.collect()
    if cfg.write_report:
        from judgebias.report.render import render_report, write_html
        from judgebias.tables.runfolder import Run

        # the tables in memory are the ones just written: the report need not read them again
        write_html(
            render_report(
                Run(path=out, summary=summary, records=records, pairs=pairs_frame, label=out.name)
            ),
            out / "report.html",
        )
    return AuditOutcome(out=out, summary=summary, records=records, pairs=pairs)


def _human_agreement(records: pd.DataFrame, data_path: str, cfg: AuditConfig) -> dict[str, Any]:
    """``{"agreement": ...}`` when the pairs carry human label columns, else ``{}``."""
    from judgebias.humans.agree import audit_agreement

    figs = audit_agreement(records, data_path, cfg.mapping, seed=cfg.seed)
    return {} if figs is None else {"agreement": figs}


def plan_audit(cfg: AuditConfig) -> dict[str, Any]:
    """What an audit would send, without sending anything (``--dry-run``).

    The controls are counted exactly; perturbation and self calls depend on the
    control verdicts, so their count is the upper bound (every order of every pair
    named an answer). Requests already answered in the run folder's store are
    subtracted from the controls. Tokens are estimated at 4 characters a token plus
    each request's max_tokens (the budget of reasoning and answer together: for a
    reasoning judge the worst case is every call using all of it); the cost uses
    --price-in/--price-out when given.
    """
    from judgebias.engine.runner import estimate_tokens, price

    cfg = resolve_audit_config(cfg)
    kind, rest = parse_spec(cfg.judge)
    # the model name the request rules read, without building the judge (no key needed)
    rules_model = rest.strip() if kind in ("openai", "litellm") else "model"
    check_options(rules_model, cfg.mode, cfg.reasoning_effort, cfg.max_tokens)
    budget = flag_generation(cfg, rules_model).max_tokens

    if cfg.candidates is not None:  # listwise
        from judgebias.audits.listwise import plan_listwise

        return plan_listwise(cfg)
    if cfg.format == "single":  # pointwise
        from judgebias.audits.pointwise import plan_pointwise

        return plan_pointwise(cfg)
    extra = [load_probe_file(f) for f in cfg.probe_files]
    probes = resolve_probes(cfg.probes, extra=extra)
    template = resolve_template(cfg.template)
    data_path = cfg.data or str(bundled_pairs_path())
    pairs = load_pairs(data_path, mapping=cfg.mapping or None, limit=cfg.limit)
    if cfg.shard:
        pairs = shard_pairs(pairs, cfg.shard)
    resolve_clusters(pairs, cfg.cluster, data_path, cfg.mapping)  # a bad --cluster fails now
    if cfg.mode not in MODES:
        raise UsageError(f"--mode: '{cfg.mode}' is not one of {', '.join(MODES)}")
    calls = build_calls(
        [control_variant(p) for p in pairs],
        template,
        replace(flag_generation(cfg, "model"), max_tokens=budget),
    )
    pt = sum(estimate_tokens(c.request)[0] for c in calls)
    ct = sum(estimate_tokens(c.request)[1] for c in calls)
    per_call_pt = pt / max(1, len(calls))
    per_call_ct = ct / max(1, len(calls))
    n_pert = sum(1 for s in probes if s.kind == "perturbation") * len(pairs) * 4
    if cfg.rewriter:  # 4 rewrites and 4 judge calls per pair and rewrite probe
        n_pert += sum(1 for s in probes if s.kind == "rewrite") * len(pairs) * 8
    # self: 1 own answer, 3 paraphrases, 12 judge calls (the placebo as written: controls), 4 gold
    n_self = (
        len(pairs) * (16 + (4 if cfg.gold_judge else 0))
        if any(s.kind == "self" for s in probes)
        else 0
    )
    cached = 0
    store_path = Path(cfg.out) / STORE_NAME
    if store_path.exists():
        with Store(store_path) as store:
            have = store.ok_keys()
        judge_model = make_judge(cfg.judge, JudgeOptions(base_urls=cfg.base_urls)).model
        real = build_calls(
            [control_variant(p) for p in pairs], template, flag_generation(cfg, judge_model)
        )
        cached = sum(1 for c in real if c.request.key() in have)
    total = len(calls) + n_pert + n_self
    est_pt = int(pt + per_call_pt * (n_pert + n_self))
    est_ct = int(ct + per_call_ct * (n_pert + n_self))
    cost = price(RunnerConfig(price_in=cfg.price_in, price_out=cfg.price_out), est_pt, est_ct)
    return {
        "judge": cfg.judge,
        "n_pairs": len(pairs),
        "probes": [p.name for p in probes],
        "calls": {
            "controls": len(calls),
            "probes_at_most": n_pert,
            "self_at_most": n_self,
            "total_at_most": total,
            "cached_controls": cached,
        },
        "tokens_estimate": {"prompt": est_pt, "completion_at_most": est_ct},
        "max_tokens": budget,
        "reasoning_effort": cfg.reasoning_effort,
        "cost_usd_at_most": cost,
    }


def run_audit(cfg: AuditConfig) -> AuditOutcome:
    """Run an audit to completion; safe to call inside a running event loop (Jupyter)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run_async(run_audit_async(cfg))
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        return ex.submit(lambda: run_async(run_audit_async(cfg))).result()
