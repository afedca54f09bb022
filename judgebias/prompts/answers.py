"""Reading a judge's answer: strict, and closed when in doubt.

This is the one place where a judge's completion becomes a verdict. A verdict counts
only when it is unambiguous; anything else is *invalid* and carries a reason, so that
the statistics can count what could not be read instead of reading a bias (or its
absence) into it.

Verdict mode (``[[A]]``, ``[[B]]``, ``[[C]]`` for a tie, a JSON object with a
``verdict``-like key, or a bare label such as ``A`` / ``Response B`` on the last line):

- ``echo``: the answer reproduces one of the prompt's bracketed markers
  (``[Instruction]``, ``[Response A]``, ...), or it repeats the judge template's own
  instructions (any run of :data:`ECHO_WORDS` consecutive words of the template's fixed
  text) without ending in a complete verdict line. Small base models do this instead of
  judging; their "verdict" is the template's example tag. (A judge that restates the
  criteria in its reasoning and ends with its verdict line is not an echo.)
- ``ambiguous``: several different verdicts, and the last non-empty line is not
  exactly one verdict, and they are not one comparative reading: "[[A]] is better than
  [[B]]" (or "[[B]] is worse than [[A]]") names both tags but has one reading, A, and is
  read (:mod:`judgebias.prompts.answers_comparative`: negations, "neither"/"both" and sentences
  that name two verdicts stay ambiguous).
- ``truncated``: the completion stopped at the token limit (``finish_reason`` is
  ``length``) and does not end with a complete verdict line.
- ``no_verdict``: no verdict in any of the forms above. ``empty``: no text at all.

Score mode (``Score A: x`` / ``Score B: y``): both scores exactly once, each within
1-10 (``out_of_range`` otherwise); the same echo and truncation rules.

Logprob mode: the distribution is read at the first generated token that *is* a label
(``A`` or ``B``, upper case, after stripping spaces and brackets). Tokens before it may
only be spacing, punctuation or one of a few lead-in words (``Response``, ``Answer``,
``The``, ...); any other first token (the start of an echoed prompt, say) means
``labels_missing``. At the label's position both labels are looked up among the
returned alternatives; a label that is not among them is bounded by the smallest
returned probability (it can be at most that likely), which pulls P(first) toward 0.5
rather than to 0 or 1. When the two labels hold less than :data:`MIN_LABEL_MASS` of the
probability returned at that position the answer is ``low_label_mass``: the model was
mostly about to say something else. An endpoint that returns no log-probabilities
gives ``no_logprobs``.

Reasoning models: an empty answer after reasoning that hit the token limit is
``reasoning_truncated``. A call that failed after every retry is ``call_failed``.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass
from typing import Literal, cast

from judgebias.prompts.answers_comparative import comparative_verdict
from judgebias.prompts.constrained import ConstrainedForm, read_constrained
from judgebias.types import Completion

__all__ = [
    "ECHO_WORDS",
    "MIN_LABEL_MASS",
    "REASONS",
    "VERDICT_LABELS",
    "VERDICT_TAGS",
    "AnswerReader",
    "Position",
    "Reading",
    "label_position",
    "read_logprobs",
    "read_scores",
    "read_verdict",
    "verdict_tag",
]

Position = Literal["first", "second", "tie"]

VERDICT_LABELS: dict[Position, str] = {"first": "A", "second": "B", "tie": "C"}
"""The letter by which a pairwise verdict names each position."""


def verdict_tag(label: str) -> str:
    """A verdict as the templates ask for it: ``[[A]]``, ``[[B]]``, ``[[C]]`` for a tie (the
    listwise and pointwise formats use the same brackets: ``[[D]]``, ``Rating: [[7]]``)."""
    return f"[[{label}]]"


_LABEL_POSITION: dict[str, Position] = {x: pos for pos, x in VERDICT_LABELS.items()}

VERDICT_TAGS: dict[Position, str] = {pos: verdict_tag(x) for pos, x in VERDICT_LABELS.items()}
"""The verdict tag of each position: ``[[A]]``, ``[[B]]``, ``[[C]]``."""

MIN_LABEL_MASS = 0.5
"""In logprob mode, the least share of the returned probability the two labels must
hold at the label's position for the answer to count."""

