"""One jinja environment, one set of filters and one SVG export for every HTML page.

Every page judgebias writes (the audit report and its comparison and scorecard, the
``analyze``, ``compare`` and ``agree`` pages, the reasoning and formats sections) is
rendered through :func:`environment`, so the same figure is written the same way
everywhere:

- ``pp``: a difference of fractions in percentage points, signed, with its unit
  (``+5.0 pp``);
- ``pct``: a share in percent with its unit (``45.0 %``);
- ``p``: a p-value with two significant digits, ``<0.0001`` below 1e-4;
- ``num``: integers with thousands separators; ``ratio``: two decimals; ``show``: any
  value of a run's settings in a few characters;
- a missing value (None, NaN, infinite, undefined) is ``–`` in every filter.

:func:`to_svg` turns a matplotlib figure into an inline ``<svg>`` fragment: text stays
text (escaped by matplotlib's XML writer), ids are prefixed so several figures share one
page, and nothing refers outside the page.
"""

from __future__ import annotations

import io
import math
import re
from importlib import resources
from typing import Any

__all__ = [
    "SEVERITY_WORDS",
    "environment",
    "fmt_p",
    "fmt_pct",
    "fmt_pp",
    "num",
    "show",
    "sort_key",
    "to_svg",
]


def num(x: Any) -> float | None:
    """A finite float, or None for missing values (None, NaN, text, jinja's Undefined)."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except Exception:  # jinja2's Undefined raises its own error type
        return None
    return v if math.isfinite(v) else None


def fmt_pp(x: Any) -> str:
    """``+5.0 pp`` for 0.05."""
    v = num(x)
    return "–" if v is None else f"{100 * v:+.1f} pp"


def fmt_pct(x: Any) -> str:
    """``45.0 %`` for 0.45."""
    v = num(x)
    return "–" if v is None else f"{100 * v:.1f} %"


def fmt_p(x: Any) -> str:
    """A p-value: two significant digits, ``<0.0001`` below 1e-4."""
    v = num(x)
    if v is None:
        return "–"
    return f"{v:.2g}" if v >= 1e-4 else "<0.0001"


def fmt_num(x: Any) -> str:
    if isinstance(x, int) and not isinstance(x, bool):
        return f"{x:,}"
    return "–" if num(x) is None else str(x)


def fmt_ratio(x: Any) -> str:
    v = num(x)
    return "–" if v is None else f"{v:.2f}"


def show(v: Any) -> str:
    """A setting of a run in a few characters (lists joined, floats to 4 digits)."""
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list | tuple):
        return ", ".join(show(x) for x in v) or "none"
    if isinstance(v, dict):
        return ", ".join(f"{k}={show(x)}" for k, x in v.items())
    return str(v)


SEVERITY_WORDS = {
    "strong": "strong: |effect| of 15 points or more",
    "moderate": "moderate: 5 to 15 points",
    "slight": "slight: under 5 points, but real",
    "not detected": "not detected: not significant after adjustment",
    "not measured": "not measured: too few readable answers to say anything",
    "not measurable": (
        "not measurable: the judge's verdicts did not vary, or were at chance on gold, so "
        "they could not show this bias"
    ),
    "inconclusive": "inconclusive: not significant, but too many answers were unreadable to call it absent",
}
"""What each severity word means, in the legend of every page that shows severities."""


def sort_key(value: Any) -> str:
    """A cell's value for sorting a table in the browser (``data-v``): the number, or
    ``""`` when missing."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return ""
    return f"{float(value):.6g}"


FILTERS = {
    "sortkey": sort_key,
    "pp": fmt_pp,
    "pct": fmt_pct,
    "p": fmt_p,
    "num": fmt_num,
    "ratio": fmt_ratio,
    "show": show,
}


def environment(*, strict: bool = False) -> Any:
    """The jinja2 environment of every page: templates from ``judgebias/report``,
    autoescaped (strings too), the filters above. ``strict``: an undefined name is an
    error instead of an empty value."""
    from jinja2 import (
        ChainableUndefined,
        Environment,
        FunctionLoader,
        StrictUndefined,
        select_autoescape,
    )

    def load(name: str) -> str:
        return resources.files("judgebias.report").joinpath(name).read_text(encoding="utf-8")

    env = Environment(
        loader=FunctionLoader(load),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined if strict else ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def to_svg(fig: Any, prefix: str) -> str:
    """The matplotlib figure as an inline ``<svg>`` element whose ids all start with ``prefix``."""
    import matplotlib

    buf = io.StringIO()
    # text stays text (smaller, selectable); a fixed hash salt keeps the output reproducible
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "judgebias"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.find("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    # matplotlib's global "*{stroke-linejoin...}" rule would leak into the page; the
    # pages' stylesheets apply it to the plots only
    text = re.sub(r"<style[^>]*>.*?</style>\s*", "", text, flags=re.S)
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', text)
    text = text.replace("url(#", f"url(#{prefix}-")
    text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', text)
    return text.strip()
