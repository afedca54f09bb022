"""What a Python judge function returned, as the answer the audit reads.

A function judges the texts of one request (see :mod:`judgebias.judges.python_fn`) and
may return, for a pair (``response_a`` is the answer shown first):

- a label or an answer text (``"A"``, ``"B"``, ``"tie"``, ``"[[A]]"``, an explanation
  ending with its verdict line), read by the same strict reader as a model's answer;
- a number in [0, 1]: the probability that the first answer is the better one;
- two numbers (a list or tuple): the scores of the first and of the second answer;
- a dict with any of ``verdict`` (or ``label``), ``p_first`` (or ``probability``),
  ``scores``, and the raw text under ``raw`` (or ``text``), optionally ``reasoning``,
  ``prompt_tokens``, ``completion_tokens`` and ``cost_usd``.

For several answers at once (listwise) it returns the chosen answer's letter, its
0-based index, one score per answer, or a dict with ``choice`` (or ``verdict``),
``scores`` and ``raw``; for one answer graded alone (pointwise) the grade (a number or
a letter on the scale asked for), or a dict with ``score`` (or ``rating``) and ``raw``.

Anything else is an invalid verdict with a reason, never a guess. The value returned
is kept in the store as it was (``Completion.returned``, made JSON-safe).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from judgebias.prompts.answers import VERDICT_TAGS, read_verdict, verdict_tag
from judgebias.prompts.answers_formats import LETTERS, parse_choice
from judgebias.types import Completion, Verdict

__all__ = ["listwise_answer", "pairwise_answer", "pointwise_answer", "returned_value"]

_RAW_KEYS = ("raw", "text")
_LABEL_KEYS = ("verdict", "label", "winner", "choice", "best")
_PROB_KEYS = ("p_first", "probability")
_SCORE_KEYS = ("score", "rating", "grade")


def returned_value(value: Any) -> Any:
    """The value as JSON keeps it (objects that JSON cannot hold as their ``str``)."""
    return json.loads(json.dumps(value, default=str, allow_nan=False, ensure_ascii=False))


def _number(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    f = float(x)
    return f if math.isfinite(f) else None


def _first(d: dict[str, Any], keys: Sequence[str]) -> Any:
    return next((d[k] for k in keys if k in d and d[k] is not None), None)


def _usage(value: Any, text: str, verdict: Verdict | None = None) -> Completion:
    """The completion around a reading, with the usage and reasoning a dict reports."""
    extra: dict[str, Any] = {}
    if isinstance(value, dict):
        for key in ("prompt_tokens", "completion_tokens"):
            n = _number(value.get(key))
            extra[key] = int(n) if n is not None else None
        extra["cost_usd"] = _number(value.get("cost_usd"))
        reasoning = value.get("reasoning")
        extra["reasoning"] = reasoning if isinstance(reasoning, str) else None
    try:
        kept = returned_value(value)
    except ValueError:  # NaN or infinity: kept as text
        kept = str(value)
    return Completion(
        text=text, finish_reason="stop", verdict=verdict, returned=kept, model=None, **extra
    )


def _raw(value: Any) -> str | None:
    if isinstance(value, dict):
        raw = _first(value, _RAW_KEYS)
        return raw if isinstance(raw, str) else None
    return value if isinstance(value, str) else None


# -- pairwise ---------------------------------------------------------------------------


def _pair_reading(value: Any) -> Verdict:
    if isinstance(value, str):
        r = read_verdict(value)
        return Verdict(r.position, r.p_first, r.reason)
    p = _number(value)
    if p is not None:
        if not 0.0 <= p <= 1.0:
            return Verdict(None, reason="out_of_range")
        return Verdict("first" if p > 0.5 else "second" if p < 0.5 else "tie", p)
    if isinstance(value, list | tuple) and len(value) == 2:
        a, b = _number(value[0]), _number(value[1])
        if a is None or b is None:
            return Verdict(None, reason="no_verdict")
        pos = "first" if a > b else "second" if b > a else "tie"
        # as the score mode reads "Score A: x / Score B: y" on the 1-10 scale
        p_first = 0.5 + (a - b) / 18.0 if 1 <= a <= 10 and 1 <= b <= 10 else None
        return Verdict(pos, p_first)
    if isinstance(value, dict):
        label, prob = _first(value, _LABEL_KEYS), _first(value, _PROB_KEYS)
        scores = value.get("scores")
        found = next((x for x in (label, prob, scores) if x is not None), None)
        if found is None:
            raw = _raw(value)
            return _pair_reading(raw) if raw is not None else Verdict(None, reason="no_verdict")
        reading = _pair_reading(found)
        p = _number(prob)
        if reading.position is not None and p is not None and 0.0 <= p <= 1.0:
            return Verdict(reading.position, p)
        return reading
    return Verdict(None, reason="empty" if value is None else "no_verdict")


def pairwise_answer(value: Any) -> Completion:
    """The answer to a pairwise request: the verdict read from ``value`` (positions: the
    function's ``response_a`` is the answer shown first)."""
    verdict = _pair_reading(value)
    text = _raw(value)
    if text is None:
        tags: dict[str | None, str] = {k: v for k, v in VERDICT_TAGS.items()}
        text = tags.get(verdict.position, "")
    return _usage(value, text, verdict)


# -- listwise and pointwise: the text the format's strict reader reads -------------------


def _choice_text(value: Any, k: int) -> str:
    if isinstance(value, str):
        ix = parse_choice(value, k)
        return verdict_tag(LETTERS[ix]) if ix is not None else value
    n = _number(value)
    if n is not None:
        if not n.is_integer() or not 0 <= n < len(LETTERS):
            return f"no answer among the {k} shown was chosen (returned {value!r})"
        return verdict_tag(LETTERS[int(n)])  # a letter beyond k reads as out of range
    if isinstance(value, list | tuple) and len(value) == k:
        scores = [_number(x) for x in value]
        if any(s is None for s in scores):
            return "the scores are not all numbers"
        top = max(s for s in scores if s is not None)
        best = [i for i, s in enumerate(scores) if s == top]
        return " ".join(verdict_tag(LETTERS[i]) for i in best)  # a tie reads as ambiguous
    if isinstance(value, dict):
        found = _first(value, _LABEL_KEYS)
        if found is None:
            found = value.get("scores")
        if found is None:
            found = _raw(value)
        return _choice_text(found, k) if found is not None else "no choice returned"
    return "no choice returned"


def listwise_answer(value: Any, k: int) -> Completion:
    """The answer to a listwise request of ``k`` responses (read by the listwise reader)."""
    return _usage(value, _choice_text(value, k))


def _grade_text(value: Any, scale: Sequence[str]) -> str:
    if isinstance(value, str):
        bare = value.strip()
        if bare.upper() in (s.upper() for s in scale) or _number_text(bare):
            return f"Rating: {verdict_tag(bare)}"
        return value
    n = _number(value)
    if n is not None:
        return f"Rating: {verdict_tag(f'{n:g}')}"
    if isinstance(value, dict):
        found = _first(value, _SCORE_KEYS)
        if found is None:
            found = _raw(value)
        return _grade_text(found, scale) if found is not None else "no grade returned"
    return "no grade returned"


def _number_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def pointwise_answer(value: Any, scale: Sequence[str]) -> Completion:
    """The answer to a pointwise request on ``scale`` (read by the pointwise reader)."""
    return _usage(value, _grade_text(value, scale))
