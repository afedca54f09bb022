"""The values that flow through judgebias: pairs -> variants -> calls -> records.

All are frozen dataclasses; stages take one and return the next.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

from judgebias.jsonfast import canonical

__all__ = [
    "ChatRequest",
    "Completion",
    "Constraint",
    "JudgeCall",
    "Label",
    "LogprobStep",
    "Order",
    "Pair",
    "Variant",
    "Verdict",
]

Label = Literal["a", "b", "tie"]
"""A verdict or gold label in the pair's own terms: response_a, response_b or a tie."""

Order = Literal["ab", "ba"]
"""Presentation order: ``ab`` shows response_a first, ``ba`` shows response_b first."""


@dataclass(frozen=True)
class Pair:
    """One pairwise comparison: an instruction and two candidate responses."""

    id: str
    instruction: str
    response_a: str
    response_b: str
    gold: Label | None = None
    model_a: str | None = None
    model_b: str | None = None


@dataclass(frozen=True)
class Variant:
    """A pair as one probe condition presents it to the judge.

    ``kind`` is ``control`` (the pair unchanged; shared by every probe of a run),
    ``cue`` (the bias cue attached to ``target``) or ``placebo`` (an edit of the
    same size and place that carries no cue). ``inserted`` is the exact text the
    probe added, kept for the report's highlighting. The ``self`` probe's kinds are
    described in :mod:`judgebias.probes.selfprobe`.
    """

    pair_id: str
    probe: str
    kind: Literal[
        "control",
        "cue",
        "placebo",
        "self",
        "self-gold",
        "self-paraphrased",
        "self-placebo-paraphrased",
    ]
    instruction: str
    response_a: str
    response_b: str
    variant: str = ""
    target: Literal["a", "b"] | None = None
    system_note: str | None = None
    user_note: str | None = None
    inserted: str | None = None
    only_order: Order | None = None
    """When set, the variant is asked in this order only (perturbations target one order)."""


@dataclass(frozen=True)
class Constraint:
    """What a constrained request asks the server to restrict the answer to (``--constrain``).

    ``kind`` is ``json``, ``choice``, ``grammar`` or ``logit-bias``; ``dialect`` the request
    fields that carry it (see :mod:`judgebias.judges.constraints`); ``labels`` the answers
    allowed; ``key`` the JSON key that holds the verdict (``verdict``, ``rating``);
    ``reasoning`` asks for a ``reasoning`` string before it; ``token_ids`` are the labels'
    token ids (``logit-bias`` only).
    """

    kind: str
    dialect: str
    labels: tuple[str, ...] = ()
    key: str = "verdict"
    reasoning: bool = False
    token_ids: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "kind": self.kind,
            "dialect": self.dialect,
            "labels": list(self.labels),
            "key": self.key,
            "reasoning": self.reasoning,
        }
        if self.token_ids:
            d["token_ids"] = list(self.token_ids)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Constraint:
        return cls(
            kind=str(d["kind"]),
            dialect=str(d["dialect"]),
            labels=tuple(str(x) for x in d.get("labels") or ()),
            key=str(d.get("key") or "verdict"),
            reasoning=bool(d.get("reasoning", False)),
            token_ids=tuple(int(x) for x in d.get("token_ids") or ()),
        )


@dataclass(frozen=True)
class ChatRequest:
    """Everything that changes a judge's answer. Its :meth:`key` identifies it in the store.

    Credentials and endpoints are deliberately not part of it: the same request to
    two replicas of one model is the same request.
    """

    model: str
    messages: tuple[tuple[str, str], ...]
    temperature: float = 0.0
    max_tokens: int | None = None
    logprobs: bool = False
    top_logprobs: int | None = None
    seed: int | None = None
    sample: int = 0
    reasoning_effort: str | None = None
    """``low``/``medium``/``high`` for reasoning judges (``--reasoning-effort``); part of the
    key only when set, so the keys of requests without it are what they always were."""
    constraint: Constraint | None = None
    """The server-side restriction of the answer (``--constrain``); part of the key only
    when set, like ``reasoning_effort``."""

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": r, "content": c} for r, c in self.messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "logprobs": self.logprobs,
            "top_logprobs": self.top_logprobs,
            "seed": self.seed,
            "sample": self.sample,
        }
        if self.reasoning_effort is not None:
            d["reasoning_effort"] = self.reasoning_effort
        if self.constraint is not None:
            d["constraint"] = self.constraint.as_dict()
        return d

    @functools.cached_property
    def canonical_json(self) -> str:
        """The request as compact JSON with sorted keys: what the store keeps and the key
        hashes. Kept once computed (the key needs it, then the store): an audit holds
        one chunk of requests at a time and makes its calls light once answered
        (:meth:`JudgeCall.light`), so this costs memory per chunk, not per run."""
        return canonical(self.as_dict()).decode("utf-8")

    @functools.cached_property
    def _key(self) -> str:
        return hashlib.sha256(self.canonical_json.encode("utf-8")).hexdigest()

    def key(self) -> str:
        """The cache key: a SHA-256 of :attr:`canonical_json` (computed once per request)."""
        return self._key

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ChatRequest:
        return cls(
            model=d["model"],
            messages=tuple((m["role"], m["content"]) for m in d["messages"]),
            temperature=d.get("temperature", 0.0),
            max_tokens=d.get("max_tokens"),
            logprobs=bool(d.get("logprobs", False)),
            top_logprobs=d.get("top_logprobs"),
            seed=d.get("seed"),
            sample=d.get("sample", 0),
            reasoning_effort=d.get("reasoning_effort"),
            constraint=Constraint.from_dict(d["constraint"]) if d.get("constraint") else None,
        )


