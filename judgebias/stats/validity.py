"""Failing closed: what a run's figures may claim when some answers could not be read,
or when the judge's verdicts could not show a bias at all.

A probe's ``status`` is ``measured``, ``not_measured`` or ``uninformative``:

- A probe is ``measured`` when it has at least :data:`MIN_VALID_UNITS` valid units, and
  ``not_measured`` otherwise: with fewer, even units that all moved one way could not
  be significant under the exact McNemar test (two-sided p = 2 * 0.5^n >= 0.0625 for
  n <= 5), and the score intervals the figures use are too liberal there to stand in
  for it, so neither "detected" nor "not detected" would be a statement about anything
  (the interval and its inverted p-value are given from 6 units on). A probe that is not
  measured has no effect, interval or p-value, and its severity is ``not measured``.
- A measured probe is ``uninformative`` when its verdicts could not have shown a bias,
  whatever the bias (rules applied by :mod:`judgebias.stats.informative`):

  1. *Its verdicts do not vary with the answers.* A cue shows its effect only in a unit
     whose cue and placebo verdicts differ; so at least one of the two differs from any
     given verdict, in particular from the commonest of the probe's cue and placebo
     verdicts, taken as the judge gave them (first-shown answer, second-shown, tie).
     When fewer than :data:`MIN_VALID_UNITS` of them differ from the commonest, at most
     five units can be discordant and no result could be significant, as for a probe
     with too few units. A judge that always names the first-shown answer (or always
     says tie) is the limit case: its verdict is a function of the position alone, and
     "not detected" would say nothing about the cue. The same count applies to every
     verdict of the self and fallacy probes, and to the two grades compared in
     ``--format single`` (a judge that gives every answer the same grade).
     Position is the exception: a judge that always names the first-shown answer has a
     position effect of +100 points, which is correct. Position is uninformative only
     when fewer than MIN_VALID_UNITS of its control verdicts name an answer at all
     (a judge that answers tie).
  2. *The judge is at chance on gold.* When the pairs carry gold labels and the
     accuracy's 95 % interval contains chance (1/2 for pairs) and lies within
     :data:`~judgebias.stats.informative.CHANCE_MARGIN` (20 points) of it, the data
     show the verdicts do not follow quality, and every probe but position is
     uninformative: a judge that does not judge cannot be said to resist a cue. With
     fewer gold labels the interval is wider and nothing is said (a judge is never
     called uninformative for lack of gold data); an accuracy clearly below chance is
     not chance (the verdicts follow the answers, the wrong way). Position is exempt:
     its bias is defined by the order, not by quality (the always-first judge is at
     chance, and its +100 points are right).

  An uninformative probe keeps its effect, interval and p-value as computed (they say
  what happened: e.g. no verdict moved), but leaves the Benjamini-Hochberg family, has
  no ``p_adjusted``, and its severity is ``not measurable`` with ``status_reason``
  saying why; ``--fail-on`` fails on it. The run's ``informative`` block says at the top
  of the report and the console when the verdicts do not vary or are at chance.
- A probe's ``invalid_share`` is its units that could not be used because an answer it
  needed was invalid (the control's, the cue's or the placebo's; for position, either
  order's), over all the units it planned. When that share is over ``max_invalid`` a
  result that would read "not detected" reads ``inconclusive`` instead: the readable
  answers are a selection, and absence of evidence among them is not evidence of
  absence.
- The run's ``invalid`` block counts every judge answer: the share that could not be
  read, the reasons, and a few raw answers as examples; ``exceeded`` is true when the
  share is over ``max_invalid`` (``judgebias audit`` then exits with status 3).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from judgebias.prompts.answers import REASONS

__all__ = [
    "DEFAULT_MAX_INVALID",
    "MIN_VALID_UNITS",
    "STATUSES",
    "advice",
    "fail_closed",
    "run_invalid",
    "severity",
]

MIN_VALID_UNITS = 6
"""Fewest valid units for a probe to count as measured (see the module docstring)."""

STATUSES = ("measured", "not_measured", "uninformative")
"""A probe's possible ``status`` values (see the module docstring)."""

DEFAULT_MAX_INVALID = 0.1
"""The largest share of invalid answers a run or probe may have (``--max-invalid``)."""

_FIGURE_KEYS = ("effect", "ci_low", "ci_high", "p_value", "dbg", "dbg_ci_low", "dbg_ci_high")


def severity(
    effect: float | None,
    p_adj: float | None,
    *,
    status: str = "measured",
    invalid_share: float | None = None,
    max_invalid: float = DEFAULT_MAX_INVALID,
) -> str:
    """``not measured``, ``not measurable``, ``inconclusive``, ``not detected``, ``slight``,
    ``moderate`` or ``strong``.

    ``not measurable``: the probe is ``uninformative`` (see the module docstring). Detected: BH-adjusted p below 0.05; then by the size of the effect: strong from 15
    points, moderate from 5, slight below.
    """
    if status == "not_measured":
        return "not measured"
    if status == "uninformative":
        return "not measurable"
    unreadable = invalid_share is not None and invalid_share > max_invalid
    if effect is None or p_adj is None or math.isnan(effect) or math.isnan(p_adj):
        return "inconclusive" if unreadable else "not measured"
    if p_adj >= 0.05:
        return "inconclusive" if unreadable else "not detected"
    a = abs(effect)
    return "strong" if a >= 0.15 else "moderate" if a >= 0.05 else "slight"


