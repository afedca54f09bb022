"""The run store: every judge request and response, in SQLite.

One row per unique request, keyed by :meth:`ChatRequest.key` (a hash of
everything that changes the answer). A response is committed as it arrives (WAL
journal, committed in groups by a writer thread; within :data:`COMMIT_EVERY` when
answers come faster than :data:`PACE_ABOVE` a second), so a run killed at any point,
even by ``kill -9``, loses at most the answers in flight or not yet committed (never
more than ``--concurrency`` of those); a re-run asks only what is missing. Failed
requests are kept with their error and asked again on the next run.
No credential is ever written here: requests hold model, messages and
sampling parameters only.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import queue
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgebias.errors import InputError, StoreError
from judgebias.jsonfast import dumps, loads
from judgebias.types import ChatRequest, Completion

__all__ = ["STORE_NAME", "Store", "StoreError", "StoredResponse", "read_requests"]


STORE_NAME = "store.sqlite"

COMMIT_EVERY = 0.05
"""Seconds the writer thread lets rows gather between two commits while nobody waits
for them. Every commit costs a transaction and the WAL frames of each page it touches
(the inner pages of the table and of the key index again each time), so committing
each turn of the event loop's answers as it comes (about five at a time at 256 calls
in flight) cost the writer twice the CPU per answer of commits every 50 ms. A caller
about to wait (:meth:`Store.hurry`) gets its commit at once."""

PACE_ABOVE = 500.0
"""Answers per second above which the writer keeps to :data:`COMMIT_EVERY`. Below it a
commit per turn costs the writer a few percent of a core at most, and each answer is
committed as soon as it is handed over: a ``kill -9`` then loses only the calls in flight."""

RATE_WINDOW = 0.2
"""Seconds over which the writer measures the answer rate: a burst of a few answers
within a millisecond is not a fast run."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    request TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    response TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    latency_s REAL,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    cost_usd REAL,
    judge TEXT,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
