"""``judgebias analyze --raw``: the verdict columns hold the judge's raw answers, read by
the strict reader of live audits.

The answer in ``--first`` is the judge's text for the pair with answer 1 shown first
(as A), the one in ``--second`` its text with answer 2 shown first; each is read in
positions and mapped back to the pair's labels. The reader is the live audits' one:

- by default the bundled pairwise template's (``[[A]]``, ``[[B]]``, ``[[C]]`` for a tie),
  with its echo check; ``template`` (``--template NAME|FILE``) names another template;
- ``answer_pattern`` (``--answer-pattern REGEX``, one capture group: the label) for a
  prompt that asked for another form, e.g. ``"Choice: ([AB])"``
  (:mod:`judgebias.prompts.answers_pattern`); with ``template`` too, that template's echo check
  applies first.

An answer that cannot be read is invalid, with a reason (:data:`judgebias.prompts.answers.REASONS`);
it is missing data, never a verdict: the position figures use the pairs read in both orders
(``n_valid``). ``summary.json`` gets the run's ``invalid`` block of a live audit (share,
reasons, meanings, examples, ``max_invalid``, ``exceeded``, advice) and each group its
``invalid_answers``; ``readings.csv`` says what each answer was read as (:func:`readings`); when the share is over ``max_invalid`` (``--max-invalid``, default
0.1) no figure may be read as "no bias", and ``judgebias analyze`` exits with status 3
after writing everything.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from judgebias.prompts.answers import REASONS, AnswerReader
from judgebias.prompts.answers_pattern import PatternReader, compile_answer_pattern
from judgebias.prompts.templates import answer_reader, resolve_template
from judgebias.stats.validity import DEFAULT_MAX_INVALID, advice
from judgebias.tables.verdicts import (
    FIRST,
    FIRST_RAW,
    FIRST_REASON,
    SECOND,
    SECOND_RAW,
    SECOND_REASON,
    RawRead,
)
from judgebias.types import Completion

__all__ = [
    "RAW_ADVICE",
    "READINGS_COLUMNS",
    "RawAnswers",
    "group_invalid",
    "raw_invalid",
    "raw_reader",
    "readings",
]

READINGS_COLUMNS = ("read_first", "reason_first", "read_second", "reason_second")
"""The columns ``readings.csv`` adds to the table's own (less the raw answers): each order's
answer as read (``a``/``b``/``tie``, empty when unreadable) and why it could not be read."""

RAW_ADVICE: dict[str, str] = {
    "no_verdict": (
        "Answers hold no verdict in the form read: name the template the judge answered "
        "(--template) or the form its prompt asked for (--answer-pattern 'Choice: ([AB])')."
    ),
    "ambiguous": (
        "Answers name both answers and no single final verdict: the judge's prompt should ask "
        "for one final verdict line."
    ),
    "echo": "Answers repeat the prompt instead of judging: the judge did not judge.",
    "unknown_label": (
        "The pattern captured labels that name no answer: narrow its group (e.g. ([AB]))."
    ),
}
"""What to do about the commonest reason when reading recorded answers."""


class RawAnswers:
    """The reader of ``analyze --raw``: a template's strict reader, or a pattern reader."""

    def __init__(self, template: str | None = None, answer_pattern: str | None = None):
        if answer_pattern is not None:
            compiled = compile_answer_pattern(answer_pattern)
            base = answer_reader(resolve_template(template)) if template else None
            self.reader: AnswerReader | PatternReader = PatternReader(compiled, base)
        else:
            self.reader = answer_reader(resolve_template(template))
        self.template = template
        self.answer_pattern = answer_pattern

    def __call__(self, text: str) -> tuple[str | None, str | None]:
        reading = self.reader.read(Completion(text=text, finish_reason=None))
        return reading.position, (None if reading.valid else reading.reason or "no_verdict")

    def describe(self) -> dict[str, Any]:
        """summary.json's ``reader``: what the answers were read as."""
        form = (
            f"the pattern {self.answer_pattern!r}"
            if self.answer_pattern is not None
            else "[[A]] / [[B]] / [[C]] (tie)"
        )
        return {
            "template": self.template or ("default" if self.answer_pattern is None else None),
            "answer_pattern": self.answer_pattern,
            "form": form,
        }


def raw_reader(template: str | None = None, answer_pattern: str | None = None) -> RawRead:
    """The function that reads one raw answer for :func:`judgebias.tables.verdicts.prepare`."""
    return RawAnswers(template, answer_pattern)


