"""How an audit's outcome is shown and turned into an exit status (``audit``, ``demo``):
the scorecard or summary.json on stdout (the scorecard opens with the judge's verdicts
not depending on the answers, when they do not), failed calls and the fail-closed line on
stderr (and that sentence too, with ``--quiet`` or ``--json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from judgebias.cli.common import fail
from judgebias.errors import EXIT_UNREACHABLE

__all__ = ["fail_closed", "print_outcome", "report_failures"]


def fail_closed(summary: dict[str, Any], out: Path) -> None:
    """Exit 3 with one line when the run's share of unreadable answers is over --max-invalid;
    exit 4 when the limit is crossed only because calls failed (no answer to read).
    Everything is written first, and the run stays resumable."""
    inv = summary.get("invalid") or {}
    if not inv.get("exceeded"):
        return
    failed = int(inv.get("failed_calls") or 0)
    if failed and not inv.get("unreadable_exceeded", True):
        fail(
            f"{failed} of {inv.get('n')} judge calls failed after every retry (over "
            f"--max-invalid {inv.get('max_invalid'):g} of the answers missing): no figure of "
            "this run may be read as 'no bias'. Re-run the same command to retry only those. "
            f"Details: {out / 'report.html'}",
            EXIT_UNREACHABLE,
        )
    share = inv.get("share")
    reasons = ", ".join(f"{k} {v}" for k, v in list((inv.get("reasons") or {}).items())[:3])
    typer.echo(
        f"judgebias: {inv.get('n_invalid')} of {inv.get('n')} answers could not be read"
        f" ({'all' if share is None else f'{100 * share:.1f} %'}; over --max-invalid"
        f" {inv.get('max_invalid'):g}; {reasons or 'no answers'}): no figure of this run may be"
        f" read as 'no bias'. {inv.get('advice') or ''} Details: {out / 'report.html'}",
        err=True,
    )
    raise typer.Exit(3)


def report_failures(outcome: Any) -> None:
    """Calls that failed after every retry: a warning, or exit 4 (:data:`EXIT_UNREACHABLE`)
    when none succeeded. The run folder is complete either way, and a re-run asks only the
    failed calls again."""
    calls = outcome.summary.get("calls", {})
    failed, total = int(calls.get("failed") or 0), int(calls.get("total") or 0)
    if not failed:
        return
    errors = list(outcome.records["error"].dropna()) if "error" in outcome.records else []
    first = str(errors[0]) if errors else "unknown"
    msg = (
        f"{failed} of {total} judge calls failed after retries (first error: {first}); "
        "re-run the same command to retry only those"
    )
    if failed >= total:
        fail(msg, EXIT_UNREACHABLE)
    typer.echo(f"judgebias: warning: {msg}", err=True)


def print_outcome(summary: dict[str, object], out: Path, *, quiet: bool, as_json: bool) -> None:
    if as_json or quiet:
        # the scorecard is not shown: say on stderr that the judge did not judge
        info = summary.get("informative")
        message = info.get("message") if isinstance(info, dict) else None
        if message:
            typer.echo(f"judgebias: warning: {message}", err=True)
        for note in summary.get("notes") or []:  # type: ignore[attr-defined]
            typer.echo(f"judgebias: note: {note}", err=True)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    if quiet:
        return
    from judgebias.report.console import print_summary

    print_summary(summary, out)
