"""Reading numbers out of answers: digits with separators and decimals, small numbers
spelled out, and the final answer a response states.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = [
    "ANSWER_MARKER_RE",
    "ENUM_RE",
    "NUM_PATTERN",
    "Num",
    "final_number",
    "find_numbers",
    "is_close",
    "matches_rounded",
    "parse_num",
]

NUM_PATTERN = r"[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_NUM_RE = re.compile(r"(?<![\w.,])" + NUM_PATTERN + r"(?![\d])")
ENUM_RE = re.compile(r"(?m)^[ \t]*(?:\d{1,3}[.)]|[-*•+])[ \t]+(?=\S)")
ANSWER_MARKER_RE = re.compile(r"(?i)\b(?:final\s+answer|answer|result)\b")
_NUMBER_WORDS = {
    "zero": 0,
    "once": 1,
    "one": 1,
    "twice": 2,
    "two": 2,
    "thrice": 3,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
}
_NUMBER_WORD_RE = re.compile(r"(?i)\b(" + "|".join(_NUMBER_WORDS) + r")\b")


@dataclass(frozen=True)
class Num:
    value: float
    decimals: int
    start: int
    end: int


def parse_num(text: str) -> tuple[float, int]:
    clean = text.replace("−", "-").replace(",", "")
    decimals = len(clean.split(".", 1)[1]) if "." in clean else 0
    return float(clean), decimals


def find_numbers(text: str) -> list[Num]:
    out: list[Num] = []
    for m in _NUM_RE.finditer(text):
        value, decimals = parse_num(m.group(0))
        if math.isfinite(value):
            out.append(Num(value, decimals, m.start(), m.end()))
    return out


def _number_words(text: str) -> list[Num]:
    """Spelled-out small numbers ("three", "twice"), skipping pronoun uses of "one"."""
    out = []
    for m in _NUMBER_WORD_RE.finditer(text):
        word = m.group(1).lower()
        if word == "one" and (
            re.match(r"\s+of\b", text[m.end() :])
            or re.search(r"(?i)\b(?:the|this|that|each|any|every|no|which)\s+$", text[: m.start()])
        ):
            continue
        out.append(Num(float(_NUMBER_WORDS[word]), 0, m.start(), m.end()))
    return out


def final_number(text: str) -> Num | None:
    """The answer a response states: the first number after its last answer marker
    ("answer", "final answer", "result"), else its last number (digits or a
    spelled-out small number)."""
    text = ENUM_RE.sub(lambda m: " " * len(m.group(0)), text)  # list markers "1." are not answers
    nums = sorted(find_numbers(text) + _number_words(text), key=lambda n: n.start)
    if not nums:
        return None
    markers = list(ANSWER_MARKER_RE.finditer(text))
    if markers:
        after = [n for n in nums if n.start >= markers[-1].end()]
        if after:
            return after[0]
    return nums[-1]


def is_close(x: float, y: float) -> bool:
    return abs(x - y) <= 1e-9 * max(1.0, abs(y))


def matches_rounded(answer: Num, exact: float, decimals: int | None) -> bool:
    """Whether ``answer`` is ``exact`` rounded to ``decimals`` places (or to the
    number of places the answer itself shows, when the instruction states none)."""
    if is_close(answer.value, exact):
        return True
    places = decimals if decimals is not None else answer.decimals
    half = 0.5 * 10.0 ** (-places)
    return abs(answer.value - exact) <= half * (1 + 1e-9) + 1e-12
