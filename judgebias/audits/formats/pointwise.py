"""Pointwise grading (``judgebias audit --format single``): one answer graded alone.

Each answer of each pair is graded 1-10 on its own (MT-Bench single-answer style,
``Rating: [[7]]``, parsed strictly by :func:`judgebias.prompts.answers_formats.parse_rating`).
Conditions, each a separate request for every answer:

- ``control``: the bundled rubric listed from worst (1) to best (10);
- a perturbation probe usable on one answer (``formats: [pair, single]`` in its
  YAML: ``length``, ``authority``, ``bandwagon``, ``reflection``, ``sentiment`` and
  any probe file of the user's that says so): the cue, and its placebo;
- ``rubric_order``: the same rubric listed from best to worst;
- ``score_labels``: a 5-point rubric with numbers 1-5, and the same with letters A-E;
- ``anchor``: a note that another response was graded R (2 or 9, seeded per answer),
  and a neutral note of the same place (the anchor's placebo);
- ``self`` (with ``--rewriter`` or ``--gold-judge``, which then also rewrites): the
  judge model's own answers graded as written and as paraphrased by the rewriter, and
  the pair's answers' paraphrases (their placebo; see
  :mod:`judgebias.stats.selfpref_single`); with a gold judge also the own answers and
  the pair's answers graded by the gold judge (descriptive only).

The figures are in :mod:`judgebias.stats.pointwise`. Calls go through the audit's
session (:mod:`judgebias.audits.session`): the same runner, store, cache, retries and
cost cap as every audit. The prompt itself is :mod:`judgebias.prompts.pointwise`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from judgebias.audits.calls import answer_columns, generation_requests, own_answers_from_file
from judgebias.audits.formats.base import FormatRun, Roles
from judgebias.audits.formats.pairwise import load_audit_pairs, pairs_table
from judgebias.audits.settings import plain_generation
from judgebias.engine.runner import RunnerConfig, estimate_tokens, price
from judgebias.errors import UsageError
from judgebias.judges.generation import GenerationSettings
from judgebias.probes.catalog import (
    ProbeSpec,
    builtin_probes,
    load_probe_file,
    resolve_probes,
    seeded_pick,
    single_edit,
)
from judgebias.probes.rewrite import RewriteInfo, check_rewrite, rewrite_probes, rewrite_request
from judgebias.probes.selfprobe import check_rewriter, paraphrases
from judgebias.prompts.answers import AnswerReader
from judgebias.prompts.answers_formats import FORMAT_ADVICE, FORMAT_REASONS, read_rating
from judgebias.prompts.pointwise import (
    SCALES,
    Grading,
    SingleTemplate,
    render_single,
    single_reader,
    single_template,
)
from judgebias.stats.clustering import CLUSTER_COLUMN
from judgebias.stats.pointwise import pointwise_summary
from judgebias.stats.validity import run_invalid
from judgebias.tables.clusters import resolve_clusters
from judgebias.types import ChatRequest, Pair

if TYPE_CHECKING:
    from judgebias.audits.config import AuditConfig
    from judgebias.audits.session import AuditSession

__all__ = ["GRADING", "Pointwise", "grade_records", "gradings", "single_probes"]

GRADING = ("rubric_order", "score_labels", "anchor")
"""The grading biases of absolute scoring, measured in ``--format single`` only."""
ANCHORS = (2, 9)


# -- which probes ------------------------------------------------------------------------


def single_probes(cfg: AuditConfig) -> tuple[list[ProbeSpec], list[str], bool]:
    """(perturbation probes, grading biases, self?) measured in ``--format single``."""
    extra = [load_probe_file(f) for f in cfg.probe_files]
    wanted = [p.strip().lower() for p in cfg.probes if p.strip()]
    usable = [s for s in resolve_probes("all", extra=extra) if "single" in s.formats]
    if not cfg.rewriter:  # rewrite probes need --rewriter (named ones are an error)
        usable = rewrite_probes(usable, [w for w in wanted if w != "all"], None)
    names = [s.name for s in usable] + [*GRADING, "self"]
    if wanted in (["position"], ["all"], []):  # the default: everything gradable
        return usable, list(GRADING), bool(cfg.gold_judge)  # self: the gold also rewrites
    for w in wanted:
        if w not in names:
            raise UsageError(
                f"--probes: '{w}' is not measured in --format single (one answer per prompt); "
                f"available: {', '.join(names)}, all"
            )
    specs = [s for s in usable if s.name in wanted]
    specs += [s for s in extra if s.name not in wanted and "single" in s.formats]
    if "self" in wanted and not (cfg.rewriter or cfg.gold_judge):
        raise UsageError(
            "--probes self: needs --rewriter SPEC (the model that paraphrases the judge's "
            "answers) or --gold-judge SPEC (used as the rewriter, and to grade them)"
        )
    return specs, [g for g in GRADING if g in wanted], "self" in wanted


def gradings(
    pairs: list[Pair], specs: list[ProbeSpec], grading: list[str], seed: int
) -> list[Grading]:
    """Every condition of every answer (see the module docstring)."""
    out: list[Grading] = []
    for p in pairs:
        for target in ("a", "b"):
            text = p.response_a if target == "a" else p.response_b
            base = Grading(p.id, "control", "control", target, p.instruction, text)
            out.append(base)
            for spec in specs:
                if spec.kind == "rewrite":  # its variants come from the rewriter
                    continue
                for v in single_edit(p, spec, target, seed):
                    edited = v.response_a if target == "a" else v.response_b
                    out.append(
                        replace(
                            base,
                            probe=spec.name,
                            kind=v.kind,
                            variant=v.variant,
                            response=edited,
                            note=v.user_note,
                            system_note=v.system_note,
                        )
                    )
            if "rubric_order" in grading:
                out.append(replace(base, probe="rubric_order", kind="cue", descending=True))
            if "score_labels" in grading:
                out.append(replace(base, probe="score_labels", kind="control", scale="5"))
                out.append(replace(base, probe="score_labels", kind="cue", scale="AE"))
            if "anchor" in grading:
                r = ANCHORS[seeded_pick(2, seed, "anchor", p.id, target)]
                out.append(replace(base, probe="anchor", kind="cue", variant=f"R={r}", anchor=r))
                out.append(replace(base, probe="anchor", kind="placebo", variant=f"R={r}"))
    return out


GRADES = tuple(dict.fromkeys(x for scale in SCALES.values() for x in scale))
"""Every grade of every scale (what a ``--constrain`` constraint is resolved for)."""


def _request(t: SingleTemplate, g: Grading, settings: GenerationSettings) -> ChatRequest:
    """The grading request (``settings``: the audited judge's resolved budget, effort and
    constraint, the answer a grade of the request's scale; a gold judge's defaults)."""
    if g.anchor is not None:
        g = replace(g, note=t.anchor.replace("{score}", str(g.anchor)))
    elif g.probe == "anchor":
        g = replace(g, note=t.anchor_placebo)
    return settings.request(render_single(t, g), SCALES[g.scale], key="rating")


def grade_records(
    calls: list[tuple[Grading, ChatRequest]],
    store: Any,
    gold: Mapping[str, str | None],
    reader: AnswerReader | None = None,
) -> pd.DataFrame:
    """One row per pointwise call: the grade as a number on its scale (letters A=5 ... E=1),
    or why the answer could not be read (``invalid_reason``, strict: nothing is guessed)."""
    stored = store.get_many(req.key() for _, req in calls)
    rows: list[dict[str, Any]] = []
    for g, req in calls:
        s = stored.get(req.key())
        comp = s.completion if s is not None and s.status == "ok" else None
        reading = read_rating(comp, SCALES[g.scale], reader)
        ix = reading.index
        rows.append(
            {
                "pair_id": g.pair_id,
                "probe": g.probe,
                "kind": g.kind,
                "variant": g.variant,
                "target": g.target,
                "order": "single",
                "scale": g.scale,
                "anchor": g.anchor
                if g.anchor is not None
                else (int(g.variant[2:]) if g.variant.startswith("R=") else None),
                "score": None if ix is None else float(ix + 1),
                "verdict": None,
                "valid": ix is not None,
                "invalid_reason": reading.reason,
                "gold": gold.get(g.pair_id),
                **answer_columns(s, req.key()),
            }
        )
    return pd.DataFrame(rows)


async def _rewritten(
    session: AuditSession, pairs: list[Pair], specs: list[ProbeSpec], seed: int
) -> tuple[list[Grading], RewriteInfo]:
    """Gradings of rewritten answers (a tone and the neutral paraphrase of every answer),
    with the rewrites that changed the content left out and counted."""
    assert session.rewriter is not None
    info = RewriteInfo()
    jobs = []
    for spec in specs:
        for p in pairs:
            for target in ("a", "b"):
                cue = spec.cues[seeded_pick(len(spec.cues), seed, spec.name, "cue1", p.id, target)]
                answer = p.response_a if target == "a" else p.response_b
                reqs = [
                    rewrite_request(t, p.instruction, answer, session.rewriter.model)
                    for t in (cue, spec.placebos[0])
                ]
                jobs.append((spec, p, target, cue, answer, reqs))
    all_reqs = [r for *_, reqs in jobs for r in reqs]
    info.requested = len({r.key() for r in all_reqs})
    if all_reqs:
        await session.rewrite(all_reqs, "rewrites")
    got = session.store.get_many(r.key() for r in all_reqs)
    out: list[Grading] = []
    for spec, p, target, cue, answer, reqs in jobs:
        texts = [
            s.completion.text if (s := got.get(r.key())) and s.completion is not None else None
            for r in reqs
        ]
        bad = next((b for t in texts if (b := check_rewrite(p.instruction, answer, t))), None)
        if bad is not None:
            info.discarded.setdefault(spec.name, Counter())[bad] += 1
            continue
        for kind, text in zip(("cue", "placebo"), texts, strict=True):
            out.append(
                Grading(p.id, spec.name, kind, target, p.instruction, text or "", variant=cue.id)  # type: ignore[arg-type]
            )
    return out, info


def _paraphrased_gradings(
    pairs: list[Pair], own: dict[str, str], para: dict[tuple[str, str], str]
) -> list[Grading]:
    """The self probe's paraphrases to grade: the own answer's (``own-paraphrased``) and,
    for the placebo, the pair's answers' (``other-paraphrased``), where kept."""
    out = []
    for p in pairs:
        if not own.get(p.id) or (p.id, "own") not in para:
            continue
        out.append(
            Grading(p.id, "self", "own-paraphrased", "a", p.instruction, para[(p.id, "own")])
        )
        for target in ("a", "b"):
            if (p.id, target) in para:
                out.append(
                    Grading(
                        p.id,
                        "self",
                        "other-paraphrased",
                        target,
                        p.instruction,
                        para[(p.id, target)],
                    )
                )
    return out


class Pointwise:
    """One answer per prompt, graded 1-10 (``--format single``)."""

    name = "single"
    report_section = "single"

    def check(self, cfg: AuditConfig) -> None:
        if cfg.mitigations or cfg.mode != "verdict":
            raise UsageError("--format single: works with --mode verdict and no --mitigation")
        single_probes(cfg)  # a probe not measured on one answer, or self without a rewriter

    def roles(self, cfg: AuditConfig) -> Roles:
        specs, _, wants_self = single_probes(cfg)
        rewrites = any(s.kind == "rewrite" for s in specs)
        # the self probe's paraphrases come from the rewriter, by default the gold judge's spec
        rewriter = cfg.rewriter or (cfg.gold_judge if wants_self else None)
        return Roles(
            mode="verdict",
            gold=cfg.gold_judge if wants_self else None,
            rewriter=rewriter if (rewrites or wants_self) else None,
            labels=GRADES,
        )

    def plan(self, cfg: AuditConfig) -> dict[str, Any]:
        """Every grading is counted exactly; self's own answers as one call per pair."""
        specs, grading, wants_self = single_probes(cfg)
        _, pairs = load_audit_pairs(cfg)
        t = single_template(cfg.template)
        plain = plain_generation("model")
        reqs = [_request(t, g, plain) for g in gradings(pairs, specs, grading, cfg.seed)]
        # own answer, 3 paraphrases, 4 judge gradings (own, paraphrases); gold: own and others
        n_self = len(pairs) * (8 + (3 if cfg.gold_judge else 0)) if wants_self else 0
        pt = sum(estimate_tokens(r)[0] for r in reqs)
        ct = sum(estimate_tokens(r)[1] for r in reqs)
        per = (pt + ct) / max(1, len(reqs))
        cost = price(
            RunnerConfig(price_in=cfg.price_in, price_out=cfg.price_out),
            int(pt + per * n_self / 2),
            int(ct + per * n_self / 2),
        )
        return {
            "judge": cfg.judge,
            "n_pairs": len(pairs),
            "probes": [s.name for s in specs] + grading + (["self"] if wants_self else []),
            "calls": {
                "controls": 2 * len(pairs),
                "probes_at_most": len(reqs) - 2 * len(pairs),
                "self_at_most": n_self,
                "total_at_most": len(reqs) + n_self,
                "cached_controls": 0,
            },
            "tokens_estimate": {"prompt": pt, "completion_at_most": ct},
            "cost_usd_at_most": cost,
        }

    async def run(self, session: AuditSession) -> FormatRun:
        """Every condition of every answer, then the figures."""
        cfg = session.cfg
        specs, grading, wants_self = single_probes(cfg)
        template = single_template(cfg.template)
        data_path, pairs = load_audit_pairs(cfg)
        clusters = resolve_clusters(pairs, cfg.cluster, data_path, cfg.mapping)
        gold = {p.id: p.gold for p in pairs}
        rewrites = [s for s in specs if s.kind == "rewrite"]
        rewrite_info: RewriteInfo | None = None
        if wants_self and session.rewriter is not None:
            check_rewriter(
                session.judge.spec,
                session.judge.model,
                session.rewriter.spec,
                session.rewriter.model,
            )
        settings = session.settings
        todo = gradings(pairs, specs, grading, cfg.seed)
        if rewrites:
            more_gradings, rewrite_info = await _rewritten(session, pairs, rewrites, cfg.seed)
            todo += more_gradings
        calls = [(g, _request(template, g, settings)) for g in todo]
        await session.ask([r for _, r in calls], "grading")
        reader = single_reader(template).with_constraint(settings.answer_form("rating"))
        records = grade_records(calls, session.store, gold, reader)
        if wants_self and session.rewriter is not None:
            if cfg.self_answers:
                own = own_answers_from_file(cfg.self_answers, pairs)
            else:
                gen = generation_requests(pairs, settings)
                await session.ask(list(gen.values()), "own answers")
                got = session.store.get_many(r.key() for r in gen.values())
                own = {
                    pid: s.completion.text
                    for pid, r in gen.items()
                    if (s := got.get(r.key())) and s.completion is not None
                }
            para, n_para, dropped = await paraphrases(
                pairs,
                own,
                builtin_probes()["self"],
                session.rewriter.model,
                session.rewrite,
                session.store,
            )
            rewrite_info = rewrite_info or RewriteInfo()
            rewrite_info.requested += n_para
            if dropped:
                rewrite_info.discarded["self"] = dropped
            mine = [
                Grading(p.id, "self", "own", "a", p.instruction, own[p.id])
                for p in pairs
                if own.get(p.id)
            ]
            judge_own = [
                (g, _request(template, g, settings))
                for g in [*mine, *_paraphrased_gradings(pairs, own, para)]
            ]
            gold_calls = []
            if session.gold is not None:
                others = [g for g, _ in calls if g.probe == "control"]
                gold_calls = [
                    (
                        replace(
                            g, kind=f"gold-{'own' if g.probe == 'self' else 'other'}", probe="self"
                        ),
                        _request(template, g, plain_generation(session.gold.model)),
                    )
                    for g in [*mine, *others]
                ]
            await session.ask([r for _, r in judge_own], "self")
            if gold_calls:
                await session.ask([r for _, r in gold_calls], "self (gold)", gold=True)
            more = grade_records(judge_own, session.store, gold, reader)
            plain = reader.with_constraint(None)  # the gold judge is not constrained
            theirs = grade_records(gold_calls, session.store, gold, plain)
            records = pd.concat([records, more, theirs], ignore_index=True)
        records = records.assign(**{CLUSTER_COLUMN: records["pair_id"].map(clusters.keys)})
        figures = pointwise_summary(
            records,
            [s.name for s in specs],
            grading,
            wants_self,
            directions={s.name: s.direction for s in specs},
            variant_directions={
                s.name: {c.id: c.direction or s.direction for c in s.cues} for s in rewrites
            },
            max_invalid=cfg.max_invalid,
        )
        acc = figures.pop("_accuracy")
        informative = figures.pop("_informative")
        summary: dict[str, Any] = {
            "n_pairs": len(pairs),
            "accuracy": acc["accuracy"],
            "accuracy_ci": [acc["ci_low"], acc["ci_high"]],
            "probes": figures,
            "invalid": run_invalid(
                records, cfg.max_invalid, meanings=FORMAT_REASONS, advice_for=FORMAT_ADVICE
            ),
            "informative": informative,
            "cluster": clusters.summary(),
        }
        run: dict[str, Any] = {
            "data": data_path,
            "template": cfg.template or "bundled:" + template.name,
            "format": "single",
            "probes": list(figures),
            "gold_judge": cfg.gold_judge if wants_self else None,
            "self_answers": cfg.self_answers,
            "cluster": clusters.column,
        }
        block = session.rewriter_block(rewrite_info)
        if block is not None:
            summary["rewriter"] = block
            run["rewriter"] = block["spec"]
        return FormatRun(
            records=records, pairs_frame=pairs_table(pairs), summary=summary, run=run, pairs=pairs
        )
