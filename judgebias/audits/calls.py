"""From variants to judge calls, and from stored answers back to records.

:func:`build_calls` renders each variant in the order(s) it needs into a chat request
(prompt mitigations applied); :func:`build_records` joins every call with its stored
answer, read strictly by :mod:`judgebias.prompts.answers`, into one tidy row per call. The
variants of the probes that need a judge's earlier answers (cues targeted by the
control verdict, the judge's own answers for ``self``) and the sharding of pairs are
here too. No call is sent from here: :mod:`judgebias.engine.runner` does that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pandas as pd

from judgebias.engine.store import Store
from judgebias.errors import InputError, UsageError
from judgebias.judges.generation import GenerationSettings
from judgebias.probes.catalog import ProbeSpec, perturb
from judgebias.prompts.answers import VERDICT_LABELS, AnswerReader
from judgebias.prompts.templates import (
    Template,
    answer_reader,
    default_template,
    position_to_label,
    render,
)
from judgebias.types import ChatRequest, Completion, JudgeCall, Order, Pair, Variant

if TYPE_CHECKING:
    from judgebias.corrections.mitigations import Mitigations

__all__ = [
    "CHUNK",
    "ProbesAfterControls",
    "answer_columns",
    "build_calls",
    "build_records",
    "chunked",
    "generation_requests",
    "own_answers_from_file",
    "perturbation_variants",
    "self_variants",
    "shard_pairs",
]


def build_calls(
    variants: list[Variant],
    template: Template,
    settings: GenerationSettings,
    mitigation: Mitigations | None = None,
) -> list[JudgeCall]:
    """Every judge call for these variants: both orders, or the one order a variant targets.

    ``mitigation`` applies the prompt mitigations to the messages and, for ``swap``,
    records each request's swapped-order twin. ``settings`` are the judge's resolved
    generation settings (budget, effort, constraint: :mod:`judgebias.judges.generation`).
    """
    mode = settings.mode
    labels = tuple(VERDICT_LABELS.values()) if mode == "verdict" else ()
    calls: list[JudgeCall] = []
    for v in variants:
        orders: tuple[Order, ...] = (v.only_order,) if v.only_order else ("ab", "ba")
        for order in orders:
            messages = render(template, v, order, mode)
            if mitigation is not None:
                messages = mitigation.messages(messages)
                if mitigation.needs_twin:
                    other: Order = "ba" if order == "ab" else "ab"
                    mitigation.add_twin(
                        messages, mitigation.messages(render(template, v, other, mode))
                    )
            req = settings.request(messages, labels, logprobs=mode == "logprob")
            calls.append(JudgeCall(variant=v, order=order, request=req))
    return calls


def perturbation_variants(
    pairs: list[Pair], specs: list[ProbeSpec], control: pd.DataFrame, seed: int
) -> Iterator[Variant]:
    """Cue and placebo variants for every (pair, order) whose control verdict named an
    answer, generated one at a time."""
    verdicts = {
        (r.pair_id, r.order): r.verdict
        for r in control.itertuples(index=False)
        if r.verdict in ("a", "b")
    }
    for spec in specs:
        for p in pairs:
            for order in ("ab", "ba"):
                v = verdicts.get((p.id, order))
                if v is not None:
                    yield from perturb(p, spec, v, order, seed)  # type: ignore[arg-type]


class ProbesAfterControls:
    """The cue and placebo calls of each (pair, order), built the moment that order's
    control is answered: the runner's follow-ups
    (:func:`judgebias.engine.runner.run_requests`), so the probes are asked while the
    slowest controls are still out instead of after all of them.

    The same calls as :func:`perturbation_variants` then :func:`build_calls` give, and
    :meth:`placed` says where each goes in that order. ``pairs`` may be a block of the
    audit's pairs that starts at the audit's pair ``first``: the places are the audit's.
    """

    def __init__(
        self,
        controls: list[JudgeCall],
        pairs: list[Pair],
        specs: list[ProbeSpec],
        seed: int,
        reader: AnswerReader,
        build: Callable[[list[Variant]], list[JudgeCall]],
        first: int = 0,
    ):
        self._controls: dict[str, list[JudgeCall]] = {}
        for c in controls:
            self._controls.setdefault(c.key(), []).append(c)
        self._pairs = {p.id: (i, p) for i, p in enumerate(pairs, start=first)}
        self._specs = specs
        self._seed = seed
        self._reader = reader
        self._build = build
        self._built: list[tuple[tuple[int, int, int, int], JudgeCall]] = []

    def wants(self, request: ChatRequest) -> bool:
        """Only a control's answer has follow-ups."""
        return request.key() in self._controls

    def __call__(self, request: ChatRequest, completion: Completion) -> list[ChatRequest]:
        out: list[ChatRequest] = []
        for control in self._controls.pop(request.key(), []):
            verdict = position_to_label(self._reader.read(completion).position, control.order)
            if verdict not in ("a", "b"):
                continue
            i, pair = self._pairs[control.variant.pair_id]
            order = 0 if control.order == "ab" else 1
            for s, spec in enumerate(self._specs):
                made = self._build(perturb(pair, spec, verdict, control.order, self._seed))
                for j, call in enumerate(made):
                    self._built.append(((s, i, order, j), call))
                    out.append(call.request)
        return out

    def placed(self) -> list[tuple[tuple[int, int, int, int], JudgeCall]]:
        """Every probe call built so far, made light (:meth:`JudgeCall.light`), with its
        place in the phased audit's order: (probe, pair, order, call). Sorting by it
        gives the calls in that order."""
        return [(place, call.light()) for place, call in self._built]


