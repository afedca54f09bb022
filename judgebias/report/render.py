"""Render a run folder into one self-contained HTML report.

Everything comes from the run folder (``summary.json``, ``records.parquet``,
``pairs.parquet``); no judge is called. Jinja2 autoescaping escapes every piece of
model text; plots are matplotlib SVG inlined into the page; no external fonts,
scripts or images.
"""

from __future__ import annotations

import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError

__all__ = ["load_run", "render_html", "write_report"]


def load_run(run: Path) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """Read summary, records and pairs of a run folder, with clear errors."""
    if not run.is_dir():
        raise InputError(str(run), "not a run folder (expected a directory written by 'judgebias audit')")
    sp = run / "summary.json"
    if not sp.exists():
        raise InputError(str(sp), "missing: this folder has no finished audit; re-run the audit")
    try:
        summary = json.loads(sp.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise InputError(str(sp), f"unreadable summary ({exc})") from None
    rp = run / "records.parquet"
    pp = run / "pairs.parquet"
    try:
        records = pd.read_parquet(rp) if rp.exists() else pd.DataFrame()
        pairs = pd.read_parquet(pp) if pp.exists() else pd.DataFrame()
    except Exception as exc:
        raise InputError(str(rp), f"unreadable records ({exc})") from None
    return summary, records, pairs


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    text = buf.getvalue()
    return text[text.find("<svg"):]


def _forest_plot(summary: dict[str, Any]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [(n, f) for n, f in summary["probes"].items()
            if f.get("effect", f.get("dbg")) is not None and f.get("ci_low") is not None]
    fig, ax = plt.subplots(figsize=(6.5, 0.6 + 0.45 * max(1, len(rows))))
    for i, (name, f) in enumerate(rows):
        lo, hi, eff = f["ci_low"], f["ci_high"], f.get("effect", f.get("dbg"))
        ax.plot([100 * lo, 100 * hi], [i, i], color="#345", lw=2)
        ax.plot([100 * eff], [i], "o", color="#c33" if (f.get("p_adjusted") or 1) < 0.05 else "#777")
        planted = (summary.get("run", {}).get("planted") or {}).get(name)
        if planted is not None:
            ax.plot([100 * planted], [i], "|", color="#2a7", ms=14, mew=2)
    ax.axvline(0, color="#999", lw=1, ls="--")
    ax.set_yticks(range(len(rows)), [n for n, _ in rows])
    ax.set_xlabel("effect (percentage points, 95% interval)")
    ax.invert_yaxis()
    fig.tight_layout()
    return _svg(fig)


def _position_plot(pos: dict[str, Any]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 1.6))
    left = 0.0
    for key, color in (("consistency", "#4a8"), ("primacy", "#d84"), ("recency", "#58c")):
        w = 100 * (pos.get(key) or 0.0)
        ax.barh([0], [w], left=left, color=color, label=f"{key} {w:.1f}%")
        left += w
    ax.set_xlim(0, 100)
    ax.set_yticks([])
    ax.set_xlabel("share of pairs judged in both orders (%)")
    ax.legend(ncol=3, loc="lower center", bbox_to_anchor=(0.5, 1.02), frameon=False)
    fig.tight_layout()
    return _svg(fig)


def _examples(records: pd.DataFrame, pairs: pd.DataFrame, limit: int = 5) -> list[dict[str, Any]]:
    if records.empty or pairs.empty:
        return []
    ctrl = records[records["kind"] == "control"]
    wide = ctrl.pivot_table(index="pair_id", columns="order", values="verdict", aggfunc="first")
    if not {"ab", "ba"} <= set(wide.columns):
        return []
    flipped = wide[(wide["ab"].notna()) & (wide["ba"].notna()) & (wide["ab"] != wide["ba"])]
    raw = ctrl.set_index(["pair_id", "order"])["raw"]
    by_id = pairs.set_index("id")
    out = []
    for pid in list(flipped.index)[:limit]:
        if pid not in by_id.index:
            continue
        p = by_id.loc[pid]
        out.append({
            "id": pid, "instruction": p["instruction"], "response_a": p["response_a"],
            "response_b": p["response_b"], "gold": p.get("gold"),
            "verdict_ab": flipped.loc[pid, "ab"], "verdict_ba": flipped.loc[pid, "ba"],
            "raw_ab": raw.get((pid, "ab")), "raw_ba": raw.get((pid, "ba")),
        })
    return out


def render_html(run: Path) -> str:
    """The report of one run folder as an HTML string."""
    from jinja2 import Environment, select_autoescape

    summary, records, pairs = load_run(run)
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["pp"] = lambda x: "–" if x is None else f"{100 * x:+.1f} pp"
    env.filters["pct"] = lambda x: "–" if x is None else f"{100 * x:.1f} %"
    env.filters["p"] = lambda x: "–" if x is None else (f"{x:.2g}" if x >= 1e-4 else "<0.0001")
    src = resources.files("judgebias.report").joinpath("report.html.j2").read_text(encoding="utf-8")
    tpl = env.from_string(src)
    pos = summary["probes"].get("position", {})
    plots = {"forest": _forest_plot(summary)}
    if pos:
        plots["position"] = _position_plot(pos)
    return tpl.render(
        s=summary, run=summary.get("run", {}), plots=plots,
        examples=_examples(records, pairs), pos=pos,
    )


def write_report(run: Path, out: Path | None = None) -> Path:
    """Write ``report.html`` into the run folder (or to ``out``); return its path."""
    html = render_html(run)
    target = out or (run / "report.html")
    target.write_text(html, encoding="utf-8")
    return target
