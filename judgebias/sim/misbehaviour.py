"""How the simulated judge fails to answer in the expected form, on purpose.

Real judges, small local models above all, do not always answer as the template asks:
they repeat the prompt, stop at the token limit, write no verdict or several, or (in
logprob mode) start with a word instead of a label. The simulated judge can do each of
these with a planted probability, so that strict reading and failing closed are tested
without a model. What each answer looks like:

- ``echo``: the start of the user prompt repeated (template instructions, the example
  tags ``[[A]]``/``[[B]]``/``[[C]]`` and the ``[Instruction]`` marker), cut at the
  token limit, as a base model does. In logprob mode its first token is the prompt's
  first word, with ``A`` among the alternatives but not ``B``.
- ``truncate``: reasoning that names the *losing* answer's tag early and stops at the
  token limit before any final verdict (``finish_reason`` = ``length``); in score
  mode, the first score and a cut second line.
- ``garble``: a fluent answer with no verdict at all (logprob mode: a first token that
  is not a label).
- ``ambiguous``: both tags (or one score twice) and no single final verdict.
- ``nolabel`` (logprob): the first generated token is not a label.
- ``onelabel`` (logprob): the winner's label is generated but the other label is not
  among the returned alternatives; a strict reader bounds it, so the answer stays valid.
- ``lowmass`` (logprob): the winner's label is generated, but the labels hold less than
  half the returned probability.

Listwise (``list``) and pointwise (``single``) prompts misbehave the same ways
(:func:`format_answer`): ``echo`` repeats the prompt's start and stops at the token
limit, ``garble`` names no verdict, ``truncate`` names a losing letter (or a grade one
off) early and stops at the token limit, ``ambiguous`` names two letters (two grades).

``garble_last`` garbles answers by the order shown: only those whose prompt shows the
judge's content choice last (pairwise: second), with that probability, so unreadable
answers are not independent of the order (see :mod:`.params`).
"""

from __future__ import annotations

import math

from judgebias.prompts.answers import VERDICT_TAGS, verdict_tag
from judgebias.sim.common import draw, reply
from judgebias.sim.params import SimParams
from judgebias.types import ChatRequest, Completion, LogprobStep

__all__ = ["ACTS_IN", "answer", "format_answer", "pick"]

ACTS_IN: dict[str, tuple[str, ...]] = {
    "echo": ("verdict", "score", "logprob", "list", "single"),
    "garble": ("verdict", "score", "logprob", "list", "single"),
    "truncate": ("verdict", "score", "list", "single"),
    "ambiguous": ("verdict", "score", "list", "single"),
    "nolabel": ("logprob",),
    "onelabel": ("logprob",),
    "lowmass": ("logprob",),
}
"""The modes in which each misbehaviour acts."""


def pick(
    params: SimParams, request: ChatRequest, mode: str, content_last: bool = False
) -> str | None:
    """The misbehaviour of this request, if any: one draw on the whole request, so the
    cued, placebo and control requests of a pair misbehave independently of each other
    and of every bias draw. ``content_last``: the judge's content choice is shown last,
    where ``garble_last`` garbles the answer (when no other misbehaviour fired)."""
    rates = [(name, getattr(params, name), modes) for name, modes in ACTS_IN.items()]
    if any(rate > 0.0 for _, rate, _ in rates):  # the draw is only needed then
        u = draw(params.seed, "misbehave", request.sample, request.canonical_json)
        edge = 0.0
        for name, rate, modes in rates:
            edge += rate
            if u < edge:
                return name if mode in modes else None
    if content_last and params.garble_last > 0.0:
        v = draw(params.seed, "garble-last", request.sample, request.canonical_json)
        if v < params.garble_last:
            return "garble"
    return None


def _step(token: str, alts: tuple[tuple[str, float], ...]) -> LogprobStep:
    lp = next(lp for t, lp in alts if t == token)
    return (token, lp, alts)


def _logprob_answer(kind: str, label: str, user: str) -> tuple[str, tuple[LogprobStep, ...]]:
    other = "B" if label == "A" else "A"
    alts: tuple[tuple[str, float], ...]
    if kind in ("echo", "nolabel"):
        words = (user.split() or ["Decide"])[:3]
        alts = ((words[0], math.log(0.6)), ("A", math.log(0.08)), ("The", math.log(0.05)))
        steps = [_step(words[0], alts)] + [
            (w, math.log(0.9), ((w, math.log(0.9)),)) for w in words[1:]
        ]
        return " ".join(words), tuple(steps)
    if kind == "garble":
        alts = (("Both", math.log(0.55)), ("Neither", math.log(0.2)), (label, math.log(0.1)))
        return "Both are", (_step("Both", alts), ("are", math.log(0.9), (("are", math.log(0.9)),)))
    if kind == "onelabel":
        alts = ((label, math.log(0.9)), ("The", math.log(0.04)), ("Response", math.log(0.02)))
        return label, (_step(label, alts),)
    # lowmass: the label is the likeliest token but the labels hold under half the mass
    alts = (
        (label, math.log(0.2)),
        (other, math.log(0.1)),
        ("Both", math.log(0.19)),
        ("The", math.log(0.18)),
        ("Neither", math.log(0.17)),
    )
    return label, (_step(label, alts),)


def answer(kind: str, mode: str, user: str, winner: str, prompt_tokens: int) -> Completion:
    """The misbehaving answer of kind ``kind`` in ``mode`` (see the module docstring)."""
    label = "A" if winner == "first" else "B"
    loser = "B" if label == "A" else "A"
    steps: tuple[LogprobStep, ...] | None = None
    finish = "stop"
    if mode == "logprob":
        text, steps = _logprob_answer(kind, label, user)
        finish = "length" if kind in ("echo", "nolabel") else "stop"
    elif kind == "echo":
        text, finish = user[:400], "length"
    elif kind == "garble":
        text = "Both responses have their merits, and which one is better depends on the reader."
    elif kind == "truncate":
        text = (
            f"Score A: {7 if label == 'A' else 4}\nScore"
            if mode == "score"
            else f"At first sight {verdict_tag(loser)} looks stronger, but comparing the details of"
        )
        finish = "length"
    else:  # ambiguous
        text = (
            "Score A: 7\nScore B: 5\nScore A: 4"
            if mode == "score"
            else f"{VERDICT_TAGS['first']} is clearer, while {VERDICT_TAGS['second']} is more "
            "accurate; both have merit."
        )
    return reply(text, prompt_tokens, steps, finish)


def format_answer(
    kind: str, mode: str, user: str, chosen: str, other: str, prompt_tokens: int
) -> Completion:
    """The misbehaving answer of kind ``kind`` to a listwise (``list``: ``chosen`` and
    ``other`` are letters) or pointwise prompt (``single``: grades as the rubric writes
    them); see the module docstring."""
    finish = "stop"
    if kind == "echo":
        text, finish = user[:400], "length"
    elif kind == "garble":
        text = "Every response has its merits, and the best one depends on the reader."
    elif kind == "truncate":
        what = f"Rating: {verdict_tag(other)}" if mode == "single" else verdict_tag(other)
        text = f"At first sight {what} seems right, but looking at the details of"
        finish = "length"
    else:  # ambiguous
        if mode == "single":
            text = (
                f"For clarity, Rating: {verdict_tag(chosen)}; for accuracy, "
                f"Rating: {verdict_tag(other)}."
            )
        else:
            text = f"{verdict_tag(chosen)} is clearer, while {verdict_tag(other)} is more accurate."
    return reply(text, prompt_tokens, None, finish)
