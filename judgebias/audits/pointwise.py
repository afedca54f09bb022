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

The figures are in :mod:`judgebias.stats.pointwise`. Calls go through the same
runner, store, cache, retries and cost cap as every audit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from judgebias.audits.formats_run import answer_columns
from judgebias.audits.settings import audit_generation, constrain_summary, plain_generation
from judgebias.errors import InputError, UsageError
from judgebias.judges.generation import GenerationSettings
from judgebias.probes.catalog import ProbeSpec, resolve_probes, seeded_pick, single_edit
from judgebias.prompts.answers_formats import format_reader, read_rating
from judgebias.types import ChatRequest, Pair
from judgebias.yamlfile import read_yaml

if TYPE_CHECKING:
    from judgebias.audits.pipeline import AuditConfig, AuditOutcome
    from judgebias.prompts.answers import AnswerReader

__all__ = [
    "GRADING",
    "SCALES",
    "Grading",
    "SingleTemplate",
    "extract_single",
    "plan_pointwise",
    "render_single",
    "run_pointwise",
    "single_probes",
    "single_reader",
    "single_template",
]

SCALES: dict[str, tuple[str, ...]] = {
    "10": tuple(str(i) for i in range(1, 11)),
    "5": tuple(str(i) for i in range(1, 6)),
    "AE": ("E", "D", "C", "B", "A"),
}
"""Each scale's grades from worst to best."""
GRADING = ("rubric_order", "score_labels", "anchor")
"""The grading biases of absolute scoring, measured in ``--format single`` only."""
ANCHORS = (2, 9)


@dataclass(frozen=True)
class SingleTemplate:
    name: str
    system: str
    user: str
    levels_10: tuple[str, ...]
    levels_5: tuple[str, ...]
    anchor: str
    anchor_placebo: str


@dataclass(frozen=True)
class Grading:
    """One answer as one condition presents it to the judge."""

    pair_id: str
    probe: str
    kind: str
    target: Literal["a", "b"]
    instruction: str
    response: str
    variant: str = ""
    scale: str = "10"
    descending: bool = False
    note: str | None = None
    system_note: str | None = None
    anchor: int | None = None


def single_template(path: str | None) -> SingleTemplate:
    """The bundled pointwise prompt, or ``--template FILE`` with a ``user_single`` key."""
    if path and Path(path).exists():
        raw = read_yaml(path, "template")
        source = path
    else:
        ref = resources.files("judgebias.probe_data").joinpath("templates", "single.yaml")
        with resources.as_file(ref) as p:
            raw = read_yaml(p, "template")
        source = "templates/single.yaml"
    if not isinstance(raw, dict) or not isinstance(raw.get("user_single"), str):
        raise InputError(source, "--format single needs a template with a 'user_single' prompt")
    bundled = single_template(None) if source == path else None
    user = raw["user_single"]
    for ph in ("{instruction}", "{response}", "{rubric}", "{scale}"):
        if ph not in user:
            raise InputError(source, f"template 'user_single' lacks the placeholder {ph}")

    def levels(key: str, n: int) -> tuple[str, ...]:
        got = raw.get(key)
        if got is None and bundled is not None:
            return bundled.levels_10 if n == 10 else bundled.levels_5
        if not isinstance(got, list) or len(got) != n or not all(isinstance(x, str) for x in got):
            raise InputError(source, f"template '{key}' must list {n} grade descriptions")
        return tuple(got)

    def text(key: str) -> str:
        got = raw.get(key)
        if got is None and bundled is not None:
            return str(getattr(bundled, key))
        if not isinstance(got, str):
            raise InputError(source, f"template '{key}' must be a string")
        return got

    return SingleTemplate(
        name=str(raw.get("name", Path(source).stem)),
        system=str(raw.get("system") or ""),
        user=user,
        levels_10=levels("levels_10", 10),
        levels_5=levels("levels_5", 5),
        anchor=text("anchor"),
        anchor_placebo=text("anchor_placebo"),
    )