LogprobStep = tuple[str, float, tuple[tuple[str, float], ...]]
"""One generated token: (token, its logprob, the top alternatives at that position)."""


@dataclass(frozen=True)
class Verdict:
    """A verdict already read, in the positions of the request it answers: what a
    combining judge (:mod:`judgebias.corrections.mitigations`) answers. The answer reader takes it
    as it is instead of parsing the completion's text."""

    position: str | None
    """``first``, ``second``, ``tie``, or None when no verdict could be formed."""
    p_first: float | None = None
    reason: str | None = None
    """Why there is no verdict (a reason of :mod:`judgebias.prompts.answers`), else None."""

    def as_dict(self) -> dict[str, Any]:
        return {"position": self.position, "p_first": self.p_first, "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Verdict:
        return cls(position=d.get("position"), p_first=d.get("p_first"), reason=d.get("reason"))


@dataclass(frozen=True)
class Completion:
    """A judge's answer to one request.

    ``text`` is the final answer only: a reasoning judge's reasoning (an inline
    ``<think>`` block or a ``reasoning_content``/``reasoning``/``thinking`` field) is
    kept apart in ``reasoning``, and ``reasoning_tokens`` is the provider's count of
    them (``usage.completion_tokens_details.reasoning_tokens``) when it reports one.
    ``completion_tokens`` is what the provider bills as completion, reasoning included.
    """

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    top_logprobs: tuple[tuple[str, float], ...] | None = None
    """Alternatives for the first generated token: (token, logprob)."""
    model: str | None = None
    finish_reason: str | None = None
    cost_usd: float | None = None
    logprob_steps: tuple[LogprobStep, ...] | None = None
    """Every generated token with its alternatives, when the endpoint returned logprobs."""
    reasoning: str | None = None
    """A reasoning model's reasoning, kept apart from the answer in ``text``."""
    reasoning_tokens: int | None = None
    """The provider's count of reasoning tokens (included in ``completion_tokens``)."""
    verdict: Verdict | None = None
    """Set by a combining judge only: the verdict it formed, taken as read (``text``
    then explains how it was formed). A Python judge function's pairwise verdict too."""
    returned: Any = field(default=None, hash=False)
    """What a Python judge function returned (JSON-safe), kept as it was."""

    def as_dict(self) -> dict[str, Any]:
        # optional keys only when present: a store written before them reads the same
        extra: dict[str, Any] = {}
        if self.logprob_steps is not None:
            extra["logprob_steps"] = [
                [tok, lp, [list(a) for a in alts]] for tok, lp, alts in self.logprob_steps
            ]
        if self.reasoning is not None:
            extra["reasoning"] = self.reasoning
        if self.reasoning_tokens is not None:
            extra["reasoning_tokens"] = self.reasoning_tokens
        if self.verdict is not None:
            extra["verdict"] = self.verdict.as_dict()
        if self.returned is not None:
            extra["returned"] = self.returned
        return {
            "text": self.text,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "top_logprobs": [list(t) for t in self.top_logprobs] if self.top_logprobs else None,
            "model": self.model,
            "finish_reason": self.finish_reason,
            "cost_usd": self.cost_usd,
            **extra,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Completion:
        tl = d.get("top_logprobs")
        steps = d.get("logprob_steps")
        return cls(
            text=d.get("text") or "",
            prompt_tokens=d.get("prompt_tokens"),
            completion_tokens=d.get("completion_tokens"),
            top_logprobs=tuple((str(t), float(lp)) for t, lp in tl) if tl else None,
            model=d.get("model"),
            finish_reason=d.get("finish_reason"),
            cost_usd=d.get("cost_usd"),
            logprob_steps=tuple(
                (str(tok), float(lp), tuple((str(t), float(x)) for t, x in alts))
                for tok, lp, alts in steps
            )
            if steps
            else None,
            reasoning=d.get("reasoning"),
            reasoning_tokens=d.get("reasoning_tokens"),
            verdict=Verdict.from_dict(d["verdict"]) if d.get("verdict") else None,
            returned=d.get("returned"),
        )


@dataclass(frozen=True)
class JudgeCall:
    """One request the audit needs: a variant shown in one order, built into a chat request."""

    variant: Variant
    order: Order
    request: ChatRequest
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    request_key: str = ""
    """The request's key, kept when the call has been made light (see :meth:`light`)."""

    def key(self) -> str:
        return self.request_key or self.request.key()

    def light(self) -> JudgeCall:
        """The same call without its texts and rendered prompt: what the records need
        once the request has been answered (keeps memory flat over long runs)."""
        v = self.variant
        bare = Variant(
            pair_id=v.pair_id,
            probe=v.probe,
            kind=v.kind,
            instruction="",
            response_a="",
            response_b="",
            variant=v.variant,
            target=v.target,
            only_order=v.only_order,
        )
        return JudgeCall(
            variant=bare, order=self.order, request=_NO_REQUEST, request_key=self.key()
        )

    @property
    def first_label(self) -> Literal["a", "b"]:
        """The original label of the response shown first."""
        return "a" if self.order == "ab" else "b"


_NO_REQUEST = ChatRequest(model="", messages=())
