"""``counting``: a letter in a word, or the words of a quoted sentence."""

from __future__ import annotations

import re

from judgebias.sim.checkers.base import Verifier
from judgebias.sim.checkers.numbers import final_number

__all__ = ["recognise_counting"]

_Q = r"['\"‘’“”`]?"
_LETTER_COUNT_RES = (
    re.compile(
        r"(?i)\bhow\s+many\s+times\s+(?:does|do|is|will)\s+(?:the\s+)?(?:letter|character)?\s*"
        + _Q
        + r"(?P<letter>[a-z])"
        + _Q
        + r"\s+(?:appear|occur|show\s+up|come\s+up|used)\w*\s+in\s+(?:the\s+)?(?:word\s+|name\s+|string\s+)?"
        + _Q
        + r"(?P<word>[a-z][a-z'-]{0,80})"
    ),
    re.compile(
        r"(?i)\bhow\s+many\s+(?:times\s+)?(?:letter\s+|of\s+the\s+letter\s+)?"
        + _Q
        + r"(?P<letter>[a-z])"
        + _Q
        + r"(?:'?s)?"
        + _Q
        + r"\s+(?:are|is|appear|occur)\w*\s+(?:there\s+)?in\s+(?:the\s+)?(?:word\s+|string\s+)?"
        + _Q
        + r"(?P<word>[a-z][a-z'-]{0,80})"
    ),
    re.compile(
        r"(?i)\bcount\s+(?:the\s+)?(?:number\s+of\s+)?(?:times\s+)?(?:the\s+)?(?:letter\s+)?"
        + _Q
        + r"(?P<letter>[a-z])"
        + _Q
        + r"(?:'s|s)?\s+(?:appears\s+)?in\s+(?:the\s+)?(?:word\s+)?"
        + _Q
        + r"(?P<word>[a-z][a-z'-]{0,80})"
    ),
)
_WORD_COUNT_RE = re.compile(
    r"(?i)\b(?:how\s+many\s+words\s+(?:are\s+)?(?:there\s+)?(?:in|does)|count\s+(?:the\s+)?words\s+in)"
    r"\s+(?:the|this)\s+(?:following\s+)?sentence(?:\s+(?:below|contain|have))?\s*[:?,.-]?\s*"
    r"(?:[\"“](?P<quoted>[^\"“”\n]{1,2000})[\"”]|(?P<bare>[^\n]{1,2000}))"
)
_WORD_TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")


def recognise_counting(instruction: str) -> Verifier | None:
    expected: int | None = None
    for pattern in _LETTER_COUNT_RES:
        m = pattern.search(instruction)
        if m:
            letter, word = m.group("letter").lower(), m.group("word").lower()
            expected = word.count(letter)
            break
    if expected is None:
        m = _WORD_COUNT_RE.search(instruction)
        if m:
            sentence = m.group("quoted") or m.group("bare") or ""
            sentence = sentence.strip()
            if m.group("bare") is not None:
                sentence = sentence.strip("\"“”'")
            if not sentence:
                return None
            expected = len(_WORD_TOKEN_RE.findall(sentence))
    if expected is None:
        return None
    target = float(expected)

    def verify(response: str) -> bool | None:
        answer = final_number(response)
        if answer is None:
            return None
        return answer.value == target

    return verify