def readings(frame: pd.DataFrame, raw_columns: list[str]) -> pd.DataFrame:
    """``readings.csv``: one row per pair, the table's own columns less ``raw_columns`` (the
    answers' texts), then :data:`READINGS_COLUMNS`."""
    own = [c for c in frame.columns if not str(c).startswith("jb_") and c not in raw_columns]
    out = frame[own].copy()
    out["read_first"] = frame[FIRST].to_numpy()
    out["reason_first"] = frame[FIRST_REASON].to_numpy()
    out["read_second"] = frame[SECOND].to_numpy()
    out["reason_second"] = frame[SECOND_REASON].to_numpy()
    return out


def _reasons(frame: pd.DataFrame) -> pd.Series:
    both = pd.concat([frame[FIRST_REASON], frame[SECOND_REASON]], ignore_index=True)
    return both.dropna()


def group_invalid(g: pd.DataFrame) -> dict[str, Any]:
    """One group's unreadable answers: ``n`` answers (two per pair), ``n_invalid``,
    ``share`` and ``reasons`` (commonest first)."""
    n = 2 * len(g)
    reasons = _reasons(g).value_counts()
    bad = int(reasons.sum())
    return {
        "n": n,
        "n_invalid": bad,
        "share": bad / n if n else math.nan,
        "reasons": {str(k): int(v) for k, v in reasons.items()},
    }


def invalid_columns(frame: pd.DataFrame, group: list[str]) -> pd.DataFrame:
    """Per group (in the order of the analysis table): ``n_invalid_answers``, ``invalid_share``
    and ``invalid_reasons`` (``"no_verdict 3; ambiguous 1"``), for ``summary.csv``."""
    rows = []
    parts = [frame] if not group else [g for _, g in frame.groupby(group, dropna=False, sort=True)]
    for g in parts:
        inv = group_invalid(g)
        rows.append(
            {
                "n_invalid_answers": inv["n_invalid"],
                "invalid_share": inv["share"],
                "invalid_reasons": "; ".join(f"{k} {v}" for k, v in inv["reasons"].items()),
            }
        )
    return pd.DataFrame(rows)


def raw_invalid(
    frame: pd.DataFrame,
    pair: list[str],
    group: list[str],
    max_invalid: float = DEFAULT_MAX_INVALID,
    n_examples: int = 5,
) -> dict[str, Any]:
    """The ``invalid`` block of a live audit, over every recorded answer (two per pair)."""
    rows = []
    for order, reason_col, raw_col in (
        ("first", FIRST_REASON, FIRST_RAW),
        ("second", SECOND_REASON, SECOND_RAW),
    ):
        bad = frame[frame[reason_col].notna()]
        for idx, r in bad.iterrows():
            rows.append((idx, order, str(r[reason_col]), r[raw_col], r))
    n = 2 * len(frame)
    counts = pd.Series([x[2] for x in rows], dtype=object).value_counts()
    reasons = {str(k): int(v) for k, v in counts.items()}
    # one example per reason first (commonest first), then more of the rest
    picked = [next(i for i, x in enumerate(rows) if x[2] == reason) for reason in reasons]
    chosen = set(picked)
    picked += [i for i in range(len(rows)) if i not in chosen][: max(0, n_examples - len(picked))]
    examples = [_example(rows[i], pair, group) for i in picked[:n_examples]]
    share = len(rows) / n if n else math.nan
    return {
        "share": share,
        "n": n,
        "n_invalid": len(rows),
        "reasons": reasons,
        "meanings": {k: REASONS.get(k, k) for k in reasons},
        "examples": examples,
        "max_invalid": max_invalid,
        "exceeded": bool(n == 0 or share > max_invalid),
        "advice": advice(reasons, RAW_ADVICE),
    }


def _example(row: tuple[Any, ...], pair: list[str], group: list[str]) -> dict[str, Any]:
    idx, order, reason, raw, r = row
    keys: Mapping[str, Any] = {c: r[c] for c in [*group, *pair] if c in r.index}
    ident = " / ".join([*(f"{k}={v}" for k, v in keys.items()), f"pair {int(idx) + 1}"])
    return {
        "pair_id": ident,
        "order": "answer 1 shown first" if order == "first" else "answer 2 shown first",
        "reason": reason,
        "raw": str(raw)[:400] if isinstance(raw, str) else None,
    }