_FILL = re.compile(r"\{(instruction|response|rubric|scale)\}")


def render_single(t: SingleTemplate, g: Grading) -> tuple[tuple[str, str], ...]:
    values = SCALES[g.scale]
    levels = t.levels_10 if g.scale == "10" else t.levels_5
    lines = [f"{v}: {d}" for v, d in zip(values, levels, strict=True)]
    shown = list(values)
    if g.descending:
        lines, shown = lines[::-1], shown[::-1]
    fill = {
        "instruction": g.instruction,
        "response": g.response,
        "rubric": "\n".join(lines),
        "scale": ", ".join(shown),
    }
    user = _FILL.sub(lambda m: fill[m.group(1)], t.user)
    if g.note:
        user = f"{user}\n\n{g.note}"
    system = t.system
    if g.system_note:
        system = f"{system}\n\n{g.system_note}" if system else g.system_note
    return ((("system", system),) if system else ()) + (("user", user),)


_SINGLE = re.compile(
    r"\[Instruction\]\n(?P<instruction>.*?)\n\n\[Response\]\n(?P<response>.*)\n\[End of Response\]",
    re.DOTALL,
)
_LEVEL = re.compile(r"^(10|[1-9]|[A-E]): ", re.MULTILINE)


def extract_single(user: str) -> tuple[str, str, list[str], str] | None:
    """(instruction, response, the grades as the rubric lists them, the note after the
    response) from a pointwise prompt; ``None`` for anything else."""
    m = _SINGLE.search(user)
    if not m:
        return None
    head = user[: m.start()]
    listed = _LEVEL.findall(head)
    note = user[m.end() :].strip()
    return m.group("instruction"), m.group("response"), listed, note


# -- which probes ------------------------------------------------------------------------


def single_probes(cfg: AuditConfig) -> tuple[list[ProbeSpec], list[str], bool]:
    """(perturbation probes, grading biases, self?) measured in ``--format single``."""
    from judgebias.probes.catalog import load_probe_file

    extra = [load_probe_file(f) for f in cfg.probe_files]
    wanted = [p.strip().lower() for p in cfg.probes if p.strip()]
    usable = [s for s in resolve_probes("all", extra=extra) if "single" in s.formats]
    if not cfg.rewriter:  # rewrite probes need --rewriter (named ones are an error)
        from judgebias.probes.rewrite import rewrite_probes

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


def _request(t: SingleTemplate, g: Grading, settings: GenerationSettings) -> ChatRequest:
    """The grading request (``settings``: the audited judge's resolved budget, effort and
    constraint, the answer a grade of the request's scale; a gold judge's defaults)."""
    if g.anchor is not None:
        g = replace(g, note=t.anchor.replace("{score}", str(g.anchor)))
    elif g.probe == "anchor":
        g = replace(g, note=t.anchor_placebo)
    return settings.request(render_single(t, g), SCALES[g.scale], key="rating")


def single_reader(t: SingleTemplate) -> AnswerReader:
    """The echo check of a pointwise template: its words (the rubrics and anchor notes
    included, which the prompts show) and its prompts' markers."""
    shown = "\n".join([t.user, *t.levels_10, *t.levels_5, t.anchor, t.anchor_placebo])
    return format_reader(t.system, shown, ("[Instruction]", "[Response]", "[End of Response]"))


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


def _pairs(cfg: AuditConfig) -> list[Pair]:
    from judgebias.audits.pipeline import shard_pairs
    from judgebias.tables.pairs import bundled_pairs_path, load_pairs

    data = cfg.data or str(bundled_pairs_path())
    pairs = load_pairs(data, mapping=cfg.mapping or None, limit=cfg.limit)
    return shard_pairs(pairs, cfg.shard) if cfg.shard else pairs


def plan_pointwise(cfg: AuditConfig) -> dict[str, Any]:
    """``--dry-run`` of a pointwise audit (self's own answers counted as one call per pair)."""
    from judgebias.engine.runner import RunnerConfig, estimate_tokens, price

    specs, grading, wants_self = single_probes(cfg)
    pairs = _pairs(cfg)
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


