"""What ``judgebias analyze`` prints, and what :class:`~judgebias.analysis.AnalyzeResult`
shows in a notebook: per group, each figure with its 95 % interval.

Shown: position consistency, primacy and recency (shares of the pairs with a valid
verdict in both orders), preference fairness (recency - primacy, in points; 0 is fair),
and when the data allow, accuracy against gold and the share preferring the longer
answer. ``summary.csv`` also has ``position_effect``: the same figure as preference
fairness with the opposite sign (primacy - recency, positive favours the first-shown
answer, as the ``position`` probe of ``judgebias audit``); only one of them is shown.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["SIGN_NOTE", "analyze_frame", "analyze_text"]

SIGN_NOTE = (
    "preference fairness = recency - primacy (0 is fair, + favours the second-shown answer); "
    "summary.csv's position_effect is the same figure with the opposite sign"
)

_PERCENT = ("position_consistency", "primacy", "recency", "accuracy", "prefers_longer")
_EXTRA = (
    "invalid_share",
    "repetition_stability",
    "position_consistency_units_mean",
    "preference_fairness_units_mean",
)


def _nan(x: Any) -> bool:
    try:
        return x is None or math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def _share(v: Any, lo: Any, hi: Any) -> str:
    if _nan(v):
        return "–"
    ci = "" if _nan(lo) or _nan(hi) else f" [{100 * lo:.0f}, {100 * hi:.0f}]"
    return f"{100 * v:.1f}%{ci}"


def _points(v: Any, lo: Any, hi: Any) -> str:
    if _nan(v):
        return "–"
    ci = "" if _nan(lo) or _nan(hi) else f" [{100 * lo:+.0f}, {100 * hi:+.0f}]"
    return f"{100 * v:+.1f} pp{ci}"


def analyze_frame(table: pd.DataFrame, group: list[str], limit: int = 40) -> pd.DataFrame:
    """The printed table: group columns, ``n``, then each figure with its interval (text);
    accuracy and the length preference only when some group has them."""
    shown = [c for c in _PERCENT if c in table.columns]
    shown = [
        c
        for c in shown
        if c not in ("accuracy", "prefers_longer") or table[c].map(lambda x: not _nan(x)).any()
    ]
    out: dict[str, list[Any]] = {g: list(table[g].head(limit)) for g in group}
    out["n"] = list(table["n"].head(limit))
    rows = table.head(limit).to_dict("records")
    for c in shown:
        out[c.replace("position_", "")] = [
            _share(r[c], r.get(f"{c}_ci_low"), r.get(f"{c}_ci_high")) for r in rows
        ]
        if c == "recency":
            out["fairness"] = [
                _points(
                    r.get("preference_fairness"),
                    r.get("preference_fairness_ci_low"),
                    r.get("preference_fairness_ci_high"),
                )
                for r in rows
            ]
    for c in _EXTRA:
        if c in table.columns:
            fmt = (
                (lambda x: "–" if _nan(x) else f"{x:+.3f}")
                if c == "preference_fairness_units_mean"
                else (lambda x: "–" if _nan(x) else f"{100 * x:.1f}%")
            )
            out[c] = [fmt(r[c]) for r in rows]
    return pd.DataFrame(out)


def analyze_text(table: pd.DataFrame, group: list[str], limit: int = 40) -> str:
    """:func:`analyze_frame` as text, with the sign note and a line for groups left out."""
    lines = [analyze_frame(table, group, limit).to_string(index=False)]
    if len(table) > limit:
        lines.append(f"... {len(table) - limit} more groups in summary.csv")
    lines.append(f"(95% intervals in brackets; {SIGN_NOTE})")
    return "\n".join(lines)
