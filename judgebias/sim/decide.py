"""The simulated judge's verdict on a pairwise request (its verdict on several answers
or on one answer graded alone is in :mod:`.formats`; what each parameter means is in
:mod:`.params`).

How it decides, for one pairwise request:

1. It reads the instruction and the two answers (first- and second-shown) out of
   the prompt through the markers of the bundled template, and strips every cue or
   placebo text the probe templates define (:func:`judgebias.probes.catalog.strip_edits`),
   and the sim's own signature (noting which answer carried it: the ``self`` cue).
2. **Content verdict C** depends on the stripped pair alone, never on the order or
   on the edits: where the task is checkable (:mod:`.checkers`) the truly better
   answer, otherwise a stable hash of the pair picks one; then with probability
   ``1 - accuracy`` it is flipped by a draw keyed on the unordered stripped pair.
3. Every other random draw is a stable hash of (seed, bias name, the stripped
   pair *in the order shown*). A cued request therefore differs from its
   control only through the cue's own draw.
4. Verdict = the cued answer (for ``distraction``: the other answer) when a cue of
   bias X is present and X's draw falls below X's parameter; else the first-shown
   answer (second-shown for negative ``position``) when the position draw falls
   below ``|position|``; else the item's favourite position when it has one
   (``item_position``) and its draw fires; else C. With items that are not alike
   (:mod:`.items`), each parameter and the accuracy are the item's own.

``Decision.lean`` says which answer the request's first cue favours, for ``lean`` (a
soft bias that moves the verdict's probability in logprob mode, never the verdict).

Samples: at ``temperature`` 0 the ``sample`` field of a request changes nothing. At
``temperature`` > 0, sample ``i`` >= 1 (``--mitigation multi-sample``) redraws every
chance event above (the accuracy flip, each cue's draw and the position draw)
independently of the other samples; sample 0 answers as at temperature 0. The
content truth itself is not redrawn. So the planted biases act as independent
per-sample coin flips, the most favourable case for majority voting: a real judge's
biases are largely systematic and shrink far less over samples. (Over HTTP,
``serve-sim`` receives no sample index, so its samples are identical.)
"""

from __future__ import annotations

from typing import NamedTuple

from judgebias.sim import checkers
from judgebias.sim.common import draw
from judgebias.sim.formats import rewrite_cues
from judgebias.sim.items import item_accuracy, item_favourite, item_strength
from judgebias.sim.params import SimParams, strip_signature
from judgebias.sim.reasoning import effort_scale

__all__ = ["Decision", "decide"]


class Decision(NamedTuple):
    """A pairwise verdict: the winner's position, why, and where the content choice C
    was shown (``first`` or ``second``)."""

    winner: str
    reason: str
    content: str
    lean: tuple[str, float] | None = None
    """For ``lean`` (a soft bias, logprob mode): the shown position the request's first cue
    favours (the cued answer; for a distraction cue, the other one) and ``lean`` times the
    bias scale; None when ``lean`` is 0 or the request carries no cue."""


def _cues(
    params: SimParams,
    system: str,
    instruction: str,
    first: str,
    second: str,
    note: str,
    sample: int,
    effort: str | None,
    cot: bool,
) -> tuple[str, str, list[tuple[str, str]], float, object, str | None]:
    """(stripped first, stripped second, cues, bias scale, draw key, fallacy noticed)."""
    from judgebias.probes.catalog import strip_edits  # local: probes imports prompts, not judges

    edits = strip_edits(system=system, first=first, second=second, note=note)
    cues = list(edits.cues)
    # the sim's own answers are recognised by their signature, then judged without it
    s1, own1 = strip_signature(edits.first)
    s2, own2 = strip_signature(edits.second)
    if own1 != own2:
        cues.append(("self", "first" if own1 else "second"))
    scale = 1.0 - params.suppression if edits.bias_aware else 1.0
    scale *= effort_scale(params, effort)
    if cot:
        scale *= 1.0 - params.cot
    # a sample i >= 1 drawn at temperature > 0 redraws every chance event (not the truth)
    key: object = params.seed if sample == 0 else f"{params.seed}#sample{sample}"
    # the sim rewriter's tones (sentiment cues) and corrupted reasoning (fallacy)
    s1, s2, rewritten, noticed = rewrite_cues(params, key, instruction, s1, s2, scale)
    return s1, s2, cues + rewritten, scale, key, noticed


def decide(
    params: SimParams,
    system: str,
    instruction: str,
    first: str,
    second: str,
    note: str,
    sample: int = 0,
    effort: str | None = None,
    cot: bool = False,
) -> Decision:
    """The verdict on one pairwise request (positions are 'first' or 'second')."""
    s1, s2, cues, scale, key, noticed = _cues(
        params, system, instruction, first, second, note, sample, effort, cot
    )
    if noticed is not None:
        return Decision(noticed, "fallacy noticed", noticed)
    lean = None
    if params.lean > 0 and cues:
        bias, where = cues[0]
        if bias == "distraction":
            where = "second" if where == "first" else "first"
        lean = (where, params.lean * scale)

    # 2. content verdict on the unordered, stripped pair
    lo, hi = sorted((s1, s2))
    truth = checkers.check(instruction, lo, hi)
    if truth is None:
        truth = 1 if draw(params.seed, "content", instruction, lo, hi) < 0.5 else 2
    if draw(key, "accuracy", instruction, lo, hi) >= item_accuracy(params, instruction):
        truth = 3 - truth
    better = lo if truth == 1 else hi
    content = "first" if better == s1 else "second"
    if s1 == s2:
        content = "first" if draw(params.seed, "identical", instruction, s1) < 0.5 else "second"

    # 4. cues, then position, then content
    for bias, where in cues:
        strength = item_strength(params, bias, getattr(params, bias), instruction) * scale
        if draw(key, bias, instruction, s1, s2) < strength:
            if bias == "distraction":
                return Decision(
                    ("second" if where == "first" else "first"), f"{bias} cue", content, lean
                )
            return Decision(where, f"{bias} cue", content, lean)
    pos = item_strength(params, "position", params.position, instruction) * scale
    if draw(key, "position", instruction, s1, s2) < abs(pos):
        return Decision(("first" if pos > 0 else "second"), "position", content, lean)
    favourite = item_favourite(params, instruction, 2)
    if favourite is not None and draw(key, "item-position", instruction, s1, s2) < (
        params.item_position * scale
    ):
        return Decision(("first", "second")[favourite], "item position", content, lean)
    return Decision(content, "content", content, lean)