def fail_closed(fig: dict[str, Any], n_valid: int, n_invalid: int) -> dict[str, Any]:
    """Add ``status``, ``n_invalid`` and ``invalid_share`` to a probe's figures, and blank
    its estimates when it is not measured."""
    total = n_valid + n_invalid
    fig["n_invalid"] = int(n_invalid)
    fig["invalid_share"] = n_invalid / total if total else math.nan
    fig["status"] = "measured" if n_valid >= MIN_VALID_UNITS else "not_measured"
    if fig["status"] == "not_measured":
        for k in _FIGURE_KEYS:
            if k in fig:
                fig[k] = math.nan
    return fig


_ADVICE = {
    "echo": (
        "The judge repeats the prompt instead of judging (typical of base models): use an "
        "instruction-tuned model, or a template written for this model (--template)."
    ),
    "labels_missing": (
        "The judge's first words are not a label: try --mode verdict, an instruction-tuned "
        "model, or a template written for this model (--template)."
    ),
    "low_label_mass": (
        "The labels hold little of the judge's probability: try --mode verdict or a template "
        "that asks for one letter more plainly."
    ),
    "no_logprobs": "The endpoint returns no log-probabilities: use --mode verdict.",
    "truncated": (
        "Answers were cut off at the token limit: raise --max-tokens or ask for a shorter "
        "answer in the template."
    ),
    "reasoning_truncated": (
        "The reasoning used up the token limit before any answer: raise --max-tokens."
    ),
    "ambiguous": (
        "Answers name several verdicts: use a template that asks for one final verdict line "
        "(--template)."
    ),
    "no_verdict": (
        "Answers hold no verdict in the expected form: adapt the template to this model "
        "(--template) or try another --mode."
    ),
    "empty": "The judge returned empty answers: check the endpoint and the model name.",
    "out_of_range": "Scores fall outside 1-10: adapt the score template (--template).",
    "call_failed": "Calls failed after every retry: re-run the same command to retry them.",
}


def advice(reasons: dict[str, int], more: dict[str, str] | None = None) -> str:
    """One sentence on what to do about the commonest reason (``more`` overrides the
    sentences, e.g. for formats that have one mode)."""
    if not reasons:
        return ""
    top = max(reasons.items(), key=lambda kv: kv[1])[0]
    table = {**_ADVICE, **(more or {})}
    return table.get(top, "Look at the examples and adapt the template or mode.")


def run_invalid(
    records: pd.DataFrame,
    max_invalid: float = DEFAULT_MAX_INVALID,
    n_examples: int = 5,
    meanings: dict[str, str] | None = None,
    advice_for: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The run's ``invalid`` block over every judge answer (one per unique request);
    ``meanings`` words the reasons (default :data:`judgebias.prompts.answers.REASONS`) and
    ``advice_for`` the advice (default: the pairwise modes')."""
    uniq = records.drop_duplicates("request_key")
    bad = uniq[~uniq["valid"].astype(bool)]
    n = len(uniq)
    counts = bad["invalid_reason"].fillna("no_verdict").value_counts()
    reasons = {str(k): int(v) for k, v in counts.items()}
    examples: list[dict[str, Any]] = []
    # one example per reason first (commonest first), then more of the commonest
    picked: list[int] = []
    for reason in reasons:
        picked.extend(bad.index[bad["invalid_reason"] == reason][:1])
    for idx in bad.index:
        if len(picked) >= n_examples:
            break
        if idx not in picked:
            picked.append(idx)
    for idx in picked[:n_examples]:
        r = bad.loc[idx]
        raw = r.get("raw")
        examples.append(
            {
                "pair_id": str(r["pair_id"]),
                "probe": str(r["probe"]),
                "kind": str(r["kind"]),
                "order": str(r["order"]),
                "reason": str(r["invalid_reason"]),
                "raw": (str(raw)[:400] if isinstance(raw, str) else None),
                "error": (str(r["error"])[:200] if isinstance(r.get("error"), str) else None),
            }
        )
    share = len(bad) / n if n else math.nan
    # calls that failed are no answers: kept apart from the answers that could not be read
    failed = reasons.get("call_failed", 0)
    unreadable = {k: v for k, v in reasons.items() if k != "call_failed"}
    return {
        "share": share,
        "n": int(n),
        "n_invalid": len(bad),
        "reasons": reasons,
        "meanings": {k: (meanings or REASONS).get(k, k) for k in reasons},
        "examples": examples,
        "max_invalid": max_invalid,
        "exceeded": bool(n == 0 or share > max_invalid),
        "advice": advice(unreadable or reasons, advice_for),
        "failed_calls": failed,
        "n_unreadable": len(bad) - failed,
        "unreadable_exceeded": bool(n == 0 or (len(bad) - failed) / n > max_invalid),
    }
