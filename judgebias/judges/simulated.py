"""The simulated judge: a judge with planted biases of known size.

It exists for an offline demo and as proof that the auditing method works: an
audit of it must recover what was planted. It reacts only to the text it is sent
(never to metadata), so it behaves the same in process and behind
``judgebias serve-sim``.

How it decides, for one pairwise request:

1. It reads the instruction and the two answers (first- and second-shown) out of
   the prompt through the markers of the bundled template, and strips every cue or
   placebo text the probe templates define (:func:`judgebias.probes.strip_edits`).
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
   below ``|position|``; else C.

What each parameter means, so that planted value = the audit's effect estimate:

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
- ``self`` (0..1): the answers the sim generates end with :data:`SIM_SIGNATURE`;
  when exactly one of the two answers carries it, that answer is "cued" as above:
  among pairs whose content verdict was against its own answer, the verdict moves
  to its own answer with probability ``self``. The self probe's headline, P(own |
  gold picks other) - P(other | gold picks own), is then ``self`` exactly, whatever
  the accuracy (its errors are symmetric). The DBG score it produces is ``self``
  times the share of comparisons whose content verdict went against the sim's own
  answer, plus the drift of a noisy judge's win rate toward one half.
- ``suppression`` (0..1): when the system message carries the bias-aware
  instruction (``--mitigation system-prompt``), every bias parameter above, position
  included, is multiplied by ``1 - suppression``.
- ``echo``, ``truncate``, ``garble``, ``ambiguous``, ``nolabel``, ``onelabel``,
  ``lowmass`` (0..1 each, adding up to at most 1): the probability that an answer is
  not in the expected form, the way real models fail (:mod:`.misbehaviour` says what
  each answer looks like). They are exclusive, drawn on the whole request (so
  independent of every bias draw), and act in the modes where they make sense:
  ``echo`` and ``garble`` in every mode, ``truncate`` and ``ambiguous`` in verdict and
  score mode, ``nolabel``, ``onelabel`` and ``lowmass`` in logprob mode. Every one of
  them but ``onelabel`` (whose missing label a strict reader bounds) makes the answer
  invalid, so the invalid share of a run equals the sum of those that act in its mode,
  and the biases recovered from the valid answers are the planted ones.
- ``seed``: changes every draw.
- ``reasoning`` (``none``, ``inline``, ``reasoning_content``, ``reasoning``,
  ``hidden``), ``think_tokens`` (whole number, default 300) and ``effort_bias``
  (0..1): a reasoning judge, see :mod:`.sim_reasoning`. ``effort_bias`` multiplies
  every bias above, position included, by ``1 - effort_bias × w``, w = 0 at effort
  ``low``, 0.5 at ``medium`` or none given, 1 at ``high`` (the request's
  ``reasoning_effort``). Reasoning never changes the verdict; it can use up the
  request's ``max_tokens`` before the answer.

Samples: at ``temperature`` 0 the ``sample`` field of a request changes nothing. At
``temperature`` > 0, sample ``i`` >= 1 (``--mitigation multi-sample``) redraws every
chance event above (the accuracy flip, each cue's draw and the position draw)
independently of the other samples; sample 0 answers as at temperature 0. The
content truth itself is not redrawn. So the planted biases act as independent
per-sample coin flips, the most favourable case for majority voting: a real judge's
biases are largely systematic and shrink far less over samples. (Over HTTP,
``serve-sim`` receives no sample index, so its samples are identical.)

Same request + same parameters = same answer.
"""

from __future__ import annotations

import difflib
import hashlib
import math
from dataclasses import dataclass, fields, replace

from ..errors import SpecError
from ..prompts import extract_pair
from ..types import ChatRequest, Completion, LogprobStep
from . import checkers, misbehaviour
from .base import JudgeOptions
from .sim_reasoning import (
    REASONING_DEFAULTS,
    effort_scale,
    parse_reasoning_key,
    reasoning_spec,
    with_reasoning,
)

__all__ = [
    "BIAS_KEYS",
    "MISBEHAVIOUR_KEYS",
    "SIM_SIGNATURE",
    "SimJudge",
    "SimParams",
    "parse_sim_params",
    "simulate",
]

SIM_SIGNATURE = "(answered by the simulated judge)"
"""How the sim recognises its own answers: every answer it generates ends with this.
It stands for the stylistic fingerprint by which real models recognise their own text."""

BIAS_KEYS = ("length", "bandwagon", "authority", "reflection", "distraction", "self")

