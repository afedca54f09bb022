"""``judgebias serve-sim``: the simulated judge behind an OpenAI-compatible HTTP endpoint
(:mod:`judgebias.sim.server`); the flags are checked here, one line each."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from judgebias.cli.common import fail

__all__ = ["SERVE_SIM_EPILOG", "serve_sim"]

SERVE_SIM_EPILOG = """Examples:

  judgebias serve-sim --judge "sim:accuracy=0.9,position=0.3" --port 8011

  judgebias serve-sim --judge sim --port 0 --latency-ms 50 --fault-rate 0.2
"""


def serve_sim(
    judge: Annotated[str, typer.Option("--judge", help="sim[:key=value,...]")] = "sim",
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="TCP port; 0 picks a free one (printed).")
    ] = 8011,
    latency_ms: Annotated[
        float, typer.Option("--latency-ms", help="Mean latency per request.")
    ] = 0.0,
    fault_rate: Annotated[
        float, typer.Option("--fault-rate", help="Share of requests that meet a fault.")
    ] = 0.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the fault and latency draws.")] = 0,
    stall_s: Annotated[
        float, typer.Option("--stall-s", help="How long a stall fault holds a request.")
    ] = 120.0,
    retry_after: Annotated[
        float, typer.Option("--retry-after", help="Retry-After seconds sent with 429.")
    ] = 1.0,
    require_key_env: Annotated[
        str | None,
        typer.Option(
            "--require-key-env",
            help="Require 'Authorization: Bearer $VAR' (the key is read from this environment variable).",
        ),
    ] = None,
    constraints: Annotated[
        str,
        typer.Option(
            "--constraints",
            help="Which server's constraint fields to honour: all, openai (response_format "
            "json_schema, logit_bias; refuses others), vllm (structured_outputs, guided_choice, "
            "json_schema), llamacpp (json_object with schema, grammar; a 500 for json_schema), "
            "ollama (format, json_schema), plain (ignores them all).",
        ),
    ] = "all",
    reject_unknown: Annotated[
        bool,
        typer.Option(
            "--reject-unknown",
            help="Refuse request fields the server does not know with 400 (as OpenAI does).",
        ),
    ] = False,
) -> None:
    """Serve the simulated judge behind an OpenAI-compatible HTTP endpoint."""
    from judgebias.judges.base import parse_spec
    from judgebias.judges.simulated import parse_sim_params
    from judgebias.sim.constrained import SERVER_KINDS
    from judgebias.sim.server import ServerConfig, serve

    kind, rest = parse_spec(judge)
    if kind != "sim":
        fail(f"--judge: serve-sim serves the simulated judge only ('sim:...'), not '{kind}'")
    if not 0.0 <= fault_rate <= 1.0:
        fail(f"--fault-rate: {fault_rate} is outside [0, 1]")
    if latency_ms < 0:
        fail("--latency-ms: must not be negative")
    if constraints not in SERVER_KINDS:
        fail(f"--constraints: '{constraints}' is not one of {', '.join(SERVER_KINDS)}")
    if not 0 <= port <= 65535:
        fail(f"--port: {port} is not a TCP port")
    api_key = None
    if require_key_env:
        import os

        api_key = os.environ.get(require_key_env)
        if not api_key:
            fail(f"--require-key-env: the environment variable {require_key_env} is not set")
    cfg = ServerConfig(
        params=parse_sim_params(rest),
        latency_ms=latency_ms,
        fault_rate=fault_rate,
        seed=seed,
        stall_s=stall_s,
        retry_after_s=retry_after,
        api_key=api_key,
        constraints=constraints,
        reject_unknown=reject_unknown,
    )
    try:
        serve(cfg, host=host, port=port, on_listening=lambda info: typer.echo(json.dumps(info)))
    except OSError as exc:
        fail(f"--port: cannot listen on {host}:{port} ({exc.strerror or exc})")
