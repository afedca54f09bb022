"""``openai:MODEL``: any OpenAI-compatible chat endpoint.

Works with OpenAI itself, vLLM, llama.cpp's server, Ollama, LM Studio, gateways and
``judgebias serve-sim``. Give ``--base-url`` (several times to spread requests over
replicas, round-robin). The key comes from ``OPENAI_API_KEY``; local servers that
need none get a placeholder. It is sent in the Authorization header only and never
stored or logged.

A base URL may carry a user and password (``http://user:password@host:8000/v1``, a
server behind a proxy with HTTP Basic auth): they are taken out of the URL and sent as
``Authorization: Basic ...`` to that URL, by either transport. That header has room for
one credential, so a URL with a user and password together with ``OPENAI_API_KEY`` is
refused before anything is sent. The password is masked in every message, and
:func:`hide_url_credentials` masks it in the command line recorded in summary.json.

Two transports behind one class, chosen by measurement, not taste
(``benchmarks/throughput.py``):

- ``sdk``: the openai SDK's async client, used for api.openai.com (and for its batch
  API), where per-call client CPU is irrelevant next to the provider's latency;
- ``lean``: one shared aiohttp session posting the same JSON to
  ``{base_url}/chat/completions``, the default for every other endpoint (vLLM,
  llama.cpp, Ollama, gateways) where thousands of concurrent calls make the SDK's
  per-call overhead the bottleneck.

Both keep their own retries off: the runner owns retries, and every failure of either is
mapped by :mod:`judgebias.judges.errors` (one status table for both).
"""

from __future__ import annotations

import base64
import itertools
import os
import re
from collections.abc import Coroutine
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from judgebias.errors import BadResponseError, SpecError
from judgebias.jsonfast import dumps, loads
from judgebias.judges.base import JudgeOptions
from judgebias.judges.errors import at_endpoint, error_for_status, map_exception, message_of_body
from judgebias.judges.request_rules import request_body
from judgebias.judges.thinking import reasoning_of, reasoning_tokens_of
from judgebias.types import ChatRequest, Completion, LogprobStep

__all__ = [
    "OpenAIJudge",
    "hide_url_credentials",
    "parse_chat_completion",
    "request_body",
    "split_credentials",
]

OPENAI_URL = "https://api.openai.com/v1"

_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<info>[^/\s@]+)@")


