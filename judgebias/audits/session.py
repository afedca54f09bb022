"""One audit session, whatever the format: the judge (and the gold judge and rewriter a
format asks for), the run store, the runner and the run folder.

:func:`run_session` is the whole of an audit: the settings are checked (every rule of
:func:`judgebias.audits.config.check_audit_config`, then the format's own), the
:class:`AuditSession` opens the judges and the store, the format
(:mod:`judgebias.audits.formats`) sends its requests through the session and reads the
answers back, and :meth:`AuditSession.write` assembles ``summary.json`` (in this one
place, checked against :class:`judgebias.tables.summary.RunSummary`) and writes the run
folder. The audited judge's generation settings (budget, effort, transport and the
``--constrain`` constraint, resolved against its endpoint for the answers the format's
requests allow) are resolved once on entering the session, before the run folder is
created: :attr:`AuditSession.settings` builds every request to the audited judge, and
``summary.json``'s ``run`` block records them for every format.
"""

from __future__ import annotations

import gc
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd

from judgebias import __version__
from judgebias.audits.config import AuditConfig, resolve_audit_config, runner_config
from judgebias.audits.formats import format_for
from judgebias.audits.formats.base import Format, FormatRun, Roles
from judgebias.audits.runguard import guard_run_folder, run_settings
from judgebias.audits.settings import audit_generation, constrain_summary, flag_generation
from judgebias.engine.runner import RunCounts, run_requests
from judgebias.engine.store import STORE_NAME, Store
from judgebias.errors import UsageError
from judgebias.jsonsafe import json_safe
from judgebias.judges.base import Judge, JudgeOptions, make_judge, parse_spec
from judgebias.judges.generation import GenerationSettings
from judgebias.judges.request_rules import check_options
from judgebias.tables.runfolder import write_run_files
from judgebias.tables.summary import check_summary
from judgebias.types import ChatRequest, Pair

__all__ = [
    "AuditOutcome",
    "AuditSession",
    "call_totals",
    "planted",
    "run_session",
]


@dataclass
class AuditOutcome:
    out: Path
    summary: dict[str, Any]
    records: pd.DataFrame
    pairs: list[Pair]
    pairs_frame: pd.DataFrame | None = None
    """The table written as ``pairs.parquet`` (for a listwise audit, its items)."""


def call_totals(records: pd.DataFrame, counts: RunCounts) -> dict[str, Any]:
    """summary.json's ``calls``, ``tokens`` and ``cost_usd`` over the run's unique requests."""
    uniq = records.drop_duplicates("request_key")
    pt = uniq["prompt_tokens"].dropna()
    ct = uniq["completion_tokens"].dropna()
    costs = uniq["cost_usd"].dropna()
    thought = (
        pd.to_numeric(uniq["reasoning_tokens"], errors="coerce").dropna()
        if "reasoning_tokens" in uniq.columns
        else pd.Series(dtype=float)
    )
    return {
        "calls": {
            "total": counts.total,
            "sent": counts.sent,
            "cached": counts.cached,
            "failed": int((uniq["status"] != "ok").sum()),
            "attempts": counts.attempts,
            "retried": counts.retried,
            "errors": counts.errors,
            "records": len(records),
            "seconds": round(counts.seconds, 3),
        },
        "tokens": {
            "prompt": int(pt.sum()),
            "completion": int(ct.sum()),
            "total": int(pt.sum() + ct.sum()),
            **({"reasoning": int(thought.sum())} if len(thought) else {}),
        },
        "cost_usd": float(costs.sum()) if len(costs) else None,
    }


def planted(judge_spec: str, reasoning_effort: str | None = None) -> dict[str, Any] | None:
    """The sim's parameters; with ``effort_bias``, each bias as it acts at the run's effort
    (the value the audit should recover), the reasoning, item and ``lean`` keys only when set."""
    kind, rest = parse_spec(judge_spec)
    if kind != "sim":
        return None
    from judgebias.sim.params import BIAS_KEYS, ITEM_KEYS, parse_sim_params
    from judgebias.sim.reasoning import REASONING_DEFAULTS, effort_scale

    params = parse_sim_params(rest)
    out = {
        k: v
        for k, v in asdict(params).items()
        if (k not in REASONING_DEFAULTS or v != REASONING_DEFAULTS[k])
        and (k not in (*ITEM_KEYS, "lean") or v)
    }
    if params.effort_bias:
        factor = effort_scale(params, reasoning_effort)
        for k in ("position", *BIAS_KEYS):
            out[k] = round(out[k] * factor, 10)
        out["effort_factor"] = factor
    return out


