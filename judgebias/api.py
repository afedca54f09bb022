"""Keyword-friendly entry points for notebooks."""

from __future__ import annotations

from collections.abc import Sequence

from .pipeline import AuditConfig, AuditOutcome, run_audit

__all__ = ["audit"]


def audit(
    judge: str,
    data: str | None = None,
    *,
    probes: str | Sequence[str] = "position",
    out: str = "judgebias-run",
    gold_judge: str | None = None,
    concurrency: int = 8,
    limit: int | None = None,
    seed: int = 0,
    base_urls: Sequence[str] = (),
    quiet: bool = True,
) -> AuditOutcome:
    """Audit ``judge`` (a judge spec) on ``data`` (default: the bundled pairs).

    Works in plain scripts and inside a running event loop (Jupyter). Returns the
    run's summary, records and pairs; everything is also written to ``out``.
    """
    names = probes.split(",") if isinstance(probes, str) else list(probes)
    return run_audit(AuditConfig(judge=judge, data=data, probes=names, out=out,
                                 gold_judge=gold_judge, concurrency=concurrency, limit=limit,
                                 seed=seed, base_urls=list(base_urls), quiet=quiet))
