"""The audit pipeline: pairs -> variants -> calls -> runner/store -> records -> summary.

:func:`run_audit` is what ``judgebias audit`` and the notebook's
``judgebias.audit`` call. It writes one run folder: the SQLite store,
``records.parquet`` (one tidy row per judge call), ``summary.json`` and
``report.html``. Re-running the same audit into the same folder sends only what
is missing.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__
from .data import bundled_pairs_path, load_pairs
from .errors import InputError, UsageError
from .judges.base import JudgeOptions, make_judge, parse_spec
from .probes import ProbeSpec, control_variant, load_probe_file, perturb, resolve_probes
from .prompts import (
    Template,
    default_template,
    load_template,
    parse_logprob_preference,
    parse_verdict,
    position_to_label,
    render,
)
from .runner import RunnerConfig, run_requests
from .stats.intervals import bh_adjust
from .stats.perturbation import perturbation_stats
from .stats.position import position_stats
from .store import STORE_NAME, Store
from .types import ChatRequest, JudgeCall, Order, Pair, Variant

__all__ = ["AuditConfig", "AuditOutcome", "build_calls", "build_records", "run_audit", "summarize"]

MODES = ("verdict", "logprob")


@dataclass
class AuditConfig:
    judge: str
    data: str | None = None
    probes: list[str] = field(default_factory=lambda: ["position"])
    probe_files: list[str] = field(default_factory=list)
    gold_judge: str | None = None
    self_answers: str | None = None
    out: str = "judgebias-run"
    concurrency: int = 8
    limit: int | None = None
    seed: int = 0
    base_urls: list[str] = field(default_factory=list)
    template: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    mode: str = "verdict"
    timeout: float = 60.0
    max_attempts: int = 8
    quiet: bool = False
    command: str | None = None
    write_report: bool = True


@dataclass
class AuditOutcome:
    out: Path
    summary: dict[str, Any]
    records: pd.DataFrame
    pairs: list[Pair]


def build_calls(variants: list[Variant], template: Template, model: str, mode: str) -> list[JudgeCall]:
    """Every judge call for these variants: both orders, or the one order a variant targets."""
    calls: list[JudgeCall] = []
    for v in variants:
        orders: tuple[Order, ...] = (v.only_order,) if v.only_order else ("ab", "ba")
        for order in orders:
            req = ChatRequest(
                model=model,
                messages=render(template, v, order, mode),
                temperature=0.0,
                max_tokens=1 if mode == "logprob" else 512,
                logprobs=mode == "logprob",
                top_logprobs=5 if mode == "logprob" else None,
            )
            calls.append(JudgeCall(variant=v, order=order, request=req))
    return calls


def perturbation_variants(
    pairs: list[Pair], specs: list[ProbeSpec], control: pd.DataFrame, seed: int
) -> list[Variant]:
    """Cue and placebo variants for every (pair, order) whose control verdict named an answer."""
    verdicts = {
        (r.pair_id, r.order): r.verdict
        for r in control.itertuples(index=False)
        if r.verdict in ("a", "b")
    }
    out: list[Variant] = []
    for spec in specs:
        for p in pairs:
            for order in ("ab", "ba"):
                v = verdicts.get((p.id, order))
                if v is not None:
                    out.extend(perturb(p, spec, v, order, seed))  # type: ignore[arg-type]
    return out


def build_records(calls: list[JudgeCall], store: Store, pairs: list[Pair]) -> pd.DataFrame:
    """One tidy row per judge call, joined with its stored answer."""
    gold = {p.id: p.gold for p in pairs}
    stored = store.get_many(c.request.key() for c in calls)
    rows: list[dict[str, Any]] = []
    for c in calls:
        key = c.request.key()
        s = stored.get(key)
        comp = s.completion if s is not None and s.status == "ok" else None
        pos = parse_verdict(comp.text) if comp is not None else None
        p_first = parse_logprob_preference(comp.top_logprobs) if comp is not None else None
        if pos is None and p_first is not None:
            pos = "first" if p_first > 0.5 else "second" if p_first < 0.5 else "tie"
        v = c.variant
        rows.append({
            "pair_id": v.pair_id,
            "probe": v.probe,
            "kind": v.kind,
            "variant": v.variant,
            "target": v.target,
            "order": c.order,
            "first_shown": c.first_label,
            "status": "missing" if s is None else s.status,
            "verdict_position": pos,
            "verdict": position_to_label(pos, c.order),
            "p_first": p_first,
            "valid": pos is not None,
            "gold": gold.get(v.pair_id),
            "raw": comp.text if comp is not None else None,
            "error": s.error if s is not None else None,
            "prompt_tokens": comp.prompt_tokens if comp is not None else None,
            "completion_tokens": comp.completion_tokens if comp is not None else None,
            "cost_usd": comp.cost_usd if comp is not None else None,
            "latency_s": s.latency_s if s is not None else None,
            "attempts": s.attempts if s is not None else 0,
            "request_key": key,
        })
    return pd.DataFrame(rows)


def _own_answers_from_file(path: str, pairs: list[Pair]) -> dict[str, str]:
    from .data import read_table

    df = read_table(path)
    missing = [c for c in ("id", "response") if c not in df.columns]
    if missing:
        raise InputError(path, f"--self-answers needs columns id and response; missing {', '.join(missing)}")
    own = {str(r.id): str(r.response) for r in df.itertuples(index=False) if isinstance(r.response, str) and r.response}
    ids = {p.id for p in pairs}
    if not ids & set(own):
        raise InputError(path, "--self-answers: no id matches a pair id of --data")
    return own


def generation_requests(pairs: list[Pair], model: str) -> dict[str, ChatRequest]:
    """One request per pair asking the judge model to answer the instruction itself."""
    return {
        p.id: ChatRequest(model=model, messages=(("user", p.instruction),), temperature=0.0,
                          max_tokens=1024)
        for p in pairs
    }


def self_variants(pairs: list[Pair], own: dict[str, str]) -> list[Variant]:
    """The judge's own answer (shown as response_a) against each of the pair's responses."""
    out = []
    for p in pairs:
        mine = own.get(p.id)
        if not mine:
            continue
        for other, text in (("a", p.response_a), ("b", p.response_b)):
            out.append(Variant(pair_id=p.id, probe="self", kind="self", instruction=p.instruction,
                               response_a=mine, response_b=text, variant=f"vs-{other}", target="a"))
    return out


def self_stats(records: pd.DataFrame) -> dict[str, Any]:
    """DBG of the judge (kind ``self``) against the gold judge (kind ``self-gold``), as fractions."""
    from .stats.dbg import dbg

    def pref(kind: str) -> pd.Series:
        r = records[(records["probe"] == "self") & (records["kind"] == kind)].copy()
        r["own"] = r["verdict"].map({"a": 1.0, "b": 0.0, "tie": 0.5})
        return r.groupby(["pair_id", "variant"])["own"].mean()

    both = pd.concat({"judge": pref("self"), "gold": pref("self-gold")}, axis=1).dropna()
    if both.empty:
        nan = math.nan
        return {"dbg": nan, "ci_low": nan, "ci_high": nan, "p_value": nan, "n": 0}
    frame = both.reset_index()
    res = dbg(frame, judge_col="judge", gold_col="gold", item_col="pair_id").iloc[0]
    return {
        "dbg": res["dbg"] / 100.0, "ci_low": res["ci_low"] / 100.0,
        "ci_high": res["ci_high"] / 100.0, "p_value": float(res["p_value"]), "n": int(res["n"]),
        "n_items": int(res["n_items"]), "judge_win_rate": res["judge_win_rate"] / 100.0,
        "gold_win_rate": res["gold_win_rate"] / 100.0,
    }


def _severity(effect: float, p_adj: float) -> str:
    if math.isnan(effect) or math.isnan(p_adj) or p_adj >= 0.05:
        return "not detected"
    a = abs(effect)
    return "strong" if a >= 0.15 else "moderate" if a >= 0.05 else "slight"


def _clean(obj: Any) -> Any:
    """JSON-safe: NaN -> null, numpy scalars -> Python."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, str):
        obj = obj.item()
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    return obj