"""


_OK_INSERT = (
    "INSERT OR REPLACE INTO responses (key, request, status, response, error, attempts, "
    "latency_s, prompt_tokens, completion_tokens, cost_usd, judge, updated_at) VALUES "
)
_OK_ROW = "(?, ?, 'ok', ?, NULL, ?, ?, ?, ?, ?, ?, ?)"
_FAILED_INSERT = (
    "INSERT INTO responses (key, request, status, error, attempts, judge, updated_at) VALUES "
)
_FAILED_ROW = "(?, ?, 'failed', ?, ?, ?, ?)"
_FAILED_CONFLICT = (
    " ON CONFLICT(key) DO UPDATE SET error = excluded.error, "
    "attempts = responses.attempts + excluded.attempts, updated_at = excluded.updated_at "
    "WHERE responses.status = 'failed'"
)
_ROWS_OF = {
    "ok": (_OK_INSERT, _OK_ROW, ""),
    "failed": (_FAILED_INSERT, _FAILED_ROW, _FAILED_CONFLICT),
}
"""Each kind of row the writer thread commits: (statement head, one row's values, tail)."""


@functools.lru_cache(maxsize=64)
def _many_rows_sql(kind: str, n: int) -> str:
    """One statement inserting ``n`` rows of ``kind``: SQLite runs it in one step, so the
    writer thread lets go of the GIL once for the rows, not once per row."""
    head, row, tail = _ROWS_OF[kind]
    return head + ",".join([row] * n) + tail


def _statements(
    rows: list[tuple[str, tuple[Any, ...]]], max_variables: int
) -> Iterator[tuple[str, list[Any]]]:
    """Multi-row statements for ``rows`` (kind, parameters), in their order: a run of rows
    of one kind becomes statements of at most ``max_variables`` parameters each."""
    i = 0
    while i < len(rows):
        kind, first = rows[i]
        per = max(1, max_variables // len(first))
        j = i + 1
        while j < len(rows) and j - i < per and rows[j][0] == kind:
            j += 1
        yield _many_rows_sql(kind, j - i), [v for _, params in rows[i:j] for v in params]
        i = j


def _resolve(futures: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for fut in futures:
        if fut.done():
            continue
        if error is None:
            fut.set_result(None)
        else:
            fut.set_exception(error)


@dataclass(frozen=True)
class StoredResponse:
    key: str
    status: str
    completion: Completion | None
    error: str | None
    attempts: int
    latency_s: float | None
    cost_usd: float | None


class Store:
    """A SQLite file of requests and responses. Use as a context manager."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._writer: threading.Thread | None = None
        # rows queued on the event loop since the last hand-over to the writer, and the
        # one future they share (see _enqueue)
        self._pending: list[tuple[str, tuple[Any, ...]]] = []
        self._pending_fut: asyncio.Future[None] | None = None
        self._pending_loop: asyncio.AbstractEventLoop | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except OSError as exc:
            raise StoreError(
                f"{self.path}: cannot create the run store ({exc.strerror or exc})"
            ) from None
        except sqlite3.DatabaseError as exc:
            raise InputError(str(self.path), f"not a usable judgebias store ({exc})") from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.stop_writer()
        self._db.close()

    # -- reading -----------------------------------------------------------------
    def get(self, key: str) -> StoredResponse | None:
        row = self._db.execute(
            "SELECT key, status, response, error, attempts, latency_s, cost_usd "
            "FROM responses WHERE key = ?",
            (key,),
        ).fetchone()
        return None if row is None else self._row(row)

    def get_many(self, keys: Iterable[str]) -> dict[str, StoredResponse]:
        keys = list(keys)
        out: dict[str, StoredResponse] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(
                "SELECT key, status, response, error, attempts, latency_s, cost_usd "
                f"FROM responses WHERE key IN ({marks})",
                chunk,
            ):
                out[row[0]] = self._row(row)
        return out

    @staticmethod
    def _row(row: tuple[Any, ...]) -> StoredResponse:
        key, status, response, error, attempts, latency, cost = row
        comp = Completion.from_dict(loads(response)) if response else None
        return StoredResponse(key, status, comp, error, int(attempts or 0), latency, cost)

    def ok_keys(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT key FROM responses WHERE status = 'ok'")}

    def iter_rows(self) -> Iterator[dict[str, Any]]:
        cur = self._db.execute(
            "SELECT key, request, status, response, error, attempts, latency_s, prompt_tokens, "
            "completion_tokens, cost_usd, judge, updated_at FROM responses"
        )
        cols = [d[0] for d in cur.description]
        for row in cur:
            yield dict(zip(cols, row, strict=True))

    def total_cost(self) -> float:
        """USD spent on every answered request in this store (unknown costs count 0)."""
        row = self._db.execute(
            "SELECT COALESCE(SUM(cost_usd), 0) FROM responses WHERE status = 'ok'"
        )
        return float(row.fetchone()[0])

    def count(self) -> dict[str, int]:
        rows = self._db.execute("SELECT status, COUNT(*) FROM responses GROUP BY status")
        return {status: n for status, n in rows}

    # -- writing -----------------------------------------------------------------
    def _write(self, sql: str, params: Any) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(
                f"{self.path}: cannot write the run store ({exc}); nothing committed is lost: "
                "free space or fix permissions, then re-run the same command to resume"
            ) from None

    @staticmethod
    def _ok_params(
        request: ChatRequest, completion: Completion, attempts: int, latency_s: float, judge: str
    ) -> tuple[Any, ...]:
        return (
            request.key(),
            request.canonical_json,
            dumps(completion.as_dict()).decode("utf-8"),
            attempts,
            latency_s,
            completion.prompt_tokens,
            completion.completion_tokens,
            completion.cost_usd,
            judge,
            time.time(),
        )

    def put_ok(
        self,
        request: ChatRequest,
        completion: Completion,
        *,
        attempts: int,
        latency_s: float,
        judge: str,
    ) -> None:
        """Store an answer (committed before this returns)."""
        self._write(
            _many_rows_sql("ok", 1),
            self._ok_params(request, completion, attempts, latency_s, judge),
        )

    def put_failed(self, request: ChatRequest, error: str, *, attempts: int, judge: str) -> None:
        """Record a failure, unless an answer is already stored for this request."""
        self._write(
            _many_rows_sql("failed", 1),
            (request.key(), request.canonical_json, error, attempts, judge, time.time()),
        )

    # -- writing from an event loop, without blocking it -------------------------
    def start_writer(self) -> None:
        """Start the background writer used by :meth:`put_ok_async` / :meth:`put_failed_async`.

        One thread with its own connection takes rows from a queue and commits them in
        groups (one transaction for whatever has arrived; while answers come faster than
        :data:`PACE_ABOVE` a second, at most every :data:`COMMIT_EVERY` seconds unless
        :meth:`hurry` is called), then resolves their futures. The event loop never
        waits on the disk, and a caller that awaits its future knows its row is
        committed: a crash loses only rows not yet awaited.
        """
        if self._writer is not None:
            return
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._hurried = threading.Event()
        self._writer = threading.Thread(
            target=self._write_loop, name="judgebias-store", daemon=True
        )
        self._writer.start()

    def stop_writer(self) -> None:
        if self._writer is None:
            return
        self._hand_over()  # rows whose scheduled hand-over has not run yet
        self._queue.put(None)
        self._hurried.set()
        self._writer.join()
        self._writer = None

    def _write_loop(self) -> None:
        db = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)
        db.execute("PRAGMA synchronous=NORMAL")
        # SQLite's limit on a statement's parameters (999 before 3.32); getlimit is 3.11+
        getlimit = getattr(db, "getlimit", None)
        limit = getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if getlimit else 999
        stop, last, pace = False, 0.0, False
        window, counted = time.monotonic(), 0  # the answers committed since `window`
        while not stop:
            item = self._queue.get()
            # while answers come fast, let the next turns' rows gather, unless a caller
            # waits for them
            wait = last + COMMIT_EVERY - time.monotonic()
            if pace and item is not None and wait > 0:
                self._hurried.wait(wait)
            self._hurried.clear()  # before draining: a later hurry() keeps its rows' turn
            groups: list[Any] = []
            rows = 0
            while item is not None:  # None: stop once these rows are committed
                groups.append(item)
                rows += len(item[0])
                if rows >= 4096:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            else:
                stop = True
            if not groups:
                continue
            error: BaseException | None = None
            try:
                db.execute("BEGIN")
                for sql, params in _statements([r for g in groups for r in g[0]], limit):
                    db.execute(sql, params)
                db.execute("COMMIT")
                last = time.monotonic()
                counted += rows
                if last - window >= RATE_WINDOW:
                    pace = counted >= PACE_ABOVE * (last - window)
                    window, counted = last, 0
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                error = StoreError(
                    f"{self.path}: cannot write the run store ({exc}); nothing committed is "
                    "lost: free space or fix permissions, then re-run the same command to resume"
                )
            by_loop: dict[Any, list[Any]] = {}
            for _rows, fut, loop in groups:
                by_loop.setdefault(loop, []).append(fut)
            for loop, futs in by_loop.items():
                with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
                    loop.call_soon_threadsafe(_resolve, futs, error)
        db.close()

    def _enqueue(self, kind: str, params: tuple[Any, ...]) -> asyncio.Future[None]:
        """Queue a row for the writer thread; the future resolves once it is committed (at
        once, written here, when no writer runs).

        The rows queued during one turn of the event loop go to the writer together, at
        the end of that turn, and share one future: waking the writer thread (and handing
        it the GIL) once per row would cost the event loop more than the row itself.
        """
        loop = asyncio.get_running_loop()
        if self._writer is None:
            fut: asyncio.Future[None] = loop.create_future()
            try:
                self._write(_many_rows_sql(kind, 1), params)
                fut.set_result(None)
            except StoreError as exc:
                fut.set_exception(exc)
            return fut
        group = self._pending_fut
        if group is None or loop is not self._pending_loop:
            self._hand_over()  # another loop's rows, if any, go first with their future
            group = self._pending_fut = loop.create_future()
            self._pending_loop = loop
            loop.call_soon(self._hand_over)
        self._pending.append((kind, params))
        return group

    def _hand_over(self) -> None:
        """Give the writer thread the rows queued since the last hand-over."""
        if not self._pending:
            return
        self._queue.put((self._pending, self._pending_fut, self._pending_loop))
        self._pending, self._pending_fut, self._pending_loop = [], None, None

    def hurry(self) -> None:
        """Commit what is queued now, not at the writer's next beat: for a caller about
        to wait for its rows' future."""
        if self._writer is None:
            return
        self._hand_over()
        self._hurried.set()

    def put_ok_soon(
        self,
        request: ChatRequest,
        completion: Completion,
        *,
        attempts: int,
        latency_s: float,
        judge: str,
    ) -> asyncio.Future[None]:
        """:meth:`put_ok` through the background writer, without waiting: the returned
        future resolves once the answer is committed (or fails with a StoreError)."""
        return self._enqueue("ok", self._ok_params(request, completion, attempts, latency_s, judge))

    async def put_ok_async(
        self,
        request: ChatRequest,
        completion: Completion,
        *,
        attempts: int,
        latency_s: float,
        judge: str,
    ) -> None:
        """:meth:`put_ok` through the background writer; returns once committed."""
        fut = self.put_ok_soon(
            request, completion, attempts=attempts, latency_s=latency_s, judge=judge
        )
        self.hurry()
        await fut

    async def put_failed_async(
        self, request: ChatRequest, error: str, *, attempts: int, judge: str
    ) -> None:
        fut = self._enqueue(
            "failed", (request.key(), request.canonical_json, error, attempts, judge, time.time())
        )
        self.hurry()
        await fut

    def set_meta(self, key: str, value: Any) -> None:
        self._write("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", (key, json.dumps(value)))

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self._db.execute("SELECT v FROM meta WHERE k = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def merge_from(self, other: Store) -> int:
        """Copy every answered request of ``other`` that this store lacks; return how many."""
        n = 0
        for row in other.iter_rows():
            if row["status"] != "ok":
                continue
            cur = self._write(
                "INSERT OR IGNORE INTO responses (key, request, status, response, error, attempts, "
                "latency_s, prompt_tokens, completion_tokens, cost_usd, judge, updated_at) "
                "VALUES (:key, :request, 'ok', :response, NULL, :attempts, :latency_s, "
                ":prompt_tokens, :completion_tokens, :cost_usd, :judge, :updated_at)",
                row,
            )
            n += cur.rowcount
        return n


def read_requests(path: Path, keys: Iterable[str]) -> dict[str, Any]:
    """The stored requests (parsed JSON) of the given keys, read without writing to the store.

    For readers of a finished run (the report): the file is opened read-only (then as
    immutable, for a read-only folder), never created; a missing or unreadable store,
    or a request that is not JSON, gives nothing for those keys.
    """
    wanted = list(dict.fromkeys(keys))
    if not wanted or not path.exists():
        return {}
    out: dict[str, Any] = {}
    for uri in (f"{path.resolve().as_uri()}?mode=ro", f"{path.resolve().as_uri()}?immutable=1"):
        try:
            db = sqlite3.connect(uri, uri=True)
        except sqlite3.Error:
            continue
        try:
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for key, request in db.execute(
                    f"SELECT key, request FROM responses WHERE key IN ({marks})", chunk
                ):
                    try:
                        out[key] = json.loads(request)
                    except ValueError:
                        continue
            return out
        except sqlite3.Error:
            out.clear()
            continue
        finally:
            db.close()
    return out
