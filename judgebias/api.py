"""Keyword-friendly entry points for notebooks."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from judgebias.audits.pipeline import AuditConfig, run_audit

if TYPE_CHECKING:  # pragma: no cover
    from judgebias.audits.result import AuditResult

__all__ = ["audit"]


def audit(
    judge: str | Callable[..., Any],
    data: str | None = None,
    *,
    probes: str | Sequence[str] = "position",
    out: str = "judgebias-run",
    gold_judge: str | Callable[..., Any] | None = None,
    concurrency: int = 8,
    limit: int | None = None,
    seed: int = 0,
    base_urls: Sequence[str] = (),
    quiet: bool = True,
    first: str | None = None,
    second: str | None = None,
    items: str | None = None,
    **options: Any,
) -> AuditResult:
    """Audit ``judge`` (a judge spec, or a Python function: see
    :mod:`judgebias.judges.python_fn`) on ``data`` (default: the bundled pairs).

    Works in plain scripts and inside a running event loop (Jupyter). Everything is
    written to the run folder ``out``; the returned :class:`~judgebias.audits.result.AuditResult`
    shows the scorecard in Jupyter and has ``.summary`` (one row per probe),
    ``.records``, ``.plot()``, ``.to_html()`` and ``.check("position>0.1")``.
    Further keyword ``options`` are the fields of :class:`~judgebias.audits.pipeline.AuditConfig`
    (``template``, ``mode``, ``self_answers``, ``probe_files``, ``mapping``, ``timeout`` ...).
    For a ``replay:FILE`` judge, ``first``/``second`` name the recorded verdict columns and
    ``items`` the table of the pairs' texts (the CLI's ``--first``/``--second``/``--items``).
    """
    from judgebias.audits.config import check_audit_config
    from judgebias.audits.result import AuditResult
    from judgebias.errors import UsageError
    from judgebias.judges.python_fn import function_spec
    from judgebias.tables.runfolder import Run

    fields = {f.name for f in dataclasses.fields(AuditConfig)}
    unknown = sorted(set(options) - fields)
    if unknown:
        from judgebias.registry import did_you_mean

        hint = did_you_mean(unknown[0], fields)
        raise UsageError(
            f"audit(): unknown option(s) {', '.join(unknown)}{hint}; "
            f"known: {', '.join(sorted(fields))}"
        )
    if not isinstance(judge, str):
        judge = function_spec(judge)
    if gold_judge is not None and not isinstance(gold_judge, str):
        gold_judge = function_spec(gold_judge)
    names = probes.split(",") if isinstance(probes, str) else list(probes)
    cfg = AuditConfig(
        judge=judge,
        data=data,
        probes=names,
        out=out,
        gold_judge=gold_judge,
        concurrency=concurrency,
        limit=limit,
        seed=seed,
        base_urls=list(base_urls),
        quiet=quiet,
        replay_first=first,
        replay_second=second,
        replay_items=items,
        **options,
    )
    check_audit_config(cfg)  # the CLI's rules: max_cost needs prices, positive limits, ...
    outcome = run_audit(cfg)
    import warnings

    import pandas as pd

    for note in outcome.summary.get("notes") or []:  # e.g. probes 'all' left out
        warnings.warn(f"judgebias: {note}", stacklevel=2)
    inv = outcome.summary.get("invalid") or {}
    if inv.get("exceeded"):
        warnings.warn(
            f"judgebias: {inv.get('n_invalid')} of {inv.get('n')} answers could not be read "
            f"(over max_invalid {inv.get('max_invalid')}); no figure of this run may be read as "
            f"'no bias'. {inv.get('advice') or ''}",
            stacklevel=2,
        )
    # the table written as pairs.parquet: what load_run of the folder reads
    pairs = (
        outcome.pairs_frame
        if outcome.pairs_frame is not None
        else pd.DataFrame([dataclasses.asdict(p) for p in outcome.pairs])
    )
    return AuditResult(
        Run(
            path=outcome.out,
            summary=outcome.summary,
            records=outcome.records,
            pairs=pairs,
            label=outcome.out.resolve().name,
        )
    )
