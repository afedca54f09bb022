"""``arithmetic``: "What is 37 * 12?", "Compute 845 - 379.", "the remainder when 98 is
divided by 7", evaluated by :mod:`.interpreter`.
"""

from __future__ import annotations

import math
import re

from judgebias.sim.checkers.base import Verifier
from judgebias.sim.checkers.interpreter import eval_arithmetic
from judgebias.sim.checkers.numbers import final_number, is_close, matches_rounded

__all__ = ["recognise_arithmetic"]

_ARITH_VERB_RE = re.compile(
    r"(?i)(?:\bwhat\s+is|\bwhat's|\bwhat\s+does|\bcompute|\bcalculate|\bevaluate|"
    r"\bwork\s+out|\bsolve|\bfind)\s+(?:the\s+value\s+of\s+)?(?P<rest>[^?\n]{1,200})"
)
_ARITH_WORDS = (
    (re.compile(r"(?i)\bmultiplied\s+by\b"), "*"),
    (re.compile(r"(?i)\btimes\b"), "*"),
    (re.compile(r"(?i)\bdivided\s+by\b"), "/"),
    (re.compile(r"(?i)\bplus\b"), "+"),
    (re.compile(r"(?i)\bminus\b"), "-"),
    (re.compile(r"(?i)\bmod(?:ulo)?\b"), "%"),
    (re.compile(r"(?<=\d)\s*[x×·]\s*(?=\d)"), " * "),
    (re.compile(r"÷"), "/"),
    (re.compile(r"−"), "-"),
)
_ARITH_CHARS_RE = re.compile(r"^[\d\s+\-*/%().]+$")
_REMAINDER_RE = re.compile(
    r"(?i)\bremainder\s+(?:when|of|after)\s+(-?\d+)\s+(?:is\s+)?divided\s+by\s+(-?\d+)"
)
_QUOTIENT_RE = re.compile(
    r"(?i)\b(?:integer|whole[- ]number|floor)\s+(?:quotient|division|part)\s+(?:of|when|for)\s+"
    r"(-?\d+)\s+(?:is\s+)?divided\s+by\s+(-?\d+)"
)


def _arith_expression(instruction: str) -> str | None:
    m = _REMAINDER_RE.search(instruction)
    if m:
        return f"({m.group(1)}) % ({m.group(2)})"
    m = _QUOTIENT_RE.search(instruction)
    if m:
        return f"({m.group(1)}) // ({m.group(2)})"
    for m in _ARITH_VERB_RE.finditer(instruction):
        rest = m.group("rest")
        rest = re.sub(r"\([^()\d]*[A-Za-z][^()]*\)", " ", rest)  # "(integer division)"
        rest = re.split(r"(?i)[,;:]|\b(?:rounded|round|give|answer|using|in\s+python)\b", rest)[0]
        for pattern, repl in _ARITH_WORDS:
            rest = pattern.sub(repl, rest)
        rest = rest.strip().rstrip(".= ").strip()
        if (
            rest
            and _ARITH_CHARS_RE.match(rest)
            and re.search(r"\d", rest)
            and re.search(r"\d\s*(?:\*\*|//|[-+*/%])\s*[-(\d]", rest)
        ):
            return rest
    return None


def recognise_arithmetic(instruction: str) -> Verifier | None:
    expr = _arith_expression(instruction)
    if expr is None:
        return None
    expected = eval_arithmetic(expr)
    exact = float(expected)
    if not math.isfinite(exact):
        return None
    is_int = isinstance(expected, int)

    def verify(response: str) -> bool | None:
        answer = final_number(response)
        if answer is None:
            return None
        if is_int:
            return answer.value == exact
        return matches_rounded(answer, exact, None) and answer.decimals >= min(
            2, _decimals_needed(exact)
        )

    return verify


def _decimals_needed(value: float) -> int:
    for places in range(0, 7):
        if is_close(round(value, places), value):
            return places
    return 6
