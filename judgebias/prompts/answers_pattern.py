"""Reading pairwise answers in the form the user's own prompt asked for (``--answer-pattern``).

A prompt that asks for ``Choice: A`` instead of ``[[A]]`` is read with a regular
expression with exactly one capture group, the label: ``"Choice: ([AB])"``. The label
names a position as verdict tags do (:func:`judgebias.prompts.answers.label_position`: ``A``,
``1``, ``Response A`` for the first-shown answer; ``B``, ``2`` for the second; ``C``,
``tie`` for a tie). The reading is as strict as the bracket reader's:

- a match counts only when its label is a whole word (``Choice: Both`` is not ``B``);
  the pattern is applied to the answer with Markdown emphasis (``*``, `````) removed, so
  ``**Choice:** A`` reads as ``Choice: A``;
- ``empty``: no text; ``no_verdict``: no match; ``unknown_label``: a match whose label
  names no answer (a pattern such as ``Choice: (\\w+)`` that caught ``Neither``);
- ``ambiguous``: matches naming different answers, unless the last non-empty line is
  exactly one match (that line is the final verdict);
- ``truncated``: cut at the token limit without a final verdict line;
- ``echo``: with a template (``--template``), the prompt's markers or a run of its words
  without a final verdict line, as :class:`judgebias.prompts.answers.AnswerReader` decides.
"""

from __future__ import annotations

import re

from judgebias.errors import UsageError
from judgebias.prompts.answers import AnswerReader, Position, Reading, invalid, label_position
from judgebias.types import Completion

__all__ = ["PatternReader", "compile_answer_pattern"]

_EMPHASIS = re.compile(r"[*`]+")
_DECOR = re.compile(r"^[\s#>_-]*|[\s._!]*$")


def compile_answer_pattern(pattern: str, flag: str = "--answer-pattern") -> re.Pattern[str]:
    """The compiled pattern, or a :class:`UsageError` naming ``flag`` when it is not a
    regular expression or has other than one capture group."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"{flag}: {pattern!r} is not a valid regular expression ({exc})") from None
    if compiled.groups != 1:
        raise UsageError(
            f"{flag}: {pattern!r} has {compiled.groups} capture groups; it needs exactly one, "
            "the label (e.g. 'Choice: ([AB])'; use (?:...) for other groups)"
        )
    return compiled


class PatternReader:
    """Reads answers with a one-group pattern (rules: the module docstring).

    ``template`` (optional) is the strict reader of the template the answers replied to:
    its echo check is applied first.
    """

    def __init__(self, pattern: str | re.Pattern[str], template: AnswerReader | None = None):
        self.pattern = (
            pattern if isinstance(pattern, re.Pattern) else compile_answer_pattern(pattern)
        )
        self.template = template

    def _labels(self, text: str) -> list[str]:
        out = []
        for m in self.pattern.finditer(text):
            start, end = m.span(1)
            if start < 0 or start == end:
                continue
            before = text[start - 1] if start > 0 else " "
            after = text[end] if end < len(text) else " "
            if before.isalnum() or after.isalnum():
                continue  # not a whole word: "Choice: Both" is no B
            out.append(m.group(1))
        return out

    def _final(self, text: str) -> Position | None:
        """The verdict when the last non-empty line is exactly one match, else None."""
        lines = [ln for ln in text.strip().splitlines() if ln.strip()]
        if not lines:
            return None
        last = _DECOR.sub("", lines[-1])
        m = self.pattern.fullmatch(last)
        return label_position(m.group(1)) if m and m.group(1) else None

    def read(self, completion: Completion | None) -> Reading:
        """The reading of one answer; ``None`` (no answer) is ``call_failed``."""
        if completion is None:
            return invalid("call_failed")
        raw = completion.text or ""
        if not raw.strip():
            cut = completion.finish_reason == "length" and completion.reasoning
            return invalid("reasoning_truncated" if cut else "empty")
        text = _EMPHASIS.sub("", raw)
        final = self._final(text)
        if self.template is not None:
            if self.template.has_marker(raw):
                return invalid("echo")
            if self.template.shares_template(raw) and final is None:
                return invalid("echo")
        if completion.finish_reason == "length" and final is None:
            return invalid("truncated")
        if final is not None:
            return Reading(position=final)
        labels = self._labels(text)
        if not labels:
            return invalid("no_verdict")
        positions = {label_position(x) for x in labels}
        if None in positions:
            return invalid("unknown_label")
        if len(positions) > 1:
            return invalid("ambiguous")
        (pos,) = positions
        return Reading(position=pos)
