"""Reading an answer that names both verdict tags in one comparative sentence.

"**[[A]]** is better than **[[B]]**", "Therefore, [[A]] is more accurate than [[B]]" and
"[[B]] is worse than [[A]]" name two tags, but a careful reader reads one verdict in
each (A). :func:`comparative_verdict` reads such answers and nothing else; the strict
reader (:func:`judgebias.prompts.answers.read_verdict`) asks it only when an answer names
several different tags and its last line does not settle which.

What counts as a comparative: ``TAG1 [is|was|seems|...] [adverbs] COMPARATIVE than|to|over
TAG2`` where the comparative says which answer is better (``better``, ``superior``,
``preferable``, ``stronger``, ``more accurate`` and other words of quality; or
``worse``, ``inferior``, ``weaker``, ``less accurate`` ..., which name TAG2), or ``TAG1
outperforms|beats|surpasses TAG2``. Words that describe without judging (``longer``,
``more detailed``) are not verdicts.

The answer is read only when every sentence that names a tag agrees on one answer:

- a sentence holding a comparative must not also hold a negation, a contrast or a
  doubt (``not``, ``n't``, ``neither``, ``nor``, ``both``, ``equally``, ``but``,
  ``while``, ``however``, ``if``, ``whether``, a question mark ...): "[[A]] is not
  better than [[B]]" says nothing about which *is* better, so it is unreadable, never B;
- a sentence naming two different tags without such a comparative ("[[A]] is clearer,
  while [[B]] is more accurate") is two verdicts, or a comparison this reader does not
  read: unreadable;
- a sentence naming one tag only claims that tag; every claim (comparatives' winners
  and lone tags) must be the same answer.

Anything else gives ``None``, and the answer stays ``ambiguous``.
"""

from __future__ import annotations

import re

__all__ = ["QUALITY_WORDS", "comparative_verdict"]

QUALITY_WORDS = (
    "accurate",
    "helpful",
    "relevant",
    "correct",
    "complete",
    "comprehensive",
    "informative",
    "precise",
    "appropriate",
    "useful",
    "thorough",
    "faithful",
    "coherent",
    "effective",
    "suitable",
    "reliable",
    "factual",
    "truthful",
    "insightful",
    "persuasive",
    "compliant",
)
"""The words of quality whose ``more``/``less`` forms are verdicts (``more accurate``)."""

_TAG = r"[*_`\"']*\[\[\s*(A|B|C|tie)\s*\]\][*_`\"']*"
_NAME = r"(?:(?:response|assistant|answer|output|option)\s+)?"
_ADVERB = (
    r"(?:much|far|slightly|clearly|significantly|somewhat|marginally|considerably|definitely|"
    r"overall|generally|still|noticeably|substantially|obviously|certainly|a\s+bit|a\s+little)"
)
_QUALITY = "|".join(QUALITY_WORDS)
_BETTER = rf"(?:better|superior|preferable|stronger|more\s+(?:{_QUALITY}))"
_WORSE = rf"(?:worse|inferior|weaker|less\s+(?:{_QUALITY}))"
_COPULA = r"(?:(?:is|was|seems|appears|remains|looks)\s+(?:to\s+be\s+)?)?"
_COMPARATIVE = re.compile(
    rf"{_TAG}\s+{_COPULA}(?:{_ADVERB}\s+)*"
    rf"(?:(?P<better>{_BETTER})|(?P<worse>{_WORSE}))\s+(?:than|to|over)\s+{_NAME}{_TAG}"
    rf"|{_TAG}\s+(?:{_ADVERB}\s+)*(?P<beats>outperforms|beats|surpasses)\s+{_NAME}{_TAG}",
    re.IGNORECASE,
)
_TAG_RE = re.compile(r"\[\[\s*(A|B|C|tie)\s*\]\]", re.IGNORECASE)
_DOUBT = re.compile(
    r"\b(?:not|no|never|neither|nor|hardly|cannot|nothing|both|equally|either|but|while|"
    r"whereas|although|though|however|if|unless|whether|except)\b|n't\b|\?",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!;])\s+|\n+")


def _letter(tag: str) -> str:
    t = tag.strip().upper()
    return "C" if t == "TIE" else t


def _winner(m: re.Match[str]) -> str | None:
    """The answer a comparative names as the better one, or None (a tie tag, one tag twice)."""
    tags = [g for g in m.groups() if g is not None and g.strip().upper() in ("A", "B", "C", "TIE")]
    first, second = _letter(tags[0]), _letter(tags[1])
    if first == second or "C" in (first, second):
        return None
    return second if m.group("worse") else first


def comparative_verdict(text: str) -> str | None:
    """The one answer (``"A"`` or ``"B"``) an answer's comparative sentences name, or
    ``None`` when it has no such reading (rules: the module docstring)."""
    claims: set[str] = set()
    compared = False
    for sentence in _SENTENCE.split(text):
        if not _TAG_RE.search(sentence):
            continue
        matches = list(_COMPARATIVE.finditer(sentence))
        if matches:
            if _DOUBT.search(sentence):
                return None
            for m in matches:
                winner = _winner(m)
                if winner is None:
                    return None
                claims.add(winner)
            compared = True
            rest = _COMPARATIVE.sub(" ", sentence)
            claims |= {_letter(t) for t in _TAG_RE.findall(rest)}
        else:
            named = {_letter(t) for t in _TAG_RE.findall(sentence)}
            if len(named) > 1:
                return None
            claims |= named
    if not compared or len(claims) != 1:
        return None
    return claims.pop()
