"""``judgebias serve-sim``: an OpenAI-compatible HTTP server around the simulated judge.

Endpoints: ``POST /v1/chat/completions`` (with ``logprobs``/``top_logprobs``),
``GET /v1/models``, ``GET /stats`` and ``GET /health``. With ``fault_rate`` > 0
each request, with that probability, meets one realistic fault drawn uniformly:
429 with ``Retry-After``, 500, 503, a stall longer than any sane client timeout,
a malformed body, or a body with no choices. Faults are drawn from a seeded
generator per request received, so a retried request can succeed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .judges.simulated import SimParams, simulate
from .types import ChatRequest

__all__ = ["FAULTS", "ServerConfig", "make_app", "serve"]

FAULTS = ("rate_limit", "server_error", "unavailable", "stall", "malformed", "empty_choices")


@dataclass
class ServerConfig:
    params: SimParams = field(default_factory=SimParams)
    latency_ms: float = 0.0
    fault_rate: float = 0.0
    seed: int = 0
    stall_s: float = 120.0
    retry_after_s: float = 1.0
    faults: tuple[str, ...] = FAULTS
    api_key: str | None = None
    """When set, requests must carry ``Authorization: Bearer <api_key>`` (else 401)."""


@dataclass
class _Stats:
    requests: int = 0
    completed: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    bad_requests: int = 0
    started: float = field(default_factory=time.time)


def _error(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"message": message, "type": kind, "code": status}}
    return web.json_response(body, status=status, headers=headers)


def make_app(config: ServerConfig) -> web.Application:
    stats = _Stats()
    rng = random.Random(config.seed)

    async def chat(request: web.Request) -> web.StreamResponse:
        stats.requests += 1
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            return await _chat(request)
        finally:
            stats.in_flight -= 1

    async def _chat(request: web.Request) -> web.StreamResponse:
        if config.api_key is not None and request.headers.get("Authorization") != f"Bearer {config.api_key}":
            return _error(401, "invalid API key (simulated)", "authentication_error")
        try:
            body = await request.json()
            messages = body["messages"]
            req = ChatRequest(
                model=str(body.get("model", "sim")),
                messages=tuple((str(m["role"]), str(m.get("content") or "")) for m in messages),
                temperature=float(body.get("temperature") or 0.0),
                logprobs=bool(body.get("logprobs", False)),
                top_logprobs=body.get("top_logprobs"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            stats.bad_requests += 1
            return _error(400, f"invalid request body: {exc}", "invalid_request_error")

        fault = rng.choice(config.faults) if rng.random() < config.fault_rate else None
        if config.latency_ms > 0:
            await asyncio.sleep(config.latency_ms / 1000.0 * (0.5 + rng.random()))
        if fault is not None:
            stats.faults[fault] = stats.faults.get(fault, 0) + 1
        if fault == "rate_limit":
            return _error(429, "rate limit reached (simulated)", "rate_limit_error",
                          {"Retry-After": f"{config.retry_after_s:g}"})
        if fault == "server_error":
            return _error(500, "internal error (simulated)", "server_error")
        if fault == "unavailable":
            return _error(503, "overloaded (simulated)", "server_error")
        if fault == "stall":
            await asyncio.sleep(config.stall_s)
            return _error(504, "stalled (simulated)", "server_error")
        if fault == "malformed":
            return web.Response(status=200, text='{"id": "chatcmpl-broken", "choices": [',
                                content_type="application/json")

        completion = simulate(req, config.params)
        created = int(time.time())
        if fault == "empty_choices":
            return web.json_response({"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion",
                                      "created": created, "model": req.model, "choices": []})
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": completion.text},
            "finish_reason": "stop",
            "logprobs": None,
        }
        if req.logprobs and completion.top_logprobs:
            k = int(req.top_logprobs or 1)
            tops = [
                {"token": t, "logprob": lp, "bytes": list(t.encode())}
                for t, lp in completion.top_logprobs[: max(1, k)]
            ]
            choice["logprobs"] = {"content": [{**tops[0], "top_logprobs": tops}]}
        stats.completed += 1
        return web.json_response({
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": created,
            "model": req.model,
            "choices": [choice],
            "usage": {
                "prompt_tokens": completion.prompt_tokens,
                "completion_tokens": completion.completion_tokens,
                "total_tokens": (completion.prompt_tokens or 0) + (completion.completion_tokens or 0),
            },
        })

    async def get_stats(request: web.Request) -> web.Response:
        return web.json_response({
            "requests": stats.requests,
            "completed": stats.completed,
            "in_flight": stats.in_flight,
            "max_in_flight": stats.max_in_flight,
            "faults": stats.faults,
            "bad_requests": stats.bad_requests,
            "uptime_s": round(time.time() - stats.started, 3),
            "judge": config.params.spec(),
        })

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [
            {"id": "sim", "object": "model", "owned_by": "judgebias"}]})

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_post("/chat/completions", chat)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/stats", get_stats)
    app.router.add_get("/health", health)
    return app


def serve(config: ServerConfig, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the server until interrupted; print one line with the address once listening."""

    async def main() -> None:
        runner = web.AppRunner(make_app(config), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        real_port = sockets[0].getsockname()[1] if sockets else port
        print(json.dumps({"listening": f"http://{host}:{real_port}/v1", "port": real_port,
                          "judge": config.params.spec()}), flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    from .loop import run_async

    with contextlib.suppress(KeyboardInterrupt):
        run_async(main())
