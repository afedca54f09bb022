"""The runner against a scripted OpenAI-compatible endpoint over real HTTP on localhost:
retries with Retry-After, giving up, no retry of a rejected request, auth stopping the run,
cache hits, dedup, resume after a partial run, and the --max-cost cap (live and batch)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from fake_openai import FakeEndpoint, request, serve

from judgebias.engine.runner import RunCounts, RunnerConfig, estimate_tokens, run_requests
from judgebias.engine.store import Store
from judgebias.errors import AuthError, BudgetExceeded, SpecError
from judgebias.judges.base import JudgeOptions, make_judge
from judgebias.types import ChatRequest, Completion


def config(**kw: object) -> RunnerConfig:
    base: dict[str, object] = {
        "progress": False,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "concurrency": 4,
        "timeout": 10.0,
    }
    base.update(kw)
    return RunnerConfig(**base)  # type: ignore[arg-type]


def run(
    endpoint: FakeEndpoint, reqs: list[ChatRequest], store: Store, cfg: RunnerConfig
) -> RunCounts:
    async def main() -> RunCounts:
        async with serve(endpoint) as url:
            judge = make_judge("openai:fake", JudgeOptions(base_urls=[url], timeout=10))
            try:
                return await run_requests(reqs, judge, store, cfg, label="test")
            finally:
                await judge.aclose()

    return asyncio.run(main())


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    with Store(tmp_path / "store.sqlite") as s:
        yield s


def test_retry_after_is_honoured_then_answered(store: Store) -> None:
    ep = FakeEndpoint(
        scripts={"q": [(429, {"Retry-After": "0.4"}), (503, {"retry-after-ms": "200"})]}
    )
    counts = run(ep, [request("q")], store, config())
    times = [t for m, t, _ in ep.arrivals if m == "q"]
    assert len(times) == 3 and counts.sent == 1 and counts.failed == 0
    assert counts.retried == 2 and counts.attempts == 3
    assert counts.errors == {"RateLimitError": 1, "ServerError": 1}
    assert times[1] - times[0] >= 0.4 and times[2] - times[1] >= 0.2
    row = store.get(request("q").key())
    assert row is not None and row.status == "ok" and row.attempts == 3
    assert row.completion is not None and row.completion.text == "[[A]]"


def test_408_is_retried_as_a_timeout(store: Store) -> None:
    ep = FakeEndpoint(scripts={"q": [(408, {})]})
    counts = run(ep, [request("q")], store, config())
    assert counts.sent == 1 and counts.errors == {"TimeoutError": 1} and ep.count("q") == 2


def test_gives_up_after_max_attempts_and_keeps_the_error(store: Store) -> None:
    ep = FakeEndpoint(always={"down": (503, {})})
    counts = run(ep, [request("down"), request("fine")], store, config(max_attempts=3))
    assert ep.count("down") == 3 and ep.count("fine") == 1
    assert counts.failed == 1 and counts.sent == 1
    row = store.get(request("down").key())
    assert row is not None and row.status == "failed" and row.attempts == 3
    assert row.error is not None and "503" in row.error


def test_rejected_request_is_not_retried(store: Store) -> None:
    ep = FakeEndpoint(always={"bad": (422, {})})
    counts = run(ep, [request("bad")], store, config())
    assert ep.count("bad") == 1 and counts.failed == 1 and counts.retried == 0


def test_auth_failure_stops_the_run(store: Store) -> None:
    reqs = [request(f"q{i}") for i in range(20)]
    ep = FakeEndpoint(always={f"q{i}": (401, {}) for i in range(20)})
    with pytest.raises(AuthError):
        run(ep, reqs, store, config(concurrency=1))
    assert ep.count() == 1 and store.count() == {}


def test_dedup_and_cache_hits(store: Store) -> None:
    reqs = [request(f"q{i}") for i in range(5)] + [request("q0"), request("q2")]
    ep = FakeEndpoint()
    first = run(ep, reqs, store, config())
    assert first.total == 5 and first.sent == 5 and ep.count() == 5
    assert ep.count("q0") == 1 and ep.count("q2") == 1
    again = run(ep, reqs, store, config())
    assert again.cached == 5 and again.sent == 0 and ep.count() == 5


def test_resume_after_a_partial_run_asks_only_what_is_missing(store: Store) -> None:
    reqs = [request(f"q{i}") for i in range(6)]
    first = run(FakeEndpoint(always={"q3": (500, {})}), reqs, store, config(max_attempts=1))
    assert first.sent == 5 and first.failed == 1 and store.count() == {"ok": 5, "failed": 1}
    assert first.attempts == 6 and first.retried == 0  # --max-attempts 1: no retry
    ep = FakeEndpoint()
    second = run(ep, reqs, store, config())
    assert second.cached == 5 and second.sent == 1 and ep.count() == ep.count("q3") == 1
    assert store.count() == {"ok": 6}


def test_max_cost_stops_before_the_cap_and_resumes(store: Store) -> None:
    prices = {"price_in": 1000.0, "price_out": 1000.0}
    reqs = [request(f"question number {i}") for i in range(10)]
    per_call = (100 + 10) * 1000.0 / 1e6  # the fake endpoint's usage, priced
    estimate = sum(estimate_tokens(reqs[0])) * 1000.0 / 1e6
    cap = 1.0
    # one call at a time: a call goes out while what was spent plus its estimate fits
    expected = 0
    while expected * per_call + estimate <= cap:
        expected += 1
    ep = FakeEndpoint()
    with pytest.raises(BudgetExceeded) as info:
        run(ep, reqs, store, config(concurrency=1, max_cost=cap, **prices))
    counts = info.value.counts
    assert isinstance(counts, RunCounts) and 0 < expected < 10
    assert counts.sent == ep.count() == expected and counts.budget_stopped == 10 - expected
    assert store.total_cost() == pytest.approx(expected * per_call) and store.total_cost() <= cap
    rest = run(ep, reqs, store, config(max_cost=100.0, **prices))
    assert rest.cached == expected and rest.sent == 10 - expected and ep.count() == 10
    assert store.total_cost() == pytest.approx(10 * per_call)


# -- the batch mode, against serve-sim's batch API in-process -----------------------


class SimBatchServer:
    """serve-sim's app (with its batch API) on a free localhost port, in this process."""

    def __init__(self, latency_ms: float = 0.0):
        from judgebias.sim.server import ServerConfig, make_app

        self.server = TestServer(make_app(ServerConfig(latency_ms=latency_ms)), host="127.0.0.1")

    async def __aenter__(self) -> SimBatchServer:
        await self.server.start_server()
        opts = JudgeOptions(base_urls=[str(self.server.make_url("/v1"))], timeout=10)
        self.judge = make_judge("openai:sim", opts)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.judge.aclose()
        await self.server.close()

    async def stats(self) -> dict[str, int]:
        async with aiohttp.ClientSession() as http, http.get(self.server.make_url("/stats")) as r:
            return dict(await r.json())


