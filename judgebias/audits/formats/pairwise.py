"""The pairwise format: two answers in one prompt, shown in both orders.

Its variants are the controls (every pair in both orders), the perturbation probes'
cues and placebos (targeted by each order's control verdict), the rewrite probes'
rewritten answers and the self probe's own answers; its requests are rendered by
:func:`judgebias.audits.calls.build_calls` (with the prompt mitigations), read back by
the template's :class:`judgebias.prompts.answers.AnswerReader`, and its figures are
:func:`judgebias.stats.audit.probe_figures` and :func:`judgebias.stats.run_figures.run_figures`
(what the report draws).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from judgebias.audits.allprobes import runnable_probes
from judgebias.audits.calls import (
    CHUNK,
    ProbesAfterControls,
    build_calls,
    build_records,
    chunked,
    generation_requests,
    own_answers_from_file,
    perturbation_variants,
    self_variants,
    shard_pairs,
)
from judgebias.audits.formats.base import FormatRun, Roles
from judgebias.audits.settings import flag_generation, plain_generation
from judgebias.corrections.mitigations import Mitigations, plan_mitigations
from judgebias.engine.runner import RunCounts, RunnerConfig, estimate_tokens, price, run_requests
from judgebias.engine.store import STORE_NAME, Store
from judgebias.judges.base import JudgeOptions, make_judge, parse_spec
from judgebias.probes.catalog import ProbeSpec, control_variant, load_probe_file, resolve_probes
from judgebias.probes.rewrite import RewriteInfo, rewrite_variants
from judgebias.probes.selfprobe import check_rewriter, paraphrases, self_requests
from judgebias.prompts.templates import answer_reader, resolve_template
from judgebias.stats.audit import probe_figures
from judgebias.stats.clustering import CLUSTER_COLUMN
from judgebias.stats.reasoning import reasoning_summary
from judgebias.stats.run_figures import run_figures
from judgebias.stats.validity import run_invalid
from judgebias.tables.clusters import resolve_clusters
from judgebias.tables.pairs import bundled_pairs_path, load_pairs
from judgebias.types import ChatRequest, JudgeCall, Pair, Variant

if TYPE_CHECKING:
    from judgebias.audits.config import AuditConfig
    from judgebias.audits.session import AuditSession

__all__ = ["PAIR_COLUMNS", "Pairwise", "load_audit_pairs", "pairs_table"]

PAIR_COLUMNS = ("id", "instruction", "response_a", "response_b", "gold", "model_a", "model_b")


def load_audit_pairs(cfg: AuditConfig) -> tuple[str, list[Pair]]:
    """(the data path, the pairs an audit reads: ``--data`` or the bundled pairs,
    ``--limit`` and ``--shard`` applied)."""
    data_path = cfg.data or str(bundled_pairs_path())
    pairs = load_pairs(data_path, mapping=cfg.mapping or None, limit=cfg.limit)
    return data_path, shard_pairs(pairs, cfg.shard) if cfg.shard else pairs


def pairs_table(pairs: list[Pair]) -> pd.DataFrame:
    """The pairs as ``pairs.parquet`` holds them."""
    return pd.DataFrame({f: [getattr(p, f) for p in pairs] for f in PAIR_COLUMNS})


def _probes(cfg: AuditConfig) -> tuple[list[ProbeSpec], list[str]]:
    """The probes this run measures, and notes on those ``all`` left out (see
    :mod:`judgebias.audits.allprobes`)."""
    extra = [load_probe_file(f) for f in cfg.probe_files]
    return runnable_probes(
        resolve_probes(cfg.probes, extra=extra),
        cfg.probes,
        rewriter=cfg.rewriter,
        gold_judge=cfg.gold_judge,
    )


def _pipelined(mit: Mitigations, runner: RunnerConfig) -> bool:
    """Whether the probes can be asked as their controls are answered: a judge called
    directly (not wrapped by a mitigation, not through the batch API)."""
    return not (mit.wraps or mit.needs_twin or runner.batch)


class Pairwise:
    """Two answers per prompt, both orders (the default format)."""

    name = "pair"
    report_section = "pair"

    def check(self, cfg: AuditConfig) -> None:
        """Every flag of :func:`judgebias.audits.config.check_audit_config` works pairwise."""

    def roles(self, cfg: AuditConfig) -> Roles:
        probes, _ = _probes(cfg)  # a named probe without its model is refused here
        wants_self = any(p.kind == "self" for p in probes)
        # the self probe's paraphrases come from the rewriter, by default the gold judge's spec
        rewriter = cfg.rewriter or (cfg.gold_judge if wants_self else None)
        plan_mitigations(cfg.mitigations, samples=cfg.samples, mode=cfg.mode, self_probe=wants_self)
        rewrites = any(p.kind == "rewrite" for p in probes)
        return Roles(
            mode=cfg.mode,
            gold=cfg.gold_judge if wants_self else None,
            rewriter=rewriter if rewrites or wants_self else None,
            check_gold=True,
            reasoning_first=resolve_template(cfg.template).reasoning_first,
        )

    async def run(self, session: AuditSession) -> FormatRun:
        cfg = session.cfg
        probes, notes = _probes(cfg)
        template = resolve_template(cfg.template)
        settings = session.settings
        # answers the server constrained are read in their form only
        reader = answer_reader(template, cfg.mode).with_constraint(settings.answer_form())
        data_path, pairs = load_audit_pairs(cfg)
        clusters = resolve_clusters(pairs, cfg.cluster, data_path, cfg.mapping)
        self_spec = next((p for p in probes if p.kind == "self"), None)
        plan = plan_mitigations(
            cfg.mitigations, samples=cfg.samples, mode=cfg.mode, self_probe=self_spec is not None
        )
        judge, gold_judge, rewriter = session.judge, session.gold, session.rewriter
        store, runner_cfg = session.store, session.runner
        mit = Mitigations.create(plan, judge, session.options, cfg.mode, reader)
        if self_spec is not None and rewriter is not None:
            check_rewriter(judge.spec, judge.model, rewriter.spec, rewriter.model)
        rewrite_info: RewriteInfo | None = None
        try:

            async def ask(
                variants: Iterable[Variant],
                model: str,
                label: str,
                send: Callable[[list[ChatRequest], str], Awaitable[RunCounts]],
                mitigation: Mitigations | None = None,
                audited: bool = True,
            ) -> list[JudgeCall]:
                """Render, ask and make light one chunk of variants at a time. The judge's
                settings (budget, effort, constraint) apply to the audited judge; the gold
                judge gets its own model's defaults."""
                how = (
                    replace(settings, model=model) if audited else plain_generation(model, cfg.mode)
                )
                done: list[JudgeCall] = []
                for i, chunk in enumerate(chunked(variants)):
                    part = build_calls(chunk, template, how, mitigation)
                    name = label if i == 0 else f"{label} ({i + 1})"
                    session.count(await send([c.request for c in part], name))
                    done.extend(c.light() for c in part)
                    if mitigation is not None:
                        mitigation.partners.clear()  # swap twins of this chunk only
                return done

            def by_judge(reqs: list[ChatRequest], name: str) -> Awaitable[RunCounts]:
                return mit.run(reqs, store, runner_cfg, label=name)

            def by_gold(reqs: list[ChatRequest], name: str) -> Awaitable[RunCounts]:
                assert gold_judge is not None
                return run_requests(reqs, gold_judge, store, runner_cfg, label=name)

            pert = [s for s in probes if s.kind == "perturbation"]
            if pert and _pipelined(mit, runner_cfg):
                # the controls, and each order's cues and placebos as soon as its control
                # is answered (targeted by its verdict): one run per block of pairs whose
                # calls fit in one chunk of memory, no wait between controls and probes
                how = replace(settings, model=mit.judge.model)
                per_run = max(1, CHUNK // (4 * len(pert)))  # at most four calls a pair and probe
                controls: list[JudgeCall] = []
                placed: list[tuple[tuple[int, int, int, int], JudgeCall]] = []

                def calls_of(variants: list[Variant]) -> list[JudgeCall]:
                    return build_calls(variants, template, how, mit)

                for b, start in enumerate(range(0, len(pairs), per_run)):
                    part = pairs[start : start + per_run]
                    asked = calls_of([control_variant(p) for p in part])
                    follow = ProbesAfterControls(
                        asked, part, pert, cfg.seed, reader, calls_of, first=start
                    )
                    name = "judging" if b == 0 else f"judging ({b + 1})"
                    reqs = [c.request for c in asked]
                    session.count(await mit.run(reqs, store, runner_cfg, name, follow))
                    controls.extend(c.light() for c in asked)
                    placed.extend(follow.placed())
                    del asked, follow, reqs
                placed.sort(key=lambda t: t[0])
                records = pd.concat(
                    [
                        build_records(controls, store, pairs, cfg.mode, reader=reader),
                        build_records(
                            [c for _, c in placed], store, pairs, cfg.mode, reader=reader
                        ),
                    ],
                    ignore_index=True,
                )
                del controls, placed
                pert = []
            else:
                # phase 1: the controls, shared by every probe
                calls = await ask(
                    (control_variant(p) for p in pairs),
                    mit.judge.model,
                    "controls",
                    by_judge,
                    mit,
                )
                # records are built once per phase, for that phase's calls only
                records = build_records(calls, store, pairs, cfg.mode, reader=reader)
                del calls
            # phase 2: cues and placebos, targeted by each order's control verdict
            if pert:
                more = await ask(
                    perturbation_variants(pairs, pert, records, cfg.seed),
                    mit.judge.model,
                    "probes",
                    by_judge,
                    mit,
                )
                records = pd.concat(
                    [records, build_records(more, store, pairs, cfg.mode, reader=reader)],
                    ignore_index=True,
                )
                del more
            # rewritten cues
            rewrites = [s for s in probes if s.kind == "rewrite"]
            if rewrites and rewriter is not None:
                rv, rewrite_info = await rewrite_variants(
                    pairs, rewrites, records, cfg.seed, rewriter.model, session.rewrite, store
                )
                more = await ask(rv, mit.judge.model, "rewritten", by_judge, mit)
                records = pd.concat(
                    [records, build_records(more, store, pairs, cfg.mode, reader=reader)],
                    ignore_index=True,
                )
                del rv, more
            # the self probe: own answers as written and paraphrased, judged by the judge;
            # as written also by the gold judge
            if self_spec is not None and rewriter is not None:
                if cfg.self_answers:
                    own = own_answers_from_file(cfg.self_answers, pairs)
                else:
                    gen = generation_requests(pairs, settings)
                    await session.ask(list(gen.values()), "own answers")
                    got = store.get_many(r.key() for r in gen.values())
                    own = {
                        pid: s.completion.text
                        for pid, r in gen.items()
                        if (s := got.get(r.key())) and s.completion is not None
                    }
                    del gen, got
                para, n_para, dropped = await paraphrases(
                    pairs, own, self_spec, rewriter.model, session.rewrite, store
                )
                rewrite_info = rewrite_info or RewriteInfo()
                rewrite_info.requested += n_para
                if dropped:
                    rewrite_info.discarded[self_spec.name] = dropped
                mine = await ask(
                    self_requests(pairs, own, para), mit.judge.model, "self", by_judge, mit
                )
                theirs: list[JudgeCall] = []
                if gold_judge is not None:
                    theirs = await ask(
                        (replace(v, kind="self-gold") for v in self_variants(pairs, own)),
                        gold_judge.model,
                        "self (gold)",
                        by_gold,
                        audited=False,
                    )
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
            await mit.aclose()

        records = records.assign(**{CLUSTER_COLUMN: records["pair_id"].map(clusters.keys)})
        figures = probe_figures(records, probes, cfg.max_invalid)
        acc = figures.pop("_accuracy")
        informative = figures.pop("_informative")
        summary: dict[str, Any] = {
            "n_pairs": len(pairs),
            "accuracy": acc["accuracy"],
            "accuracy_ci": [acc["accuracy_ci_low"], acc["accuracy_ci_high"]],
            "probes": figures,
            "invalid": run_invalid(records, cfg.max_invalid),
            "informative": informative,
            "cluster": clusters.summary(),
            "calls": {"per_verdict": plan.calls_per_verdict},
        }
        if notes:
            summary["notes"] = notes
        from judgebias.humans.agree import audit_agreement

        agreement = audit_agreement(records, data_path, cfg.mapping, seed=cfg.seed)
        if agreement is not None:
            summary["agreement"] = agreement
        run: dict[str, Any] = {
            "data": data_path,
            "template": cfg.template or "bundled:" + template.name,
            "probes": [p.name for p in probes],
            "probe_files": list(cfg.probe_files),
            "gold_judge": cfg.gold_judge,
            "self_answers": cfg.self_answers,
            "cluster": clusters.column,
        }
        block = session.rewriter_block(rewrite_info)
        if block is not None:
            summary["rewriter"] = block
            run["rewriter"] = block["spec"]
        run["mitigations"] = list(plan.names)
        run["mitigation"] = mit.describe()
        reasoning = reasoning_summary(records, probes)
        if reasoning is not None:
            summary["reasoning"] = reasoning
        if usage is not None:  # a wrapper: count the backend requests behind the verdicts
            summary["calls"]["verdicts"] = mit.verdicts
            summary["tokens"] = usage["tokens"]
            summary["cost_usd"] = usage["cost_usd"]
        frame = pairs_table(pairs)
        summary["figures"] = run_figures(records, frame, clusters.unit)  # what the report draws
        return FormatRun(records=records, pairs_frame=frame, summary=summary, run=run, pairs=pairs)

    def plan(self, cfg: AuditConfig) -> dict[str, Any]:
        """The controls are counted exactly; perturbation and self calls depend on the
        control verdicts, so their count is the upper bound (every order of every pair
        named an answer). Requests already answered in the run folder's store are
        subtracted from the controls."""
        kind, rest = parse_spec(cfg.judge)
        # the model name the request rules read, without building the judge (no key needed)
        rules_model = rest.strip() if kind in ("openai", "litellm") else "model"
        budget = flag_generation(cfg, rules_model).max_tokens
        probes, notes = _probes(cfg)
        template = resolve_template(cfg.template)
        data_path, pairs = load_audit_pairs(cfg)
        resolve_clusters(pairs, cfg.cluster, data_path, cfg.mapping)  # a bad --cluster fails now
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
        # self: 1 own answer, 3 paraphrases, 12 judge calls (the placebo as written:
        # controls), 4 gold
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
            "notes": notes,
        }
