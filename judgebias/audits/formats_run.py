"""What the listwise and pointwise audits share with every audit: the judge,
the run store, the runner (cache, retries, rate limits, cost cap) and the run folder.

:class:`FormatSession` opens the judge and the store and sends requests through
:func:`judgebias.engine.runner.run_requests`; :func:`write_run` writes ``summary.json``,
``records.parquet``, ``pairs.parquet`` and ``report.html`` like ``run_audit`` does.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pandas as pd

from judgebias.engine.runner import RunCounts
from judgebias.errors import UsageError
from judgebias.tables.runfolder import write_run_files
from judgebias.types import ChatRequest

if TYPE_CHECKING:
    from judgebias.audits.pipeline import AuditConfig, AuditOutcome
    from judgebias.engine.store import Store
    from judgebias.judges.base import Judge

__all__ = ["FormatSession", "answer_columns", "write_run"]


def answer_columns(stored: Any, key: str) -> dict[str, Any]:
    """The record columns every format takes from one stored answer (or its absence)."""
    s = stored
    comp = s.completion if s is not None and s.status == "ok" else None
    return {
        "status": "missing" if s is None else s.status,
        "raw": comp.text if comp is not None else None,
        "error": s.error if s is not None else None,
        "prompt_tokens": comp.prompt_tokens if comp is not None else None,
        "completion_tokens": comp.completion_tokens if comp is not None else None,
        "cost_usd": comp.cost_usd if comp is not None else None,
        "latency_s": s.latency_s if s is not None else None,
        "attempts": s.attempts if s is not None else 0,
        "request_key": key,
    }


class FormatSession:
    """The judge (and an optional gold judge), the run store and the runner of one audit."""

    def __init__(self, cfg: AuditConfig, gold: str | None = None, rewriter: str | None = None):
        from judgebias.audits.config import runner_config
        from judgebias.judges.base import JudgeOptions, make_judge
        from judgebias.judges.request_rules import check_options

        self.cfg = cfg
        options = JudgeOptions(
            base_urls=cfg.base_urls,
            timeout=cfg.timeout,
            extra={"transport": cfg.transport} if cfg.transport else {},
        )
        self.judge: Judge = make_judge(cfg.judge, options)
        check_options(self.judge.model, "verdict", cfg.reasoning_effort, cfg.max_tokens)
        self.gold: Judge | None = make_judge(gold, options) if gold else None
        self.rewriter: Judge | None = make_judge(rewriter, options) if rewriter else None
        self.rewrite_counts = RunCounts()
        self.out = Path(cfg.out)
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"--out: cannot create {self.out} ({exc.strerror or exc})") from None
        self.runner = runner_config(cfg)
        self.counts = RunCounts()
        self.started = time.time()
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        assert self._store is not None, "use the session as an async context manager"
        return self._store

    async def __aenter__(self) -> FormatSession:
        from judgebias.engine.store import STORE_NAME, Store

        self._store = Store(self.out / STORE_NAME).__enter__()
        self._store.set_meta("judge", self.judge.spec)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._store is not None:
                self._store.__exit__(exc_type, exc, tb)
        finally:
            await self.judge.aclose()
            if self.gold is not None:
                await self.gold.aclose()
            if self.rewriter is not None:
                await self.rewriter.aclose()

    async def ask(self, requests: list[ChatRequest], label: str, gold: bool = False) -> None:
        """Make sure every request has an answer in the store (the runner sends what is missing)."""
        from judgebias.engine.runner import run_requests

        judge = self.gold if gold and self.gold is not None else self.judge
        done = await run_requests(requests, judge, self.store, self.runner, label=label)
        self.counts = self.counts.merged(done)

    async def rewrite(self, requests: list[ChatRequest], label: str) -> None:
        """The rewriter's requests (``--rewriter``), through the same runner and store."""
        from judgebias.engine.runner import run_requests

        assert self.rewriter is not None
        done = await run_requests(requests, self.rewriter, self.store, self.runner, label=label)
        self.counts = self.counts.merged(done)
        self.rewrite_counts = self.rewrite_counts.merged(done)


def write_run(
    session: FormatSession,
    core: dict[str, Any],
    run_info: dict[str, Any],
    records: pd.DataFrame,
    pairs_frame: pd.DataFrame,
) -> AuditOutcome:
    """Assemble summary.json (``core`` + calls, tokens, cost + ``run``) and write the run folder."""
    from judgebias import __version__
    from judgebias.audits.pipeline import AuditOutcome, _planted, call_totals
    from judgebias.jsonsafe import json_safe

    cfg = session.cfg
    summary: dict[str, Any] = {
        "judge": session.judge.spec,
        **core,
        **call_totals(records, session.counts),
        "run": {
            "judgebias_version": __version__,
            "data": cfg.data,
            "seed": cfg.seed,
            "command": cfg.command,
            "concurrency": cfg.concurrency,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(session.started)),
            "seconds": round(time.time() - session.started, 3),
            "simulated": _planted(cfg.judge) is not None,
            "planted": _planted(cfg.judge),
            **run_info,
        },
    }
    summary = json_safe(summary)
    out = session.out
    write_run_files(out, summary, records, pairs_frame)
    if cfg.write_report:
        from judgebias.report.render import render_report, write_html
        from judgebias.tables.runfolder import Run

        run = Run(path=out, summary=summary, records=records, pairs=pairs_frame, label=out.name)
        write_html(render_report(run), out / "report.html")
    return AuditOutcome(out=out, summary=summary, records=records, pairs=[])
