"""The run store: answers committed as they arrive (in groups from the event loop), failures
kept and retried, answers never overwritten by a failure, merges, and unwritable stores."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from judgebias.engine.store import Store
from judgebias.errors import InputError, StoreError
from judgebias.types import ChatRequest, Completion


def req(i: int) -> ChatRequest:
    return ChatRequest(model="m", messages=(("user", f"question {i}"),))


def comp(i: int) -> Completion:
    return Completion(text=f"answer {i}", prompt_tokens=10, completion_tokens=2, cost_usd=0.5)


def test_group_commits_from_the_event_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commits: list[str] = []
    real_connect = sqlite3.connect

    def traced(*args: Any, **kw: Any) -> sqlite3.Connection:
        db = real_connect(*args, **kw)
        db.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
        return db

    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        monkeypatch.setattr(sqlite3, "connect", traced)  # only the writer thread connects now
        store.start_writer()

        async def main() -> None:
            await asyncio.gather(
                *(
                    store.put_ok_async(req(i), comp(i), attempts=1, latency_s=0.1, judge="j")
                    for i in range(300)
                )
            )
            # every awaited answer is committed: another connection sees all of them
            with real_connect(path) as other:
                assert other.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 300

        asyncio.run(main())
        store.stop_writer()
    assert 0 < len(commits) < 300  # grouped: far fewer transactions than rows


def test_write_failure_reaches_every_waiting_caller(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        store.put_ok(req(0), comp(0), attempts=1, latency_s=0.0, judge="j")
        with sqlite3.connect(path) as other:
            other.execute("DROP TABLE responses")
        store.start_writer()

        async def main() -> list[BaseException | None]:
            results = await asyncio.gather(
                *(
                    store.put_ok_async(req(i), comp(i), attempts=1, latency_s=0.0, judge="j")
                    for i in range(5)
                ),
                return_exceptions=True,
            )
            return list(results)

        results = asyncio.run(main())
        assert all(isinstance(r, StoreError) and "re-run" in str(r) for r in results)
        with pytest.raises(StoreError):
            store.put_failed(req(9), "x", attempts=1, judge="j")


def test_failures_accumulate_and_never_replace_an_answer(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        store.put_failed(req(1), "first", attempts=2, judge="j")
        store.put_failed(req(1), "second", attempts=3, judge="j")
        row = store.get(req(1).key())
        assert row is not None and row.status == "failed" and row.attempts == 5
        assert row.error == "second" and req(1).key() not in store.ok_keys()
        store.put_ok(req(1), comp(1), attempts=1, latency_s=0.2, judge="j")
        store.put_failed(req(1), "late failure", attempts=1, judge="j")
        row = store.get(req(1).key())
        assert row is not None and row.status == "ok" and row.completion == comp(1)
        assert store.count() == {"ok": 1} and store.total_cost() == pytest.approx(0.5)


def test_answers_survive_reopening_and_merge(tmp_path: Path) -> None:
    with Store(tmp_path / "a.sqlite") as a:
        for i in range(3):
            a.put_ok(req(i), comp(i), attempts=1, latency_s=0.0, judge="j")
        a.put_failed(req(7), "down", attempts=1, judge="j")
        a.set_meta("batch:x", {"batch_id": "b1"})
    with Store(tmp_path / "a.sqlite") as a, Store(tmp_path / "b.sqlite") as b:
        assert a.get_meta("batch:x") == {"batch_id": "b1"} and a.ok_keys() == {
            req(i).key() for i in range(3)
        }
        b.put_ok(req(0), comp(0), attempts=1, latency_s=0.0, judge="j")
        assert b.merge_from(a) == 2  # the failed request is not copied
        assert b.count() == {"ok": 3}
        got = b.get_many([req(i).key() for i in range(3)])
        assert {k: v.completion for k, v in got.items()} == {
            req(i).key(): comp(i) for i in range(3)
        }


def test_a_file_that_is_not_a_store_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "not.sqlite"
    bad.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(InputError, match="not a usable judgebias store"):
        Store(bad)


def test_writer_splits_groups_at_sqlite_parameter_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer inserts a group of rows with one statement per run of one kind, split at
    SQLite's limit on parameters: with the limit at 35 (three answers a statement), every
    answer and failure still lands, and a failure never replaces an answer however the
    two are grouped."""
    if not hasattr(sqlite3.Connection, "setlimit"):
        pytest.skip("sqlite3.Connection.setlimit needs Python 3.11")
    real_connect = sqlite3.connect
    statements: list[str] = []

    def limited(*args: Any, **kw: Any) -> sqlite3.Connection:
        db = real_connect(*args, **kw)
        db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 35)
        db.set_trace_callback(lambda sql: statements.append(sql) if "INSERT" in sql else None)
        return db

    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        monkeypatch.setattr(sqlite3, "connect", limited)
        store.start_writer()

        async def main() -> None:
            await asyncio.gather(
                *(
                    store.put_ok_async(req(i), comp(i), attempts=1, latency_s=0.1, judge="j")
                    for i in range(100)
                ),
                store.put_failed_async(req(500), "down", attempts=2, judge="j"),
                store.put_failed_async(req(500), "down again", attempts=3, judge="j"),
                store.put_failed_async(req(3), "late failure", attempts=1, judge="j"),
            )

        asyncio.run(main())
        store.stop_writer()
        assert store.count() == {"ok": 100, "failed": 1}
        failed = store.get(req(500).key())
        assert failed is not None and failed.attempts == 5 and failed.error == "down again"
        kept = store.get(req(3).key())
        assert kept is not None and kept.status == "ok" and kept.completion == comp(3)
        assert all(store.get(req(i).key()).completion == comp(i) for i in range(100))  # type: ignore[union-attr]
    ok_statements = [s for s in statements if "'ok'" in s]
    assert len(ok_statements) >= 34  # 100 answers, at most 3 a statement
    assert max(s.count("'ok'") for s in ok_statements) == 3