def split_credentials(url: str) -> tuple[str, str | None, str]:
    """``url`` without its ``user:password@`` part, the HTTP Basic Authorization value
    that part stands for (None when there is none), and the password (``""`` if none).

    User and password are percent-decoded (``p%40ss`` is ``p@ss``), then sent as UTF-8.
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, ""
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    user, password = unquote(user), unquote(password)
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    public = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    return public, f"Basic {token}", password or user


def hide_url_credentials(text: str) -> str:
    """``text`` with the password of every URL in it masked (``http://user:***@host``);
    a URL with only a user part (often a token) has it masked whole."""

    def mask(m: re.Match[str]) -> str:
        user, colon, _ = m["info"].partition(":")
        return m["scheme"] + (f"{user}:***@" if colon else "***@")

    return _USERINFO.sub(mask, text)


def _logprob_steps(logprobs: Any) -> tuple[LogprobStep, ...] | None:
    """Every generated token with its top alternatives (``choices[0].logprobs.content``)."""
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    if not content or not isinstance(content, list):
        return None
    steps: list[LogprobStep] = []
    try:
        for item in content:
            alts = item.get("top_logprobs") or [item]
            steps.append(
                (
                    str(item["token"]),
                    float(item["logprob"]),
                    tuple((str(a["token"]), float(a["logprob"])) for a in alts),
                )
            )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise BadResponseError("malformed response: unreadable logprobs") from None
    return tuple(steps)


def parse_chat_completion(data: Any) -> Completion:
    """Read a chat-completion JSON object (a dict) into a :class:`Completion`.

    The reasoning (an inline ``<think>`` block or a reasoning field, see
    :mod:`.thinking`) is kept apart from ``text``, the final answer. An empty answer after
    reasoning (the budget ran out, ``finish_reason`` ``length``) is an answer, not a
    malformed body: it is returned with its reasoning, so it is recorded once and never
    paid for again. Content that is null counts as empty then too.
    """
    if not isinstance(data, dict):
        raise BadResponseError("malformed response: not a JSON object")
    choices = data.get("choices")
    if not choices or not isinstance(choices, list) or not isinstance(choices[0], dict):
        raise BadResponseError("malformed response: no choices in the completion")
    choice = choices[0]
    message = choice.get("message") or {}
    if not isinstance(message, dict):
        raise BadResponseError("malformed response: the first choice has no message")
    usage = data.get("usage") or {}
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise BadResponseError("malformed response: the first choice has no text content")
    reasoning, text = reasoning_of(message, content)
    reasoning_tokens = reasoning_tokens_of(usage)
    finish = choice.get("finish_reason")
    if text is None:
        if not (reasoning or reasoning_tokens or finish == "length"):
            raise BadResponseError("malformed response: the first choice has no text content")
        text = ""
    steps = _logprob_steps(choice.get("logprobs"))
    return Completion(
        text=text,
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
        top_logprobs=steps[0][2] if steps else None,
        logprob_steps=steps,
        model=data.get("model"),
        finish_reason=finish,
        reasoning=reasoning,
        reasoning_tokens=reasoning_tokens,
    )


class OpenAIJudge:
    def __init__(self, rest: str, options: JudgeOptions):
        model = rest.strip()
        if not model:
            raise SpecError("--judge: 'openai:' needs a model name, e.g. openai:gpt-4o-mini")
        self.model = model
        self.spec = f"openai:{model}"
        given = [
            u.rstrip("/")
            for u in (options.base_urls or [os.environ.get("OPENAI_BASE_URL") or OPENAI_URL])
        ]
        split = [split_credentials(u) for u in given]
        urls = [u for u, _, _ in split]
        key = os.environ.get("OPENAI_API_KEY")
        with_login = next((g for g, (_, basic, _) in zip(given, split, strict=True) if basic), None)
        if with_login is not None and key:
            flag = "--base-url" if options.base_urls else "OPENAI_BASE_URL"
            raise SpecError(
                f"{flag}: {hide_url_credentials(with_login)} carries a "
                "user:password, sent as HTTP Basic auth, but OPENAI_API_KEY is set too and "
                "only one of them fits the Authorization header: run with OPENAI_API_KEY= "
                "to log in with the URL's user:password, or take them out of the URL to "
                "send the key"
            )
        if not key:
            if any(u == OPENAI_URL for u in urls):
                raise SpecError(
                    "--judge: openai:... against api.openai.com needs OPENAI_API_KEY in the "
                    "environment (or give --base-url for a local server)"
                )
            key = "not-needed"
        self.base_urls = urls
        self.timeout = options.timeout
        transport = str(options.extra.get("transport") or "")
        if transport not in ("", "sdk", "lean"):
            raise SpecError(f"transport '{transport}' is not one of sdk, lean")
        self.transport = transport or ("sdk" if all(u == OPENAI_URL for u in urls) else "lean")
        self._key = key
        self._secrets = (key, *(secret for _, _, secret in split if secret))
        # the Authorization header per base URL: its Basic login, else the key
        self._auth = {u: basic or f"Bearer {key}" for u, basic, _ in split}
        self._urls = itertools.cycle(urls)
        self._sessions: Any = None
        self._endpoints: dict[str, tuple[str, Any, dict[str, str] | None]] = {}
        self._clients: list[Any] = []
        self._client_cycle: Any = None

    @property
    def own_deadline(self) -> float | None:
        """Seconds after which a call ends on its own: the lean transport's total timeout
        covers connecting, sending and reading the whole answer, so the runner need not
        arm a deadline of its own (the SDK's per-operation timeouts do not: None)."""
        return self.timeout if self.transport == "lean" else None

    # -- lean transport -------------------------------------------------------------
    def _open_session(self) -> None:
        """The lean transport's session, and each base URL's endpoint parsed once. When
        every base URL sends the same headers they are the session's own, so a call
        does not merge headers of its own into them."""
        import aiohttp
        from yarl import URL

        headers = {
            u: {"Authorization": auth, "Content-Type": "application/json"}
            for u, auth in self._auth.items()
        }
        shared = len(set(self._auth.values())) == 1
        self._sessions = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            headers=headers[self.base_urls[0]] if shared else None,
        )
        self._endpoints = {
            u: (
                u + "/chat/completions",
                URL(u + "/chat/completions"),
                None if shared else headers[u],
            )
            for u in self.base_urls
        }

    async def _lean(self, request: ChatRequest) -> Completion:
        if self._sessions is None:
            self._open_session()
        base = next(self._urls)
        url, endpoint, headers = self._endpoints[base]
        try:
            async with self._sessions.post(
                endpoint, data=dumps(request_body(request)), headers=headers
            ) as resp:
                raw = await resp.read()  # JSON is UTF-8: loads reads the bytes
                if resp.status != 200:
                    text = raw.decode("utf-8", "replace")
                    raise error_for_status(
                        resp.status, message_of_body(text, resp.status), resp.headers
                    )
        except Exception as exc:  # refused, timed out, an HTTP error: name the URL
            err = map_exception(exc, self._secrets)
            raise at_endpoint(err, url, base, self.model, self.timeout) from None
        try:
            data = loads(raw)
        except ValueError:
            raise BadResponseError("malformed response: the body is not valid JSON") from None
        return parse_chat_completion(data)

    # -- SDK transport -------------------------------------------------------------
    async def _sdk(self, request: ChatRequest) -> Completion:
        if not self._clients:
            self._clients = [self.sdk_client(u) for u in self.base_urls]
            self._client_cycle = itertools.cycle(self._clients)
        client = next(self._client_cycle)
        try:
            resp = await client.chat.completions.create(**request_body(request))
        except Exception as exc:  # the SDK's messages ("Connection error.") name no URL
            base = str(client.base_url).rstrip("/")
            err = map_exception(exc, self._secrets)
            raise at_endpoint(
                err, base + "/chat/completions", base, self.model, self.timeout
            ) from None
        return parse_chat_completion(resp.model_dump())

    def sdk_client(self, base_url: str, max_retries: int = 0) -> Any:
        """An openai SDK client for ``base_url`` (one of ``base_urls``) with this judge's
        key, or the URL's Basic login, and timeout."""
        from openai import AsyncOpenAI

        auth = self._auth.get(base_url, "")
        return AsyncOpenAI(
            base_url=base_url,
            api_key=self._key,
            max_retries=max_retries,
            timeout=self.timeout,
            default_headers={"Authorization": auth} if auth.startswith("Basic ") else None,
        )

    def complete(self, request: ChatRequest) -> Coroutine[Any, Any, Completion]:
        """The transport's own coroutine, not one awaiting it: every resumption of a
        call in flight passes through one frame fewer."""
        if self.transport == "lean":
            return self._lean(request)
        return self._sdk(request)

    async def aclose(self) -> None:
        if self._sessions is not None:
            await self._sessions.close()
            self._sessions = None
        for c in self._clients:
            await c.close()
        self._clients = []
