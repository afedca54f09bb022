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
:data:`judgebias.probes.catalog.BIAS_AWARE_MARKER` and naming position, length, bandwagon,
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
:mod:`judgebias.prompts.answers`), its text says how the verdict was formed. A leaf that
failed leaves its verdict failed, and re-running the audit asks again only what is
missing. A verdict none of whose leaves could be read keeps their reason (``echo``,
...) when they share one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from judgebias.corrections.mitigations.plan import (
    DEFAULT_SAMPLES,
    DEFAULT_TEMPERATURE,
    FLAG,
    MITIGATION_NAMES,
    RULES,
    MitigationPlan,
    plan_mitigations,
    split_mitigations,
)
from judgebias.corrections.mitigations.prompts import (
    PROMPT_NAMES,
    Messages,
    PromptMitigation,
    apply_prompts,
    builtin_prompt_mitigation,
    load_prompt_mitigation,
    parse_prompt_mitigation,
)
from judgebias.corrections.mitigations.wrappers import (
    MitigatedJudge,
    Vote,
    aggregate,
    build_node,
    vote_to_verdict,
)
from judgebias.engine.runner import FollowUps, RunCounts, RunnerConfig, run_requests
from judgebias.engine.store import Store
from judgebias.errors import UsageError
from judgebias.judges.base import Judge, JudgeOptions, make_judge
from judgebias.prompts.answers import AnswerReader
from judgebias.types import ChatRequest

__all__ = [
    "DEFAULT_SAMPLES",
    "DEFAULT_TEMPERATURE",
    "MITIGATION_NAMES",
    "PROMPT_NAMES",
    "RULES",
    "MitigatedJudge",
    "MitigationPlan",
    "Mitigations",
    "PromptMitigation",
    "Vote",
    "aggregate",
    "apply_prompts",
    "builtin_prompt_mitigation",
    "load_prompt_mitigation",
    "parse_prompt_mitigation",
    "plan_mitigations",
    "split_mitigations",
    "vote_to_verdict",
]


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
                    f"{FLAG}: jury member '{spec}': {str(exc).removeprefix('--judge: ')}"
                ) from None
        partners: dict[Messages, Messages] = {}
        if not plan.wraps:
            return cls(plan=plan, base=base, judge=base, members=members, partners=partners)
        if reader is None:
            from judgebias.prompts.templates import answer_reader, default_template

            reader = answer_reader(default_template(), mode)
        node = build_node(plan, base, members, reader, partners)
        spec = f"{base.spec} [{', '.join(plan.names)}]"
        return cls(
            plan=plan,
            base=base,
            judge=MitigatedJudge(node, spec, mode),
            members=members,
            partners=partners,
        )

    @property
    def wraps(self) -> bool:
        """Whether the judge asked is a wrapper combining several backend answers."""
        return isinstance(self.judge, MitigatedJudge)

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
        self,
        requests: Sequence[ChatRequest],
        store: Store,
        config: RunnerConfig,
        label: str,
        follow: FollowUps | None = None,
    ) -> RunCounts:
        """Answer ``requests`` (built with ``self.judge.model``) into ``store`` through the
        runner, which expands a wrapped judge into its leaves; keeps the account of the
        leaf requests (for :meth:`usage`) and of the combined verdicts. ``follow``: the
        runner's follow-ups (an unwrapped judge only, see :attr:`wraps`).

        Returns the counts of backend requests (the leaves when wrapped).
        """
        counts = await run_requests(requests, self.judge, store, config, label=label, follow=follow)
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
