"""The simulated judge's parameters (``sim:key=value,...``) and their parsing.

What each parameter means, so that planted value = the audit's effect estimate (C is
the content verdict and a cue a probe's edit, as :mod:`.decide` describes):

- ``accuracy`` (0..1): P(C agrees with the better answer) where the sim can check
  the task; elsewhere C is a stable coin flip, so accuracy against gold is 0.5.
- ``position`` (-1..1): the share of pairs whose two-order verdicts follow the
  position rather than the content. In each order the position draw fires with
  probability |position|, so P(the two orders disagree) = |position| exactly, and
  the position effect (primacy share - recency share) = ``position``.
- ``length``, ``bandwagon``, ``authority``, ``reflection`` (0..1): among
  requests whose control verdict was against the cued answer, the probability that
  the cue moves the verdict to the cued answer (the probe's flip rate). The placebo
  of a probe is stripped like the cue but carries no cue, so its flip rate is 0 and
  the placebo-net effect equals the parameter.
- ``distraction`` (0..1): the same, toward the *other* answer (the distractor
  hurts the answer it is attached to).
- ``compassion``, ``identity``, ``refinement``, ``citation`` (0..1; the catalogue's
  templated cues: a famous model's name, an author identity statement, "refined from
  an earlier draft", irrelevant references): the same as ``length`` above. Among
  requests whose control verdict was against the cued answer, the probability that
  the cue moves the verdict to it; their placebos (neutral model names, a neutral
  statement or note, neutral padding) are stripped and move nothing, so each probe's
  placebo-net effect equals its parameter.
- ``self`` (0..1): the answers the sim generates end with :data:`SIM_SIGNATURE`, the
  mark by which it recognises them; a paraphrase by the sim rewriter (``--rewriter
  sim``) drops it, as another model's paraphrase drops its author's style. The
  signature is stripped (:func:`strip_signature`) before the content verdict and
  every draw, like a probe's edit, so an own answer and its paraphrase differ only
  through the cue. When exactly one of the two answers carries it, that answer is
  "cued" as above: among requests whose verdict without the mark went against the
  sim's own answer, the verdict moves to it with probability ``self``. The self
  probe's controlled figure (own wording against the paraphrase, net of the same for
  another's answer: :mod:`judgebias.stats.selfpref`) is then ``self`` exactly,
  whatever the accuracy or the gold judge. The error asymmetry equals ``self`` only
  when the judge's errors do not depend on which answer the gold prefers (a gold sim
  with the judge's own seed); DBG is ``self`` times the share of comparisons the own
  answer would have lost, plus the drift of a noisy judge's win rate toward one half.
- ``cot`` (0..1): when the prompt's instructions (the user text before
  ``[Instruction]``) ask for reasoning before the verdict (they contain
  :data:`judgebias.prompts.templates.COT_MARKER`, as ``--template cot`` does), every bias parameter, position
  included, is multiplied by ``1 - cot``, and the reply reasons before its verdict.
  Accuracy is unchanged. So ``judgebias compare`` of a ``--template direct`` run and
  a ``--template cot`` run finds each bias's difference = ``-cot`` x the bias.
- ``rubric_order``, ``score_labels``, ``anchor`` (0..1): the grading biases of
  ``--format single``, defined in :mod:`.formats` so that each equals its
  measured shift (in points, steps and pull).
- ``sentiment``, ``fallacy`` (0..1): rewritten cues (``--rewriter sim``), defined in
  :mod:`.formats` so that each equals its probe's effect.
- ``lean`` (0..0.49): a soft bias that never changes a verdict, in ``--mode logprob``
  only. The sim gives its verdict a probability of 0.999 (the other label 0.001); when a
  request carries a cue (of any probe, the first one if several) and the verdict is
  not the answer that cue favours (the cued answer; for distraction the other one), that
  answer's probability rises by ``lean`` x the bias scale (suppression, cot, effort) and
  the verdict's falls by as much. Below 0.499 the verdict keeps the higher probability,
  so the hard effect stays 0 while each cue probe's ``soft_effect`` (the placebo-net
  shift of P(favoured answer)) equals ``lean`` (plus what the probe's own parameter
  moves: a cue that wins moves it by 0.998).
- ``suppression`` (0..1): when the system message carries the bias-aware
  instruction (``--mitigation system-prompt``), every bias parameter above, position
  included, is multiplied by ``1 - suppression``.
- ``echo``, ``truncate``, ``garble``, ``ambiguous``, ``nolabel``, ``onelabel``,
  ``lowmass`` (0..1 each, adding up to at most 1): the probability that an answer is
  not in the expected form, the way real models fail (:mod:`.misbehaviour` says what
  each answer looks like). They are exclusive, drawn on the whole request (so
  independent of every bias draw), and act in the modes where they make sense:
  ``echo`` and ``garble`` in every mode, ``truncate`` and ``ambiguous`` in verdict and
  score mode and in the listwise and pointwise formats, ``nolabel``, ``onelabel`` and ``lowmass`` in logprob mode. Every one of
  them but ``onelabel`` (whose missing label a strict reader bounds) makes the answer
  invalid, so the invalid share of a run equals the sum of those that act in its mode,
  and the biases recovered from the valid answers are the planted ones.
- ``garble_last`` (0..1): unreadable answers that depend on the order shown. When
  the judge's content choice (the answer it finds better, before any bias acts) is
  shown last (pairwise: second), the answer is garbled (as ``garble``: fluent, no
  verdict) with probability ``garble_last``; with the content choice shown anywhere
  else, never. Drawn on the whole request, after the misbehaviours above and only
  when none of them fired, in the pairwise (every mode) and listwise formats. Each
  pair has its content choice second in one of its two orders, so ``garble_last /
  2`` of pairwise answers (``garble_last / k`` of listwise ones in a Latin square)
  are unreadable, all of them in the order that shows the judge's favourite last.
- ``bias_spread``, ``accuracy_spread``, ``item_position`` (0..1): items (instructions)
  that are not alike: each item's own strength of every bias, its own accuracy, its
  own favourite position, drawn around the planted values so that their mean over
  items is unchanged; defined in :mod:`.items`. Pairwise and listwise formats.
- ``seed``: changes every draw.
- ``reasoning`` (``none``, ``inline``, ``reasoning_content``, ``reasoning``,
  ``hidden``), ``think_tokens`` (whole number, default 300) and ``effort_bias``
  (0..1): a reasoning judge, see :mod:`.reasoning`. ``effort_bias`` multiplies
  every bias above, position included, by ``1 - effort_bias × w``, w = 0 at effort
  ``low``, 0.5 at ``medium`` or none given, 1 at ``high`` (the request's
  ``reasoning_effort``). Reasoning never changes the verdict; it can use up the
  request's ``max_tokens`` before the answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

from judgebias.errors import SpecError
from judgebias.registry import did_you_mean
from judgebias.sim.reasoning import REASONING_DEFAULTS, parse_reasoning_key, reasoning_spec

__all__ = [
    "BIAS_KEYS",
    "ITEM_KEYS",
    "MISBEHAVIOUR_KEYS",
    "SIM_SIGNATURE",
    "SimParams",
    "parse_sim_params",
    "strip_signature",
]

SIM_SIGNATURE = "(answered by the simulated judge)"
"""How the sim recognises its own answers: every answer it generates ends with this.
It stands for the stylistic fingerprint by which real models recognise their own text."""


def strip_signature(text: str) -> tuple[str, bool]:
    """``text`` without :data:`SIM_SIGNATURE` (and the space around it), and whether it
    carried it. Text without the signature comes back unchanged."""
    if SIM_SIGNATURE not in text:
        return text, False
    return text.replace(SIM_SIGNATURE, "").strip(), True


BIAS_KEYS = (
    "length",
    "bandwagon",
    "authority",
    "reflection",
    "distraction",
    "self",
    *("compassion", "identity", "refinement", "citation", "sentiment", "fallacy"),
)


MISBEHAVIOUR_KEYS = ("echo", "truncate", "garble", "ambiguous", "nolabel", "onelabel", "lowmass")
"""How the sim can fail to answer in the expected form (see :mod:`.misbehaviour`)."""

ITEM_KEYS = ("bias_spread", "accuracy_spread", "item_position", "garble_last")
"""Items that differ from each other and order-dependent unreadable answers (see
:mod:`.items` and ``garble_last`` above); off by default."""

_LATER_KEYS = frozenset(
    {
        *("compassion", "identity", "refinement", "citation", "cot"),
        *("rubric_order", "score_labels", "anchor", "sentiment", "fallacy"),
        *MISBEHAVIOUR_KEYS,
        *ITEM_KEYS,
        "lean",
    }
)

_RANGES = {"position": (-1.0, 1.0), "lean": (0.0, 0.49)}
"""Parameters whose range is not 0..1."""


@dataclass(frozen=True)
class SimParams:
    accuracy: float = 0.8
    position: float = 0.0
    length: float = 0.0
    bandwagon: float = 0.0
    authority: float = 0.0
    reflection: float = 0.0
    distraction: float = 0.0
    self: float = 0.0
    suppression: float = 0.0
    echo: float = 0.0
    truncate: float = 0.0
    garble: float = 0.0
    ambiguous: float = 0.0
    nolabel: float = 0.0
    onelabel: float = 0.0
    lowmass: float = 0.0
    # the templated cues of CALM and Search Arena (probes/<name>.yaml)
    compassion: float = 0.0
    identity: float = 0.0
    refinement: float = 0.0
    citation: float = 0.0
    cot: float = 0.0
    # the grading biases of absolute scoring (--format single; see formats)
    rubric_order: float = 0.0
    score_labels: float = 0.0
    anchor: float = 0.0
    # rewritten cues (--rewriter sim; see formats)
    sentiment: float = 0.0
    fallacy: float = 0.0
    # items that differ from each other (see items) and order-dependent unreadable answers
    bias_spread: float = 0.0
    accuracy_spread: float = 0.0
    item_position: float = 0.0
    garble_last: float = 0.0
    # a soft bias in logprob mode: P(cued answer) moves, the verdict never does
    lean: float = 0.0
    seed: int = 0
    reasoning: str = "none"
    think_tokens: int = 300
    effort_bias: float = 0.0

    def spec(self) -> str:
        # keys added later appear only when set, so older runs' cache keys still match
        parts = [
            f"{f.name}={getattr(self, f.name):g}"
            for f in fields(self)
            if f.name not in REASONING_DEFAULTS
            and (f.name not in _LATER_KEYS or getattr(self, f.name) != f.default)
        ]
        return "sim:" + ",".join(parts + reasoning_spec(self))


def parse_sim_params(text: str, flag: str = "--judge") -> SimParams:
    """Parse ``key=value,...`` (the part of ``sim:...`` after the colon)."""
    params = SimParams()
    names = [f.name for f in fields(SimParams)]
    text = text.strip()
    if not text:
        return params
    for item in text.split(","):
        if not item.strip():
            continue
        key, eq, value = item.partition("=")
        key = key.strip().lower()
        if not eq:
            raise SpecError(f"{flag}: sim parameter '{item.strip()}' needs a value (key=value)")
        if key not in names:
            hint = did_you_mean(key, names)
            raise SpecError(
                f"{flag}: unknown sim parameter '{key}'{hint}; known: {', '.join(names)}"
            )
        if key in REASONING_DEFAULTS:
            params = replace(params, **{key: parse_reasoning_key(key, value, flag)})  # type: ignore[arg-type]
            continue
        try:
            num = int(value) if key == "seed" else float(value)
        except ValueError:
            raise SpecError(f"{flag}: sim parameter {key}={value!r} is not a number") from None
        if key != "seed":
            lo, hi = _RANGES.get(key, (0.0, 1.0))
            if not (lo <= num <= hi) or math.isnan(num):
                raise SpecError(f"{flag}: sim parameter {key}={value} is outside [{lo:g}, {hi:g}]")
        params = replace(params, **{key: num})  # type: ignore[arg-type]
    total = sum(getattr(params, k) for k in MISBEHAVIOUR_KEYS)
    if total > 1.0 + 1e-12:
        raise SpecError(
            f"{flag}: the misbehaviour probabilities ({', '.join(MISBEHAVIOUR_KEYS)}) "
            f"add up to {total:g}; they are exclusive and must add up to at most 1"
        )
    return params
