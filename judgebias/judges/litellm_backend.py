"""``litellm:PROVIDER/MODEL``: every provider litellm supports (Anthropic, Bedrock,
Vertex, Together, Groq, Ollama, vLLM as ``hosted_vllm/...``, any OpenAI-compatible
server as ``openai/...`` with ``--base-url``, ...).

litellm is imported on first use only, with its bundled price table
(``LITELLM_LOCAL_MODEL_COST_MAP=True``: it never downloads one). Credentials are read
by litellm from the provider's usual environment variables. litellm's own retries are
off; the runner owns retries. Cost per call comes from litellm's price table where
the model is in it. The body follows :mod:`.request_rules` (an OpenAI reasoning model
behind ``openai/...`` or ``azure/...`` gets ``max_completion_tokens`` and no
temperature); ``reasoning_effort`` is passed through for litellm to map to the
provider's own setting, and the reasoning litellm returns (``reasoning_content``) is
kept apart from the answer.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

from judgebias.errors import SpecError
from judgebias.judges.base import JudgeOptions
from judgebias.judges.openai_compat import parse_chat_completion, request_body
from judgebias.types import ChatRequest, Completion

__all__ = ["LiteLLMJudge", "import_litellm"]


def import_litellm() -> Any:
    """Import litellm offline (local price table) and quiet."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        import litellm
    except ImportError:
        raise SpecError(
            "--judge: litellm:... needs the litellm package: pip install 'judgebias[litellm]'"
        ) from None
    litellm.suppress_debug_info = True
    litellm.telemetry = False
    return litellm


class LiteLLMJudge:
    def __init__(self, rest: str, options: JudgeOptions):
        model = rest.strip()
        if "/" not in model:
            raise SpecError(
                "--judge: litellm needs PROVIDER/MODEL, e.g. litellm:anthropic/claude-3-5-haiku-latest "
                "or litellm:openai/MODEL with --base-url"
            )
        self._litellm = import_litellm()
        self.model = model
        self.spec = f"litellm:{model}"
        self.timeout = options.timeout
        self._urls = itertools.cycle(options.base_urls) if options.base_urls else None

    async def complete(self, request: ChatRequest) -> Completion:
        kwargs: dict[str, Any] = request_body(request)
        kwargs.update(num_retries=0, timeout=self.timeout)
        if self._urls is not None:
            kwargs["api_base"] = next(self._urls)
            kwargs.setdefault("api_key", os.environ.get("OPENAI_API_KEY") or "not-needed")
        resp = await self._litellm.acompletion(**kwargs)
        data = resp.model_dump() if hasattr(resp, "model_dump") else dict(resp)
        comp = parse_chat_completion(data)
        try:
            cost = float(self._litellm.completion_cost(completion_response=resp, model=self.model))
        except Exception:
            cost = None
        if cost is not None and cost > 0:
            from dataclasses import replace

            comp = replace(comp, cost_usd=cost)
        return comp

    async def aclose(self) -> None:
        return None