ECHO_WORDS = 8
"""An answer that repeats this many consecutive words of the template's fixed text
(or a bracketed prompt marker) is an echo."""

REASONS: dict[str, str] = {
    "empty": "the answer is empty",
    "echo": "the answer repeats the prompt's instructions or markers instead of judging",
    "no_verdict": "no verdict in the expected form",
    "ambiguous": "several different verdicts and no single final one",
    "truncated": "cut off at the token limit before a complete verdict",
    "out_of_range": "a score outside 1-10",
    "no_logprobs": "the endpoint returned no log-probabilities",
    "labels_missing": "no generated token is a label (A or B)",
    "low_label_mass": f"the labels hold less than {MIN_LABEL_MASS:.0%} of the probability",
    "reasoning_truncated": "the reasoning used up the token limit; no answer followed",
    "call_failed": "the call failed after every retry",
    "unknown_label": "the answer pattern captured a label that names no answer (A/B, 1/2, C/tie)",
}
"""Every reason an answer can be invalid, with its meaning in plain words."""


@dataclass(frozen=True)
class Reading:
    """What an answer says: a verdict in positions and P(first), or why it says nothing."""

    position: Position | None = None
    p_first: float | None = None
    reason: str | None = None
    label_mass: float | None = None

    @property
    def valid(self) -> bool:
        return self.position is not None


def invalid(reason: str) -> Reading:
    return Reading(reason=reason)


# -- verdict mode ------------------------------------------------------------------

_TAG_RE = re.compile(r"\[\[\s*(A|B|C|tie)\s*\]\]", re.IGNORECASE)
_FINAL_TAG_LINE = re.compile(
    r"^[\s*#>_]*(?:(?:my\s+)?(?:final\s+)?(?:verdict|answer|decision|winner)\s*(?:is)?\s*[:\-]?\s*)?"
    r"[*_]*\[\[\s*(A|B|C|tie)\s*\]\][*_]*\s*\.?\s*$",
    re.IGNORECASE,
)
_BARE_LINE = re.compile(
    r"^\s*(?:(?:final\s+)?(?:verdict|answer|winner|output|response)\s*[:\-]?\s*)?"
    r"(?:response\s+|output\s+|assistant\s+)?\(?\s*(A|B|C|tie|1|2)\s*\)?\s*[.!]?\s*$",
    re.IGNORECASE,
)
_JSON_RE = re.compile(r"\{[^{}]*\}")
_JSON_KEYS = ("verdict", "winner", "better", "choice", "preference", "answer")


def label_position(tok: str) -> Position | None:
    """The position a verdict label names: ``A``/``1``/``first`` (also ``Response A``),
    ``B``/``2``/``second``, ``C``/``tie``/``draw``/``equal``/``both``; None otherwise."""
    t = tok.strip().strip("()[]\"'.").lower()
    t = re.sub(r"^(response|output|assistant|answer)\s*", "", t)
    if t in ("a", "1", "first"):
        return "first"
    if t in ("b", "2", "second"):
        return "second"
    if t in ("c", "tie", "draw", "equal", "both"):
        return "tie"
    return None


def _lines(text: str) -> list[str]:
    return [ln for ln in text.strip().splitlines() if ln.strip()]


def _final_line_verdict(text: str) -> Position | None:
    """The verdict when the last non-empty line is exactly one verdict, else None."""
    lines = _lines(text)
    if not lines:
        return None
    last = lines[-1]
    m = _FINAL_TAG_LINE.match(last) or _BARE_LINE.match(last)
    return label_position(m.group(1)) if m else None


def _json_verdicts(text: str) -> list[Position]:
    found: list[Position] = []
    for blob in _JSON_RE.findall(text):
        try:
            obj = json.loads(blob)
        except ValueError:
            continue
        if not isinstance(obj, dict):
            continue
        for k in _JSON_KEYS:
            if k in obj and isinstance(obj[k], str | int):
                pos = label_position(str(obj[k]))
                if pos is not None:
                    found.append(pos)
                    break
    return found


