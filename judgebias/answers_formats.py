"""Strict parsers for the answers of the listwise and pointwise formats (issue 16).

Each returns ``None`` for anything ambiguous or absent: several different choices
or ratings, a letter or score outside the scale, no recognisable verdict. ``None``
is recorded as an invalid verdict; nothing is ever guessed.

- :func:`parse_choice`: a listwise verdict ``[[A]]`` ... ``[[D]]`` (or an answer that
  is one letter and nothing else), as the 0-based index of the chosen response.
- :func:`parse_rating`: a pointwise grade ``Rating: [[7]]`` (MT-Bench single-answer
  style; ``Rating: 7`` and ``[[7]]`` alone are read too), on a numeric scale or on
  letter labels.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["LETTERS", "parse_choice", "parse_rating"]

LETTERS = "ABCDEFGHIJ"

_TAG = re.compile(r"\[\[\s*([^\[\]]{1,12}?)\s*\]\]")
_BARE_LETTER = re.compile(r"^\s*\(?\s*([A-Za-z])\s*\)?\s*\.?\s*$")
_RATING = re.compile(r"\brating\s*[:=]\s*\[*\s*([A-Za-z]|\d+(?:\.\d+)?)\s*\]*", re.IGNORECASE)


def parse_choice(text: str | None, k: int) -> int | None:
    """The chosen response among ``k`` (0-based), or ``None`` when it is not one clear letter."""
    if not text:
        return None
    tags = [t.strip().upper() for t in _TAG.findall(text)]
    if not tags:
        m = _BARE_LETTER.match(text)
        if not m:
            return None
        tags = [m.group(1).upper()]
    if len(set(tags)) != 1:
        return None
    letter = tags[0]
    if len(letter) != 1 or letter not in LETTERS[:k]:
        return None
    return LETTERS.index(letter)


def parse_rating(text: str | None, scale: Sequence[str]) -> int | None:
    """The position of the grade in ``scale`` (e.g. ``["1", ..., "10"]`` or ``["A", ..., "E"]``).

    Numbers may carry a decimal part only when it is zero (``7.0``); a grade that is
    not on the scale, two different grades, or none at all give ``None``.
    """
    if not text:
        return None
    found = [t.strip() for t in _TAG.findall(text)]
    found += [t.strip() for t in _RATING.findall(text)]
    values: set[str] = set()
    for raw in found:
        if re.fullmatch(r"\d+\.0+", raw):
            raw = raw.split(".")[0]
        values.add(raw.upper() if raw.isalpha() else raw.lstrip("0") or "0")
    if len(values) != 1:
        return None
    (value,) = values
    upper = [s.upper() for s in scale]
    return upper.index(value) if value in upper else None
