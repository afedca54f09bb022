"""``passage``: a question about a short passage (memo, invoice, schedule) given in the
instruction; the expected value is read from the passage itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from judgebias.sim.checkers.base import Verifier
from judgebias.sim.checkers.dates import MONTHS, WEEKDAYS, DateMention, find_dates
from judgebias.sim.checkers.numbers import final_number, find_numbers

__all__ = ["recognise_passage"]

_STOPWORDS = frozenset(
    re.findall(
        r"\S+",
        """
        a an the of to in on at for by with is are was were be been being does do did what which
        who whom whose when where how much many according memo invoice schedule passage notice
        text document above below this that it its there their they per please answer
        following read based given use using stated state say says said email letter note
        receipt timetable agenda reply and or as from into about
        """,
    )
)
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "sent": ("from", "sender", "author"),
    "send": ("from", "sender", "author"),
    "sender": ("from", "sender", "author"),
    "wrote": ("from", "author", "sender"),
    "written": ("from", "author", "sender"),
    "author": ("from", "author"),
    "signed": ("from", "signed"),
    "issued": ("from", "issued", "vendor", "issuer"),
    "recipient": ("to", "recipient"),
    "addressed": ("to", "recipient"),
    "where": ("location", "venue", "room", "place", "address", "hall", "building", "where"),
    "held": ("location", "venue", "room", "place", "where"),
    "located": ("location", "address", "where"),
    "venue": ("location", "venue", "place"),
    "when": ("date", "day", "time", "when", "start"),
    "date": ("date", "day"),
    "day": ("date", "day"),
    "time": ("time", "start", "begins", "starts"),
    "start": ("start", "starts", "begins", "time", "from"),
    "begin": ("start", "starts", "begins", "time"),
    "end": ("end", "ends", "finish", "until", "close"),
    "finish": ("end", "ends", "finish", "until"),
    "cost": ("total", "amount", "price", "cost", "fee", "charge"),
    "price": ("price", "cost", "each", "unit"),
    "pay": ("total", "amount", "due", "fee", "payment"),
    "paid": ("total", "amount", "paid", "payment"),
    "owe": ("total", "amount", "due", "balance"),
    "charged": ("total", "amount", "charge", "fee"),
    "total": ("total", "amount"),
    "deadline": ("due", "deadline", "by"),
    "due": ("due", "deadline"),
    "contact": ("contact", "phone", "ext", "call", "extension"),
    "call": ("contact", "phone", "call", "extension", "ext"),
    "phone": ("phone", "contact", "tel", "extension", "ext"),
    "lead": ("led", "lead", "by", "host", "instructor", "presenter", "speaker"),
    "leads": ("led", "lead", "by", "host", "instructor", "presenter", "speaker"),
    "teach": ("led", "by", "instructor", "teacher", "tutor"),
    "teaches": ("led", "by", "instructor", "teacher", "tutor"),
    "present": ("by", "presenter", "speaker", "led"),
    "presents": ("by", "presenter", "speaker", "led"),
    "host": ("host", "hosted", "by"),
    "hosts": ("host", "hosted", "by"),
    "run": ("led", "by", "run", "host"),
    "runs": ("led", "by", "run", "host"),
    "driver": ("driver", "driven", "by"),
    "approved": ("approved", "by", "approver"),
    "ordered": ("quantity", "qty", "ordered"),
    "quantity": ("quantity", "qty"),
}

_MONEY_RE = re.compile(
    r"(?:[$€£]\s?(?P<a>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?))"
    r"|(?<![\w.,])(?P<b>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?(?:USD|EUR|GBP|dollars|euros)\b"
)
_TIME_RE = re.compile(
    r"(?<![\d:])(?P<h>\d{1,2}):(?P<m>\d{2})(?![\d:])(?:\s*(?P<ap>[ap])\.?\s?m\b\.?)?"
    r"|(?<![\d:.])(?P<h2>\d{1,2})\s*(?P<ap2>[ap])\.?\s?m\b\.?",
    re.I,
)
_TITLE = r"(?:(?:Dr|Mr|Mrs|Ms|Mx|Prof)\.?\s+)?"
_NAME_WORD = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"
_PERSON_RE = re.compile(_TITLE + _NAME_WORD + r"(?:\s+(?:[A-Z]\.\s+)?" + _NAME_WORD + r"){1,2}")
_BY_PERSON_RE = re.compile(
    r"\b(?:by|with|from|contact|host(?:ed)?\s+by|led\s+by|presented\s+by)\s+(?P<name>"
    + _TITLE
    + _NAME_WORD
    + r"(?:\s+(?:[A-Z]\.\s+)?"
    + _NAME_WORD
    + r"){1,2})"
)
_PLACE_RE = re.compile(
    r"\b(?:Room|Hall|Building|Studio|Lab|Bay|Gate|Floor|Suite|Platform|Dock|Wing|Court|"
    r"Classroom|Auditorium|Theatre|Theater|Office|Desk|Pier|Field)\s+[A-Z0-9][\w-]*"
)
_KV_RE = re.compile(r"^\s*(?:[-*•]\s*)?(?P<key>[A-Za-z][^:\n]{0,60}?)\s*:\s+(?P<val>\S[^\n]*)$")
_NOT_NAMES = frozenset(
    {"room", "hall", "building", "the", "please", "note", "invoice", "memo", "total", "item"}
    | {m.lower() for m in MONTHS}
    | set(WEEKDAYS)
)


@dataclass(frozen=True)
class _Span:
    """A typed value found in text: its text and a comparable normal form."""

    text: str
    key: Any
    start: int
    end: int


def _stem(word: str) -> str:
    w = word.lower().strip("'’")
    if w.endswith(("'s", "’s")):
        w = w[:-2]
    for suffix, min_len in (("ing", 6), ("ies", 5), ("es", 5), ("ed", 5), ("s", 4)):
        if w.endswith(suffix) and len(w) >= min_len:
            return w[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return w


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?", text)


def _money_spans(text: str) -> list[_Span]:
    out = []
    for m in _MONEY_RE.finditer(text):
        raw = m.group("a") or m.group("b")
        out.append(_Span(m.group(0), round(float(raw.replace(",", "")), 2), m.start(), m.end()))
    return out


def _time_spans(text: str) -> list[_Span]:
    out = []
    for m in _TIME_RE.finditer(text):
        if m.group("h") is not None:
            hour, minute, ampm = int(m.group("h")), int(m.group("m")), m.group("ap")
        else:
            hour, minute, ampm = int(m.group("h2")), 0, m.group("ap2")
        if ampm:
            if not 1 <= hour <= 12:
                continue
            hour = hour % 12 + (12 if ampm.lower() == "p" else 0)
        if hour > 23 or minute > 59:
            continue
        out.append(_Span(m.group(0), (hour, minute), m.start(), m.end()))
    return out


def _date_spans(text: str) -> list[_Span]:
    return [_Span(text[d.start : d.end], d, d.start, d.end) for d in find_dates(text)]


def _number_spans(text: str) -> list[_Span]:
    blocked = {
        i
        for s in _money_spans(text) + _time_spans(text) + _date_spans(text)
        for i in range(s.start, s.end)
    }
    out = []
    for n in find_numbers(text):
        if not blocked.isdisjoint(range(n.start, n.end)):
            continue
        out.append(_Span(text[n.start : n.end], n.value, n.start, n.end))
    return out


def _person_spans(text: str) -> list[_Span]:
    out = [
        _Span(m.group("name"), _norm_text(m.group("name")), m.start("name"), m.end("name"))
        for m in _BY_PERSON_RE.finditer(text)
    ]
    covered = {i for s in out for i in range(s.start, s.end)}
    for m in _PERSON_RE.finditer(text):
        first = _words(m.group(0))[0].lower()
        if first in _NOT_NAMES or m.start() in covered:
            continue
        out.append(_Span(m.group(0), _norm_text(m.group(0)), m.start(), m.end()))
    return out


def _place_spans(text: str) -> list[_Span]:
    return [
        _Span(m.group(0), _norm_text(m.group(0)), m.start(), m.end())
        for m in _PLACE_RE.finditer(text)
    ]


def _norm_text(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


_SPAN_FINDERS: dict[str, Callable[[str], list[_Span]]] = {
    "money": _money_spans,
    "time": _time_spans,
    "date": _date_spans,
    "number": _number_spans,
    "person": _person_spans,
    "place": _place_spans,
}


_ANSWER_TYPES = (
    (
        "money",
        re.compile(
            r"\bhow\s+much\b|\b(?:cost|price|fee|charge[ds]?|subtotal|tax|total|amount|"
            r"balance|owe[ds]?|paid|pay)\b"
        ),
    ),
    ("number", re.compile(r"\bhow\s+many\b")),
    ("time", re.compile(r"\bwhat\s+time\b|\bat\s+what\s+time\b|\bwhich\s+time\b")),
    ("when", re.compile(r"\bdate\b|\bwhich\s+day\b|\bwhat\s+day\b|\bdeadline\b|\bwhen\b")),
    (
        "person",
        re.compile(
            r"\bwho\b|\bwhom\b|\bwhose\b|\bwhich\s+person\b|"
            r"\bname\s+of\s+the\s+(?:person|contact|sender|driver|host)\b"
        ),
    ),
    (
        "place",
        re.compile(
            r"\bwhere\b|\bwhich\s+(?:room|venue|building|hall|gate|platform|location|floor)\b|"
            r"\bwhat\s+(?:room|venue|location)\b"
        ),
    ),
)


def _answer_type(question: str) -> str:
    """What kind of value the question asks for (money, number, time, when, person, place)."""
    q = question.lower()
    for kind, pattern in _ANSWER_TYPES:
        if pattern.search(q):
            return kind
    return "generic"


def _split_kv(line: str) -> tuple[str, str] | None:
    m = _KV_RE.match(line)
    if m is None:
        return None
    return m.group("key"), m.group("val").strip()


def _question_and_passage(instruction: str) -> tuple[str, list[str]] | None:
    lines = [line.strip() for line in instruction.splitlines()]
    q_index = None
    for i, line in enumerate(lines):
        if re.match(r"(?i)^(?:question|q)\s*[:.)-]\s*\S", line):
            q_index = i
    if q_index is None:
        for i, line in enumerate(lines):
            if line.endswith("?") or "?" in line:
                q_index = i
    if q_index is None:
        return None
    question = re.sub(r"(?i)^(?:question|q)\s*[:.)-]\s*", "", lines[q_index])
    passage = [line for i, line in enumerate(lines) if i != q_index and line]
    if len(passage) < 2:
        return None
    return question, passage


def _find_typed(kind: str, text: str, question: str) -> list[_Span]:
    if kind == "when":
        spans = _date_spans(text) or _time_spans(text)
    elif kind == "generic":
        return []
    else:
        spans = _SPAN_FINDERS[kind](text)
    q_norm = f" {_norm_text(question)} "
    return [s for s in spans if f" {_norm_text(s.text)} " not in q_norm]


_HEAD_NOUN_RE = re.compile(
    r"(?i)^\s*(?:which|what)\s+(?:(?:is|are|was|were)\s+(?:the|its|their)\s+)?([A-Za-z]+)"
)


def _score_line(
    line: str, question_stems: set[str], synonym_stems: set[str], kind: str, question: str
) -> float:
    """How well a passage line matches the question: shared words (doubly so in a
    ``key:`` label, more again for the noun a which/what question asks about),
    synonyms of the question words, and holding a value of the type asked for."""
    kv = _split_kv(line)
    key_stems = {_stem(w) for w in _words(kv[0])} if kv else set()
    line_stems = {_stem(w) for w in _words(line)} - _STEM_STOPS
    score = 0.0
    score += len(question_stems & line_stems)
    score += 1.0 * len(question_stems & key_stems)
    score += 0.5 * len(synonym_stems & (line_stems | key_stems))
    head = _HEAD_NOUN_RE.match(question)
    if head and _stem(head.group(1)) in key_stems - _STEM_STOPS:
        score += 1.5
    if kind != "generic" and _find_typed(kind, kv[1] if kv else line, question):
        score += 1.0
    return score


_STEM_STOPS = frozenset(_stem(w) for w in _STOPWORDS)


def recognise_passage(instruction: str) -> Verifier | None:
    if instruction.count("\n") < 2:
        return None
    split = _question_and_passage(instruction)
    if split is None:
        return None
    question, passage = split
    if not re.search(
        r"(?i)^\s*(?:what|which|who|whom|whose|when|where|how|on\s+what|at\s+what|according|in\s+which|by\s+when)\b",
        question,
    ):
        return None
    kind = _answer_type(question)
    q_words = [w.lower() for w in _words(question)]
    question_stems = {_stem(w) for w in q_words} - _STEM_STOPS
    synonym_stems = {_stem(s) for w in q_words for s in _SYNONYMS.get(w, ())}
    if "who" in q_words or "whom" in q_words:
        synonym_stems |= {_stem(s) for s in _SYNONYMS["lead"]}
    # A question asking for a time, a sum, a name... is answered by a line holding one.
    candidates = list(enumerate(passage))
    if kind != "generic":
        typed = [(i, line) for i, line in candidates if _find_typed(kind, line, question)]
        candidates = typed or candidates
    scored = [
        (_score_line(line, question_stems, synonym_stems, kind, question), -i, line)
        for i, line in candidates
    ]
    best_score, _, best = max(scored)
    if best_score <= 0:
        return None
    expected = _expected_from_line(best, kind, question)
    if expected is None:
        return None
    return _passage_verifier(expected, question)


def _expected_from_line(line: str, kind: str, question: str) -> tuple[str, Any] | None:
    """(answer kind, comparable value) that the best line gives for the question."""
    kv = _split_kv(line)
    value_text = kv[1] if kv else line
    q = question.lower()
    if kind != "generic":
        spans = _find_typed(kind, value_text, question) or (
            _find_typed(kind, line, question) if kv else []
        )
        if spans:
            later = re.search(
                r"\b(?:end|ends|finish|finishes|close|closes|until|total|last|return)\b", q
            )
            if kind == "money":
                first = re.search(r"\b(?:unit|each|per|price\s+of\s+one|single)\b", q)
                span = spans[0] if first else spans[-1]
            elif kind in ("time", "when") and later:
                span = spans[-1]
            else:
                span = spans[0]
            if kind in ("person", "place"):
                return "text", _norm_text(span.text)
            if kind == "when":
                return ("date" if isinstance(span.key, DateMention) else "time"), span.key
            return kind, span.key
    if kv:
        value = re.split(r"\s+[(—–-]\s*|[;(]", kv[1])[0].strip().rstrip(".,;")
        if kind == "person":
            value = value.split(",")[0].strip()
        if value:
            return "text", _norm_text(value)
    return None


def _passage_verifier(expected: tuple[str, Any], question: str) -> Verifier:
    key_kind, want = expected

    def verify(response: str) -> bool | None:
        if key_kind == "text":
            got = _norm_text(response)
            if not got:
                return None
            return bool(want) and f" {want} " in f" {got} "
        if key_kind == "number":
            answer = final_number(response)
            return None if answer is None else answer.value == want
        spans = _SPAN_FINDERS[key_kind](response)
        if not spans:
            return None
        if key_kind == "date":
            return any(s.key.same_as(want) for s in spans)
        if key_kind == "money":
            return any(abs(s.key - want) < 0.005 for s in spans)
        return any(s.key == want for s in spans)

    return verify