def summarize(records: pd.DataFrame, probes: list[ProbeSpec]) -> dict[str, Any]:
    """The probe figures of a run (the ``probes`` part of summary.json), BH-adjusted."""
    out: dict[str, Any] = {}
    ctrl = records[records["kind"] == "control"]
    wide = ctrl.pivot_table(index="pair_id", columns="order", values="verdict",
                            aggfunc="first", dropna=False)
    wide = wide.reindex(columns=["ab", "ba"])
    gold = ctrl.groupby("pair_id")["gold"].first()
    frame = pd.DataFrame({"verdict_ab": wide["ab"], "verdict_ba": wide["ba"],
                          "gold": gold.reindex(wide.index)})
    pos = position_stats(frame)
    names = [p.name for p in probes]
    if "position" in names:
        out["position"] = {k: pos[k] for k in (
            "effect", "ci_low", "ci_high", "p_value", "n", "consistency", "primacy", "recency",
            "consistency_ci_low", "consistency_ci_high", "preference_fairness", "n_pairs",
            "n_invalid", "n_primacy", "n_recency", "n_consistent",
            "accuracy", "accuracy_first", "accuracy_second")}
    for spec in probes:
        if spec.kind == "perturbation":
            fig = perturbation_stats(records, spec.name, spec.direction)
            fig["direction"] = spec.direction
            out[spec.name] = fig
        elif spec.kind == "self":
            out[spec.name] = self_stats(records)
    names = list(out)
    adjusted = bh_adjust([out[n]["p_value"] for n in names])
    for n, q in zip(names, adjusted, strict=True):
        out[n]["p_adjusted"] = q
        out[n]["severity"] = _severity(out[n].get("effect", out[n].get("dbg", math.nan)), q)
    out["_accuracy"] = pos
    return out


