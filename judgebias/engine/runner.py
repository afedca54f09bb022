"""The runner: the only place with concurrency, retries, progress and cache look-ups.

Given the unique requests an audit needs, it answers the ones already in the
store from the store, and sends the rest to the judge with at most
``concurrency`` in flight, retrying rate limits, server errors, timeouts and
malformed answers with exponential backoff and jitter (a server's Retry-After is
honoured as a lower bound). Each answer is committed to the store as it arrives.
An authentication failure stops the run at once; so does a judge that cannot be reached
(refused connections, no answer within the timeout, 404: :mod:`judgebias.engine.breaker`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from judgebias.engine.breaker import Breaker
from judgebias.engine.collector import calling_phase
from judgebias.engine.store import Store
from judgebias.errors import (
    AuthError,
    BackendError,
    BudgetExceeded,
    TimeoutError_,
    UnreachableError,
)
from judgebias.judges.base import CombiningJudge, Judge
from judgebias.judges.errors import map_exception
from judgebias.judges.request_rules import default_max_tokens
from judgebias.types import ChatRequest, Completion

__all__ = [
    "FollowUps",
    "RunCounts",
    "RunnerConfig",
    "billed_completion_tokens",
    "estimate_tokens",
    "price",
    "run_requests",
]


@dataclass
class RunnerConfig:
    concurrency: int = 8
    max_attempts: int = 16
    timeout: float = 60.0
    backoff_base: float = 0.25
    backoff_max: float = 20.0
    progress: bool = True
    rpm: float | None = None
    """Requests per minute, for all endpoints together (the CLI multiplies its
    per-endpoint ``--rpm`` by the number of ``--base-url``)."""
    tpm: float | None = None
    """Tokens per minute (prompt estimate + max_tokens), likewise."""
    price_in: float | None = None
    """USD per million prompt tokens, when the backend does not price calls itself."""
    price_out: float | None = None
    max_cost: float | None = None
    """Stop sending before the store's total cost would cross this many USD."""
    batch: bool = False
    """Send what is missing through the provider's batch API
    (:mod:`judgebias.judges.openai_batch`), within ``max_cost`` like the live mode."""
    batch_poll_s: float = 5.0


PROGRESS_EVERY = 0.1
"""Seconds between updates of the progress bar while answers arrive."""


def estimate_tokens(request: ChatRequest) -> tuple[int, int]:
    """(prompt, completion) token estimate before sending: 4 characters a token, and
    the request's max_tokens (a conservative bound) for the completion. For a reasoning
    judge the budget bounds reasoning and answer together, so the reserve under
    ``max_cost`` counts the reasoning tokens as completion tokens, as providers bill them."""
    chars = sum(len(c) for _, c in request.messages)
    return max(1, chars // 4), int(
        request.max_tokens or default_max_tokens(request.model, "verdict")
    )


def billed_completion_tokens(completion: Completion) -> int:
    """Completion tokens as billed, reasoning included.

    OpenAI's ``completion_tokens`` already contains the reasoning tokens; a provider whose
    reasoning count exceeds its completion count reported them apart, so they are added.
    """
    done = completion.completion_tokens or 0
    thought = completion.reasoning_tokens or 0
    return done + thought if thought > done else done


def price(cfg: RunnerConfig, prompt_tokens: int, completion_tokens: int) -> float | None:
    if cfg.price_in is None and cfg.price_out is None:
        return None
    return (
        prompt_tokens * (cfg.price_in or 0.0) + completion_tokens * (cfg.price_out or 0.0)
    ) / 1e6


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
    budget_stopped: int = 0
    """Requests not sent because ``max_cost`` would have been crossed."""
    combined: int = 0
    """Requests a combining judge answers from its leaves' answers (unique, cached
    ones included); they are not backend requests: the other counts are the leaves'."""

    def merged(self, other: RunCounts) -> RunCounts:
        """The counts of two invocations over disjoint requests, added up."""
        errors = dict(self.errors)
        for k, v in other.errors.items():
            errors[k] = errors.get(k, 0) + v
        return RunCounts(
            total=self.total + other.total,
            cached=self.cached + other.cached,
            sent=self.sent + other.sent,
            failed=self.failed + other.failed,
            attempts=self.attempts + other.attempts,
            retried=self.retried + other.retried,
            errors=errors,
            seconds=self.seconds + other.seconds,
            budget_stopped=self.budget_stopped + other.budget_stopped,
            combined=self.combined + other.combined,
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
            "budget_stopped": self.budget_stopped,
        }


