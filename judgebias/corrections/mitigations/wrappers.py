"""The wrapper mitigations (``swap``, ``multi-sample``, ``jury``): a
:class:`MitigatedJudge` combines the verdicts of its leaf requests (see
:mod:`judgebias.corrections.mitigations`); the runner expands it."""

from __future__ import annotations

import abc
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from judgebias.corrections.mitigations.plan import MitigationPlan
from judgebias.corrections.mitigations.prompts import Messages
from judgebias.errors import UsageError
from judgebias.judges.base import Judge
from judgebias.prompts.answers import AnswerReader, Position
from judgebias.types import ChatRequest, Completion, Verdict

__all__ = ["MitigatedJudge", "Vote", "aggregate", "build_node", "vote_to_verdict"]


@dataclass(frozen=True)
class Vote:
    """One (possibly combined) verdict, in the positions of the request it answers."""

    pos: Position | None
    p_first: float | None = None
    detail: str = ""
    reason: str | None = None
    """Why there is no verdict (``pos`` None): the leaves' reason when they share one."""


_FLIP: dict[str, Position] = {"first": "second", "second": "first", "tie": "tie"}
_SHOW = {"first": "A", "second": "B", "tie": "tie", None: "unparseable"}
_EPS = 1e-9


def _pos_of_p(p: float) -> Position:
    return "first" if p > 0.5 + _EPS else "second" if p < 0.5 - _EPS else "tie"


def _shared(votes: Sequence[Vote]) -> str | None:
    """The one reason all these votes lack a verdict for, else None."""
    reasons = {v.reason for v in votes}
    return reasons.pop() if len(reasons) == 1 else None


def aggregate(votes: Sequence[Vote], rule: str, what: str) -> Vote:
    """Majority or mean of several verdicts (unparseable ones are left out)."""
    valid = [v for v in votes if v.pos is not None]
    shown = ", ".join(_SHOW[v.pos] for v in votes)
    if not valid:
        return Vote(None, None, f"{what} ({rule}): {shown}: no valid verdict", _shared(votes))
    ps = [v.p_first for v in valid if v.p_first is not None]
    pos: Position
    p: float | None
    if rule == "mean":
        credit = {"first": 1.0, "tie": 0.5, "second": 0.0}
        scores = [v.p_first if v.p_first is not None else credit[str(v.pos)] for v in valid]
        m = sum(scores) / len(scores)
        pos, p = _pos_of_p(m), m
    else:
        counts: Counter[Position] = Counter(v.pos for v in valid if v.pos is not None)
        top = max(counts.values())
        winners = [k for k, c in counts.items() if c == top]
        pos = winners[0] if len(winners) == 1 else "tie"
        p = sum(ps) / len(ps) if len(ps) == len(valid) else None
    return Vote(pos, p, f"{what} ({rule}): {shown} -> {_SHOW[pos]}")


class _Node(abc.ABC):
    """A combining step: which leaf requests a request needs and how to combine them."""

    width: int = 1

    @abc.abstractmethod
    def leaves(self, request: ChatRequest) -> list[tuple[Judge, ChatRequest]]: ...

    @abc.abstractmethod
    def combine(self, request: ChatRequest, answers: Sequence[Completion]) -> Vote: ...

    @abc.abstractmethod
    def describe(self) -> str: ...

    @abc.abstractmethod
    def judges(self) -> list[Judge]: ...


class _Base(_Node):
    def __init__(self, judge: Judge, reader: AnswerReader):
        self.judge = judge
        self.reader = reader

    def leaves(self, request: ChatRequest) -> list[tuple[Judge, ChatRequest]]:
        return [(self.judge, replace(request, model=self.judge.model))]

    def combine(self, request: ChatRequest, answers: Sequence[Completion]) -> Vote:
        reading = self.reader.read(answers[0])
        pos = reading.position
        detail = _SHOW[pos] if pos is not None else f"invalid ({reading.reason})"
        return Vote(pos, reading.p_first, detail, reading.reason)

    def describe(self) -> str:
        return self.judge.model

    def judges(self) -> list[Judge]:
        return [self.judge]


class _Jury(_Node):
    def __init__(self, members: list[_Node], rule: str):
        self.members = members
        self.rule = rule
        self.width = sum(m.width for m in members)

    def leaves(self, request: ChatRequest) -> list[tuple[Judge, ChatRequest]]:
        return [leaf for m in self.members for leaf in m.leaves(request)]

    def combine(self, request: ChatRequest, answers: Sequence[Completion]) -> Vote:
        votes, at = [], 0
        for m in self.members:
            votes.append(m.combine(request, answers[at : at + m.width]))
            at += m.width
        return aggregate(votes, self.rule, f"jury of {len(votes)}")

    def describe(self) -> str:
        return f"jury({self.rule})[" + ";".join(m.describe() for m in self.members) + "]"

    def judges(self) -> list[Judge]:
        return [j for m in self.members for j in m.judges()]


class _Samples(_Node):
    def __init__(self, inner: _Node, k: int, temperature: float, rule: str):
        self.inner, self.k, self.temperature, self.rule = inner, k, temperature, rule
        self.width = k * inner.width

    def _sample(self, request: ChatRequest, i: int) -> ChatRequest:
        return replace(request, sample=i, temperature=self.temperature)

    def leaves(self, request: ChatRequest) -> list[tuple[Judge, ChatRequest]]:
        return [leaf for i in range(self.k) for leaf in self.inner.leaves(self._sample(request, i))]

    def combine(self, request: ChatRequest, answers: Sequence[Completion]) -> Vote:
        w = self.inner.width
        votes = [
            self.inner.combine(self._sample(request, i), answers[i * w : (i + 1) * w])
            for i in range(self.k)
        ]
        return aggregate(votes, self.rule, f"{self.k} samples")

    def describe(self) -> str:
        return f"samples(k={self.k},t={self.temperature:g},{self.rule})[{self.inner.describe()}]"

    def judges(self) -> list[Judge]:
        return self.inner.judges()


