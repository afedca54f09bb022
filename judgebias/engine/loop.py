"""Running coroutines: on uvloop when it is installed (it halves the client's CPU per
call in ``benchmarks/throughput.py``), else on asyncio's own loop."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run_async"]

T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on uvloop when it is installed, else asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    runner_cls = getattr(asyncio, "Runner", None)
    if runner_cls is None:  # Python 3.10
        result: T = uvloop.run(coro)
        return result
    with runner_cls(loop_factory=uvloop.new_event_loop) as r:
        out: T = r.run(coro)
        return out
