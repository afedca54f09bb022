"""Strict parsers for the answers of the listwise and pointwise formats.

Each returns ``None`` for anything ambiguous or absent: several different choices
or ratings, a letter or score outside the scale, no recognisable verdict. ``None``
is recorded as an invalid verdict; nothing is ever guessed.

- :func:`parse_choice`: a listwise verdict ``[[A]]`` ... ``[[D]]`` (or an answer that
  is one letter and nothing else), as the 0-based index of the chosen response.
- :func:`parse_rating`: a pointwise grade ``Rating: [[7]]`` (MT-Bench single-answer
  style; ``Rating: 7``, ``Score: 7``, ``Score: 7/10`` (when 10 is the top of the scale)
  and ``[[7]]`` alone are read too), on a numeric scale or on letter labels.

:func:`read_choice` and :func:`read_rating` read a whole completion the way
:class:`judgebias.prompts.answers.AnswerReader` reads a pairwise one, and say why an answer is
invalid (the reasons of :data:`judgebias.prompts.answers.REASONS`): ``call_failed``,
``reasoning_truncated``, ``empty``, ``echo`` (a prompt marker such as ``[Instruction]``,
or a run of the template's own words without a final verdict line; a pointwise answer
whose first line is its grade, ``Rating: 5``, and that then quotes the rubric is not an
echo: its grade is read), ``truncated``
(cut at the token limit before a final verdict line: a tag written early in an
unfinished answer is not its verdict), ``ambiguous`` (several different letters or
grades), ``out_of_range`` (one letter or grade, not on the scale shown) and
``no_verdict``. :data:`FORMAT_REASONS` words ``out_of_range`` for these formats.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from judgebias.prompts.answers import REASONS, AnswerReader
from judgebias.prompts.constrained import read_constrained
from judgebias.types import Completion

__all__ = [
    "FORMAT_ADVICE",
    "FORMAT_REASONS",
    "LETTERS",
    "FormatReading",
    "format_reader",
    "parse_choice",
    "parse_rating",
    "read_choice",
    "read_rating",
]

FORMAT_REASONS: dict[str, str] = {
    **REASONS,
    "out_of_range": "a letter or grade that is not on the scale shown",
}
"""What each reason means in the listwise and pointwise formats."""

FORMAT_ADVICE: dict[str, str] = {
    "no_verdict": (
        "Answers hold no verdict in the expected form ([[X]] or Rating: [[x]] on the last "
        "line): adapt the template to this model (--template)."
    ),
    "ambiguous": (
        "Answers name several letters or grades: use a template that asks for one final "
        "verdict line (--template)."
    ),
    "out_of_range": (
        "Answers give a letter or grade that is not on the scale shown: adapt the template "
        "(--template)."
    ),
    "labels_missing": "Answers hold no letter or grade: adapt the template (--template).",
}
"""What to do about the commonest reason in these formats (they have one mode)."""

LETTERS = "ABCDEFGHIJ"

_TAG = re.compile(r"\[\[\s*([^\[\]]{1,12}?)\s*\]\]")
_BARE_LETTER = re.compile(r"^\s*\(?\s*([A-Za-z])\s*\)?\s*\.?\s*$")
_GRADE = (
    r"(?:rating|score)\s*[:=]\s*\[*\s*([A-Za-z](?![A-Za-z])|\d+(?:\.\d+)?)\s*\]*(?:\s*/\s*(\d+))?"
)
_RATING = re.compile(rf"\b{_GRADE}", re.IGNORECASE)
_LEAD_GRADE = re.compile(rf"^[\s*#>_]*{_GRADE}[*_\s.]*$", re.IGNORECASE)
"""A first line that is a grade and nothing else (``Rating: 5``, ``**Score: 7/10**``)."""


def _ratings(text: str, scale: Sequence[str]) -> list[str]:
    """Every grade written ``Rating: x`` or ``Score: x`` (``x/N`` is x when N is the top of a
    numeric scale, else a grade not on the scale)."""
    top = max((int(v) for v in scale if v.isdigit()), default=None)
    out = []
    for value, denominator in _RATING.findall(text):
        if denominator and (top is None or int(denominator) != top):
            value = f"{value}/{denominator}"
        out.append(value)
    return out


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
    found += [t.strip() for t in _ratings(text, scale)]
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


@dataclass(frozen=True)
class FormatReading:
    """What a listwise or pointwise answer says: the 0-based choice or grade, or why not."""

    index: int | None = None
    reason: str | None = None

    @property
    def valid(self) -> bool:
        return self.index is not None


_ENDS = re.compile(
    r"(?:\[\[\s*[^\[\]]{1,12}?\s*\]\]|\b(?:rating|score)\s*[:=]\s*[A-Za-z0-9.]+(?:\s*/\s*\d+)?)"
    r"[*_\s.]*$",
    re.IGNORECASE,
)
"""A final verdict line ends with the tag (``[[B]]``, ``Rating: [[7]]``, ``Rating: 7``)."""
_PLACEHOLDERS = re.compile(r"\{[a-z_]+\}")


def format_reader(system: str, user: str, markers: Sequence[str] = ()) -> AnswerReader:
    """The echo check for one template: its fixed words (placeholders cut out) and the
    bracketed markers its prompts show (``[Instruction]``, ``[Response A]`` ...)."""
    fixed = tuple(_PLACEHOLDERS.sub("\n", t) for t in (system, user) if t)
    return AnswerReader("verdict", (*fixed, "\n".join(markers)))


def _values(text: str, scale: Sequence[str] | None) -> set[str]:
    """Every distinct verdict an answer names: letters (``scale`` None) or grades."""
    if scale is None:
        tags = [t.strip().upper() for t in _TAG.findall(text)]
        if not tags and (m := _BARE_LETTER.match(text)):
            tags = [m.group(1).upper()]
        return set(tags)
    found = [t.strip() for t in _TAG.findall(text)] + [t.strip() for t in _ratings(text, scale)]
    values: set[str] = set()
    for raw in found:
        if re.fullmatch(r"\d+\.0+", raw):
            raw = raw.split(".")[0]
        values.add(raw.upper() if raw.isalpha() else raw.lstrip("0") or "0")
    return values


def _read(
    completion: Completion | None,
    allowed: Sequence[str],
    scale: Sequence[str] | None,
    reader: AnswerReader | None,
) -> FormatReading:
    if completion is None:
        return FormatReading(reason="call_failed")
    text = completion.text or ""
    if not text.strip():
        cut = completion.finish_reason == "length" and completion.reasoning
        return FormatReading(reason="reasoning_truncated" if cut else "empty")
    if reader is not None and reader.constrained is not None:
        value, reason = read_constrained(text, completion.finish_reason, reader.constrained)
        if value is None:
            return FormatReading(reason=reason)
        upper = [a.upper() for a in allowed]
        value = value.upper()
        return (
            FormatReading(index=upper.index(value))
            if value in upper
            else FormatReading(reason="out_of_range")
        )
    if reader is not None and reader.has_marker(text):
        return FormatReading(reason="echo")
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    complete = bool(_ENDS.search(lines[-1])) or (scale is None and bool(_BARE_LETTER.match(text)))
    # a grade given first, on a line of its own, is a complete verdict too: an answer that
    # then quotes the rubric (or is cut while explaining) has said its grade
    complete = complete or (scale is not None and bool(_LEAD_GRADE.match(lines[0])))
    values = _values(text, scale)
    if completion.finish_reason == "length" and not complete:
        reading = FormatReading(reason="truncated")
    elif len(values) > 1:
        reading = FormatReading(reason="ambiguous")
    elif not values:
        reading = FormatReading(reason="no_verdict")
    else:
        (value,) = values
        upper = [a.upper() for a in allowed]
        reading = (
            FormatReading(index=upper.index(value))
            if value in upper
            else FormatReading(reason="out_of_range")
        )
    if reader is not None and reader.shares_template(text) and not (reading.valid and complete):
        return FormatReading(reason="echo")
    return reading


def read_choice(
    completion: Completion | None, k: int, reader: AnswerReader | None = None
) -> FormatReading:
    """A listwise answer: the chosen response among ``k`` (0-based), or the reason why not."""
    return _read(completion, LETTERS[:k], None, reader)


def read_rating(
    completion: Completion | None, scale: Sequence[str], reader: AnswerReader | None = None
) -> FormatReading:
    """A pointwise answer: the grade's position in ``scale``, or the reason why not."""
    return _read(completion, scale, scale, reader)
