"""A scripted OpenAI-compatible endpoint, served in-process over real HTTP on localhost.

Each request's user message picks a script (a list of ``(status, headers)`` to answer with,
in order, before answering 200); every arrival is logged with its time, so tests can check
retries, Retry-After and how many calls went out.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from judgebias.types import ChatRequest


@dataclass
class FakeEndpoint:
    scripts: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    """user message -> the failures to answer with first."""
    always: dict[str, tuple[int, dict[str, str]]] = field(default_factory=dict)
    """user message -> the failure to answer with every time."""
    body: dict[str, str] = field(default_factory=dict)
    """user message -> a raw body to answer with (status 200)."""
    delays: dict[str, float] = field(default_factory=dict)
    """user message -> seconds to wait before answering."""
    answer: str = "[[A]]"
    arrivals: list[tuple[str, float, str]] = field(default_factory=list)
    """(user message, monotonic time, Authorization header) of every request."""

    def count(self, message: str | None = None) -> int:
        return sum(1 for m, _, _ in self.arrivals if message is None or m == message)

    async def chat(self, request: web.Request) -> web.Response:
        data = await request.json()
        message = str(data["messages"][-1]["content"])
        self.arrivals.append((message, time.monotonic(), request.headers.get("Authorization", "")))
        if message in self.delays:
            await asyncio.sleep(self.delays[message])
        script = self.scripts.get(message)
        failure = script.pop(0) if script else self.always.get(message)
        if failure is not None:
            status, headers = failure
            payload = {"error": {"message": f"scripted {status}", "type": "scripted"}}
            return web.json_response(payload, status=status, headers=headers)
        if message in self.body:
            return web.Response(text=self.body[message], content_type="application/json")
        return web.json_response(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "model": data.get("model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": self.answer},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
            }
        )


@asynccontextmanager
async def serve(endpoint: FakeEndpoint) -> AsyncIterator[str]:
    """Serve ``endpoint`` on a free localhost port; yield its ``/v1`` base URL."""
    app = web.Application()
    app.router.add_post("/v1/chat/completions", endpoint.chat)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/v1"))
    finally:
        await server.close()


def request(message: str, model: str = "fake", **kw: Any) -> ChatRequest:
    """A chat request whose user message is ``message``."""
    return ChatRequest(model=model, messages=(("user", message),), **kw)
