"""Rewritten cues (``kind: rewrite`` probes, ``--rewriter SPEC``): sentiment and fallacy.

A rewrite probe's cue and placebo texts are prompts to a *rewriter* model: each asks
for one response rewritten (in a tone; with its reasoning corrupted; or, as the
placebo, neutrally paraphrased), the response given in a ``[Response to rewrite]``
block. The rewriter is any judge spec (``--rewriter sim`` is the simulated judge's
deterministic rewriter); its requests go through the same runner, store, cache,
retries and cost cap as the judge's, under the label ``rewrites``.

A rewrite that changes the content is discarded and counted: where the task is
checkable (:func:`judgebias.sim.checkers.check`) the rewrite must state the same
answer as the original, and everywhere its length must stay within
:data:`LENGTH_BOUNDS` of the original's. A unit whose cue or placebo rewrite is
discarded is left out (``n_discarded`` and the reasons are in the summary).

Designs:

- **perturbation-like** (``sentiment``): for every (pair, order) whose control verdict
  named an answer, one cue (seeded) and the placebo rewrite the answer the cue's
  direction picks (``toward``: the one the verdict was against; ``away``: the one it
  favoured); the rewrite replaces it. Figures as for any perturbation probe, each unit
  in its cue's direction.
- **fallacy**: for every answer of every pair, the judge compares the placebo
  (paraphrase: sound reasoning) with the cue (same final answer, corrupted reasoning),
  in both orders; the sound one is the correct verdict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from judgebias.probes.catalog import ProbeSpec, ProbeText, seeded_pick
from judgebias.prompts.rewrite import render_rewrite
from judgebias.stats.rewrite import rewrite_figures as rewrite_figures  # moved to stats/
from judgebias.types import ChatRequest, Pair, Variant

__all__ = [
    "LENGTH_BOUNDS",
    "RewriteInfo",
    "check_rewrite",
    "rewrite_figures",
    "rewrite_probes",
    "rewrite_request",
    "rewrite_variants",
]

LENGTH_BOUNDS = (0.5, 3.0)
"""A rewrite's length over the original's must lie in this range (characters; an original
under 80 characters counts as 80 for the upper bound and has no lower one)."""


def rewrite_request(t: ProbeText, instruction: str, answer: str, model: str) -> ChatRequest:
    """The rewriter's request: the probe text, the instruction, the response to rewrite."""
    user = render_rewrite(t.text, instruction, answer)
    return ChatRequest(model=model, messages=(("user", user),), temperature=0.0, max_tokens=2048)


def check_rewrite(instruction: str, original: str, rewritten: str | None) -> str | None:
    """Why a rewrite is discarded (``None``: kept)."""
    from judgebias.sim.checkers import check

    if rewritten is None:
        return "rewriter call failed"
    if not rewritten.strip():
        return "empty rewrite"
    ratio = len(rewritten) / max(80, len(original))
    if ratio > LENGTH_BOUNDS[1] or (
        len(original) >= 80 and len(rewritten) / len(original) < LENGTH_BOUNDS[0]
    ):
        return "length out of bounds"
    if check(instruction, original, rewritten) is not None:
        return "answer changed (checked task)"
    return None