def run_batch(reqs: list[ChatRequest], store: Store, cfg: RunnerConfig) -> tuple[RunCounts, int]:
    async def main() -> tuple[RunCounts, int]:
        async with SimBatchServer() as sim:
            counts = await run_requests(reqs, sim.judge, store, cfg, label="batch-test")
            return counts, int((await sim.stats())["completed"])

    return asyncio.run(main())


def test_batch_mode_dedups_caches_and_stores(store: Store) -> None:
    reqs = [request(f"Which is better? {i}", model="sim") for i in range(6)] * 2
    counts, completed = run_batch(reqs, store, config(batch=True, batch_poll_s=0.05))
    assert counts.total == 6 and counts.sent == 6 and counts.failed == 0 and completed == 6
    assert store.count() == {"ok": 6} and store.get_meta("batch:batch-test") is None
    again, completed = run_batch(reqs, store, config(batch=True, batch_poll_s=0.05))
    assert again.cached == 6 and again.sent == 0 and completed == 0


def test_batch_mode_keeps_to_max_cost(store: Store) -> None:
    reqs = [request(f"Which is better? {i}", model="sim") for i in range(8)]
    prices = {"price_in": 1000.0, "price_out": 1000.0}
    cap = 2.0
    # the whole batch is reserved at its worst case before it is sent
    spent, expected = 0.0, 0
    for r in reqs:
        est = sum(estimate_tokens(r)) * 1000.0 / 1e6
        if spent + est <= cap:
            spent += est
            expected += 1
    cfg = config(batch=True, batch_poll_s=0.05, max_cost=cap, **prices)
    with pytest.raises(BudgetExceeded) as info:
        run_batch(reqs, store, cfg)
    counts = info.value.counts
    assert isinstance(counts, RunCounts) and 0 < expected < 8
    assert counts.sent == expected and counts.budget_stopped == 8 - expected
    assert store.count() == {"ok": expected}
    rows = [r for r in store.iter_rows() if r["status"] == "ok"]
    for r in rows:  # priced from the tokens the batch reported
        assert r["cost_usd"] == pytest.approx(
            (r["prompt_tokens"] + r["completion_tokens"]) * 1000.0 / 1e6
        )
    assert 0 < store.total_cost() <= cap


def test_batch_mode_needs_an_openai_judge(store: Store) -> None:
    async def main() -> None:
        judge = make_judge("sim")
        await run_requests([request("q")], judge, store, config(batch=True))

    with pytest.raises(SpecError, match="--batch"):
        asyncio.run(main())


