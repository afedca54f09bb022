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
- ``compassion``, ``identity``, ``refinement``, ``citation`` (0..1; issue 16's
  templated cues: a famous model's name, an author identity statement, "refined from
  an earlier draft", irrelevant references): the same as ``length`` above. Among
  requests whose control verdict was against the cued answer, the probability that
  the cue moves the verdict to it; their placebos (neutral model names, a neutral
  statement or note, neutral padding) are stripped and move nothing, so each probe's
  placebo-net effect equals its parameter.
- ``self`` (0..1): the answers the sim generates end with :data:`SIM_SIGNATURE`;
  when exactly one of the two answers carries it, that answer is "cued" as above:
  among pairs whose content verdict was against its own answer, the verdict moves
  to its own answer with probability ``self``. The self probe's headline, P(own |
  gold picks other) - P(other | gold picks own), is then ``self`` exactly, whatever
  the accuracy (its errors are symmetric). The DBG score it produces is ``self``
  times the share of comparisons whose content verdict went against the sim's own
  answer, plus the drift of a noisy judge's win rate toward one half.
- ``cot`` (0..1; issue 16): when the prompt's instructions (the user text before
  ``[Instruction]``) ask for reasoning before the verdict (they contain
  :data:`COT_MARKER`, as ``--template cot`` does), every bias parameter, position
  included, is multiplied by ``1 - cot``, and the reply reasons before its verdict.
  Accuracy is unchanged. So ``judgebias compare`` of a ``--template direct`` run and
  a ``--template cot`` run finds each bias's difference = ``-cot`` x the bias.
- ``rubric_order``, ``score_labels``, ``anchor`` (0..1): the grading biases of
  ``--format single``, defined in :mod:`.sim_formats` so that each equals its
  measured shift (in points, steps and pull).
- ``sentiment``, ``fallacy`` (0..1): rewritten cues (``--rewriter sim``), defined in
  :mod:`.sim_formats` so that each equals its probe's effect.
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
import re
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
    "COT_MARKER",
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

_LATER_KEYS = frozenset(
    {
        *("compassion", "identity", "refinement", "citation", "cot"),
        *("rubric_order", "score_labels", "anchor", "sentiment", "fallacy"),
        *MISBEHAVIOUR_KEYS,
    }
)

REWRITE_BLOCK = re.compile(
    r"\[Response to rewrite\]\n(.*)\n\[End of response to rewrite\]", re.DOTALL
)
"""How a rewrite request (``--rewriter``) shows the response to rewrite."""

COT_MARKER = "reason step by step before"
"""A template whose instructions contain this phrase requests chain-of-thought
(see ``cot``); the bundled ``--template cot`` does."""


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
    # issue 16: the templated cues of CALM and Search Arena (probes/<name>.yaml)
    compassion: float = 0.0
    identity: float = 0.0
    refinement: float = 0.0
    citation: float = 0.0
    cot: float = 0.0
    # issue 16: the grading biases of absolute scoring (--format single; see sim_formats)
    rubric_order: float = 0.0
    score_labels: float = 0.0
    anchor: float = 0.0
    # issue 16: rewritten cues (--rewriter sim; see sim_formats)
    sentiment: float = 0.0
    fallacy: float = 0.0
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
    cot: bool = False,
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
    if cot:
        scale *= 1.0 - params.cot
    # a sample i >= 1 drawn at temperature > 0 redraws every chance event (not the truth)
    key: object = params.seed if sample == 0 else f"{params.seed}#sample{sample}"
    # issue 16: the sim rewriter's tones (sentiment cues) and corrupted reasoning (fallacy)
    from .sim_formats import rewrite_cues

    s1, s2, rewritten, noticed = rewrite_cues(params, key, instruction, s1, s2, scale)
    if noticed is not None:
        return noticed, "fallacy noticed"
    cues += rewritten

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
    # issue 16: a rewrite request, several responses in one prompt, or one graded alone
    rewrite = REWRITE_BLOCK.search(user)
    if rewrite is not None:
        from .sim_formats import sim_rewrite

        return _reply(sim_rewrite(user[: rewrite.start()], rewrite.group(1)), prompt_tokens)
    formatted = _listwise_reply(request, params, system, user, prompt_tokens)
    formatted = formatted or _single_reply(request, params, system, user, prompt_tokens)
    if formatted is not None:
        return formatted
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
    cot = COT_MARKER in user.split("[Instruction]", 1)[0]
    winner, reason = _decide(
        params, system, instruction, first, second, note, sample, request.reasoning_effort, cot
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
    if cot:
        text = (
            "Step by step: I check each response for correctness, then for helpfulness, "
            f"relevance and clarity. {text}"
        )
    return _reply(text, prompt_tokens)


def _format_scale(params: SimParams, bias_aware: bool, user: str) -> float:
    """How much of every bias acts (suppression, chain of thought) in issue 16's formats."""
    scale = 1.0 - params.suppression if bias_aware else 1.0
    if COT_MARKER in user.split("[Instruction]", 1)[0]:
        scale *= 1.0 - params.cot
    return scale


def _listwise_reply(
    request: ChatRequest, params: SimParams, system: str, user: str, prompt_tokens: int
) -> Completion | None:
    """The answer to a listwise prompt (see :mod:`.sim_formats`); None for other prompts."""
    from ..listwise import extract_list
    from ..probes import BIAS_AWARE_MARKER
    from .sim_formats import decide_list

    found = extract_list(user)
    if found is None:
        return None
    instruction, shown = found
    scale = _format_scale(params, BIAS_AWARE_MARKER in system, user)
    sample = request.sample if request.temperature > 0 else 0
    key: object = params.seed if sample == 0 else f"{params.seed}#sample{sample}"
    ix, reason = decide_list(params, instruction, shown, key, scale)
    letter = "ABCDEFGHIJ"[ix]
    return _reply(f"Response {letter} is the best ({reason}).\n[[{letter}]]", prompt_tokens)


def _single_reply(
    request: ChatRequest, params: SimParams, system: str, user: str, prompt_tokens: int
) -> Completion | None:
    """The answer to a pointwise prompt (see :mod:`.sim_formats`); None for other prompts."""
    from ..pointwise import extract_single
    from ..probes import strip_edits
    from .sim_formats import decide_single

    found = extract_single(user)
    if found is None:
        return None
    instruction, response, listed, note = found
    anchor = re.search(r"was graded (\w+) on this scale", note)
    edits = strip_edits(system=system, first=response, second="", note=note)
    cues = list(edits.cues)
    if SIM_SIGNATURE in edits.first:
        cues.append(("self", "first"))
    scale = _format_scale(params, edits.bias_aware, user)
    from .sim_formats import rewrite_cues

    stripped, _, rewritten, _ = rewrite_cues(
        params, params.seed, instruction, edits.first, "", scale
    )
    cues += rewritten
    grade = decide_single(
        params,
        instruction,
        stripped,
        cues,
        listed,
        anchor.group(1) if anchor else None,
        params.seed,
        scale,
    )
    return _reply(f"The response is graded on its content.\nRating: [[{grade}]]", prompt_tokens)


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
