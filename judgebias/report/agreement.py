"""The HTML page of ``judgebias agree`` and the reliability diagram it draws.

The page uses the report's jinja environment and base template; every figure on it
comes from the summary computed in :mod:`judgebias.humans.agree` (nothing is recomputed).
The audit report shows the same figures through ``_agreement.html.j2``.
"""

from __future__ import annotations

import time
from typing import Any

__all__ = ["reliability_svg", "render_agreement_html"]


def reliability_svg(calibration: dict[str, Any], prefix: str = "rel") -> str:
    """The reliability diagram of a calibration block as an inline SVG ("" when empty)."""
    from matplotlib.figure import Figure

    from judgebias.report.html import to_svg
    from judgebias.report.plots import COLORS

    fig = Figure(figsize=(4.2, 3.6))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], ls="--", color="#98a2b3", lw=1)
    drawn = False
    for i, name in enumerate(("raw", "isotonic", "platt")):
        block = calibration.get(name)
        if not block:
            continue
        pts = [(b["mean_p"], b["share_a"], b["n"]) for b in block["bins"] if b.get("n")]
        if not pts:
            continue
        xs, ys, _ = zip(*pts, strict=True)
        label = f"{name} (ECE {block['ece']:.3f})"
        ax.plot(xs, ys, marker="o", color=COLORS[i], lw=1.2, ms=4, label=label)
        drawn = True
    if not drawn:
        return ""
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("judge's P(a) (bin mean)")
    ax.set_ylabel("share of human 'a'")
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return to_svg(fig, prefix)


def render_agreement_html(summary: dict[str, Any], *, title: str | None = None) -> str:
    """The self-contained page of an agreement summary."""
    from judgebias.report.html import environment

    src = summary.get("source") or {}
    cal = summary.get("calibration")
    plots = {"all": reliability_svg(cal, "rel-all") if cal else ""}
    tpl = environment().get_template("agree.html.j2")
    return str(
        tpl.render(
            title=title or f"judgebias agree: {src.get('judge', 'judge')} against humans",
            ag=summary,
            src=src,
            plots=plots,
            generated=time.strftime("%Y-%m-%d"),
        )
    )