CHUNK = 20_000
"""Variants rendered, asked and made light at a time: the rendered prompts of one
chunk are all an audit holds in memory, however many pairs it has."""


def chunked(items: Iterable[Variant], size: int | None = None) -> Iterator[list[Variant]]:
    size = size or CHUNK
    batch: list[Variant] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


_RECORD_COLUMNS = (
    "pair_id",
    "probe",
    "kind",
    "variant",
    "target",
    "order",
    "first_shown",
    "status",
    "verdict_position",
    "verdict",
    "p_first",
    "valid",
    "invalid_reason",
    "label_mass",
    "gold",
    "raw",
    "finish_reason",
    "reasoning",
    "reasoning_tokens",
    "error",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
    "latency_s",
    "attempts",
    "request_key",
)


def build_records(
    calls: list[JudgeCall],
    store: Store,
    pairs: list[Pair],
    mode: str = "verdict",
    chunk: int = 20_000,
    reader: AnswerReader | None = None,
) -> pd.DataFrame:
    """One tidy row per judge call, joined with its stored answer, read strictly by
    ``reader`` (by default the bundled template's reader for ``mode``).

    Built column by column, reading the store ``chunk`` answers at a time, so memory
    grows with the table itself and not with per-row dictionaries.
    """
    gold = {p.id: p.gold for p in pairs}
    reader = reader or answer_reader(default_template(), mode)
    cols: dict[str, list[Any]] = {name: [] for name in _RECORD_COLUMNS}
    for start in range(0, len(calls), chunk):
        part = calls[start : start + chunk]
        stored = store.get_many(c.key() for c in part)
        for c in part:
            key = c.key()
            s = stored.get(key)
            comp = s.completion if s is not None and s.status == "ok" else None
            reading = reader.read(comp)
            pos = reading.position
            v = c.variant
            for name, value in (
                ("pair_id", v.pair_id),
                ("probe", v.probe),
                ("kind", v.kind),
                ("variant", v.variant),
                ("target", v.target),
                ("order", c.order),
                ("first_shown", c.first_label),
                ("status", "missing" if s is None else s.status),
                ("verdict_position", pos),
                ("verdict", position_to_label(pos, c.order)),
                ("p_first", reading.p_first),
                ("valid", pos is not None),
                ("invalid_reason", reading.reason),
                ("label_mass", reading.label_mass),
                ("gold", gold.get(v.pair_id)),
                ("raw", comp.text if comp is not None else None),
                ("finish_reason", comp.finish_reason if comp is not None else None),
                ("reasoning", (comp.reasoning or "") if comp is not None else None),
                ("reasoning_tokens", comp.reasoning_tokens if comp is not None else None),
                ("error", s.error if s is not None else None),
                ("prompt_tokens", comp.prompt_tokens if comp is not None else None),
                ("completion_tokens", comp.completion_tokens if comp is not None else None),
                ("cost_usd", comp.cost_usd if comp is not None else None),
                ("latency_s", s.latency_s if s is not None else None),
                ("attempts", s.attempts if s is not None else 0),
                ("request_key", key),
            ):
                cols[name].append(value)
        del stored
    return pd.DataFrame(cols)


