"""The terminal summary printed after an audit (rich; plain when not a terminal)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["print_summary"]


def _fmt(x: Any, pct: bool = True, unit: str | None = None) -> str:
    if x is None:
        return "-"
    if unit:  # --format single: grade points, 5-point steps or the anchor's pull
        return f"{x:+.2f} {unit.split()[0]}"
    return f"{100 * x:+.1f} pp" if pct else f"{x:.3g}"


def print_summary(summary: dict[str, Any], out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"judgebias audit of {summary['judge']} ({summary['n_pairs']} pairs)")
    for col in ("probe", "effect", "95% CI", "p (BH)", "n", "severity"):
        table.add_column(col)
    for name, fig in summary["probes"].items():
        eff = fig.get("effect", fig.get("dbg"))
        unit = fig.get("unit")
        ci = f"[{_fmt(fig.get('ci_low'), unit=unit)}, {_fmt(fig.get('ci_high'), unit=unit)}]"
        p = fig.get("p_adjusted")
        table.add_row(
            name,
            _fmt(eff, unit=unit),
            ci,
            "-" if p is None else f"{p:.3g}",
            str(fig.get("n")),
            str(fig.get("severity", "")),
        )
    console.print(table)
    acc = summary.get("accuracy")
    calls = summary["calls"]
    console.print(
        f"accuracy vs gold: {'-' if acc is None else f'{100 * acc:.1f} %'}   "
        f"calls: {calls['total']} total, {calls['sent']} sent, {calls['cached']} cached, "
        f"{calls['failed']} failed"
    )
    console.print(f"report: {out / 'report.html'}")
