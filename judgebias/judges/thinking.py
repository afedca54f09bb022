"""Keep a reasoning judge's reasoning apart from its answer.

Reasoning models hand their reasoning back in one of two ways:

- **inline**, at the start of the content: ``<think>...</think>`` then the answer
  (DeepSeek-R1 distills, Qwen3 and QwQ through llama.cpp, Ollama or vLLM without a
  reasoning parser). A ``<think>`` that is never closed is reasoning that ran out of
  tokens: all of it is reasoning and the answer is empty. When the chat template puts
  the opening tag into the prompt, only ``</think>`` appears in the output: everything
  before it is reasoning. ``<thinking>`` is read the same way.
- **in a field** of the message: ``reasoning_content`` (vLLM's reasoning parsers, the
  DeepSeek API, litellm), ``reasoning`` (Ollama's and OpenRouter's OpenAI-compatible
  endpoints, newer vLLM) or ``thinking`` (Ollama's own API).

OpenAI's reasoning models return no reasoning text at all, only its token count in
``usage.completion_tokens_details.reasoning_tokens``.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["REASONING_FIELDS", "reasoning_of", "reasoning_tokens_of", "split_inline"]

REASONING_FIELDS = ("reasoning_content", "reasoning", "thinking")
"""Message fields that carry reasoning text, in the order they are read."""

_OPEN = re.compile(r"\A\s*<(think|thinking)>", re.IGNORECASE)
_ANY_OPEN = re.compile(r"<(?:think|thinking)>", re.IGNORECASE)
_CLOSE_ONLY = re.compile(r"</(?:think|thinking)>", re.IGNORECASE)


def split_inline(content: str) -> tuple[str | None, str]:
    """(reasoning or None, answer) of a content string that may open with reasoning."""
    if "<" not in content:  # every tag has one: most answers end here
        return None, content
    m = _OPEN.match(content)
    if m:
        rest = content[m.end() :]
        close = re.search(rf"</{m.group(1)}>", rest, re.IGNORECASE)
        if close is None:  # the budget ran out inside the reasoning
            return rest.strip(), ""
        return rest[: close.start()].strip(), rest[close.end() :].strip()
    close = _CLOSE_ONLY.search(content)
    if close is not None and not _ANY_OPEN.search(content, 0, close.start()):
        return content[: close.start()].strip(), content[close.end() :].strip()
    return None, content


def reasoning_tokens_of(usage: Any) -> int | None:
    """``usage.completion_tokens_details.reasoning_tokens``, when the provider reports it."""
    details = usage.get("completion_tokens_details") if isinstance(usage, dict) else None
    value = details.get("reasoning_tokens") if isinstance(details, dict) else None
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def reasoning_of(message: dict[str, Any], content: str | None) -> tuple[str | None, str | None]:
    """(reasoning, answer) of a chat message: its reasoning field(s) and any inline block.

    ``answer`` is ``None`` only when the content is ``None``; empty reasoning counts as none.
    """
    parts = [
        v.strip()
        for v in (message.get(name) for name in REASONING_FIELDS)
        if isinstance(v, str) and v.strip()
    ]
    answer = content
    if content is not None:
        inline, answer = split_inline(content)
        if inline:
            parts.append(inline)
    return ("\n\n".join(dict.fromkeys(parts)) or None), answer