MISBEHAVIOUR_KEYS = ("echo", "truncate", "garble", "ambiguous", "nolabel", "onelabel", "lowmass")
"""How the sim can fail to answer in the expected form (see :mod:`.misbehaviour`)."""


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
    seed: int = 0
    reasoning: str = "none"
    think_tokens: int = 300
    effort_bias: float = 0.0

    def spec(self) -> str:
        parts = [
            f"{f.name}={getattr(self, f.name):g}"
            for f in fields(self)
            if f.name not in REASONING_DEFAULTS
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
            close = difflib.get_close_matches(key, names, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
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
            lo = -1.0 if key == "position" else 0.0
            if not (lo <= num <= 1.0) or math.isnan(num):
                raise SpecError(f"{flag}: sim parameter {key}={value} is outside [{lo:g}, 1]")
        params = replace(params, **{key: num})  # type: ignore[arg-type]
    total = sum(getattr(params, k) for k in MISBEHAVIOUR_KEYS)
    if total > 1.0 + 1e-12:
        raise SpecError(
            f"{flag}: the misbehaviour probabilities ({', '.join(MISBEHAVIOUR_KEYS)}) "
            f"add up to {total:g}; they are exclusive and must add up to at most 1"
        )
    return params


def _draw(*parts: object) -> float:
    """A uniform number in [0, 1) that is a stable function of its parts."""
    blob = "\x1f".join(str(p) for p in parts).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(blob, digest_size=8).digest(), "big") / 2.0**64


def _tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


def _decide(
    params: SimParams,
    system: str,
    instruction: str,
    first: str,
    second: str,
    note: str,
    sample: int = 0,
    effort: str | None = None,
) -> tuple[str, str]:
    """Return (position of the winner: 'first'|'second', reason)."""
    from ..probes import strip_edits  # local: probes imports prompts, not judges

    edits = strip_edits(system=system, first=first, second=second, note=note)
    s1, s2 = edits.first, edits.second
    cues = list(edits.cues)
    own1, own2 = SIM_SIGNATURE in s1, SIM_SIGNATURE in s2
    if own1 != own2:
        cues.append(("self", "first" if own1 else "second"))
    scale = 1.0 - params.suppression if edits.bias_aware else 1.0
    scale *= effort_scale(params, effort)
    # a sample i >= 1 drawn at temperature > 0 redraws every chance event (not the truth)
    key: object = params.seed if sample == 0 else f"{params.seed}#sample{sample}"

    # 2. content verdict on the unordered, stripped pair
    lo, hi = sorted((s1, s2))
    truth = checkers.check(instruction, lo, hi)
    if truth is None:
        truth = 1 if _draw(params.seed, "content", instruction, lo, hi) < 0.5 else 2
    if _draw(key, "accuracy", instruction, lo, hi) >= params.accuracy:
        truth = 3 - truth
    better = lo if truth == 1 else hi
    content = "first" if better == s1 else "second"
    if s1 == s2:
        content = "first" if _draw(params.seed, "identical", instruction, s1) < 0.5 else "second"

    # 4. cues, then position, then content
    for bias, where in cues:
        strength = getattr(params, bias) * scale
        if _draw(key, bias, instruction, s1, s2) < strength:
            if bias == "distraction":
                return ("second" if where == "first" else "first"), f"{bias} cue"
            return where, f"{bias} cue"
    pos = params.position * scale
    if _draw(key, "position", instruction, s1, s2) < abs(pos):
        return ("first" if pos > 0 else "second"), "position"
    return content, "content"


def _reply(
    text: str,
    prompt_tokens: int,
    steps: tuple[LogprobStep, ...] | None = None,
    finish_reason: str = "stop",
) -> Completion:
    return Completion(
        text=text,
        prompt_tokens=prompt_tokens,
        completion_tokens=len(steps) if steps else _tokens(text),
        top_logprobs=steps[0][2] if steps else None,
        logprob_steps=steps,
        model="sim",
        finish_reason=finish_reason,
    )


@with_reasoning
def simulate(request: ChatRequest, params: SimParams) -> Completion:
    """Answer one chat request as the simulated judge would."""
    system = "\n".join(c for r, c in request.messages if r == "system")
    user = "\n".join(c for r, c in request.messages if r == "user")
    prompt_tokens = _tokens(system + user)
    parsed = extract_pair(user)
    if parsed is None:
        # Not a pairwise judging prompt: answer as a plain assistant would.
        ref = int(_draw(params.seed, "gen", user) * 1e6)
        return _reply(
            f"Here is my answer to your request, reference {ref:06d}. {SIM_SIGNATURE}",
            prompt_tokens,
        )
    instruction, first, second = parsed
    end = user.rfind("[End of Response B]")
    note = user[end + len("[End of Response B]") :].strip() if end >= 0 else ""
    sample = request.sample if request.temperature > 0 else 0
    winner, reason = _decide(
        params, system, instruction, first, second, note, sample, request.reasoning_effort
    )
    label = "A" if winner == "first" else "B"
    mode = (
        "score"
        if "Score A:" in user and "Score B:" in user
        else "logprob"
        if request.logprobs
        else "verdict"
    )
    odd = misbehaviour.pick(params, request, mode)
    if odd is not None:
        return misbehaviour.answer(odd, mode, user, winner, prompt_tokens)
    if mode == "score":
        # pointwise mode: the winner gets the higher score (7-9 against 3-5)
        hi = 7 + int(_draw(params.seed, "score-hi", instruction, first, second) * 3)
        lo = 3 + int(_draw(params.seed, "score-lo", instruction, first, second) * 3)
        sa, sb = (hi, lo) if winner == "first" else (lo, hi)
        return _reply(f"Score A: {sa}\nScore B: {sb}", prompt_tokens)
    if mode == "logprob":
        other = "B" if label == "A" else "A"
        alts = ((label, math.log(0.999)), (other, math.log(0.001)))
        return _reply(label, prompt_tokens, steps=((label, alts[0][1], alts),))
    text = f"Response {label} answers the instruction better ({reason}).\n[[{label}]]"
    return _reply(text, prompt_tokens)


class SimJudge:
    """``sim[:key=value,...]``: the simulated judge, in process."""

    def __init__(self, rest: str, options: JudgeOptions):
        self.params = parse_sim_params(rest)
        self.spec = "sim:" + rest if rest else "sim"
        # the model name is part of every request's cache key: two differently
        # planted sims (a judge and a gold judge) must never share answers
        self.model = self.params.spec()

    async def complete(self, request: ChatRequest) -> Completion:
        return simulate(request, self.params)

    async def aclose(self) -> None:
        return None
