"""The terminal summary printed after an audit (rich; plain when not a terminal)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["print_summary"]


def _fmt(x: Any, pct: bool = True) -> str:
    if x is None:
        return "-"
    return f"{100 * x:+.1f} pp" if pct else f"{x:.3g}"


def _print_invalid(console: Any, inv: dict[str, Any]) -> None:
    """The unreadable answers: their share, reasons, a few examples and what to do."""
    from rich.markup import escape

    if not inv.get("n_invalid"):
        return
    share = inv.get("share")
    reasons = ", ".join(f"{k} {v}" for k, v in (inv.get("reasons") or {}).items())
    style = "bold red" if inv.get("exceeded") else "yellow"
    console.print(
        f"[{style}]unreadable answers: {inv['n_invalid']} of {inv['n']}"
        f" ({'-' if share is None else f'{100 * share:.1f} %'}; limit {inv.get('max_invalid')}):"
        f"[/{style}] {escape(reasons)}"
    )
    for ex in (inv.get("examples") or [])[:3]:
        raw = " ".join(str(ex.get("raw") or ex.get("error") or "").split())[:160]
        console.print(f"  {escape(ex['reason'])} ({escape(ex['probe'])}): {escape(raw)!r}")
    if inv.get("advice"):
        console.print(f"  what to do: {escape(inv['advice'])}")


def print_summary(summary: dict[str, Any], out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"judgebias audit of {summary['judge']} ({summary['n_pairs']} pairs)")
    for col in ("probe", "effect", "95% CI", "p (BH)", "n", "invalid", "severity"):
        table.add_column(col)
    for name, fig in summary["probes"].items():
        eff = fig.get("effect", fig.get("dbg"))
        ci = f"[{_fmt(fig.get('ci_low'))}, {_fmt(fig.get('ci_high'))}]"
        p = fig.get("p_adjusted")
        share = fig.get("invalid_share")
        table.add_row(
            name,
            _fmt(eff),
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
    console.print(f"report: {out / 'report.html'}")
