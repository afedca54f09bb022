"""``openai:MODEL``: any OpenAI-compatible chat endpoint through the openai SDK's async client.

Works with OpenAI itself, vLLM, llama.cpp's server, Ollama, LM Studio, gateways and
``judgebias serve-sim``. Give ``--base-url`` (several times to spread requests over
replicas, round-robin). The key comes from ``OPENAI_API_KEY``; local servers that
need none get a placeholder. The SDK's own retries are off: the runner owns retries.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

from ..errors import BadResponseError, SpecError
from ..types import ChatRequest, Completion
from .base import JudgeOptions

__all__ = ["OpenAIJudge"]

_OPENAI_URL = "https://api.openai.com/v1"


class OpenAIJudge:
    def __init__(self, rest: str, options: JudgeOptions):
        from openai import AsyncOpenAI

        model = rest.strip()
        if not model:
            raise SpecError("--judge: 'openai:' needs a model name, e.g. openai:gpt-4o-mini")
        self.model = model
        self.spec = f"openai:{model}"
        urls = options.base_urls or [os.environ.get("OPENAI_BASE_URL") or _OPENAI_URL]
        key = os.environ.get("OPENAI_API_KEY")
        if not key:
            if any(u.rstrip("/") == _OPENAI_URL for u in urls):
                raise SpecError(
                    "--judge: openai:... against api.openai.com needs OPENAI_API_KEY in the "
                    "environment (or give --base-url for a local server)"
                )
            key = "not-needed"
        self.base_urls = urls
        self._clients = [
            AsyncOpenAI(base_url=u, api_key=key, max_retries=0, timeout=options.timeout)
            for u in urls
        ]
        self._cycle = itertools.cycle(self._clients)

    async def complete(self, request: ChatRequest) -> Completion:
        client = next(self._cycle)
        kwargs: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": r, "content": c} for r, c in request.messages],
            "temperature": request.temperature,
        }
        if request.max_tokens is not None:
            kwargs["max_tokens"] = request.max_tokens
        if request.seed is not None:
            kwargs["seed"] = request.seed
        if request.logprobs:
            kwargs["logprobs"] = True
            kwargs["top_logprobs"] = request.top_logprobs or 5
        resp = await client.chat.completions.create(**kwargs)
        return _to_completion(resp)

    async def aclose(self) -> None:
        for c in self._clients:
            await c.close()


def _to_completion(resp: Any) -> Completion:
    choices = getattr(resp, "choices", None)
    if not choices:
        raise BadResponseError("malformed response: no choices in the completion")
    choice = choices[0]
    message = getattr(choice, "message", None)
    text = getattr(message, "content", None)
    if not isinstance(text, str):
        raise BadResponseError("malformed response: the first choice has no text content")
    top: tuple[tuple[str, float], ...] | None = None
    lp = getattr(choice, "logprobs", None)
    content = getattr(lp, "content", None) if lp is not None else None
    if content:
        first = content[0]
        alts = getattr(first, "top_logprobs", None) or []
        top = tuple((a.token, float(a.logprob)) for a in alts) or (
            (first.token, float(first.logprob)),
        )
    usage = getattr(resp, "usage", None)
    return Completion(
        text=text,
        prompt_tokens=getattr(usage, "prompt_tokens", None),
        completion_tokens=getattr(usage, "completion_tokens", None),
        top_logprobs=top,
        model=getattr(resp, "model", None),
        finish_reason=getattr(choice, "finish_reason", None),
    )