def test_an_interrupted_batch_is_polled_again_not_paid_twice(store: Store) -> None:
    reqs = [request(f"Which is better? {i}", model="sim") for i in range(5)]
    cfg = config(batch=True, batch_poll_s=0.05)

    async def main() -> tuple[RunCounts, dict[str, int]]:
        async with SimBatchServer(latency_ms=1500) as sim:
            first = asyncio.create_task(run_requests(reqs, sim.judge, store, cfg, label="b"))
            while store.get_meta("batch:b") is None:  # submitted, now polling
                await asyncio.sleep(0.01)
            first.cancel()  # the run is interrupted while the batch is in progress
            with pytest.raises(asyncio.CancelledError):
                await first
            assert store.count() == {}
            counts = await run_requests(reqs, sim.judge, store, cfg, label="b")
            return counts, await sim.stats()

    counts, stats = asyncio.run(main())
    assert counts.sent == 5 and store.count() == {"ok": 5}
    assert stats["requests"] == 5  # one batch: the re-run waited for it instead of sending another
    assert store.get_meta("batch:b") is None


# --------------------------------------------------------------------------- combining judges


def run_mitigated(
    endpoint: FakeEndpoint, messages: list[str], store: Store, items: str, samples: int = 2
) -> tuple[RunCounts, str]:
    """Run plain requests through a mitigation wrapper around ``openai:fake``."""
    from judgebias.corrections.mitigations import Mitigations, plan_mitigations

    async def main() -> tuple[RunCounts, str]:
        async with serve(endpoint) as url:
            base = make_judge("openai:fake", JudgeOptions(base_urls=[url], timeout=10))
            mit = Mitigations.create(plan_mitigations(items, samples=samples), base)
            reqs = [request(m, model=mit.judge.model) for m in messages]
            try:
                return await run_requests(reqs, mit.judge, store, config(max_attempts=1)), (
                    mit.judge.model
                )
            finally:
                await base.aclose()

    return asyncio.run(main())


def test_a_combining_judge_is_expanded_into_its_leaves(store: Store) -> None:
    from judgebias.prompts.answers import AnswerReader

    ep = FakeEndpoint(always={"down": (500, {})})
    counts, model = run_mitigated(ep, ["fine", "down", "fine"], store, "multi-sample", samples=3)
    # 2 unique requests x 3 samples; the leaves are the backend requests
    assert counts.total == 6 and counts.sent == 3 and counts.failed == 3 and counts.retried == 0
    assert counts.combined == 2 and ep.count("fine") == 3 and ep.count("down") == 3
    fine = store.get(request("fine", model=model).key())
    assert fine is not None and fine.status == "ok" and fine.completion is not None
    # the combined verdict is data, taken as read; the text only explains it
    assert fine.completion.verdict is not None and fine.completion.verdict.position == "first"
    assert "[[A]]" not in fine.completion.text and "3 samples" in fine.completion.text
    assert AnswerReader().read(fine.completion).position == "first"
    assert fine.completion.cost_usd is None and fine.completion.prompt_tokens is None
    down = store.get(request("down", model=model).key())
    assert down is not None and down.status == "failed"
    assert down.error is not None and "re-run" in down.error and "500" in down.error
    # a re-run asks only the failed leaves, then forms the missing verdict
    ep2 = FakeEndpoint(answer="[[B]]")
    again, _ = run_mitigated(ep2, ["fine", "down"], store, "multi-sample", samples=3)
    assert again.cached == 3 and again.sent == 3 and ep2.count() == ep2.count("down") == 3
    down = store.get(request("down", model=model).key())
    assert down is not None and down.status == "ok" and down.completion is not None
    assert AnswerReader().read(down.completion).position == "second"


def test_combined_verdicts_survive_the_store(store: Store) -> None:
    from judgebias.types import Completion, Verdict

    comp = Completion(text="how", verdict=Verdict("tie", 0.5))
    store.put_ok(request("x"), comp, attempts=1, latency_s=0.0, judge="j")
    back = store.get(request("x").key())
    assert back is not None and back.completion == comp
    plain = Completion(text="[[A]]")
    assert "verdict" not in plain.as_dict()  # stores written before it read the same


