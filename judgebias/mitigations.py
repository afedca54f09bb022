"""Mitigations for live judges: ``judgebias audit --mitigation NAME[,NAME] [--samples K]``.

A mitigation changes how the audited judge is asked, so that an audit measures the
mitigated judge; ``judgebias compare`` then puts the plain and the mitigated run side
by side. There are two kinds.

**Prompt mitigations** transform the chat messages of every request the audited judge
gets (never the gold judge's). Their texts are data, in ``probes/mitigations/*.yaml``
(shipped as ``judgebias.probe_data/mitigations``); a YAML file of your own with the
same keys replaces or extends them (``--mitigation my_prompt.yaml``):

- ``system``: text put at the start of the system message (created when the template
  has none), before the template's own system text;
- ``user_prefix``: text put before the template's user message;
- ``examples``: a list of ``{user, assistant}`` turns inserted between the system
  message and the real request.

Built in: ``system-prompt`` (a bias-aware system prompt starting with
:data:`judgebias.probes.BIAS_AWARE_MARKER` and naming position, length, bandwagon,
authority and reflection), ``reflect`` (write a provisional judgement, re-examine it,
then answer) and ``few-shot`` (worked examples in which a cue is resisted). Several
prompt mitigations apply in the order given, except that ``system-prompt`` always
comes first in the system message. Probe notes stay where the probes put them (at
the end of the system and user messages).

**Wrapper mitigations** build a new judge around the audited one,
:class:`MitigatedJudge`, which implements the judge protocol. For one request it needs
several backend requests (its *leaves*) and combines their verdicts into one answer:

- ``swap``: the request and its swapped-order twin (the same variant rendered in the
  other order); the verdict is the answer both orders agree on, a tie when they
  disagree (or when either is a tie). In ``--mode logprob`` the two probabilities
  are averaged instead (P(A) of the request and 1 - P(A) of its twin). An
  unparseable verdict in either order makes the combined verdict unparseable: it
  is never guessed.
- ``multi-sample``: ``K`` samples (``--samples K``, default 5) of the request at
  temperature 0.7 (``multi-sample:t=1.0`` to change), each with its own ``sample``
  index, so each is a distinct request in the store; combined by ``majority``
  (default; a tie between the most frequent verdicts is a tie) or ``mean``
  (``multi-sample:mean``: the mean of the verdicts scored 1 / 0.5 / 0 for first /
  tie / second, or of P(A) in logprob mode; above one half names the first answer).
- ``jury:SPEC1;SPEC2;...``: the audited judge and the listed judges form a panel
  (``jury:mean:SPEC;...`` for the mean rule); each member answers the request.

They compose in one fixed order, whatever the order given: swap outermost, then
samples, then the jury, e.g. ``swap,multi-sample`` asks K samples in each order.
The number of backend requests per verdict is the product (``calls_per_verdict`` in
``summary.json``).

Caching, retries and concurrency stay in the runner, the only orchestrator: a
:class:`MitigatedJudge` is a combining judge
(:class:`judgebias.judges.base.CombiningJudge`), which the runner expands into its
leaf requests (one run per backend judge, so each leaf is cached, retried and
budgeted on its own and identical leaves are sent once) before it asks the judge to
combine the answers. The combined answer is stored under the mitigated judge's own
model name; its verdict is data (:class:`judgebias.types.Verdict`, taken as read by
:mod:`judgebias.answers`), its text says how the verdict was formed. A leaf that
failed leaves its verdict failed, and re-running the audit asks again only what is
missing. A verdict none of whose leaves could be read keeps their reason (``echo``,
...) when they share one.
"""

from __future__ import annotations

import abc
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from .answers import AnswerReader, Position
from .errors import InputError, UsageError
from .judges.base import Judge, JudgeOptions, make_judge
from .prompts import PAIR_MARKERS
from .registry import did_you_mean
from .runner import RunCounts, RunnerConfig, run_requests
from .store import Store
from .types import ChatRequest, Completion, Verdict
from .yamlfile import read_yaml

