"""Request rules per model family: the one place that knows which parameters a model takes.

Every backend that speaks the chat-completions format (``openai:`` on both transports,
``litellm:``, and ``audit --batch``) turns a :class:`~judgebias.types.ChatRequest`
into its JSON body here, and the audit asks here for its default completion budget
and for the checks it makes before sending anything. A rule changes only what goes
on the wire, never the request's key: the same audit re-run after a rule changes finds
its answers in the store.

Families, recognised from the model name after any ``provider/`` prefix (litellm's
``openai/o3-mini``, ``azure/o4-mini``), case-insensitively:

- **OpenAI reasoning models**: ``o`` followed by a digit (``o1``, ``o1-pro``,
  ``o3``, ``o3-mini``, ``o4-mini``, dated snapshots such as ``o3-mini-2025-01-31``)
  and ``gpt-5``/``gpt-5-*`` except ``gpt-5-chat*`` (a chat model without reasoning).
  OpenAI rejects ``max_tokens`` ("Use 'max_completion_tokens' instead") and any
  temperature but the default, and returns no logprobs. So the budget goes out as
  ``max_completion_tokens`` (it bounds reasoning and answer together), no temperature
  is sent (the model samples at 1: repeated requests can differ), and
  ``reasoning_effort`` is sent when set. ``o1-mini`` and ``o1-preview`` also take no
  ``reasoning_effort`` and no system message: the system message is sent as the
  opening paragraph of the first user message.
- **OpenAI chat models** (``gpt-3.5*``, ``gpt-4*``, ``chatgpt-*``, ``gpt-5-chat*``):
  sent as they are; they take no ``reasoning_effort``.
- **Every other model** (vLLM, llama.cpp, Ollama, LM Studio, gateways, litellm's other
  providers): sent as they are, with ``reasoning_effort`` when set (vLLM and Ollama
  read it for the models that support it; litellm maps it to each provider's own
  setting, e.g. Anthropic's thinking budget).

Budgets (``max_tokens`` of the request; ``--max-tokens`` overrides): 512 tokens for a
verdict, 32 for two scores, 5 for a logprob verdict (read at the first label token),
1,024 for the self probe's own answers, and :data:`REASONING_BUDGET` (25,000, OpenAI's
advice for the reasoning and the answer together) for all of these but logprobs when the
judge is a reasoning judge: an OpenAI reasoning model, or any model given
``--reasoning-effort``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from judgebias.errors import UsageError
from judgebias.judges.constraints import constraint_fields
from judgebias.types import ChatRequest

__all__ = [
    "EFFORTS",
    "LOGPROB_TOKENS",
    "REASONING_BUDGET",
    "ModelRules",
    "check_options",
    "default_max_tokens",
    "is_reasoning_judge",
    "request_body",
    "rules_for",
]

EFFORTS = ("low", "medium", "high")
"""The values of ``--reasoning-effort``."""

REASONING_BUDGET = 25_000
"""Default completion budget of a reasoning judge: OpenAI advises reserving at least
25,000 tokens for reasoning and output when starting with its reasoning models."""

LOGPROB_TOKENS = 5
"""Tokens asked for in logprob mode: the label is read at the first generated token that
is one, so a judge that opens with a space, a bracket or "Response" is still read."""

_BUDGETS = {"verdict": 512, "score": 32, "logprob": LOGPROB_TOKENS, "generate": 1024}

_OPENAI_REASONING = re.compile(r"^(?:o\d+(?:$|[-.])|gpt-5(?!-chat)(?:$|[-.]))", re.IGNORECASE)
_NO_EFFORT_OR_SYSTEM = re.compile(r"^o1-(?:mini|preview)", re.IGNORECASE)
_OPENAI_CHAT = re.compile(r"^(?:gpt-3\.5|gpt-4|chatgpt-|gpt-5-chat)", re.IGNORECASE)


@dataclass(frozen=True)
class ModelRules:
    """What one model accepts."""

    family: str
    """``openai-reasoning``, ``openai-chat`` or ``other``."""
    budget_param: str = "max_tokens"
    temperature: bool = True
    effort: bool = True
    system: bool = True
    logprobs: bool = True

    @property
    def reasoning(self) -> bool:
        return self.family == "openai-reasoning"


def _bare(model: str) -> str:
    return model.strip().rsplit("/", 1)[-1]


@functools.lru_cache(maxsize=256)  # asked once per request sent
def rules_for(model: str) -> ModelRules:
    """The rules of a model, from its name (see the module docstring)."""
    name = _bare(model)
    if _OPENAI_REASONING.match(name):
        old = bool(_NO_EFFORT_OR_SYSTEM.match(name))
        return ModelRules(
            family="openai-reasoning",
            budget_param="max_completion_tokens",
            temperature=False,
            effort=not old,
            system=not old,
            logprobs=False,
        )
    if _OPENAI_CHAT.match(name):
        return ModelRules(family="openai-chat", effort=False)
    return ModelRules(family="other")


def is_reasoning_judge(model: str, reasoning_effort: str | None = None) -> bool:
    """An OpenAI reasoning model, or any model the user gave a reasoning effort."""
    return reasoning_effort is not None or rules_for(model).reasoning


def default_max_tokens(model: str, mode: str, reasoning_effort: str | None = None) -> int:
    """The completion budget of a request in ``mode`` (``verdict``, ``score``, ``logprob``
    or ``generate``) when ``--max-tokens`` is not given."""
    if mode != "logprob" and is_reasoning_judge(model, reasoning_effort):
        return REASONING_BUDGET
    return _BUDGETS.get(mode, _BUDGETS["verdict"])


def check_options(
    model: str,
    mode: str,
    reasoning_effort: str | None = None,
    max_tokens: int | None = None,
    who: str = "the judge",
) -> None:
    """Refuse, before anything is sent, what the judge's provider would refuse on every call."""
    if reasoning_effort is not None and reasoning_effort not in EFFORTS:
        raise UsageError(
            f"--reasoning-effort: '{reasoning_effort}' is not one of {', '.join(EFFORTS)}"
        )
    if max_tokens is not None and max_tokens < 1:
        raise UsageError(f"--max-tokens: must be at least 1, got {max_tokens}")
    rules = rules_for(model)
    name = _bare(model)
    if mode == "logprob" and is_reasoning_judge(model, reasoning_effort):
        raise UsageError(
            f"--mode logprob: {who} ({name}) is a reasoning judge; its first tokens are "
            "reasoning, not the verdict (and OpenAI's reasoning models return no logprobs): "
            "use --mode verdict"
        )
    if reasoning_effort is not None and not rules.effort:
        raise UsageError(
            f"--reasoning-effort: {who} ({name}) takes no reasoning_effort (OpenAI accepts it "
            "for o1, o3, o4-mini and gpt-5 models); leave the flag out for this judge"
        )


def request_body(request: ChatRequest) -> dict[str, Any]:
    """The chat-completions JSON body of a request, under its model's rules."""
    rules = rules_for(request.model)
    messages = [{"role": r, "content": c} for r, c in request.messages]
    if not rules.system and any(m["role"] == "system" for m in messages):
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        messages = [m for m in messages if m["role"] != "system"]
        first_user = next((i for i, m in enumerate(messages) if m["role"] == "user"), None)
        if first_user is None:
            messages.insert(0, {"role": "user", "content": system})
        else:
            m = messages[first_user]
            messages[first_user] = {"role": "user", "content": f"{system}\n\n{m['content']}"}
    body: dict[str, Any] = {"model": request.model, "messages": messages}
    if rules.temperature:
        body["temperature"] = request.temperature
    if request.max_tokens is not None:
        body[rules.budget_param] = request.max_tokens
    if request.seed is not None:
        body["seed"] = request.seed
    if request.logprobs and rules.logprobs:
        body["logprobs"] = True
        body["top_logprobs"] = request.top_logprobs or 5
    if request.reasoning_effort is not None and rules.effort:
        body["reasoning_effort"] = request.reasoning_effort
    if request.constraint is not None:
        body.update(constraint_fields(request.constraint))
    return body