def test_follow_ups_join_the_run_and_are_followed_from_the_store(store: Store) -> None:
    """A pipeline in one run: each answered request's follow-ups are sent at once, a failed
    request has none, a follow-up two requests share is sent once; on a re-run, requests
    already answered are followed from the store and only what is missing is sent."""
    firsts = [request(f"q{i}") for i in range(5)]
    followed: list[str] = []

    class Follow:
        def wants(self, req: ChatRequest) -> bool:
            return req.messages[-1][1] != "shared"  # never read back, never followed

        def __call__(self, req: ChatRequest, completion: object) -> list[ChatRequest]:
            message = req.messages[-1][1]
            followed.append(message)
            if "-" in message:
                return []
            return [request(f"{message}-a"), request(f"{message}-b"), request("shared")]

    follow = Follow()

    async def main(ep: FakeEndpoint, cfg: RunnerConfig) -> RunCounts:
        async with serve(ep) as url:
            judge = make_judge("openai:fake", JudgeOptions(base_urls=[url], timeout=10))
            try:
                return await run_requests(firsts, judge, store, cfg, label="t", follow=follow)
            finally:
                await judge.aclose()

    ep = FakeEndpoint(always={"q3": (500, {})})
    first = asyncio.run(main(ep, config(max_attempts=1)))
    assert ep.count() == 5 + 4 * 2 + 1 and ep.count("shared") == 1 and ep.count("q3-a") == 0
    assert (first.total, first.sent, first.failed) == (14, 13, 1)
    assert sorted(followed) == sorted(
        [f"q{i}" for i in range(5) if i != 3]
        + [f"q{i}-{x}" for i in range(5) if i != 3 for x in "ab"]
    )
    again = FakeEndpoint()
    second = asyncio.run(main(again, config()))
    assert again.count() == 3 and again.count("q3") == again.count("q3-a") == 1
    assert (second.total, second.cached, second.sent) == (16, 13, 3)
    assert store.count() == {"ok": 16}


class _Hangs:
    """A judge whose calls never end, claiming they end on their own after ``own_deadline``."""

    spec = "hangs"
    model = "hangs"

    def __init__(self, own_deadline: float | None) -> None:
        self.own_deadline = own_deadline

    async def complete(self, request: ChatRequest) -> object:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        return None


@pytest.mark.parametrize("own", [None, 1000.0])
def test_a_judge_not_bounded_within_the_runners_deadline_is_stopped_by_it(
    store: Store, own: float | None
) -> None:
    """The runner's deadline (--timeout plus 5 s) ends a call that hangs, unless the judge
    ends its calls on its own within it; a judge that claims a longer bound still gets it."""
    judge = _Hangs(own)
    cfg = config(timeout=0.05, max_attempts=1)
    run = run_requests([request("q")], judge, store, cfg, "t")  # type: ignore[arg-type]
    counts = asyncio.run(asyncio.wait_for(run, 30))  # not stopped: fails here, never hangs
    assert counts.failed == 1 and counts.errors == {"TimeoutError": 1}


def test_the_lean_transport_times_out_on_its_own_without_a_second_timer(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lean HTTP transport's total timeout bounds connecting, sending and reading, so the
    runner arms no deadline of its own per call; a silent server still fails the call, with
    the transport's message naming the URL and the --timeout."""
    import judgebias.engine.runner as runner

    def no_deadline(seconds: float) -> object:
        raise AssertionError("the runner armed its own deadline")

    monkeypatch.setattr(runner, "_deadline", no_deadline)

    async def main() -> RunCounts:
        ep = FakeEndpoint(delays={"slow": 5.0})
        async with serve(ep) as url:
            judge = make_judge("openai:fake", JudgeOptions(base_urls=[url], timeout=0.3))
            assert judge.own_deadline == 0.3  # type: ignore[attr-defined]
            try:
                return await run_requests(
                    [request("q"), request("slow")],
                    judge,
                    store,
                    config(timeout=0.3, max_attempts=1),
                    label="t",
                )
            finally:
                await judge.aclose()

    counts = asyncio.run(main())
    assert counts.sent == 1 and counts.failed == 1 and counts.errors == {"TimeoutError": 1}
    row = store.get(request("slow").key())
    assert row is not None and row.status == "failed"
    assert row.error is not None and "no answer within 0.3 s (--timeout)" in row.error


class _Instant:
    """A judge that answers at once: the store's writer, not the judge, sets the pace."""

    spec = "instant"
    model = "instant"

    async def complete(self, request: ChatRequest) -> Completion:
        return Completion(text="Verdict: A", prompt_tokens=3, completion_tokens=1)

    async def aclose(self) -> None:
        return None


def test_workers_waiting_for_commits_hurry_the_writer(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At most `concurrency` answers wait for their commit; a worker past that bound makes
    the writer commit at once instead of at its next beat (here an hour away), so a judge
    faster than the beat is not slowed to a commit per beat."""
    import judgebias.engine.store as store_module

    monkeypatch.setattr(store_module, "COMMIT_EVERY", 3600.0)
    monkeypatch.setattr(store_module, "PACE_ABOVE", 0.0)
    monkeypatch.setattr(store_module, "RATE_WINDOW", 0.0)
    reqs = [request(f"q{i}") for i in range(60)]
    run = run_requests(reqs, _Instant(), store, config(concurrency=2), "t")
    counts = asyncio.run(asyncio.wait_for(run, 60))
    assert counts.sent == 60 and store.count() == {"ok": 60}