class _Swap(_Node):
    def __init__(self, inner: _Node, partners: dict[Messages, Messages]):
        self.inner = inner
        self.partners = partners
        self.width = 2 * inner.width

    def _partner(self, request: ChatRequest) -> ChatRequest:
        twin = self.partners.get(request.messages)
        if twin is None:
            raise UsageError(
                "--mitigation swap: this request has no known swapped-order twin; "
                "swap works on requests built by the audit pipeline"
            )
        return replace(request, messages=twin)

    def leaves(self, request: ChatRequest) -> list[tuple[Judge, ChatRequest]]:
        return self.inner.leaves(request) + self.inner.leaves(self._partner(request))

    def combine(self, request: ChatRequest, answers: Sequence[Completion]) -> Vote:
        w = self.inner.width
        shown = self.inner.combine(request, answers[:w])
        twin = self.inner.combine(self._partner(request), answers[w:])
        back = _FLIP[twin.pos] if twin.pos is not None else None
        if shown.p_first is not None and twin.p_first is not None:
            p = (shown.p_first + (1.0 - twin.p_first)) / 2.0
            pos: Position | None = _pos_of_p(p)
            how = f"P(A) {shown.p_first:.3f} and {1.0 - twin.p_first:.3f} averaged to {p:.3f}"
        else:
            p = None
            if shown.pos is None or back is None:
                pos = None
            else:
                pos = shown.pos if shown.pos == back else "tie"
            how = (
                "agree"
                if pos is not None and pos != "tie" and shown.pos == back
                else ("unparseable" if pos is None else "tie or disagree: tie")
            )
        detail = (
            f"swap: shown order {_SHOW[shown.pos]}, swapped order {_SHOW[back]} "
            f"(mapped back); {how} -> {_SHOW[pos]}"
        )
        invalid = [v for v in (shown, twin) if v.pos is None]
        return Vote(pos, p, detail, _shared(invalid) if pos is None else None)

    def describe(self) -> str:
        return f"swap[{self.inner.describe()}]"

    def judges(self) -> list[Judge]:
        return self.inner.judges()


def build_node(
    plan: MitigationPlan,
    base: Judge,
    members: Sequence[Judge],
    reader: AnswerReader,
    partners: dict[Messages, Messages],
) -> _Node:
    """The combining steps of a plan, in their fixed order: swap outermost, then
    samples, then the jury. ``partners`` maps a request's messages to its
    swapped-order twin's (filled by the pipeline as it renders requests)."""
    node: _Node = _Base(base, reader)
    if plan.jury:
        node = _Jury([node, *(_Base(m, reader) for m in members)], plan.jury_rule)
    if plan.samples > 1:
        node = _Samples(node, plan.samples, plan.temperature, plan.sample_rule)
    if plan.swap:
        node = _Swap(node, partners)
    return node


def vote_to_verdict(vote: Vote, mode: str = "verdict") -> Verdict:
    """The combined vote as the verdict the answer reader takes as read.

    In ``--mode logprob`` and ``--mode score`` a reading's position is the side of its
    P(first) (as for every answer in those modes), so a combined verdict with a P(first)
    takes its position from it; in score mode a verdict without one is credited 1 /
    0.5 / 0 for first / tie / second, as a score difference would be. In verdict mode
    the verdict has no P(first) (the ``mean`` rule's average only picks the side). A vote without
    any valid verdict keeps the reason of its leaves when they agree on one.
    """
    if vote.pos is None:
        return Verdict(None, None, vote.reason or "no_verdict")
    p = vote.p_first
    if mode == "score" and p is None:
        p = {"first": 1.0, "tie": 0.5, "second": 0.0}[vote.pos]
    if mode in ("score", "logprob") and p is not None:
        p = min(max(p, 0.0), 1.0)
        return Verdict(_pos_of_p(p), p)
    return Verdict(vote.pos, None)  # a verdict-mode reading carries no P(first)


class MitigatedJudge:
    """A judge around other judges (:class:`~judgebias.judges.base.CombiningJudge`):
    each request is answered by combining the answers to its leaf requests (see the
    module docstring). The runner expands it; its answer carries the combined verdict
    as data (:class:`~judgebias.types.Verdict`) and, as text, how it was formed.

    Used alone, :meth:`complete` asks the leaves one after another (no cache, no retry).
    """

    def __init__(self, root: _Node, spec: str, mode: str = "verdict"):
        self.root = root
        self.spec = spec
        self.mode = mode
        self.model = root.describe()

    @property
    def calls_per_verdict(self) -> int:
        return self.root.width

    def leaves(self, request: ChatRequest) -> list[tuple[Judge, ChatRequest]]:
        return self.root.leaves(request)

    def combine(self, request: ChatRequest, answers: Sequence[Completion]) -> Completion:
        vote = self.root.combine(request, answers)
        # no tokens or cost: not a backend call (the leaves are, stored and counted apart)
        return Completion(
            text=f"judgebias mitigation: {vote.detail}",
            model=self.model,
            finish_reason="stop",
            verdict=vote_to_verdict(vote, self.mode),
        )

    async def complete(self, request: ChatRequest) -> Completion:
        answers = [await judge.complete(leaf) for judge, leaf in self.root.leaves(request)]
        return self.combine(request, answers)

    async def aclose(self) -> None:
        return None