def own_answers_from_file(path: str, pairs: list[Pair]) -> dict[str, str]:
    from judgebias.tables.pairs import read_table

    df = read_table(path)
    missing = [c for c in ("id", "response") if c not in df.columns]
    if missing:
        raise InputError(
            path, f"--self-answers needs columns id and response; missing {', '.join(missing)}"
        )
    own = {
        str(r.id): str(r.response)
        for r in df.itertuples(index=False)
        if isinstance(r.response, str) and r.response
    }
    ids = {p.id for p in pairs}
    if not ids & set(own):
        raise InputError(path, "--self-answers: no id matches a pair id of --data")
    return own


def generation_requests(pairs: list[Pair], settings: GenerationSettings) -> dict[str, ChatRequest]:
    """One request per pair asking the judge model to answer the instruction itself."""
    return {p.id: settings.generation_request(p.instruction) for p in pairs}


def self_variants(pairs: list[Pair], own: dict[str, str]) -> list[Variant]:
    """The judge's own answer (shown as response_a) against each of the pair's responses."""
    out = []
    for p in pairs:
        mine = own.get(p.id)
        if not mine:
            continue
        for other, text in (("a", p.response_a), ("b", p.response_b)):
            out.append(
                Variant(
                    pair_id=p.id,
                    probe="self",
                    kind="self",
                    instruction=p.instruction,
                    response_a=mine,
                    response_b=text,
                    variant=f"vs-{other}",
                    target="a",
                )
            )
    return out


def shard_pairs(pairs: list[Pair], shard: str) -> list[Pair]:
    """The pairs of shard ``i/n``: those whose id hashes to i-1 modulo n.

    Deterministic and independent of file order, so n machines running shards
    1/n ... n/n cover every pair exactly once; ``judgebias merge`` joins their stores.
    """
    import hashlib

    try:
        i_text, n_text = shard.split("/")
        i, n = int(i_text), int(n_text)
    except ValueError:
        raise UsageError(f"--shard: '{shard}' is not of the form i/n (e.g. 2/8)") from None
    if not 1 <= i <= n:
        raise UsageError(f"--shard: {shard}: i must be between 1 and n")

    def bucket(pid: str) -> int:
        return int.from_bytes(hashlib.sha256(pid.encode("utf-8")).digest()[:8], "big") % n

    return [p for p in pairs if bucket(p.id) == i - 1]


def answer_columns(stored: Any, key: str) -> dict[str, Any]:
    """The record columns every format takes from one stored answer (or its absence)."""
    s = stored
    comp = s.completion if s is not None and s.status == "ok" else None
    return {
        "status": "missing" if s is None else s.status,
        "raw": comp.text if comp is not None else None,
        "error": s.error if s is not None else None,
        "prompt_tokens": comp.prompt_tokens if comp is not None else None,
        "completion_tokens": comp.completion_tokens if comp is not None else None,
        "cost_usd": comp.cost_usd if comp is not None else None,
        "latency_s": s.latency_s if s is not None else None,
        "attempts": s.attempts if s is not None else 0,
        "request_key": key,
    }