__all__ = [
    "MITIGATION_NAMES",
    "MitigatedJudge",
    "MitigationPlan",
    "Mitigations",
    "PromptMitigation",
    "apply_prompts",
    "builtin_prompt_mitigation",
    "load_prompt_mitigation",
    "plan_mitigations",
    "split_mitigations",
]

PROMPT_NAMES = ("system-prompt", "few-shot", "reflect")
WRAPPER_NAMES = ("swap", "multi-sample", "jury")
MITIGATION_NAMES: tuple[str, ...] = (*PROMPT_NAMES, *WRAPPER_NAMES)
"""The built-in mitigations (``jury`` takes specs: ``jury:SPEC1;SPEC2``)."""

RULES = ("majority", "mean")
DEFAULT_SAMPLES = 5
DEFAULT_TEMPERATURE = 0.7
_FLAG = "--mitigation"

Messages = tuple[tuple[str, str], ...]


# --------------------------------------------------------------------------- prompt data


@dataclass(frozen=True)
class PromptMitigation:
    """A prompt mitigation read from YAML (see the module docstring)."""

    name: str
    description: str = ""
    system: str = ""
    user_prefix: str = ""
    examples: tuple[tuple[str, str], ...] = ()
    source: str = ""


def _text(raw: dict[str, Any], key: str, source: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(source, f"'{key}' must be a string")
    return value.strip()


def parse_prompt_mitigation(raw: Any, source: str) -> PromptMitigation:
    """Validate one mitigation file's content."""
    if not isinstance(raw, dict):
        raise InputError(
            source,
            "a mitigation file must be a YAML mapping with name and "
            "system, user_prefix or examples",
        )
    name = raw.get("name", Path(source).stem)
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise InputError(source, "'name' must be a lower-case identifier")
    unknown = sorted(set(raw) - {"name", "description", "system", "user_prefix", "examples"})
    if unknown:
        raise InputError(
            source,
            f"unknown key '{unknown[0]}'; a mitigation file has name, "
            "description, system, user_prefix, examples",
        )
    examples: list[tuple[str, str]] = []
    raw_ex = raw.get("examples")
    if raw_ex is not None:
        if not isinstance(raw_ex, list) or not raw_ex:
            raise InputError(source, "'examples' must be a non-empty list of {user, assistant}")
        for i, ex in enumerate(raw_ex, 1):
            if not (
                isinstance(ex, dict)
                and isinstance(ex.get("user"), str)
                and isinstance(ex.get("assistant"), str)
                and ex["user"].strip()
                and ex["assistant"].strip()
            ):
                raise InputError(
                    source, f"example {i} needs non-empty 'user' and 'assistant' strings"
                )
            for marker in PAIR_MARKERS:
                if marker in ex["user"] or marker in ex["assistant"]:
                    raise InputError(
                        source,
                        f"example {i} contains the template marker "
                        f"'{marker}'; write examples without the bracketed "
                        "markers so they cannot be mistaken for the real request",
                    )
            examples.append((ex["user"].strip(), ex["assistant"].strip()))
    out = PromptMitigation(
        name=name,
        description=_text(raw, "description", source),
        system=_text(raw, "system", source),
        user_prefix=_text(raw, "user_prefix", source),
        examples=tuple(examples),
        source=source,
    )
    if not (out.system or out.user_prefix or out.examples):
        raise InputError(
            source, "a mitigation file needs at least one of system, user_prefix, examples"
        )
    return out


def load_prompt_mitigation(path: str | Path) -> PromptMitigation:
    return parse_prompt_mitigation(read_yaml(path, "mitigation"), str(path))


def builtin_prompt_mitigation(name: str) -> PromptMitigation:
    """The shipped prompt mitigation ``name`` (``probes/mitigations/NAME.yaml``)."""
    ref = resources.files("judgebias.probe_data").joinpath("mitigations", f"{name}.yaml")
    with resources.as_file(ref) as p:
        return load_prompt_mitigation(p)


def apply_prompts(messages: Messages, prompts: Sequence[PromptMitigation]) -> Messages:
    """The messages with every prompt mitigation applied (see the module docstring)."""
    if not prompts:
        return messages
    ordered = sorted(prompts, key=lambda m: m.name != "system-prompt")  # stable
    msgs = list(messages)
    systems = [m.system for m in ordered if m.system]
    if systems:
        head = "\n\n".join(systems)
        if msgs and msgs[0][0] == "system":
            msgs[0] = ("system", f"{head}\n\n{msgs[0][1]}" if msgs[0][1] else head)
        else:
            msgs.insert(0, ("system", head))
    last_user = max((i for i, (r, _) in enumerate(msgs) if r == "user"), default=None)
    if last_user is None:
        return tuple(msgs)
    prefixes = [m.user_prefix for m in ordered if m.user_prefix]
    if prefixes:
        role, content = msgs[last_user]
        msgs[last_user] = (role, "\n\n".join([*prefixes, content]))
    turns: list[tuple[str, str]] = []
    for m in ordered:
        for user, assistant in m.examples:
            turns += [("user", user), ("assistant", assistant)]
    if turns:
        msgs[last_user:last_user] = turns
    return tuple(msgs)


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class MitigationPlan:
    """What ``--mitigation`` and ``--samples`` asked for, validated; no judge built yet."""

    names: tuple[str, ...] = ()
    prompts: tuple[PromptMitigation, ...] = ()
    swap: bool = False
    samples: int = 1
    temperature: float = DEFAULT_TEMPERATURE
    sample_rule: str = "majority"
    jury: tuple[str, ...] = ()
    jury_rule: str = "majority"

    @property
    def wraps(self) -> bool:
        return self.swap or self.samples > 1 or bool(self.jury)

    @property
    def calls_per_verdict(self) -> int:
        return (2 if self.swap else 1) * self.samples * ((1 + len(self.jury)) if self.jury else 1)

    def describe(self) -> dict[str, Any]:
        """The ``run.mitigation`` section of summary.json."""
        return {
            "names": list(self.names),
            "prompts": {p.name: p.source for p in self.prompts},
            "swap": self.swap,
            "samples": self.samples,
            "temperature": self.temperature if self.samples > 1 else None,
            "sample_rule": self.sample_rule if self.samples > 1 else None,
            "jury": list(self.jury),
            "jury_rule": self.jury_rule if self.jury else None,
            "calls_per_verdict": self.calls_per_verdict,
        }


def _head(token: str) -> str:
    return token.split(":", 1)[0].strip().lower()


def _is_file(token: str) -> bool:
    return token.lower().endswith((".yaml", ".yml"))


def split_mitigations(text: str | Sequence[str] | None) -> list[str]:
    """Split ``--mitigation`` values on commas, keeping the commas inside a jury's specs
    (``jury:sim:position=0.3,seed=1;sim`` stays one item)."""
    if text is None:
        return []
    parts: list[str] = []
    for chunk in [text] if isinstance(text, str) else list(text):
        parts.extend(str(chunk).split(","))
    items: list[str] = []
    for part in parts:
        token = part.strip()
        if not token:
            continue
        starts = _head(token) in MITIGATION_NAMES or _is_file(token)
        if items and not starts and _head(items[-1]) == "jury":
            items[-1] += "," + token
        else:
            items.append(token)
    return items


def _unknown(token: str) -> UsageError:
    hint = did_you_mean(_head(token), MITIGATION_NAMES)
    return UsageError(
        f"{_FLAG}: unknown mitigation '{token}'{hint}; choose from "
        "system-prompt, few-shot, reflect, swap, multi-sample, jury:SPEC;SPEC "
        "or a YAML file of your own"
    )


def _sample_options(token: str) -> tuple[str, float]:
    rule, temperature = "majority", DEFAULT_TEMPERATURE
    for opt in token.split(":")[1:]:
        opt = opt.strip().lower()
        if opt in RULES:
            rule = opt
        elif opt.startswith(("t=", "temperature=")):
            value = opt.split("=", 1)[1]
            try:
                temperature = float(value)
            except ValueError:
                raise UsageError(
                    f"{_FLAG}: multi-sample temperature '{value}' is not a number"
                ) from None
            if not 0.0 < temperature <= 2.0 or math.isnan(temperature):
                raise UsageError(
                    f"{_FLAG}: multi-sample needs a temperature in (0, 2], got {value}"
                )
        elif opt:
            raise UsageError(
                f"{_FLAG}: multi-sample option '{opt}' is not one of majority, mean, t=TEMPERATURE"
            )
    return rule, temperature


def _jury_options(token: str) -> tuple[str, tuple[str, ...]]:
    rest = token.split(":", 1)[1] if ":" in token else ""
    rule = "majority"
    head, sep, tail = rest.partition(":")
    if sep and head.strip().lower() in RULES:
        rule, rest = head.strip().lower(), tail
    specs = tuple(s.strip() for s in rest.split(";") if s.strip())
    if not specs:
        raise UsageError(
            f"{_FLAG}: jury needs at least one judge spec: "
            "jury:SPEC1;SPEC2 (the audited judge sits on the panel too)"
        )
    return rule, specs


def plan_mitigations(
    items: str | Sequence[str] | None,
    *,
    samples: int | None = None,
    mode: str = "verdict",
    self_probe: bool = False,
) -> MitigationPlan:
    """Validate ``--mitigation`` items (and ``--samples``) into a :class:`MitigationPlan`.

    ``--samples K`` with K >= 2 implies ``multi-sample``; errors are one-line
    :class:`UsageError` / :class:`InputError` naming the flag or file.
    """
    tokens = split_mitigations(items)
    if samples is not None and samples < 1:
        raise UsageError(f"--samples: must be at least 1, got {samples}")
    names: list[str] = []
    prompts: list[PromptMitigation] = []
    swap = False
    k = 1
    rule, temperature = "majority", DEFAULT_TEMPERATURE
    jury: tuple[str, ...] = ()
    jury_rule = "majority"
    seen: set[str] = set()
    for token in tokens:
        head = _head(token)
        key = token if _is_file(token) else head
        if key in seen:
            raise UsageError(f"{_FLAG}: '{head}' is given twice")
        seen.add(key)
        if _is_file(token):
            pm = load_prompt_mitigation(token)
            prompts.append(pm)
            names.append(token)
        elif head in PROMPT_NAMES:
            if token.strip().lower() != head:
                raise UsageError(f"{_FLAG}: '{head}' takes no options (got '{token}')")
            prompts.append(builtin_prompt_mitigation(head))
            names.append(head)
        elif head == "swap":
            if token.strip().lower() != head:
                raise UsageError(f"{_FLAG}: 'swap' takes no options (got '{token}')")
            swap = True
            names.append(head)
        elif head == "multi-sample":
            rule, temperature = _sample_options(token)
            k = samples if samples is not None else DEFAULT_SAMPLES
            if k < 2:
                raise UsageError(f"--samples: multi-sample needs at least 2 samples, got {k}")
            names.append(token.strip())
        elif head == "jury":
            jury_rule, jury = _jury_options(token)
            names.append(token.strip())
        else:
            raise _unknown(token)
    if samples is not None and samples >= 2 and k == 1:
        k = samples
        names.append("multi-sample")
    if mode == "logprob" and any(p.name == "reflect" for p in prompts):
        raise UsageError(
            f"{_FLAG}: reflect needs --mode verdict (a one-token logprob answer "
            "cannot reflect first)"
        )
    if jury and self_probe:
        raise UsageError(
            f"{_FLAG}: a jury has no answers of its own for --probes self; leave "
            "out the self probe or the jury"
        )
    return MitigationPlan(
        names=tuple(names),
        prompts=tuple(prompts),
        swap=swap,
        samples=k,
        temperature=temperature,
        sample_rule=rule,
        jury=jury,
        jury_rule=jury_rule,
    )


# --------------------------------------------------------------------------- combining


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


# --------------------------------------------------------------------------- the runtime


@dataclass
class Mitigations:
    """The mitigations of one audit: message transforms, the judge to ask, and accounting.

    ``judge`` is the audited judge itself when no wrapper mitigation is used, else a
    :class:`MitigatedJudge` around it (and around the jury's members).
    """

    plan: MitigationPlan
    base: Judge
    judge: Judge
    members: list[Judge] = field(default_factory=list)
    partners: dict[Messages, Messages] = field(default_factory=dict)
    leaf_keys: set[str] = field(default_factory=set)
    verdicts: int = 0
    """Combined verdicts (unique requests answered by combining), over every phase."""

    @classmethod
    def create(
        cls,
        plan: MitigationPlan,
        base: Judge,
        options: JudgeOptions | None = None,
        mode: str = "verdict",
        reader: AnswerReader | None = None,
    ) -> Mitigations:
        members: list[Judge] = []
        for spec in plan.jury:
            try:
                members.append(make_judge(spec, options))
            except UsageError as exc:
                raise UsageError(
                    f"{_FLAG}: jury member '{spec}': {str(exc).removeprefix('--judge: ')}"
                ) from None
        partners: dict[Messages, Messages] = {}
        if not plan.wraps:
            return cls(plan=plan, base=base, judge=base, members=members, partners=partners)
        if reader is None:
            from .prompts import answer_reader, default_template

            reader = answer_reader(default_template(), mode)
        node: _Node = _Base(base, reader)
        if plan.jury:
            node = _Jury([node, *(_Base(m, reader) for m in members)], plan.jury_rule)
        if plan.samples > 1:
            node = _Samples(node, plan.samples, plan.temperature, plan.sample_rule)
        if plan.swap:
            node = _Swap(node, partners)
        spec = f"{base.spec} [{', '.join(plan.names)}]"
        return cls(
            plan=plan,
            base=base,
            judge=MitigatedJudge(node, spec, mode),
            members=members,
            partners=partners,
        )

    @property
    def needs_twin(self) -> bool:
        return self.plan.swap

    def messages(self, messages: Messages) -> Messages:
        return apply_prompts(messages, self.plan.prompts)

    def add_twin(self, messages: Messages, twin: Messages) -> None:
        """Record the swapped-order twin of a request's messages (for ``swap``)."""
        if self.plan.swap:
            self.partners[messages] = twin

    async def run(
        self, requests: Sequence[ChatRequest], store: Store, config: RunnerConfig, label: str
    ) -> RunCounts:
        """Answer ``requests`` (built with ``self.judge.model``) into ``store`` through the
        runner, which expands a wrapped judge into its leaves; keeps the account of the
        leaf requests (for :meth:`usage`) and of the combined verdicts.

        Returns the counts of backend requests (the leaves when wrapped).
        """
        counts = await run_requests(requests, self.judge, store, config, label=label)
        if isinstance(self.judge, MitigatedJudge):
            self.leaf_keys.update(leaf.key() for r in requests for _, leaf in self.judge.leaves(r))
            self.verdicts += counts.combined
        return counts

    def usage(self, store: Store) -> dict[str, Any] | None:
        """Tokens and cost of the unique backend requests behind the verdicts (wrapped only)."""
        if not isinstance(self.judge, MitigatedJudge):
            return None
        got = store.get_many(self.leaf_keys)
        ok = [s.completion for s in got.values() if s.status == "ok" and s.completion is not None]
        pt = sum(c.prompt_tokens or 0 for c in ok)
        ct = sum(c.completion_tokens or 0 for c in ok)
        costs = [c.cost_usd for c in ok if c.cost_usd is not None]
        return {
            "backend_requests": len(self.leaf_keys),
            "tokens": {"prompt": pt, "completion": ct, "total": pt + ct},
            "cost_usd": float(sum(costs)) if costs else None,
        }

    def describe(self) -> dict[str, Any]:
        out = self.plan.describe()
        if isinstance(self.judge, MitigatedJudge):
            out["model"] = self.judge.model
            out["verdicts"] = self.verdicts
        return out

    async def aclose(self) -> None:
        for m in self.members:
            await m.aclose()
