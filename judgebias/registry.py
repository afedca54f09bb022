"""Looking a name up among the known ones, with a "did you mean" hint when it is not there.

Every lookup of a user-given name (a probe, a mitigation, a method, a column, a replay
key) suggests the closest known name the same way: :func:`closest` finds it
(:func:`difflib.get_close_matches`, one match above ``cutoff``), :func:`did_you_mean`
spells the hint that goes into the error message.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["closest", "did_you_mean"]


def closest(
    name: str, options: Iterable[object], *, cutoff: float = 0.6, ignore_case: bool = False
) -> str | None:
    """The known name closest to ``name`` (or None when none is close enough).

    With ``ignore_case`` names are compared in lower case and the option is returned
    as spelled (the first of several that differ only in case).
    """
    names = [str(o) for o in options]
    if not ignore_case:
        found = difflib.get_close_matches(name, names, n=1, cutoff=cutoff)
        return found[0] if found else None
    lowered = {o.lower(): o for o in reversed(names)}
    found = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=cutoff)
    return lowered[found[0]] if found else None


def did_you_mean(
    name: str,
    options: Iterable[object],
    *,
    cutoff: float = 0.6,
    ignore_case: bool = False,
    inline: bool = False,
) -> str:
    """``" (did you mean 'X'?)"``, or ``"; did you mean 'X'?"`` when ``inline``, or ``""``."""
    close = closest(name, options, cutoff=cutoff, ignore_case=ignore_case)
    if close is None:
        return ""
    return f"; did you mean '{close}'?" if inline else f" (did you mean '{close}'?)"