def test_rows_of_one_turn_go_to_the_writer_together_and_share_their_future(
    tmp_path: Path,
) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        store.start_writer()

        async def main() -> None:
            futs = [
                store.put_ok_soon(req(i), comp(i), attempts=1, latency_s=0.0, judge="j")
                for i in range(40)
            ]
            assert len({id(f) for f in futs}) == 1  # one hand-over for the turn
            nxt = asyncio.get_running_loop().create_future()
            asyncio.get_running_loop().call_soon(nxt.set_result, None)
            await nxt  # the next turn: a new group
            later = store.put_ok_soon(req(99), comp(99), attempts=1, latency_s=0.0, judge="j")
            assert later is not futs[0]
            store.hurry()
            await asyncio.gather(futs[0], later)
            assert store.count() == {"ok": 41}

        asyncio.run(main())
        store.stop_writer()


def test_the_writer_waits_its_beat_unless_hurried_and_stopping_commits_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While answers come fast, the writer lets rows gather between two commits
    (COMMIT_EVERY); a caller about to wait hurries it, and stopping the writer commits
    what is queued without waiting."""
    import time

    import judgebias.engine.store as store_module

    monkeypatch.setattr(store_module, "COMMIT_EVERY", 3600.0)
    monkeypatch.setattr(store_module, "PACE_ABOVE", 0.0)  # every rate counts as fast,
    monkeypatch.setattr(store_module, "RATE_WINDOW", 0.0)  # from the first commit on
    with Store(tmp_path / "s.sqlite") as store:
        store.start_writer()

        async def main() -> None:
            # an awaited put hurries: committed at once although the beat is an hour
            await asyncio.wait_for(
                store.put_ok_async(req(0), comp(0), attempts=1, latency_s=0.0, judge="j"), 20
            )
            fut = store.put_ok_soon(req(1), comp(1), attempts=1, latency_s=0.0, judge="j")
            await asyncio.sleep(0.3)
            assert not fut.done()  # gathering until the next beat
            store.hurry()
            await asyncio.wait_for(fut, 20)
            store.put_ok_soon(req(2), comp(2), attempts=1, latency_s=0.0, judge="j")
            t0 = time.monotonic()
            store.stop_writer()  # row 2's hand-over has not run yet: stopping hands it over
            assert time.monotonic() - t0 < 20

        asyncio.run(main())
        assert store.count() == {"ok": 3}


def test_answers_that_come_slowly_are_committed_as_they_are_handed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below PACE_ABOVE answers a second the writer does not wait for its beat: nobody
    hurries these rows, yet each is committed at once (a kill loses only calls in flight)."""
    import judgebias.engine.store as store_module

    monkeypatch.setattr(store_module, "COMMIT_EVERY", 3600.0)
    with Store(tmp_path / "s.sqlite") as store:
        store.start_writer()

        async def main() -> None:
            for i in range(3):
                fut = store.put_ok_soon(req(i), comp(i), attempts=1, latency_s=0.0, judge="j")
                await asyncio.wait_for(fut, 20)  # an hour's beat, yet committed now
                await asyncio.sleep(0.05)  # 20 answers a second

        asyncio.run(main())
        store.stop_writer()
        assert store.count() == {"ok": 3}
