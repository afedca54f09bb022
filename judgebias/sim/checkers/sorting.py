"""``sorting``: a list of numbers or words, ascending or descending."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from judgebias.sim.checkers.base import Verifier
from judgebias.sim.checkers.numbers import ENUM_RE, parse_num

__all__ = ["recognise_sorting"]

_DESCENDING_RE = re.compile(
    r"(?i)\b(?:descending|decreasing|largest\s+to\s+smallest|highest\s+to\s+lowest|"
    r"biggest\s+to\s+smallest|greatest\s+to\s+least|reverse\s+alphabetical|z\s*(?:to|-)\s*a)\b"
)
_SORT_RE = re.compile(
    r"(?i)\b(?:sort|order|arrange|rank|put|list|rearrange)\b[^\n]{0,120}?"
    r"\b(?:ascending|descending|increasing|decreasing|alphabetical(?:ly)?|order|"
    r"smallest|largest|lowest|highest|a\s*(?:to|-)\s*z|z\s*(?:to|-)\s*a)\b"
)
_LIST_NUM_RE = re.compile(r"(?<![\w.])[-−]?\d+(?:\.\d+)?(?![\d])")

_RUN_GAP_RE = re.compile(
    r"^[\s,;<≤>≥\[\](){}*`'\"|/]*(?:(?:and|then|&)[\s,;<≤>≥\[\](){}*`'\"|/]*){0,2}$", re.I
)


def _sort_items(instruction: str) -> list[str] | None:
    bracket = re.search(r"\[([^\[\]]{1,4000})\]", instruction)
    if bracket:
        body = bracket.group(1)
    elif ":" in instruction:
        body = instruction.rsplit(":", 1)[1]
    else:
        return None
    body = body.strip().rstrip(".!?").strip()
    parts = [p.strip().strip("'\"`") for p in re.split(r",|\band\b|\n", body)]
    items = [p for p in parts if p]
    if len(items) < 2 or len(items) > 500:
        return None
    return items


def recognise_sorting(instruction: str) -> Verifier | None:
    if not _SORT_RE.search(instruction):
        return None
    items = _sort_items(instruction)
    if items is None:
        return None
    descending = bool(_DESCENDING_RE.search(instruction))
    if all(_LIST_NUM_RE.fullmatch(i) for i in items):
        values = [parse_num(i)[0] for i in items]
        expected_num = sorted(values, reverse=descending)
        wanted = set(values)

        def tokens_num(text: str) -> list[tuple[int, int, Any]]:
            out = []
            for m in _LIST_NUM_RE.finditer(text):
                value = parse_num(m.group(0))[0]
                if value in wanted:
                    out.append((m.start(), m.end(), value))
            return out

        return _list_verifier(tokens_num, expected_num)
    if not all(re.fullmatch(r"[A-Za-z][A-Za-z' -]{0,60}", i) for i in items):
        return None
    expected_words = sorted((i.lower() for i in items), reverse=descending)
    alternation = "|".join(
        re.escape(i).replace(r"\ ", r"\s+") for i in sorted(set(items), key=len, reverse=True)
    )
    word_re = re.compile(r"(?<![A-Za-z0-9])(?:" + alternation + r")(?![A-Za-z0-9])", re.I)

    def tokens_word(text: str) -> list[tuple[int, int, Any]]:
        return [
            (m.start(), m.end(), re.sub(r"\s+", " ", m.group(0).lower()))
            for m in word_re.finditer(text)
        ]

    return _list_verifier(tokens_word, expected_words)


def _list_verifier(
    tokenise: Callable[[str], list[tuple[int, int, Any]]], expected: Sequence[Any]
) -> Verifier:
    def verify(response: str) -> bool | None:
        text = ENUM_RE.sub(" ", response)
        runs: list[list[Any]] = []
        previous_end = -1
        for start, end, value in tokenise(text):
            if runs and _RUN_GAP_RE.match(text[previous_end:start]):
                runs[-1].append(value)
            else:
                runs.append([value])
            previous_end = end
        runs = [r for r in runs if len(r) >= 2]
        if not runs:
            return None
        longest = max(len(r) for r in runs)
        final = [r for r in runs if len(r) == longest][-1]
        return final == list(expected)

    return verify
