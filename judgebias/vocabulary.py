"""The verdict vocabulary: labels, their spellings in other people's tables, and credit.

Every module that reads, counts or writes a pairwise verdict takes its words from here,
so a spelling is accepted (or refused) the same way by ``analyze``, ``agree``,
``debias``, the pairs loader and the statistics.

- :data:`PAIRWISE`: the labels ``a`` (the first response of a pair as stored), ``b``
  and ``tie``.
- :data:`CREDIT`: the share of a win each label gives response ``a`` (a tie is half).
- :func:`normalize_label`: the spellings of recorded verdicts (1/2, 1.0/2.0, a/b, A/B,
  output_1/output_2, m1/m2, tie/0/3/C/1.5/draw/equal) brought to a label.
- :func:`pairwise_label`: the same, plus ``model_a``/``model_b`` and any text naming a
  tie, as human-label tables write them.
- :data:`GOLD_SPELLINGS`: the stricter spellings a pairs file may use for its gold
  label (a, b, tie, 1, 2).
- :data:`NUMBERED`: a label as a numbered answer (1, 2, tie) for tables written back.
"""

from __future__ import annotations

import math
from typing import Any, Final

from judgebias.types import Label

__all__ = [
    "CREDIT",
    "GOLD_ALLOWED",
    "GOLD_SPELLINGS",
    "NUMBERED",
    "PAIRWISE",
    "SPELLINGS",
    "VERDICT_SPELLINGS",
    "normalize_label",
    "pairwise_label",
]

PAIRWISE: Final[tuple[Label, Label, Label]] = ("a", "b", "tie")
"""The pairwise labels, in the order of every table judgebias writes."""

CREDIT: Final[dict[str, float]] = {"a": 1.0, "b": 0.0, "tie": 0.5}
"""Response ``a``'s share of a win for each label: a tie counts half."""

SPELLINGS: Final[dict[str, Label]] = {
    "a": "a",
    "1": "a",
    "1.0": "a",
    "output_1": "a",
    "m1": "a",
    "b": "b",
    "2": "b",
    "2.0": "b",
    "output_2": "b",
    "m2": "b",
    "tie": "tie",
    "c": "tie",
    "0": "tie",
    "0.0": "tie",
    "3": "tie",
    "3.0": "tie",
    "1.5": "tie",
    "draw": "tie",
    "equal": "tie",
}
"""Recorded verdicts' spellings (compared lower-cased and stripped) and their labels."""

VERDICT_SPELLINGS: Final = "1/2, 1.0/2.0, a/b, A/B, or tie/0/3/C for a tie"
"""The spellings of :data:`SPELLINGS`, as error messages list them."""

GOLD_SPELLINGS: Final[dict[str, Label]] = {"a": "a", "b": "b", "tie": "tie", "1": "a", "2": "b"}
"""The spellings a pairs file's gold column may use."""

GOLD_ALLOWED: Final = "a, b or tie (any case; also 1 for a, 2 for b; empty for no gold)"
""":data:`GOLD_SPELLINGS` as error messages list them."""

NUMBERED: Final[dict[str, str]] = {"a": "1", "b": "2", "tie": "tie"}
"""A label written back as a numbered answer (``debias``'s output tables)."""

_HUMAN_EXTRA: Final[dict[str, Label]] = {"model_a": "a", "model_b": "b"}


def normalize_label(value: Any) -> Label | None:
    """The label of a recorded verdict's spelling (see :data:`SPELLINGS`); else None."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return SPELLINGS.get(str(value).strip().lower())


def pairwise_label(value: Any) -> Label | None:
    """``a``, ``b`` or ``tie`` for the spellings ``analyze`` reads, ``model_a``/``model_b``
    and any text containing "tie"; ``None`` for anything else (missing, unreadable)."""
    lab = normalize_label(value)
    if lab is not None or value is None:
        return lab
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip().lower()
    if text in _HUMAN_EXTRA:
        return _HUMAN_EXTRA[text]
    return "tie" if "tie" in text else None
