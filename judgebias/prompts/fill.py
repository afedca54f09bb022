"""Filling ``{name}`` placeholders: a text is split at them once, then joined per use.

Every probe call fills its template and its probe text; a regular expression's
substitution with a callback per match was a tenth of building a probe request. The
split of each distinct text is cached, so a fill is a list copy and a join.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

__all__ = ["fill"]


@functools.lru_cache(maxsize=1024)
def _split(text: str, pattern: re.Pattern[str]) -> tuple[str, ...]:
    """``text`` as literal, name, literal, ..., literal (``pattern`` captures the name)."""
    return tuple(pattern.split(text))


def fill(
    text: str, pattern: re.Pattern[str], values: Mapping[str, str], keep_unknown: bool = False
) -> str:
    """``text`` with each placeholder matched by ``pattern`` (one group: the name)
    replaced by its value, inserted as it is (a value is not filled in turn). A name
    without a value raises KeyError, or is left as ``{name}`` with ``keep_unknown``."""
    parts = _split(text, pattern)
    if len(parts) == 1:
        return text
    out = list(parts)
    names = parts[1::2]
    if keep_unknown:
        out[1::2] = [values.get(n, "{" + n + "}") for n in names]
    else:
        out[1::2] = [values[n] for n in names]
    return "".join(out)
