"""``judgebias serve-sim``: an OpenAI-compatible HTTP server around the simulated judge.

Endpoints: ``POST /v1/chat/completions`` (with ``logprobs``/``top_logprobs``),
``GET /v1/models``, ``GET /stats``, ``GET /health``, and OpenAI's batch API
(``POST /v1/files``, ``GET /v1/files/{id}/content``, ``POST /v1/batches``,
``GET /v1/batches/{id}``), which answers a batch file after one latency. With ``fault_rate`` > 0
each request, with that probability, meets one realistic fault drawn uniformly:
429 with ``Retry-After``, 500, 503, a stall longer than any sane client timeout,
a malformed body, or a body with no choices. Faults are drawn from a seeded
generator per request received, so a retried request can succeed.

A reasoning sim (``sim:reasoning=...``) answers as a server of that kind does: reasoning
inline in ``<think>`` tags, in a ``reasoning_content`` or ``reasoning`` field, or hidden
with only its token count (see :mod:`judgebias.sim.reasoning`); its budget is the
request's ``max_completion_tokens`` or ``max_tokens``. Whatever the sim, a request naming
a model of OpenAI's reasoning families (``o3-mini``, ``gpt-5`` ...) is refused with
OpenAI's own 400 body when it carries a parameter OpenAI refuses for them
(``max_tokens``, a temperature other than 1, ...).

Constrained requests (``--constrain``) are answered as the server kind chosen by
``--constraints`` does (see :mod:`judgebias.sim.constrained`): the fields it honours give
the constrained answer, the fields it refuses an error (400; 500 as llama-cpp-python), the others are ignored (or
refused with ``--reject-unknown``); ``/tokenize`` and ``/extras/tokenize`` serve the
``logit-bias`` form.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from judgebias.jsonfast import dumps, loads
from judgebias.sim.constrained import (
    SERVER_KINDS,
    WireRefusal,
    constrained_answer,
    tokenize,
    wire_constraint,
)
from judgebias.sim.params import SimParams
from judgebias.sim.reasoning import openai_rejection, wire_message
from judgebias.sim.reply import simulate
from judgebias.types import ChatRequest, Completion

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
    constraints: str = "all"
    """Which server's constraint fields to honour (``--constraints``: a key of
    :data:`judgebias.sim.constrained.SERVER_KINDS`; ``plain`` ignores them all)."""
    reject_unknown: bool = False
    """Refuse fields the server does not know with 400, as OpenAI does (``--reject-unknown``);
    by default they are ignored, as vLLM and llama-cpp-python do."""


@dataclass
class _Stats:
    requests: int = 0
    completed: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    bad_requests: int = 0
    started: float = field(default_factory=time.time)


def _error(
    status: int, message: str, kind: str, headers: dict[str, str] | None = None
) -> web.Response:
    body = {"error": {"message": message, "type": kind, "code": status}}
    return web.json_response(body, status=status, headers=headers)


def _request_of(body: dict[str, Any]) -> ChatRequest:
    """The chat request a JSON body asks for (raises ValueError/KeyError/TypeError)."""
    budget = body.get("max_completion_tokens", body.get("max_tokens"))
    effort = body.get("reasoning_effort")
    return ChatRequest(
        model=str(body.get("model", "sim")),
        messages=tuple((str(m["role"]), str(m.get("content") or "")) for m in body["messages"]),
        temperature=float(body.get("temperature") or 0.0),
        max_tokens=int(budget) if budget is not None else None,
        logprobs=bool(body.get("logprobs", False)),
        top_logprobs=body.get("top_logprobs"),
        reasoning_effort=str(effort) if effort is not None else None,
    )


def _choice(completion: Completion, style: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the first choice, the usage) of a completion body, as a server of this style sends it."""
    message, extra = wire_message(completion, style)
    choice = {
        "index": 0,
        "message": message,
        "finish_reason": completion.finish_reason or "stop",
        "logprobs": None,
    }
    usage = {
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens,
        "total_tokens": (completion.prompt_tokens or 0) + (completion.completion_tokens or 0),
        **extra,
    }
    return choice, usage


