"""The terminal summary printed after an audit (rich; plain when not a terminal)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judgebias.tables.summary import Unit

__all__ = ["print_summary"]


def _fmt(x: Any, pct: bool = True, unit: str | None = None) -> str:
    if x is None:
        return "-"
    if unit or pct:  # a share in pp; --format single: grade points, 5-point steps, pull
        return Unit(unit or Unit.SHARE).show(x)
    return f"{x:.3g}"


def _print_invalid(console: Any, inv: dict[str, Any]) -> None:
    """The unreadable answers: their share, reasons, a few examples and what to do."""
    from rich.markup import escape

    if not inv.get("n_invalid"):
        return
    reasons = {k: v for k, v in (inv.get("reasons") or {}).items() if k != "call_failed"}
    failed = int((inv.get("reasons") or {}).get("call_failed") or 0)
    n = inv.get("n") or 0
    if failed:  # no answer came back: these are not unreadable answers
        first = next(
            (e.get("error") for e in inv.get("examples") or [] if e.get("reason") == "call_failed"),
            None,
        )
        console.print(
            f"[bold red]failed calls: {failed} of {n}[/bold red] (no answer came back after"
            " every retry, so none was read): re-run the same command to retry them"
            + (f"\n  first error: {escape(str(first))}" if first else "")
        )
    unreadable = int(inv["n_invalid"]) - failed
    if unreadable:
        share = unreadable / n if n else None
        style = "bold red" if inv.get("exceeded") else "yellow"
        console.print(
            f"[{style}]unreadable answers: {unreadable} of {n}"
            f" ({'-' if share is None else f'{100 * share:.1f} %'}; limit {inv.get('max_invalid')}):"
            f"[/{style}] {escape(', '.join(f'{k} {v}' for k, v in reasons.items()))}"
        )
    for ex in [e for e in inv.get("examples") or [] if e.get("reason") != "call_failed"][:3]:
        raw = " ".join(str(ex.get("raw") or ex.get("error") or "").split())[:160]
        console.print(f"  {escape(ex['reason'])} ({escape(ex['probe'])}): {escape(raw)!r}")
    if inv.get("advice") and unreadable:
        console.print(f"  what to do: {escape(inv['advice'])}")


def _print_informative(console: Any, info: dict[str, Any], probes: dict[str, Any]) -> None:
    """At the top: the judge's verdicts do not depend on the answers (or are at chance),
    and why each probe that cannot show a bias is not measurable."""
    from rich.markup import escape

    flagged = {
        name: str(fig.get("status_reason") or "")
        for name, fig in probes.items()
        if isinstance(fig, dict) and fig.get("status") == "uninformative"
    }
    if info.get("message"):
        console.print(f"[bold red]{escape(str(info['message']))}[/bold red]")
        if flagged:
            console.print(f"  not measurable: {escape(', '.join(flagged))}")
        return
    for name, reason in flagged.items():
        console.print(f"[yellow]{escape(name)}: not measurable:[/yellow] {escape(reason)}")


def print_summary(summary: dict[str, Any], out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    _print_informative(console, summary.get("informative") or {}, summary["probes"])
    from rich.markup import escape

    for note in summary.get("notes") or []:
        console.print(f"[yellow]note:[/yellow] {escape(str(note))}")
    table = Table(title=f"judgebias audit of {summary['judge']} ({summary['n_pairs']} pairs)")
    for col in ("probe", "effect", "95% CI", "p (BH)", "n", "invalid", "severity"):
        table.add_column(col)
    for name, fig in summary["probes"].items():
        eff = fig.get("effect", fig.get("dbg"))
        unit = fig.get("unit")
        ci = f"[{_fmt(fig.get('ci_low'), unit=unit)}, {_fmt(fig.get('ci_high'), unit=unit)}]"
        p = fig.get("p_adjusted")
        share = fig.get("invalid_share")
        table.add_row(
            name,
            _fmt(eff, unit=unit),
            ci,
            "-" if p is None else f"{p:.3g}",
            str(fig.get("n")),
            "-" if share is None else f"{100 * share:.0f} %",
            str(fig.get("severity", "")),
        )
    console.print(table)
    _print_invalid(console, summary.get("invalid") or {})
    acc = summary.get("accuracy")
    calls = summary["calls"]
    console.print(
        f"accuracy vs gold: {'-' if acc is None else f'{100 * acc:.1f} %'}   "
        f"calls: {calls['total']} total, {calls['sent']} sent, {calls['cached']} cached, "
        f"{calls['failed']} failed"
    )
    from judgebias.report.next_steps import next_steps, step_lines

    lines = step_lines(next_steps(summary, str(out)))
    if lines:
        console.print("[bold]next steps:[/bold]")
        for line in lines:
            console.print(escape(line), soft_wrap=True, highlight=False)
    console.print(f"report: {out / 'report.html'}")