def _planted(judge_spec: str) -> dict[str, Any] | None:
    kind, rest = parse_spec(judge_spec)
    if kind != "sim":
        return None
    from .judges.simulated import parse_sim_params

    return asdict(parse_sim_params(rest))


async def run_audit_async(cfg: AuditConfig) -> AuditOutcome:
    if cfg.mode not in MODES:
        raise UsageError(f"--mode: '{cfg.mode}' is not one of {', '.join(MODES)}")
    if cfg.concurrency < 1:
        raise UsageError("--concurrency: must be at least 1")
    if cfg.limit is not None and cfg.limit < 1:
        raise UsageError("--limit: must be at least 1")
    extra = [load_probe_file(f) for f in cfg.probe_files]
    probes = resolve_probes(cfg.probes, extra=extra)
    template = load_template(cfg.template) if cfg.template else default_template()
    data_path = cfg.data or str(bundled_pairs_path())
    pairs = load_pairs(data_path, mapping=cfg.mapping or None, limit=cfg.limit)
    wants_self = any(p.kind == "self" for p in probes)
    if wants_self and not cfg.gold_judge:
        raise UsageError("--probes self: needs --gold-judge SPEC to score the judge's own answers")
    judge = make_judge(cfg.judge, JudgeOptions(base_urls=cfg.base_urls, timeout=cfg.timeout))
    gold_judge = (
        make_judge(cfg.gold_judge, JudgeOptions(base_urls=cfg.base_urls, timeout=cfg.timeout))
        if wants_self and cfg.gold_judge else None
    )
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    try:
        runner_cfg = RunnerConfig(concurrency=cfg.concurrency, timeout=cfg.timeout,
                                  max_attempts=cfg.max_attempts, progress=not cfg.quiet)
        calls = build_calls([control_variant(p) for p in pairs], template, judge.model, cfg.mode)
        with Store(out / STORE_NAME) as store:
            store.set_meta("judge", judge.spec)
            # phase 1: the controls, shared by every probe
            counts = await run_requests([c.request for c in calls], judge, store, runner_cfg,
                                        label="controls")
            records = build_records(calls, store, pairs)
            # phase 2: cues and placebos, targeted by each order's control verdict
            pert = [s for s in probes if s.kind == "perturbation"]
            if pert:
                more = build_calls(perturbation_variants(pairs, pert, records, cfg.seed),
                                   template, judge.model, cfg.mode)
                counts = counts.merged(await run_requests(
                    [c.request for c in more], judge, store, runner_cfg, label="probes"))
                calls += more
                records = build_records(calls, store, pairs)
            # the self probe: own answers, judged by the judge and by the gold judge
            if wants_self and gold_judge is not None:
                if cfg.self_answers:
                    own = _own_answers_from_file(cfg.self_answers, pairs)
                else:
                    gen = generation_requests(pairs, judge.model)
                    counts = counts.merged(await run_requests(
                        list(gen.values()), judge, store, runner_cfg, label="own answers"))
                    got = store.get_many(r.key() for r in gen.values())
                    own = {pid: s.completion.text for pid, r in gen.items()
                           if (s := got.get(r.key())) and s.completion is not None}
                sv = self_variants(pairs, own)
                mine = build_calls(sv, template, judge.model, cfg.mode)
                gold_sv = [replace(v, kind="self-gold") for v in sv]
                theirs = build_calls(gold_sv, template, gold_judge.model, cfg.mode)
                counts = counts.merged(await run_requests(
                    [c.request for c in mine], judge, store, runner_cfg, label="self"))
                counts = counts.merged(await run_requests(
                    [c.request for c in theirs], gold_judge, store, runner_cfg, label="self (gold)"))
                calls += mine + theirs
                records = build_records(calls, store, pairs)
    finally:
        await judge.aclose()
        if gold_judge is not None:
            await gold_judge.aclose()

    probe_figs = summarize(records, probes)
    acc = probe_figs.pop("_accuracy")
    uniq = records.drop_duplicates("request_key")
    failed = int((uniq["status"] != "ok").sum())
    pt = uniq["prompt_tokens"].dropna()
    ct = uniq["completion_tokens"].dropna()
    costs = uniq["cost_usd"].dropna()
    summary: dict[str, Any] = {
        "judge": judge.spec,
        "n_pairs": len(pairs),
        "accuracy": acc["accuracy"],
        "accuracy_ci": [acc["accuracy_ci_low"], acc["accuracy_ci_high"]],
        "probes": probe_figs,
        "calls": {"total": counts.total, "sent": counts.sent, "cached": counts.cached,
                  "failed": failed, "attempts": counts.attempts, "retried": counts.retried,
                  "errors": counts.errors, "records": len(records)},
        "tokens": {"prompt": int(pt.sum()), "completion": int(ct.sum()),
                   "total": int(pt.sum() + ct.sum())},
        "cost_usd": float(costs.sum()) if len(costs) else None,
        "run": {
            "judgebias_version": __version__,
            "data": data_path,
            "template": cfg.template or "bundled:" + template.name,
            "mode": cfg.mode,
            "seed": cfg.seed,
            "probes": [p.name for p in probes],
            "probe_files": list(cfg.probe_files),
            "gold_judge": cfg.gold_judge,
            "self_answers": cfg.self_answers,
            "concurrency": cfg.concurrency,
            "command": cfg.command,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "seconds": round(time.time() - started, 3),
            "simulated": _planted(cfg.judge) is not None,
            "planted": _planted(cfg.judge),
        },
    }
    summary = _clean(summary)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    records.to_parquet(out / "records.parquet", index=False)
    pd.DataFrame([asdict(p) for p in pairs]).to_parquet(out / "pairs.parquet", index=False)
    if cfg.write_report:
        from .report.render import write_report

        write_report(out)
    return AuditOutcome(out=out, summary=summary, records=records, pairs=pairs)


def run_audit(cfg: AuditConfig) -> AuditOutcome:
    """Run an audit to completion; safe to call inside a running event loop (Jupyter)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run_audit_async(cfg))
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        return ex.submit(lambda: asyncio.run(run_audit_async(cfg))).result()


def command_line() -> str:
    return " ".join(sys.argv)