def read_verdict(text: str, finish_reason: str | None = None) -> Reading:
    """A strict reading of a verdict-mode answer (no echo check: see :class:`AnswerReader`)."""
    if not text.strip():
        return invalid("empty")
    final = _final_line_verdict(text)
    if finish_reason == "length" and final is None:
        return invalid("truncated")
    if final is not None:
        return Reading(position=final)
    found = {label_position(t) for t in _TAG_RE.findall(text)}
    found |= set(_json_verdicts(text))
    found.discard(None)
    if len(found) == 1:
        return Reading(position=found.pop())
    if found:
        # one comparative reading ("[[A]] is better than [[B]]") that any JSON verdict shares
        pos = label_position(comparative_verdict(text) or "")
        if pos is not None and set(_json_verdicts(text)) <= {pos}:
            return Reading(position=pos)
        return invalid("ambiguous")
    return invalid("no_verdict")


# -- score mode --------------------------------------------------------------------

_SCORE_RE = re.compile(r"score\s*([AB])\s*[:=]\s*(-?\d+(?:\.\d+)?)", re.IGNORECASE)
_SCORE_LINE = re.compile(r"^\s*score\s*[AB]\s*[:=]\s*-?\d+(?:\.\d+)?\s*$", re.IGNORECASE)


def read_scores(text: str, finish_reason: str | None = None) -> Reading:
    """``Score A: x`` and ``Score B: y``, each exactly once and within 1-10.

    The verdict is the higher score; P(first) = 0.5 + (A - B) / 18, in [0, 1].
    """
    if not text.strip():
        return invalid("empty")
    found: dict[str, list[float]] = {"A": [], "B": []}
    for label, value in _SCORE_RE.findall(text):
        found[label.upper()].append(float(value))
    lines = _lines(text)
    complete = bool(lines) and _SCORE_LINE.match(lines[-1]) is not None
    if finish_reason == "length" and not (
        complete and len(found["A"]) == 1 and len(found["B"]) == 1
    ):
        return invalid("truncated")
    if len(found["A"]) > 1 or len(found["B"]) > 1:
        return invalid("ambiguous")
    if not found["A"] or not found["B"]:
        return invalid("no_verdict")
    a, b = found["A"][0], found["B"][0]
    if not (1.0 <= a <= 10.0 and 1.0 <= b <= 10.0):
        return invalid("out_of_range")
    pos: Position = "first" if a > b else "second" if b > a else "tie"
    return Reading(position=pos, p_first=0.5 + (a - b) / 18.0)


# -- logprob mode ------------------------------------------------------------------

_LEAD_IN = frozenset(
    {"response", "answer", "verdict", "final", "output", "option", "the", "is", "my", "assistant"}
)
_STRIP = " \t\n\r[](){}*_:.,'\"`#>-"


def _label_of(token: str) -> str | None:
    t = token.strip(_STRIP)
    return t if t in ("A", "B") else None


def read_logprobs(completion: Completion) -> Reading:
    """P(first) from the distribution at the first generated label token (see the module)."""
    steps = completion.logprob_steps
    if not steps and completion.top_logprobs:
        # stored before judgebias kept every step: the alternatives of the first token,
        # the most likely of which is the token generated at temperature 0
        alts = completion.top_logprobs
        chosen = max(alts, key=lambda t: t[1])
        steps = ((chosen[0], chosen[1], alts),)
    if not steps:
        return invalid("empty" if not completion.text.strip() else "no_logprobs")
    for chosen_tok, chosen_lp, alts in steps:
        if _label_of(chosen_tok) is None:
            if chosen_tok.strip(_STRIP) == "" or chosen_tok.strip(_STRIP).lower() in _LEAD_IN:
                continue
            return invalid("labels_missing")
        options = list(alts)
        if all(tok != chosen_tok for tok, _ in options):
            options.append((chosen_tok, chosen_lp))
        probs = [(tok, math.exp(lp)) for tok, lp in options]
        total = sum(p for _, p in probs)
        pa = sum(p for tok, p in probs if _label_of(tok) == "A")
        pb = sum(p for tok, p in probs if _label_of(tok) == "B")
        mass = (pa + pb) / total if total > 0 else 0.0
        if mass < MIN_LABEL_MASS:
            return Reading(reason="low_label_mass", label_mass=mass)
        smallest = min(p for _, p in probs)
        pa, pb = pa or smallest, pb or smallest
        p_first = pa / (pa + pb)
        pos: Position = "first" if p_first > 0.5 else "second" if p_first < 0.5 else "tie"
        return Reading(position=pos, p_first=p_first, label_mass=mass)
    return invalid("labels_missing")