def make_app(config: ServerConfig) -> web.Application:
    stats = _Stats()
    rng = random.Random(config.seed)
    # completion ids count up from a random start: unique per server, and no urandom
    # call per answer (uuid4 was a twentieth of the server's time under load)
    ids = itertools.count(uuid.uuid4().int >> 80)

    def completion_id() -> str:
        return f"chatcmpl-{next(ids):012x}"

    async def chat(request: web.Request) -> web.StreamResponse:
        stats.requests += 1
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            return await _chat(request)
        finally:
            stats.in_flight -= 1

    async def _chat(request: web.Request) -> web.StreamResponse:
        if (
            config.api_key is not None
            and request.headers.get("Authorization") != f"Bearer {config.api_key}"
        ):
            return _error(401, "invalid API key (simulated)", "authentication_error")
        try:
            body = loads(await request.read())
            req = _request_of(body)
        except (ValueError, KeyError, TypeError) as exc:
            stats.bad_requests += 1
            return _error(400, f"invalid request body: {exc}", "invalid_request_error")
        refusal = openai_rejection(body)
        if refusal is not None:
            stats.bad_requests += 1
            return web.json_response(refusal, status=400)
        try:
            constraint = wire_constraint(body, config.constraints, config.reject_unknown)
        except WireRefusal as exc:
            stats.bad_requests += 1
            return web.json_response(exc.body, status=exc.status)

        fault = rng.choice(config.faults) if rng.random() < config.fault_rate else None
        if config.latency_ms > 0:
            await asyncio.sleep(config.latency_ms / 1000.0 * (0.5 + rng.random()))
        if fault is not None:
            stats.faults[fault] = stats.faults.get(fault, 0) + 1
        if fault == "rate_limit":
            return _error(
                429,
                "rate limit reached (simulated)",
                "rate_limit_error",
                {"Retry-After": f"{config.retry_after_s:g}"},
            )
        if fault == "server_error":
            return _error(500, "internal error (simulated)", "server_error")
        if fault == "unavailable":
            return _error(503, "overloaded (simulated)", "server_error")
        if fault == "stall":
            await asyncio.sleep(config.stall_s)
            return _error(504, "stalled (simulated)", "server_error")
        if fault == "malformed":
            return web.Response(
                status=200,
                text='{"id": "chatcmpl-broken", "choices": [',
                content_type="application/json",
            )

        completion = simulate(req, config.params)
        if constraint is not None:
            completion = constrained_answer(completion, constraint, config.params.seed)
        created = int(time.time())
        if fault == "empty_choices":
            return web.json_response(
                {
                    "id": completion_id(),
                    "object": "chat.completion",
                    "created": created,
                    "model": req.model,
                    "choices": [],
                }
            )
        choice, usage = _choice(completion, config.params.reasoning)
        if req.logprobs and completion.logprob_steps:
            k = max(1, int(req.top_logprobs or 1))

            def entry(token: str, logprob: float) -> dict[str, Any]:
                return {"token": token, "logprob": logprob, "bytes": list(token.encode())}

            choice["logprobs"] = {
                "content": [
                    {**entry(tok, lp), "top_logprobs": [entry(t, x) for t, x in alts[:k]]}
                    for tok, lp, alts in completion.logprob_steps
                ]
            }
        stats.completed += 1
        answer = {
            "id": completion_id(),
            "object": "chat.completion",
            "created": created,
            "model": req.model,
            "choices": [choice],
            "usage": usage,
        }
        return web.Response(body=dumps(answer), content_type="application/json")

    async def get_stats(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "requests": stats.requests,
                "completed": stats.completed,
                "in_flight": stats.in_flight,
                "max_in_flight": stats.max_in_flight,
                "faults": stats.faults,
                "bad_requests": stats.bad_requests,
                "uptime_s": round(time.time() - stats.started, 3),
                "judge": config.params.spec(),
            }
        )

    async def models(request: web.Request) -> web.Response:
        return web.json_response(
            {"object": "list", "data": [{"id": "sim", "object": "model", "owned_by": "judgebias"}]}
        )

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def tokenize_text(request: web.Request) -> web.Response:
        """vLLM's and llama.cpp's ``/tokenize``, llama-cpp-python's ``/extras/tokenize``."""
        body = await request.json()
        text = body.get("input", body.get("prompt", body.get("content")))
        if not isinstance(text, str):
            return _error(400, "nothing to tokenize", "invalid_request_error")
        return web.json_response({"tokens": tokenize(text)})

    # -- the batch API (files + batches), as OpenAI's: enough for `audit --batch` ----------
    files: dict[str, dict[str, Any]] = {}
    batches: dict[str, dict[str, Any]] = {}

    def completion_body(req: ChatRequest) -> dict[str, Any]:
        choice, usage = _choice(simulate(req, config.params), config.params.reasoning)
        return {
            "id": completion_id(),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": req.model,
            "choices": [choice],
            "usage": usage,
        }

    async def upload(request: web.Request) -> web.Response:
        form = await request.post()
        field = form.get("file")
        if isinstance(field, web.FileField):
            data = field.file.read()
        elif isinstance(field, str | bytes | bytearray):
            data = field.encode() if isinstance(field, str) else bytes(field)
        else:
            return _error(400, "missing 'file' in the upload", "invalid_request_error")
        fid = f"file-{uuid.uuid4().hex[:16]}"
        files[fid] = {
            "id": fid,
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": getattr(field, "filename", "batch.jsonl"),
            "purpose": str(form.get("purpose", "batch")),
            "data": data,
        }
        return web.json_response({k: v for k, v in files[fid].items() if k != "data"})

    async def file_content(request: web.Request) -> web.Response:
        f = files.get(request.match_info["fid"])
        if f is None:
            return _error(404, "no such file", "invalid_request_error")
        return web.Response(body=f["data"], content_type="application/jsonl")

    async def process(bid: str) -> None:
        b = batches[bid]
        b["status"] = "in_progress"
        await asyncio.sleep(config.latency_ms / 1000.0)
        out_lines = []
        for line in files[b["input_file_id"]]["data"].decode().splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            body = item["body"]
            stats.requests += 1
            refusal = openai_rejection(body)
            if refusal is not None:
                stats.bad_requests += 1
                response = {
                    "status_code": 400,
                    "request_id": uuid.uuid4().hex[:12],
                    "body": refusal,
                }
            else:
                response = {
                    "status_code": 200,
                    "request_id": uuid.uuid4().hex[:12],
                    "body": completion_body(_request_of(body)),
                }
                stats.completed += 1
            out_lines.append(
                json.dumps(
                    {
                        "id": f"batch_req_{uuid.uuid4().hex[:12]}",
                        "custom_id": item["custom_id"],
                        "response": response,
                        "error": None,
                    }
                )
            )
        oid = f"file-{uuid.uuid4().hex[:16]}"
        data = ("\n".join(out_lines) + "\n").encode()
        files[oid] = {
            "id": oid,
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": "output.jsonl",
            "purpose": "batch_output",
            "data": data,
        }
        b.update(
            status="completed",
            output_file_id=oid,
            completed_at=int(time.time()),
            request_counts={"total": len(out_lines), "completed": len(out_lines), "failed": 0},
        )

    async def create_batch(request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("input_file_id") not in files:
            return _error(400, "unknown input_file_id", "invalid_request_error")
        bid = f"batch_{uuid.uuid4().hex[:16]}"
        batches[bid] = {
            "id": bid,
            "object": "batch",
            "endpoint": body.get("endpoint"),
            "input_file_id": body["input_file_id"],
            "completion_window": "24h",
            "status": "validating",
            "created_at": int(time.time()),
            "output_file_id": None,
            "error_file_id": None,
            "errors": None,
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
        }
        tasks.add(asyncio.get_running_loop().create_task(process(bid)))
        return web.json_response(batches[bid])

    async def get_batch(request: web.Request) -> web.Response:
        b = batches.get(request.match_info["bid"])
        if b is None:
            return _error(404, "no such batch", "invalid_request_error")
        return web.json_response(b)

    tasks: set[asyncio.Task[None]] = set()
    app = web.Application(client_max_size=256 * 1024 * 1024)
    app.router.add_post("/v1/files", upload)
    app.router.add_get("/v1/files/{fid}/content", file_content)
    app.router.add_post("/v1/batches", create_batch)
    app.router.add_get("/v1/batches/{bid}", get_batch)
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_post("/chat/completions", chat)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/stats", get_stats)
    app.router.add_get("/health", health)
    if config.constraints in ("all", "vllm"):
        app.router.add_post("/tokenize", tokenize_text)
    if config.constraints in ("all", "llamacpp"):
        app.router.add_post("/extras/tokenize", tokenize_text)
    if config.constraints not in SERVER_KINDS:
        raise ValueError(f"constraints '{config.constraints}' is not one of {list(SERVER_KINDS)}")
    return app


def serve(
    config: ServerConfig,
    host: str = "127.0.0.1",
    port: int = 8000,
    on_listening: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Run the server until interrupted. Once it listens, ``on_listening`` is called with
    ``{"listening": URL, "port": PORT, "judge": SPEC}`` (``serve-sim`` prints it as JSON)."""

    async def main() -> None:
        runner = web.AppRunner(make_app(config), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        real_port = sockets[0].getsockname()[1] if sockets else port
        if on_listening is not None:
            on_listening(
                {
                    "listening": f"http://{host}:{real_port}/v1",
                    "port": real_port,
                    "judge": config.params.spec(),
                }
            )
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    from judgebias.engine.loop import run_async

    with contextlib.suppress(KeyboardInterrupt):
        run_async(main())