async def _rewritten(
    session: Any, pairs: list[Pair], specs: list[ProbeSpec], seed: int
) -> tuple[list[Grading], Any]:
    """Gradings of rewritten answers (a tone and the neutral paraphrase of every answer),
    with the rewrites that changed the content left out and counted."""
    from collections import Counter

    from judgebias.probes.rewrite import RewriteInfo, check_rewrite, rewrite_request

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


async def run_pointwise(cfg: AuditConfig) -> AuditOutcome:
    """The pointwise audit: every condition of every answer, then the figures."""
    from judgebias.audits.formats_run import FormatSession, write_run
    from judgebias.audits.pipeline import PAIR_COLUMNS, _own_answers_from_file, generation_requests
    from judgebias.probes.catalog import builtin_probes
    from judgebias.probes.rewrite import RewriteInfo
    from judgebias.probes.selfprobe import check_rewriter, paraphrases
    from judgebias.prompts.answers_formats import FORMAT_ADVICE, FORMAT_REASONS
    from judgebias.stats.clustering import CLUSTER_COLUMN
    from judgebias.stats.pointwise import pointwise_summary
    from judgebias.stats.validity import run_invalid
    from judgebias.tables.clusters import resolve_clusters
    from judgebias.tables.pairs import bundled_pairs_path

    if cfg.mitigations or cfg.mode != "verdict":
        raise UsageError("--format single: works with --mode verdict and no --mitigation")
    specs, grading, wants_self = single_probes(cfg)
    template = single_template(cfg.template)
    pairs = _pairs(cfg)
    clusters = resolve_clusters(
        pairs, cfg.cluster, cfg.data or str(bundled_pairs_path()), cfg.mapping
    )
    gold = {p.id: p.gold for p in pairs}
    rewrites = [s for s in specs if s.kind == "rewrite"]
    rewrite_info: Any = None
    # the self probe's paraphrases come from the rewriter, by default the gold judge's spec
    rewriter_spec = cfg.rewriter or (cfg.gold_judge if wants_self else None)
    async with FormatSession(
        cfg,
        gold=cfg.gold_judge if wants_self else None,
        rewriter=rewriter_spec if (rewrites or wants_self) else None,
    ) as session:
        if wants_self and session.rewriter is not None:
            check_rewriter(
                session.judge.spec,
                session.judge.model,
                session.rewriter.spec,
                session.rewriter.model,
            )
        grades = tuple(dict.fromkeys(x for scale in SCALES.values() for x in scale))
        settings = await audit_generation(cfg, session.judge, "verdict", grades)
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
                own = _own_answers_from_file(cfg.self_answers, pairs)
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
    core = {
        "n_pairs": len(pairs),
        "format": "single",
        "accuracy": acc["accuracy"],
        "accuracy_ci": [acc["ci_low"], acc["ci_high"]],
        "probes": figures,
        "invalid": run_invalid(
            records, cfg.max_invalid, meanings=FORMAT_REASONS, advice_for=FORMAT_ADVICE
        ),
        "informative": informative,
        "cluster": clusters.summary(),
    }
    run_info = {
        "template": cfg.template or "bundled:" + template.name,
        "mode": "verdict",
        "format": "single",
        "probes": list(figures),
        "gold_judge": cfg.gold_judge if wants_self else None,
        "self_answers": cfg.self_answers,
        "cluster": clusters.column,
        **constrain_summary(settings),
    }
    if rewrite_info is not None and session.rewriter is not None:
        rc = session.rewrite_counts
        core["rewriter"] = {
            "spec": session.rewriter.spec,
            **rewrite_info.as_dict(),
            "calls": {"total": rc.total, "sent": rc.sent, "cached": rc.cached, "failed": rc.failed},
        }
        run_info["rewriter"] = session.rewriter.spec
    pairs_frame = pd.DataFrame({f: [getattr(p, f) for p in pairs] for f in PAIR_COLUMNS})
    return write_run(session, core, run_info, records, pairs_frame)