# -- the reader --------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+")
_MARKER = re.compile(r"^\s*(\[[A-Za-z][^\[\]\n{}]{1,40}\])\s*$", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{(?:instruction|response_a|response_b)\}")


def _shingles(words: list[str], k: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + k]) for i in range(len(words) - k + 1)}


class AnswerReader:
    """Reads completions for one template and mode (the echo check needs the template).

    ``fixed_texts`` are the template's own words: its system prompt and the user prompt
    of the mode, without the placeholders.
    """

    def __init__(
        self,
        mode: str = "verdict",
        fixed_texts: tuple[str, ...] = (),
        constrained: ConstrainedForm | None = None,
    ):
        self.mode = mode
        self.constrained = constrained
        """Set for answers a server constrained (``--constrain``): they are read by
        :func:`judgebias.prompts.constrained.read_constrained` only."""
        self._shingles: set[tuple[str, ...]] = set()
        self._markers: set[str] = set()
        for text in fixed_texts:
            for part in _PLACEHOLDER.split(text):
                self._shingles |= _shingles(_WORD.findall(part.lower()), ECHO_WORDS)
            self._markers |= set(_MARKER.findall(text))

    def with_constraint(self, constrained: ConstrainedForm | None) -> AnswerReader:
        """This reader for answers in a constrained form (None: as they come)."""
        other = copy.copy(self)
        other.constrained = constrained
        return other

    def has_marker(self, text: str) -> bool:
        """The answer holds one of the prompt's bracketed markers (``[Instruction]`` ...)."""
        return any(m in text for m in self._markers)

    def shares_template(self, text: str) -> bool:
        """The answer repeats :data:`ECHO_WORDS` consecutive words of the template."""
        if not self._shingles:
            return False
        return not self._shingles.isdisjoint(_shingles(_WORD.findall(text.lower()), ECHO_WORDS))

    def read(self, completion: Completion | None) -> Reading:
        """The reading of one answer; ``None`` (no answer) is ``call_failed``."""
        if completion is None:
            return invalid("call_failed")
        if completion.verdict is not None:  # a combining judge's verdict: already read
            v = completion.verdict
            if v.position not in ("first", "second", "tie"):
                return invalid(v.reason or "no_verdict")
            return Reading(cast(Position, v.position), v.p_first)
        text = completion.text or ""
        if not text.strip() and completion.finish_reason == "length" and completion.reasoning:
            return invalid("reasoning_truncated")
        if self.constrained is not None:
            value, reason = read_constrained(text, completion.finish_reason, self.constrained)
            if value is None:
                return invalid(reason or "no_verdict")
            pos = _LABEL_POSITION.get(value.upper())
            return Reading(position=pos) if pos is not None else invalid("no_verdict")
        if self.mode == "logprob":
            return read_logprobs(completion)
        if not text.strip():
            return invalid("empty")
        if self.has_marker(text):
            return invalid("echo")
        if self.mode == "score":
            reading = read_scores(text, completion.finish_reason)
            complete = _SCORE_LINE.match(_lines(text)[-1]) is not None
        else:
            reading = read_verdict(text, completion.finish_reason)
            complete = _final_line_verdict(text) is not None
        # words of the template: a judge restating the criteria still ends with its verdict
        # line; an answer that repeats the instructions without one is an echo
        if self.shares_template(text) and not (reading.valid and complete):
            return invalid("echo")
        return reading