@dataclass
class RewriteInfo:
    """What the rewriting did, for summary.json and the report."""

    requested: int = 0
    discarded: dict[str, Counter[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "n_discarded": {k: sum(v.values()) for k, v in self.discarded.items()},
            "discarded": {k: dict(v) for k, v in self.discarded.items()},
        }


@dataclass(frozen=True)
class _Job:
    pair: Pair
    spec: ProbeSpec
    cue: ProbeText
    placebo: ProbeText
    target: Literal["a", "b"]
    order: str | None  # None: the fallacy design (both orders)


def _jobs(
    pairs: list[Pair], specs: list[ProbeSpec], control: pd.DataFrame, seed: int
) -> list[_Job]:
    ctrl = control[control["kind"] == "control"]  # the records may hold other probes' too
    verdicts: dict[tuple[str, str], str] = {
        (str(r.pair_id), str(r.order)): str(r.verdict)
        for r in ctrl.itertuples(index=False)
        if r.verdict in ("a", "b")
    }
    jobs: list[_Job] = []
    for spec in specs:
        placebo = spec.placebos[0]
        for p in pairs:
            if spec.name == "fallacy" or spec.bias == "fallacy":
                for side in ("a", "b"):
                    cue = spec.cues[seeded_pick(len(spec.cues), seed, spec.name, "cue", p.id, side)]
                    jobs.append(_Job(p, spec, cue, placebo, side, None))
                continue
            for order in ("ab", "ba"):
                v = verdicts.get((p.id, order))
                if v is None:
                    continue
                cue = spec.cues[seeded_pick(len(spec.cues), seed, spec.name, "cue", p.id, order)]
                toward = (cue.direction or spec.direction) == "toward"
                loser: Literal["a", "b"] = "b" if v == "a" else "a"
                target: Literal["a", "b"] = loser if toward else ("a" if v == "a" else "b")
                jobs.append(_Job(p, spec, cue, placebo, target, order))
    return jobs


async def rewrite_variants(
    pairs: list[Pair],
    specs: list[ProbeSpec],
    control: pd.DataFrame,
    seed: int,
    model: str,
    send: Callable[[list[ChatRequest], str], Awaitable[Any]],
    store: Any,
) -> tuple[list[Variant], RewriteInfo]:
    """Ask the rewriter for every rewrite the units need, check them, and return the judge's
    variants (cue and placebo per kept unit) with what was discarded."""
    jobs = _jobs(pairs, specs, control, seed)
    reqs: dict[tuple[str, str, str, str], ChatRequest] = {}
    for j in jobs:
        answer = j.pair.response_a if j.target == "a" else j.pair.response_b
        for t in (j.cue, j.placebo):
            reqs[(j.spec.name, t.id, j.pair.id, j.target)] = rewrite_request(
                t, j.pair.instruction, answer, model
            )
    info = RewriteInfo(requested=len({r.key() for r in reqs.values()}))
    if reqs:
        await send(list(reqs.values()), "rewrites")
    stored = store.get_many(r.key() for r in reqs.values())

    def text(key: tuple[str, str, str, str]) -> str | None:
        s = stored.get(reqs[key].key())
        return s.completion.text if s is not None and s.completion is not None else None

    out: list[Variant] = []
    for j in jobs:
        answer = j.pair.response_a if j.target == "a" else j.pair.response_b
        got = {t.id: text((j.spec.name, t.id, j.pair.id, j.target)) for t in (j.cue, j.placebo)}
        reasons = [check_rewrite(j.pair.instruction, answer, got[t.id]) for t in (j.cue, j.placebo)]
        bad = next((r for r in reasons if r is not None), None)
        if bad is not None:
            info.discarded.setdefault(j.spec.name, Counter())[bad] += 1
            continue
        cue_text, plc_text = got[j.cue.id] or "", got[j.placebo.id] or ""
        if j.order is None:  # fallacy: the sound paraphrase (a) against the corrupted one (b)
            out.append(
                Variant(
                    pair_id=j.pair.id,
                    probe=j.spec.name,
                    kind="cue",
                    instruction=j.pair.instruction,
                    response_a=plc_text,
                    response_b=cue_text,
                    variant=j.cue.id,
                    target=j.target,
                    inserted=cue_text,
                )
            )
            continue
        for kind, new, t in (("cue", cue_text, j.cue), ("placebo", plc_text, j.placebo)):
            ra = new if j.target == "a" else j.pair.response_a
            rb = new if j.target == "b" else j.pair.response_b
            out.append(
                Variant(
                    pair_id=j.pair.id,
                    probe=j.spec.name,
                    kind=kind,  # type: ignore[arg-type]
                    instruction=j.pair.instruction,
                    response_a=ra,
                    response_b=rb,
                    variant=t.id,
                    target=j.target,
                    inserted=new,
                    only_order=j.order,  # type: ignore[arg-type]
                )
            )
    return out, info


def rewrite_probes(
    probes: list[ProbeSpec], requested: list[str], rewriter: str | None
) -> list[ProbeSpec]:
    """The probes an audit keeps: rewrite probes only with ``--rewriter`` (those named in
    ``--probes`` without it are an error; ``all`` leaves them out)."""
    from judgebias.errors import UsageError

    if rewriter:
        return probes
    named = [p.name for p in probes if p.kind == "rewrite" and p.name in requested]
    if named:
        raise UsageError(
            f"--probes {named[0]}: needs --rewriter SPEC, the model that rewrites the responses "
            "(--rewriter sim for the simulated judge's rewriter)"
        )
    return [p for p in probes if p.kind != "rewrite"]
