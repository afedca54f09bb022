"""The audit's entry points: :func:`run_audit` and :func:`plan_audit`.

:func:`run_audit` is what ``judgebias audit`` and the notebook's ``judgebias.audit``
call, for every format. It writes one run folder: the SQLite store,
``records.parquet`` (one tidy row per judge call), ``pairs.parquet``, ``summary.json``
and ``report.html``. Re-running the same audit into the same folder sends only what is
missing.

The settings are checked first (:func:`judgebias.audits.config.check_audit_config`,
then the format's own rules); :mod:`judgebias.audits.session` opens the judge and the
store and writes the run folder; the format (:mod:`judgebias.audits.formats`) builds
the requests and computes the figures with :mod:`judgebias.stats`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from judgebias.audits.calls import build_calls, build_records, shard_pairs
from judgebias.audits.config import MODES, AuditConfig, resolve_audit_config
from judgebias.audits.formats import format_for
from judgebias.audits.formats.pairwise import PAIR_COLUMNS
from judgebias.audits.session import AuditOutcome, call_totals, run_session
from judgebias.engine.loop import run_async
from judgebias.judges.base import parse_spec
from judgebias.judges.request_rules import check_options

__all__ = [
    "MODES",
    "PAIR_COLUMNS",
    "AuditConfig",
    "AuditOutcome",
    "build_calls",
    "build_records",
    "call_totals",
    "plan_audit",
    "run_audit",
    "run_audit_async",
    "shard_pairs",
]


async def run_audit_async(cfg: AuditConfig) -> AuditOutcome:
    """Run an audit of any format (see :func:`judgebias.audits.session.run_session`)."""
    return await run_session(cfg)


def plan_audit(cfg: AuditConfig) -> dict[str, Any]:
    """What an audit would send, without sending anything (``--dry-run``).

    Calls that depend on earlier verdicts are counted at their upper bound. Tokens are
    estimated at 4 characters a token plus each request's max_tokens (the budget of
    reasoning and answer together: for a reasoning judge the worst case is every call
    using all of it); the cost uses --price-in/--price-out when given.
    """
    cfg = resolve_audit_config(cfg)
    fmt = format_for(cfg)
    fmt.check(cfg)
    kind, rest = parse_spec(cfg.judge)
    # the model name the request rules read, without building the judge (no key needed)
    rules_model = rest.strip() if kind in ("openai", "litellm") else "model"
    check_options(rules_model, cfg.mode, cfg.reasoning_effort, cfg.max_tokens)
    return fmt.plan(cfg)


def run_audit(cfg: AuditConfig) -> AuditOutcome:
    """Run an audit to completion; safe to call inside a running event loop (Jupyter)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run_async(run_audit_async(cfg))
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        return ex.submit(lambda: run_async(run_audit_async(cfg))).result()
