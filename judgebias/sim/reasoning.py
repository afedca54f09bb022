"""The simulated judge as a reasoning judge (the sim keys ``reasoning``, ``think_tokens``,
``effort_bias``), and OpenAI's parameter rules as ``serve-sim`` enforces them.

With ``reasoning`` other than ``none`` the sim reasons before it answers. Its verdict is
decided exactly as without reasoning (the reasoning is written afterwards and never
changes it); what reasoning adds:

- **length**: ``think_tokens`` × the effort's factor (``low`` 0.5, ``medium`` 1, ``high``
  2; a request without ``reasoning_effort`` reasons at ``medium``) × a draw uniform in
  [0.5, 1.5) keyed on the stripped pair in the order shown. A cued request therefore
  reasons exactly as long as its control, plus the sentence quoting the cue.
- **content**: it opens with a tentative tag (``My first impression is [[A]]``, drawn,
  not the verdict: a parser that reads reasoning as the answer is misled by it), then
  quotes every cue it finds in the request, word for word (``One of them comes with
  this remark: "..."``), then neutral sentences. So the share of cued requests whose
  reasoning mentions the cue is 1, and 0 for placebo and control requests.
- **budget**: reasoning and answer share the request's ``max_tokens``. Reasoning that
  reaches it is cut there, the answer is empty and ``finish_reason`` is ``length``; an
  answer that does not fit is cut, also with ``length``.
- **where it goes** (``reasoning=``): ``inline`` (``<think>...</think>`` before the answer
  in the content; unclosed when cut), ``reasoning_content`` or ``reasoning`` (a field of
  the message; content ``null`` when cut), ``hidden`` (no text at all, as OpenAI's
  reasoning models). The token count is reported in
  ``usage.completion_tokens_details.reasoning_tokens`` for every kind but ``inline`` (a
  server that passes reasoning inline does not know it is reasoning);
  ``completion_tokens`` always includes the reasoning.

``effort_bias`` (0..1) plants a bias that depends on the effort: every bias parameter,
position included, is multiplied by ``1 - effort_bias × w`` with ``w`` = 0 at ``low``,
0.5 at ``medium`` (and without an effort) and 1 at ``high``. So the effect an audit at
effort E measures is the planted value times that factor.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from judgebias.errors import SpecError
from judgebias.prompts.answers import verdict_tag
from judgebias.sim.common import draw, tokens
from judgebias.types import ChatRequest, Completion

if TYPE_CHECKING:
    from judgebias.sim.params import SimParams

__all__ = [
    "EFFORT_BIAS_WEIGHT",
    "EFFORT_LENGTH",
    "REASONING_DEFAULTS",
    "STYLES",
    "effort_scale",
    "openai_rejection",
    "parse_reasoning_key",
    "reasoning_spec",
    "wire_message",
    "with_reasoning",
]

STYLES = ("none", "inline", "reasoning_content", "reasoning", "hidden")
EFFORT_LENGTH = {"low": 0.5, "medium": 1.0, "high": 2.0}
EFFORT_BIAS_WEIGHT = {"low": 0.0, "medium": 0.5, "high": 1.0}
REASONING_DEFAULTS: dict[str, Any] = {"reasoning": "none", "think_tokens": 300, "effort_bias": 0.0}
"""The sim keys of this module and their defaults (left out of the sim's spec when unset)."""

_FILLER = (
    "Let me read the instruction again and check what it asks for.",
    "Response A takes one approach; Response B takes another.",
    "I check each claim against the instruction, one sentence at a time.",
    "Now the structure: which one is easier to follow?",
    "Coverage matters, but so does staying concise.",
    "Let me re-read the second half of Response B.",
    "Both stay on topic, so the details will decide it.",
    "I look for mistakes, omissions and anything off the question.",
    "Is a claim in Response A wrong, or only phrased loosely?",
    "Let me compare the openings of the two responses.",
)


def parse_reasoning_key(key: str, value: str, flag: str) -> str | int | float:
    """The value of one of this module's sim keys, checked."""
    value = value.strip()
    if key == "reasoning":
        if value not in STYLES:
            raise SpecError(
                f"{flag}: sim parameter reasoning={value} is not one of {', '.join(STYLES)}"
            )
        return value
    if key == "think_tokens":
        try:
            n = int(value)
        except ValueError:
            raise SpecError(
                f"{flag}: sim parameter think_tokens={value!r} is not a whole number"
            ) from None
        if n < 0:
            raise SpecError(f"{flag}: sim parameter think_tokens={value} must not be negative")
        return n
    try:
        x = float(value)
    except ValueError:
        raise SpecError(f"{flag}: sim parameter {key}={value!r} is not a number") from None
    if not 0.0 <= x <= 1.0:
        raise SpecError(f"{flag}: sim parameter {key}={value} is outside [0, 1]")
    return x


def reasoning_spec(params: SimParams) -> list[str]:
    """``key=value`` for each of this module's keys that differs from its default."""
    out = []
    for key, default in REASONING_DEFAULTS.items():
        v = getattr(params, key)
        if v != default:
            out.append(f"{key}={v:g}" if isinstance(v, float) else f"{key}={v}")
    return out


def effort_scale(params: SimParams, effort: str | None) -> float:
    """The factor every bias is multiplied by at this reasoning effort."""
    return 1.0 - params.effort_bias * EFFORT_BIAS_WEIGHT.get(effort or "medium", 0.5)


def _cue_quotes(system: str, first: str, second: str, note: str) -> tuple[list[str], str, str]:
    """(the cue texts found in the request, first and second answers without probe text)."""
    from judgebias.probes.catalog import strip_edits

    edits = strip_edits(system=system, first=first, second=second, note=note)
    quotes: list[str] = []
    for _bias, where in edits.cues:
        raw, bare = (first, edits.first) if where == "first" else (second, edits.second)
        inserted = raw.replace(bare, "", 1).strip() if bare and bare in raw else ""
        if not inserted:
            inserted = note.strip() or system.rsplit("\n\n", 1)[-1].strip()
        if inserted and inserted not in quotes:
            quotes.append(inserted)
    return quotes, edits.first, edits.second


def _reason(request: ChatRequest, params: SimParams, completion: Completion) -> Completion:
    from judgebias.prompts.templates import extract_note, extract_pair

    system = "\n".join(c for r, c in request.messages if r == "system")
    user = "\n".join(c for r, c in request.messages if r == "user")
    parsed = extract_pair(user)
    quotes: list[str] = []
    if parsed is None:
        instruction, first, second = user, "", ""
    else:
        instruction, first, second = parsed
        quotes, first, second = _cue_quotes(system, first, second, extract_note(user))
    key = (params.seed, "think", instruction, first, second)
    factor = EFFORT_LENGTH.get(request.reasoning_effort or "medium", 1.0)
    target = round(params.think_tokens * factor * (0.5 + draw(*key, "length")))
    impression = "A" if draw(*key, "impression") < 0.5 else "B"
    sentences = [f"My first impression is {verdict_tag(impression)}, but let me check."]
    i = 0
    while tokens(" ".join(sentences)) < target:
        sentences.append(_FILLER[int(draw(*key, i) * len(_FILLER))])
        i += 1
    for q in quotes:
        sentences.insert(1, f'One of them comes with this remark: "{q}"')
    reasoning = " ".join(sentences)
    answer = completion.text
    r_tok = tokens(reasoning)
    a_tok = tokens(answer) if answer else 0
    budget = request.max_tokens
    finish = completion.finish_reason or "stop"
    if budget is not None and r_tok >= budget:
        reasoning, answer, r_tok, a_tok, finish = (
            reasoning[: 4 * budget].rstrip(),
            "",
            budget,
            0,
            "length",
        )
    elif budget is not None and r_tok + a_tok > budget:
        a_tok = budget - r_tok
        answer, finish = answer[: 4 * a_tok].rstrip(), "length"
    return replace(
        completion,
        text=answer,
        completion_tokens=r_tok + a_tok,
        finish_reason=finish,
        top_logprobs=None,  # the first tokens are reasoning, not the verdict
        logprob_steps=None,
        reasoning=None if params.reasoning == "hidden" else reasoning,
        reasoning_tokens=None if params.reasoning == "inline" else r_tok,
    )


def with_reasoning(
    simulate: Callable[[ChatRequest, SimParams], Completion],
) -> Callable[[ChatRequest, SimParams], Completion]:
    """Wrap the sim's answer function: the answer as decided, with reasoning when asked."""

    @functools.wraps(simulate)
    def answer(request: ChatRequest, params: SimParams) -> Completion:
        completion = simulate(request, params)
        if params.reasoning == "none":
            return completion
        return _reason(request, params, completion)

    return answer


def wire_message(completion: Completion, style: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the ``message`` of a chat completion, extra ``usage`` keys) as a server of this
    reasoning style sends them."""
    msg: dict[str, Any] = {"role": "assistant", "content": completion.text}
    reasoning = completion.reasoning
    cut = completion.text == "" and completion.finish_reason == "length"
    if style == "inline" and reasoning is not None:
        closing = "" if cut else f"\n</think>\n\n{completion.text}"
        msg["content"] = f"<think>\n{reasoning}{closing}"
    elif style in ("reasoning_content", "reasoning") and reasoning is not None:
        msg[style] = reasoning
        msg["content"] = None if cut else completion.text
    usage: dict[str, Any] = {}
    if completion.reasoning_tokens is not None:
        usage["completion_tokens_details"] = {"reasoning_tokens": completion.reasoning_tokens}
    return msg, usage


# -- OpenAI's parameter rules for its reasoning models, as the API states them -----------

_OPENAI_REASONING = re.compile(r"^(?:o[1-9]|gpt-5(?!-chat))", re.IGNORECASE)
_OLD = re.compile(r"^o1-(?:mini|preview)", re.IGNORECASE)


def _unsupported(param: str, message: str, code: str) -> dict[str, Any]:
    return {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": param,
            "code": code,
        }
    }


def openai_rejection(body: dict[str, Any]) -> dict[str, Any] | None:
    """OpenAI's 400 error body for a request its reasoning models refuse, else None.

    Applies to model names of OpenAI's reasoning families (``o1``, ``o3``, ``o4-mini``,
    ``gpt-5`` and their variants, not ``gpt-5-chat``): ``max_tokens``, a temperature
    other than 1, ``logprobs``; for ``o1-mini``/``o1-preview`` also ``reasoning_effort``
    and system messages; and an effort that is not low, medium or high.
    """
    model = str(body.get("model", ""))
    if not _OPENAI_REASONING.match(model):
        return None
    if "max_tokens" in body:
        return _unsupported(
            "max_tokens",
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
            "unsupported_parameter",
        )
    temperature = body.get("temperature")
    if temperature is not None and temperature != 1:
        shown = f"{temperature:g}" if isinstance(temperature, int | float) else str(temperature)
        return _unsupported(
            "temperature",
            f"Unsupported value: 'temperature' does not support {shown} with this "
            "model. Only the default (1) value is supported.",
            "unsupported_value",
        )
    if body.get("logprobs"):
        return _unsupported(
            "logprobs",
            "Unsupported parameter: 'logprobs' is not supported with this model.",
            "unsupported_parameter",
        )
    effort = body.get("reasoning_effort")
    if effort is not None and _OLD.match(model):
        return _unsupported(
            "reasoning_effort",
            "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
            "unsupported_parameter",
        )
    if effort is not None and effort not in EFFORT_LENGTH:
        return _unsupported(
            "reasoning_effort",
            f"Invalid value: '{effort}'. Supported values are: 'low', 'medium', and 'high'.",
            "invalid_value",
        )
    if _OLD.match(model):
        for i, m in enumerate(body.get("messages") or []):
            if isinstance(m, dict) and m.get("role") == "system":
                return _unsupported(
                    f"messages[{i}].role",
                    f"Unsupported value: 'messages[{i}].role' does not support 'system' with "
                    "this model.",
                    "unsupported_value",
                )
    return None