class AuditSession:
    """The judges, the run store, the runner and the run folder of one audit.

    Use it as an async context manager: entering opens the store, leaving closes the
    store and every judge."""

    def __init__(self, cfg: AuditConfig, roles: Roles) -> None:
        self.cfg = cfg
        self.roles = roles
        self.options = JudgeOptions(
            base_urls=cfg.base_urls,
            timeout=cfg.timeout,
            extra={"transport": cfg.transport} if cfg.transport else {},
        )
        self.judge: Judge = make_judge(cfg.judge, self.options)
        check_options(self.judge.model, roles.mode, cfg.reasoning_effort, cfg.max_tokens)
        self.gold: Judge | None = make_judge(roles.gold, self.options) if roles.gold else None
        if self.gold is not None and roles.check_gold:
            check_options(self.gold.model, roles.mode, who="the gold judge")
        self.rewriter: Judge | None = (
            make_judge(roles.rewriter, self.options) if roles.rewriter else None
        )
        self.out = Path(cfg.out)
        self.runner = runner_config(cfg)
        self.counts = RunCounts()
        self.rewrite_counts = RunCounts()
        self.started = time.time()
        self._store: Store | None = None
        self._settings: GenerationSettings | None = None

    @property
    def settings(self) -> GenerationSettings:
        """The audited judge's generation settings (budget, effort, transport and the
        ``--constrain`` constraint resolved against its endpoint), resolved once on
        entering the session: every request to the audited judge is built from them."""
        assert self._settings is not None, "use the session as an async context manager"
        return self._settings

    @property
    def store(self) -> Store:
        assert self._store is not None, "use the session as an async context manager"
        return self._store

    async def __aenter__(self) -> AuditSession:
        try:  # before the run folder: a constraint the endpoint refuses creates nothing
            self._settings = await audit_generation(
                self.cfg,
                self.judge,
                self.roles.mode,
                self.roles.labels,
                self.roles.reasoning_first,
            )
        except BaseException:
            await self._close_judges()
            raise
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            await self._close_judges()
            raise UsageError(f"--out: cannot create {self.out} ({exc.strerror or exc})") from None
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
            await self._close_judges()

    async def _close_judges(self) -> None:
        await self.judge.aclose()
        if self.gold is not None:
            await self.gold.aclose()
        if self.rewriter is not None:
            await self.rewriter.aclose()

    def count(self, done: RunCounts) -> None:
        """Add requests sent by other means (a mitigation's wrapper) to the run's counts."""
        self.counts = self.counts.merged(done)

    async def ask(self, requests: list[ChatRequest], label: str, gold: bool = False) -> RunCounts:
        """Make sure every request has an answer in the store (the runner sends what is
        missing), from the audited judge or, with ``gold``, the gold judge."""
        judge = self.gold if gold and self.gold is not None else self.judge
        done = await run_requests(requests, judge, self.store, self.runner, label=label)
        self.count(done)
        return done

    async def rewrite(self, requests: list[ChatRequest], label: str) -> None:
        """The rewriter's requests (``--rewriter``), through the same runner and store."""
        assert self.rewriter is not None
        done = await run_requests(requests, self.rewriter, self.store, self.runner, label=label)
        self.count(done)
        self.rewrite_counts = self.rewrite_counts.merged(done)

    def rewriter_block(self, info: Any) -> dict[str, Any] | None:
        """summary.json's ``rewriter``: its spec, what it rewrote and discarded, its calls."""
        if info is None or self.rewriter is None:
            return None
        rc = self.rewrite_counts
        return {
            "spec": self.rewriter.spec,
            **info.as_dict(),
            "calls": {"total": rc.total, "sent": rc.sent, "cached": rc.cached, "failed": rc.failed},
        }

    def write(self, fmt: Format, part: FormatRun) -> AuditOutcome:
        """Assemble ``summary.json`` (the keys every audit has, then the format's), check it
        against the schema and write the run folder (and its report)."""
        cfg = self.cfg
        totals = call_totals(part.records, self.counts)
        own = dict(part.summary)
        calls = {**totals["calls"], **own.pop("calls", {})}
        summary: dict[str, Any] = {
            "judge": self.judge.spec,
            **own,
            "calls": calls,
            "tokens": own.get("tokens", totals["tokens"]),
            "cost_usd": own.get("cost_usd", totals["cost_usd"]),
        }
        if fmt.name != "pair":
            summary["format"] = fmt.name
        settings = self._settings or flag_generation(cfg, self.judge.model, self.roles.mode)
        summary["run"] = {
            "judgebias_version": __version__,
            "data": cfg.data,
            "mode": self.roles.mode,
            "max_invalid": cfg.max_invalid,
            "max_tokens": settings.max_tokens,
            "reasoning_effort": cfg.reasoning_effort,
            **constrain_summary(settings),
            "seed": cfg.seed,
            "concurrency": cfg.concurrency,
            "command": cfg.command,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
            "seconds": round(time.time() - self.started, 3),
            "simulated": planted(cfg.judge) is not None,
            "planted": planted(cfg.judge, cfg.reasoning_effort),
            **part.run,
        }
        summary = json_safe(summary)
        write_run_files(self.out, summary, part.records, part.pairs_frame)
        check_summary(summary, where=str(self.out / "summary.json"))
        gc.collect()
        if cfg.write_report:
            from judgebias.report.render import render_report, write_html
            from judgebias.tables.runfolder import Run

            # the tables in memory are the ones just written: the report need not read them
            run = Run(
                path=self.out,
                summary=summary,
                records=part.records,
                pairs=part.pairs_frame,
                label=self.out.name,
            )
            write_html(render_report(run), self.out / "report.html")
        return AuditOutcome(
            out=self.out,
            summary=summary,
            records=part.records,
            pairs=part.pairs,
            pairs_frame=part.pairs_frame,
        )


async def run_session(cfg: AuditConfig) -> AuditOutcome:
    """Run an audit of any format: check every setting first, then open the session and
    let the format send its requests, then write the run folder."""
    cfg = resolve_audit_config(cfg)  # the rules every audit meets, before any format
    fmt = format_for(cfg)
    fmt.check(cfg)
    roles = fmt.roles(cfg)
    session = AuditSession(cfg, roles)  # builds the judges: a bad spec is refused first
    guard_run_folder(  # another run in --out is not replaced without --force
        Path(cfg.out),
        run_settings(
            judge=session.judge.spec,
            data=cfg.data,
            mode=roles.mode,
            template=cfg.template,
            fmt=fmt.name,
            mitigations=cfg.mitigations,
        ),
        force=cfg.force,
    )
    async with session:
        part = await fmt.run(session)
    return session.write(fmt, part)
