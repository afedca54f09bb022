"""The runner: the only place with concurrency, retries, progress and cache look-ups.

Given the unique requests an audit needs, it answers the ones already in the
store from the store, and sends the rest to the judge with at most
``concurrency`` in flight, retrying rate limits, server errors, timeouts and
malformed answers with exponential backoff and jitter (a server's Retry-After is
honoured as a lower bound). Each answer is committed to the store as it arrives.
An authentication failure stops the run at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from .errors import AuthError, BackendError, TimeoutError_
from .judges.base import Judge, map_exception
from .store import Store
from .types import ChatRequest, Completion

__all__ = ["RunCounts", "RunnerConfig", "run_requests"]


@dataclass
class RunnerConfig:
    concurrency: int = 8
    max_attempts: int = 8
    timeout: float = 60.0
    backoff_base: float = 0.25
    backoff_max: float = 20.0
    progress: bool = True


@dataclass
class RunCounts:
    """What one invocation did. ``total`` counts unique requests."""

    total: int = 0
    cached: int = 0
    sent: int = 0
    failed: int = 0
    attempts: int = 0
    retried: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def merged(self, other: RunCounts) -> RunCounts:
        """The counts of two invocations over disjoint requests, added up."""
        errors = dict(self.errors)
        for k, v in other.errors.items():
            errors[k] = errors.get(k, 0) + v
        return RunCounts(
            total=self.total + other.total, cached=self.cached + other.cached,
            sent=self.sent + other.sent, failed=self.failed + other.failed,
            attempts=self.attempts + other.attempts, retried=self.retried + other.retried,
            errors=errors, seconds=self.seconds + other.seconds,
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "sent": self.sent,
            "cached": self.cached,
            "failed": self.failed,
            "attempts": self.attempts,
            "retried": self.retried,
            "errors": dict(self.errors),
            "seconds": round(self.seconds, 3),
        }


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, BackendError) and exc.retryable


class _Wait:
    """Exponential backoff with full jitter, never shorter than the server's Retry-After."""

    def __init__(self, base: float, cap: float):
        self._jitter = wait_random_exponential(multiplier=base, max=cap)

    def __call__(self, state: RetryCallState) -> float:
        delay = float(self._jitter(state))
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if isinstance(retry_after, int | float) and retry_after > delay:
            delay = float(retry_after)
        return delay


def _progress(enabled: bool, label: str):  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    return Progress(
        TextColumn(f"[bold]{label:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>6.1f}/s"),
        TextColumn("cached {task.fields[cached]}"),
        TextColumn("failed {task.fields[failed]}"),
        TextColumn("retries {task.fields[retried]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not enabled,
        transient=False,
    )


async def run_requests(
    requests: Sequence[ChatRequest],
    judge: Judge,
    store: Store,
    config: RunnerConfig | None = None,
    label: str = "judging",
) -> RunCounts:
    """Make sure every request has an answer in ``store``; return what was done."""
    cfg = config or RunnerConfig()
    unique: dict[str, ChatRequest] = {}
    for r in requests:
        unique.setdefault(r.key(), r)
    counts = RunCounts(total=len(unique))
    started = time.monotonic()
    have = store.ok_keys()
    todo = [r for k, r in unique.items() if k not in have]
    counts.cached = counts.total - len(todo)

    sem = asyncio.Semaphore(max(1, cfg.concurrency))
    fatal: list[BaseException] = []

    with _progress(cfg.progress and counts.total > 0, label) as prog:
        task_id = prog.add_task(
            "judging", total=counts.total, completed=counts.cached,
            cached=counts.cached, failed=0, retried=0, rate=0.0,
        )

        def tick() -> None:
            elapsed = max(time.monotonic() - started, 1e-9)
            prog.update(
                task_id,
                advance=1,
                failed=counts.failed,
                retried=counts.retried,
                rate=(counts.sent + counts.failed) / elapsed,
            )

        async def one(req: ChatRequest) -> None:
            attempts = 0

            async def attempt() -> Completion:
                nonlocal attempts
                attempts += 1
                counts.attempts += 1
                if attempts > 1:
                    counts.retried += 1
                try:
                    return await asyncio.wait_for(judge.complete(req), timeout=cfg.timeout + 5.0)
                except asyncio.TimeoutError:
                    err: BackendError = TimeoutError_(f"no answer within {cfg.timeout:g} s")
                except Exception as exc:
                    err = map_exception(exc)
                name = type(err).__name__.rstrip("_")
                counts.errors[name] = counts.errors.get(name, 0) + 1
                raise err

            async with sem:
                if fatal:
                    return
                t0 = time.monotonic()
                try:
                    retrying = AsyncRetrying(
                        retry=retry_if_exception(_is_retryable),
                        stop=stop_after_attempt(cfg.max_attempts),
                        wait=_Wait(cfg.backoff_base, cfg.backoff_max),
                        reraise=True,
                    )
                    completion: Completion = await retrying(attempt)
                except AuthError as exc:
                    fatal.append(exc)
                    return
                except BackendError as exc:
                    store.put_failed(req, str(exc), attempts=attempts, judge=judge.spec)
                    counts.failed += 1
                    tick()
                    return
                store.put_ok(
                    req, completion, attempts=attempts,
                    latency_s=time.monotonic() - t0, judge=judge.spec,
                )
                counts.sent += 1
                tick()

        tasks = [asyncio.create_task(one(r)) for r in todo]
        try:
            await asyncio.gather(*tasks)
        finally:
            for t in tasks:
                t.cancel()
    counts.seconds = time.monotonic() - started
    if fatal:
        raise fatal[0]
    return counts