class FollowUps(Protocol):
    """What :func:`run_requests` asks next once a request is answered (its ``follow``)."""

    def wants(self, request: ChatRequest) -> bool:
        """Whether this request's answer can have follow-ups (the others are not read
        back from the store on a re-run)."""

    def __call__(self, request: ChatRequest, completion: Completion) -> Sequence[ChatRequest]:
        """The requests to ask now that ``request`` has this answer."""


def _retrieved(fut: asyncio.Future[None]) -> None:
    """Mark a commit's outcome as seen (a run that already failed does not report it)."""
    if not fut.cancelled():
        fut.exception()


def _deadline(seconds: float) -> Any:
    """A cheap timeout scope (no extra task, unlike ``asyncio.wait_for``)."""
    timeout = getattr(asyncio, "timeout", None)
    if timeout is not None:
        return timeout(seconds)
    return contextlib.nullcontext()  # Python 3.10: the backend's own timeout applies


def _first_wait(
    first: BackendError, cfg: RunnerConfig, sleep: Callable[[float], Any] = asyncio.sleep
) -> Any:
    """Sleep before the first retry exactly as tenacity would between later ones."""

    async def before(state: RetryCallState) -> None:
        if state.attempt_number == 1:
            delay = max(first.retry_after or 0.0, random.uniform(0, cfg.backoff_base))
            await sleep(delay)

    return before


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
    follow: FollowUps | None = None,
) -> RunCounts:
    """Make sure every request has an answer in ``store``; return what was done.

    A :class:`~judgebias.judges.base.CombiningJudge` is expanded: its leaf requests are
    answered first, each leaf judge's through this same path, then combined (see
    :func:`_run_combining`).

    ``follow`` makes the run a pipeline: it is called with every request once it is
    answered (or found answered in the store) and its answer, and the requests it returns
    join the run at once, so a later stage never waits for the slowest answer of an
    earlier one. Not with a combining judge or the batch API.
    """
    cfg = config or RunnerConfig()
    if follow is not None and (cfg.batch or isinstance(judge, CombiningJudge)):
        raise ValueError("follow-up requests need a judge called directly, not in batches")
    if isinstance(judge, CombiningJudge):
        return await _run_combining(requests, judge, store, cfg, label)
    unique: dict[str, ChatRequest] = {}
    for r in requests:
        unique.setdefault(r.key(), r)
    counts = RunCounts(total=len(unique))
    started = time.monotonic()
    have = store.ok_keys()
    todo = collections.deque(r for k, r in unique.items() if k not in have)
    counts.cached = counts.total - len(todo)

    def add(new: Sequence[ChatRequest]) -> list[ChatRequest]:
        """Queue the follow-ups not seen before; return those already in the store."""
        answered = []
        for r in new:
            key = r.key()
            if key in unique:
                continue
            unique[key] = r
            counts.total += 1
            if key in have:
                counts.cached += 1
                answered.append(r)
            else:
                todo.append(r)
        return answered

    def follow_stored(answered: list[ChatRequest]) -> None:
        """Follow requests answered in an earlier run, and what follows from them."""
        assert follow is not None
        while answered := [r for r in answered if follow.wants(r)]:
            got = store.get_many(r.key() for r in answered)
            later: list[ChatRequest] = []
            for r in answered:
                s = got.get(r.key())
                if s is not None and s.completion is not None:
                    later.extend(add(follow(r, s.completion)))
            answered = later

    if follow is not None:
        follow_stored([r for k, r in unique.items() if k in have])

    fatal: list[BaseException] = []
    breaker = Breaker(cfg.concurrency)
    stopped = asyncio.Event()  # set with the first fatal error: backoff sleeps end early

    def stop(exc: BaseException) -> None:
        if not fatal:
            fatal.append(exc)
        stopped.set()

    async def backoff_sleep(seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
            await asyncio.wait_for(stopped.wait(), seconds)

    rpm_limiter = tpm_limiter = None
    if cfg.rpm or cfg.tpm:
        from aiolimiter import AsyncLimiter

        # smoothed buckets: per second for requests, per 10 s for tokens, so a minute's
        # quota is never spent in one burst at the start
        if cfg.rpm:
            rpm_limiter = AsyncLimiter(max(1.0, cfg.rpm / 60.0), 1.0)
        if cfg.tpm:
            tpm_limiter = AsyncLimiter(max(1.0, cfg.tpm / 6.0), 10.0)
    budget = {"spent": store.total_cost() if cfg.max_cost is not None else 0.0, "reserved": 0.0}

    def reserve(req: ChatRequest) -> float | None:
        """Reserve the request's worst-case cost; None when it would cross max_cost."""
        if cfg.max_cost is None:
            return 0.0
        est = price(cfg, *estimate_tokens(req)) or 0.0
        if budget["spent"] + budget["reserved"] + est > cfg.max_cost:
            return None
        budget["reserved"] += est
        return est

    if cfg.batch:
        await _run_batch(list(todo), judge, store, cfg, counts, label, reserve, budget)
        counts.seconds = time.monotonic() - started
        _check_budget(cfg, counts, budget["spent"])
        return counts

    with _progress(cfg.progress and counts.total > 0, label) as prog:
        task_id = prog.add_task(
            "judging",
            total=counts.total,
            completed=counts.cached,
            cached=counts.cached,
            failed=0,
            retried=0,
            rate=0.0,
        )

        # the bar is told at most every PROGRESS_EVERY seconds (and at the end), not once
        # per answer: at hundreds of answers a second, updating it per answer costs the
        # event loop as much CPU as the HTTP exchange itself
        shown = {"at": 0.0, "unshown": 0}

        def tick(final: bool = False) -> None:
            shown["unshown"] += 0 if final else 1
            now = time.monotonic()
            if not final and now - shown["at"] < PROGRESS_EVERY:
                return
            if not shown["unshown"] and final:
                return
            elapsed = max(now - started, 1e-9)
            prog.update(
                task_id,
                total=counts.total,
                advance=shown["unshown"],
                failed=counts.failed,
                retried=counts.retried,
                rate=(counts.sent + counts.failed) / elapsed,
            )
            shown["at"], shown["unshown"] = now, 0

        # a judge whose calls end on their own within the runner's deadline (``own_deadline``,
        # e.g. the lean HTTP transport's total timeout) is not given a second timer per call
        own = getattr(judge, "own_deadline", None)
        self_bounded = own is not None and own <= cfg.timeout + 5.0

        async def attempt(req: ChatRequest) -> Completion:
            if rpm_limiter is not None:
                await rpm_limiter.acquire()
            if tpm_limiter is not None:
                pt, ct = estimate_tokens(req)
                await tpm_limiter.acquire(min(pt + ct, tpm_limiter.max_rate))
            if fatal:
                raise fatal[0]
            counts.attempts += 1
            try:
                if self_bounded:
                    completion = await judge.complete(req)
                else:
                    async with _deadline(cfg.timeout + 5.0):
                        completion = await judge.complete(req)
                breaker.ok()
                return completion
            except (asyncio.TimeoutError, TimeoutError):
                err: BackendError = TimeoutError_(f"no answer within {cfg.timeout:g} s")
            except Exception as exc:
                err = map_exception(exc)
            name = type(err).__name__.rstrip("_")
            counts.errors[name] = counts.errors.get(name, 0) + 1
            tripped = breaker.failed(err)
            if tripped is not None:
                stop(tripped)
                raise tripped
            raise err

        async def with_retries(req: ChatRequest, first: BackendError) -> tuple[Completion, int]:
            """The slow path, after a first failure: tenacity's backoff and Retry-After."""
            if not first.retryable or cfg.max_attempts <= 1:
                raise first
            tries = 1

            async def again() -> Completion:
                nonlocal tries
                tries += 1
                counts.retried += 1
                return await attempt(req)

            retrying = AsyncRetrying(
                retry=retry_if_exception(_is_retryable),
                stop=stop_after_attempt(max(1, cfg.max_attempts - 1)),
                wait=_Wait(cfg.backoff_base, cfg.backoff_max),
                before=_first_wait(first, cfg, backoff_sleep),
                sleep=backoff_sleep,
                reraise=True,
            )
            try:
                return await retrying(again), tries
            except BackendError as exc:
                exc.attempts = tries  # type: ignore[attr-defined]
                raise

        async def one(req: ChatRequest) -> None:
            if fatal:
                return
            reserved = reserve(req)
            if reserved is None:
                counts.budget_stopped += 1
                return
            t0 = time.monotonic()
            tries = 1
            try:
                try:
                    completion = await attempt(req)  # the fast path: no retry machinery
                except BackendError as exc:
                    completion, tries = await with_retries(req, exc)
            except (AuthError, UnreachableError) as exc:
                stop(exc)
                return
            except BackendError as exc:
                budget["reserved"] -= reserved
                await store.put_failed_async(
                    req, str(exc), judge=judge.spec, attempts=getattr(exc, "attempts", tries)
                )
                counts.failed += 1
                tick()
                return
            budget["reserved"] -= reserved
            completion = _priced(cfg, completion)
            budget["spent"] += completion.cost_usd or 0.0
            # the writer thread commits answers in groups while the worker sends its next
            # request; at most `concurrency` answers wait for their commit (all a crash
            # can lose), and a failed commit stops the run from the worker that sees it
            uncommitted.append(
                store.put_ok_soon(
                    req,
                    completion,
                    attempts=tries,
                    latency_s=time.monotonic() - t0,
                    judge=judge.spec,
                )
            )
            counts.sent += 1
            if follow is not None and follow.wants(req):
                follow_stored(add(follow(req, completion)))
                more.set()
            tick()
            while uncommitted and (len(uncommitted) > cfg.concurrency or uncommitted[0].done()):
                if not uncommitted[0].done():
                    store.hurry()  # this worker waits for the writer: commit now
                await uncommitted.popleft()

        # `concurrency` workers share one queue: memory stays flat however many
        # requests there are (no task per request); with follow-ups, a worker that finds
        # the queue empty waits while answers that may add to it are still coming
        uncommitted: collections.deque[asyncio.Future[None]] = collections.deque()
        more = asyncio.Event()
        busy = 0

        async def worker() -> None:
            nonlocal busy
            while not fatal:
                if todo:
                    busy += 1
                    try:
                        await one(todo.popleft())
                    finally:
                        busy -= 1
                    if not busy:
                        more.set()  # the last answer is in: waiting workers may end
                elif busy and follow is not None:
                    more.clear()
                    await more.wait()
                else:
                    return

        store.start_writer()
        with calling_phase():
            workers = cfg.concurrency if follow is not None else min(cfg.concurrency, len(todo))
            tasks = [asyncio.create_task(worker()) for _ in range(max(1, workers))]
            try:
                await asyncio.gather(*tasks)
                store.hurry()
                while uncommitted:
                    await uncommitted.popleft()
            finally:
                for t in tasks:
                    t.cancel()
                store.stop_writer()  # commits what is queued
                for fut in uncommitted:  # nobody waits for these any more
                    fut.add_done_callback(_retrieved)
                tick(final=True)
    counts.seconds = time.monotonic() - started
    if fatal:
        raise fatal[0]
    _check_budget(cfg, counts, budget["spent"])
    return counts


async def _run_combining(
    requests: Sequence[ChatRequest],
    judge: CombiningJudge,
    store: Store,
    cfg: RunnerConfig,
    label: str,
) -> RunCounts:
    """Answer every leaf of ``requests`` (each identical leaf once, grouped by leaf judge,
    so each is cached, retried, rate-limited and budgeted like any request), then store
    each request's combined answer under the combining judge's model. Combining calls
    nothing, so it needs no retry, no progress bar and no budget. A request one of
    whose leaves failed is stored as failed, naming why; a re-run asks that leaf again.

    Returns the counts of the leaf (backend) requests, with ``combined`` the number of
    unique requests answered by combining.
    """
    unique: dict[str, ChatRequest] = {}
    for r in requests:
        unique.setdefault(r.key(), r)
    plan = {key: judge.leaves(r) for key, r in unique.items()}
    groups: dict[int, tuple[Judge, dict[str, ChatRequest]]] = {}
    for leaves in plan.values():
        for leaf_judge, leaf in leaves:
            groups.setdefault(id(leaf_judge), (leaf_judge, {}))[1].setdefault(leaf.key(), leaf)
    counts = RunCounts()
    several = len(groups) > 1
    for leaf_judge, leaves_of in groups.values():
        name = f"{label} [{leaf_judge.spec}]" if several else label
        counts = counts.merged(
            await run_requests(list(leaves_of.values()), leaf_judge, store, cfg, label=name)
        )
    have = store.ok_keys()
    todo = [key for key in unique if key not in have]
    got = store.get_many({leaf.key() for key in todo for _, leaf in plan[key]})
    store.start_writer()
    try:
        writes = []
        for key in todo:
            request, answers, why = unique[key], [], None
            for _, leaf in plan[key]:
                stored = got.get(leaf.key())
                if stored is None or stored.status != "ok" or stored.completion is None:
                    why = (stored.error if stored is not None else None) or "no answer"
                    break
                answers.append(stored.completion)
            if why is None:
                writes.append(
                    store.put_ok_async(
                        request,
                        judge.combine(request, answers),
                        attempts=1,
                        latency_s=0.0,
                        judge=judge.spec,
                    )
                )
            else:
                writes.append(
                    store.put_failed_async(
                        request,
                        f"a backend request this verdict needs failed ({why}); "
                        "re-run the audit to retry it",
                        attempts=1,
                        judge=judge.spec,
                    )
                )
        await asyncio.gather(*writes)
    finally:
        store.stop_writer()
    counts.combined = len(unique)
    return counts


def _priced(cfg: RunnerConfig, completion: Completion) -> Completion:
    """The completion with its cost from ``--price-in/--price-out`` when the backend gave none."""
    if completion.cost_usd is not None:
        return completion
    cost = price(cfg, completion.prompt_tokens or 0, billed_completion_tokens(completion))
    return completion if cost is None else replace(completion, cost_usd=cost)


def _check_budget(cfg: RunnerConfig, counts: RunCounts, spent: float) -> None:
    if counts.budget_stopped:
        raise BudgetExceeded(
            f"--max-cost: stopped before ${cfg.max_cost:g} would be crossed (${spent:.4f} "
            f"spent); {counts.budget_stopped} of {counts.total} requests not sent. Everything "
            "answered is kept: re-run with a higher --max-cost to resume.",
            counts=counts,
        )


async def _run_batch(
    todo: Sequence[ChatRequest],
    judge: Judge,
    store: Store,
    cfg: RunnerConfig,
    counts: RunCounts,
    label: str,
    reserve: Callable[[ChatRequest], float | None],
    budget: dict[str, float],
) -> None:
    """The batch mode: the requests that fit under ``max_cost`` go out as one provider
    batch (:mod:`judgebias.judges.openai_batch`); answers and failures are stored here,
    as in the live mode. The batch id is kept in the store's metadata from submission
    until the answers are stored, so a re-run waits for the same batch."""
    from judgebias.judges.openai_batch import batch_judge, run_openai_batch

    batch_judge(judge)
    send: dict[str, ChatRequest] = {}
    for req in todo:
        if reserve(req) is None:
            counts.budget_stopped += 1
        else:
            send[req.key()] = req
    if not send:
        return
    meta_key = f"batch:{label}"
    pending = store.get_meta(meta_key)
    resume = pending["batch_id"] if pending and set(pending["keys"]) == set(send) else None
    result = await run_openai_batch(
        judge,
        send,
        resume_id=resume,
        on_submitted=lambda bid: store.set_meta(meta_key, {"batch_id": bid, "keys": sorted(send)}),
        poll_s=cfg.batch_poll_s,
    )
    for key, completion in result.answers.items():
        completion = _priced(cfg, completion)
        budget["spent"] += completion.cost_usd or 0.0
        store.put_ok(send[key], completion, attempts=1, latency_s=0.0, judge=judge.spec)
        counts.sent += 1
        counts.attempts += 1
    for key, error in result.failures.items():
        store.put_failed(send[key], error, attempts=1, judge=judge.spec)
        counts.failed += 1
    store.set_meta(meta_key, None)
