"""The judge protocol and the backend registry (provider errors are mapped in :mod:`.errors`).

A backend is one file with one class that has an ``async complete(request)``
coroutine. It does no caching, retrying or rate limiting: the runner owns those.

A *combining* judge (:class:`CombiningJudge`: the mitigation wrappers) answers a
request by combining the answers to other requests (its leaves). The runner expands
it: it answers every leaf like any request (cache, retries, budget), then calls
:meth:`CombiningJudge.combine`, which only combines answers already made.
Backends are registered lazily as ``"module:Class"`` strings so that
``judgebias --help`` never imports openai or litellm.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from judgebias.errors import SpecError
from judgebias.judges.errors import map_exception
from judgebias.registry import did_you_mean
from judgebias.types import ChatRequest, Completion

__all__ = [
    "BACKENDS",
    "CombiningJudge",
    "Judge",
    "JudgeOptions",
    "make_judge",
    "map_exception",
    "parse_spec",
]


@runtime_checkable
class Judge(Protocol):
    """What the runner needs from a backend.

    A backend whose calls end on their own may say so with an ``own_deadline``
    attribute (seconds, or None): the runner then arms no timer of its own per call when
    that is within its deadline (see :attr:`OpenAIJudge.own_deadline
    <judgebias.judges.openai_compat.OpenAIJudge.own_deadline>`)."""

    spec: str
    """The judge spec as shown to users (never contains a secret)."""
    model: str
    """The model name put into every request (part of the cache key)."""

    async def complete(self, request: ChatRequest) -> Completion: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class CombiningJudge(Judge, Protocol):
    """A judge whose answer to a request combines the answers to its leaf requests."""

    def leaves(self, request: ChatRequest) -> list[tuple[Judge, ChatRequest]]:
        """The (judge, request) pairs whose answers :meth:`combine` needs, in order."""
        ...

    def combine(self, request: ChatRequest, answers: Sequence[Completion]) -> Completion:
        """The answer to ``request`` from its leaves' answers (same order); no call."""
        ...


@dataclass
class JudgeOptions:
    """Backend settings that do not change the answer (so are not part of the cache key)."""

    base_urls: list[str] = field(default_factory=list)
    timeout: float = 60.0
    price_in: float | None = None
    price_out: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


BACKENDS: dict[str, str] = {
    "sim": "judgebias.judges.simulated:SimJudge",
    "openai": "judgebias.judges.openai_compat:OpenAIJudge",
    "litellm": "judgebias.judges.litellm_backend:LiteLLMJudge",
    "replay": "judgebias.judges.replay:ReplayJudge",
    "python": "judgebias.judges.python_fn:PythonJudge",
}


def _slash_hint(spec: str) -> str:
    """The judgebias spelling of an inspect/litellm-style ``PROVIDER/MODEL`` spec, as a hint."""
    provider, slash, model = spec.partition("/")
    if not slash or not model or ":" in provider:
        return ""
    if provider.strip().lower() in BACKENDS and provider.strip().lower() != "sim":
        return f" (did you mean '{provider.strip().lower()}:{model}'?)"
    return f" (did you mean 'litellm:{spec}'?)"


def parse_spec(spec: str) -> tuple[str, str]:
    """Split ``kind:rest`` (``sim`` alone is allowed) and check the kind exists."""
    spec = spec.strip()
    if not spec:
        raise SpecError("--judge: empty judge spec; use e.g. 'sim', 'openai:gpt-4o-mini'")
    kind, _, rest = spec.partition(":")
    kind = kind.strip().lower()
    if kind not in BACKENDS:
        hint = _slash_hint(spec) or did_you_mean(kind, BACKENDS)
        raise SpecError(
            f"--judge: unknown judge kind '{kind}'{hint}; use one of "
            + ", ".join(f"{k}:..." if k != "sim" else "sim[:key=value,...]" for k in BACKENDS)
        )
    return kind, rest


def make_judge(spec: str, options: JudgeOptions | None = None) -> Judge:
    """Build a judge from its spec string, importing only the backend it names."""
    kind, rest = parse_spec(spec)
    module_name, _, cls_name = BACKENDS[kind].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SpecError(
            f"--judge: the '{kind}' backend needs a package that is not installed ({exc.name}); "
            f"install it with: pip install 'judgebias[{kind}]'"
        ) from None
    cls = getattr(module, cls_name)
    judge: Judge = cls(rest, options or JudgeOptions())
    return judge
