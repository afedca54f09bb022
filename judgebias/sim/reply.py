"""The simulated judge's answer to one chat request: a pairwise verdict (decided by
:mod:`.decide`) in the mode the prompt asks for, a listwise choice or a grade
(:mod:`.formats`), a rewrite (``--rewriter sim``), or a plain assistant's answer to any
other prompt; sometimes not in the expected form (:mod:`.misbehaviour`), and with
reasoning when the sim is a reasoning judge (:mod:`.reasoning`).
"""

from __future__ import annotations

import math

from judgebias.prompts.answers import verdict_tag
from judgebias.prompts.listwise import extract_list
from judgebias.prompts.pointwise import anchor_grade, extract_single
from judgebias.prompts.rewrite import extract_rewrite
from judgebias.prompts.templates import COT_MARKER, INSTRUCTION_MARKER, extract_note, extract_pair
from judgebias.sim import misbehaviour
from judgebias.sim.common import draw, reply, tokens
from judgebias.sim.decide import decide
from judgebias.sim.formats import decide_list, decide_single, rewrite_cues, sim_rewrite
from judgebias.sim.params import SIM_SIGNATURE, SimParams, strip_signature
from judgebias.sim.reasoning import with_reasoning
from judgebias.types import ChatRequest, Completion

__all__ = ["simulate"]

"""How a rewrite request (``--rewriter``) shows the response to rewrite."""


@with_reasoning
def simulate(request: ChatRequest, params: SimParams) -> Completion:
    """Answer one chat request as the simulated judge would."""
    system = "\n".join(c for r, c in request.messages if r == "system")
    user = "\n".join(c for r, c in request.messages if r == "user")
    prompt_tokens = tokens(system + user)
    # a rewrite request, several responses in one prompt, or one graded alone
    rewrite = extract_rewrite(user)
    if rewrite is not None:
        return reply(sim_rewrite(*rewrite), prompt_tokens)
    formatted = _listwise_reply(request, params, system, user, prompt_tokens)
    formatted = formatted or _single_reply(request, params, system, user, prompt_tokens)
    if formatted is not None:
        return formatted
    parsed = extract_pair(user)
    if parsed is None:
        # Not a pairwise judging prompt: answer as a plain assistant would.
        ref = int(draw(params.seed, "gen", user) * 1e6)
        return reply(
            f"Here is my answer to your request, reference {ref:06d}. {SIM_SIGNATURE}",
            prompt_tokens,
        )
    instruction, first, second = parsed
    note = extract_note(user)
    sample = request.sample if request.temperature > 0 else 0
    cot = _asks_for_cot(user)
    decision = decide(
        params, system, instruction, first, second, note, sample, request.reasoning_effort, cot
    )
    winner, reason, content = decision.winner, decision.reason, decision.content
    label = "A" if winner == "first" else "B"
    mode = (
        "score"
        if "Score A:" in user and "Score B:" in user
        else "logprob"
        if request.logprobs
        else "verdict"
    )
    odd = misbehaviour.pick(params, request, mode, content_last=content == "second")
    if odd is not None:
        return misbehaviour.answer(odd, mode, user, winner, prompt_tokens)
    if mode == "score":
        # pointwise mode: the winner gets the higher score (7-9 against 3-5)
        hi = 7 + int(draw(params.seed, "score-hi", instruction, first, second) * 3)
        lo = 3 + int(draw(params.seed, "score-lo", instruction, first, second) * 3)
        sa, sb = (hi, lo) if winner == "first" else (lo, hi)
        return reply(f"Score A: {sa}\nScore B: {sb}", prompt_tokens)
    if mode == "logprob":
        other = "B" if label == "A" else "A"
        p_label = 0.999
        lean = decision.lean
        if lean is not None and lean[0] != winner:  # a soft bias: the verdict stays
            p_label -= lean[1]
        alts = ((label, math.log(p_label)), (other, math.log(1.0 - p_label)))
        return reply(label, prompt_tokens, steps=((label, alts[0][1], alts),))
    text = f"Response {label} answers the instruction better ({reason}).\n{verdict_tag(label)}"
    if cot:
        text = (
            "Step by step: I check each response for correctness, then for helpfulness, "
            f"relevance and clarity. {text}"
        )
    return reply(text, prompt_tokens)


def _asks_for_cot(user: str) -> bool:
    """Whether the prompt's instructions (before the instruction itself) ask for reasoning."""
    return COT_MARKER in user.split(INSTRUCTION_MARKER, 1)[0]


def _format_scale(params: SimParams, bias_aware: bool, user: str) -> float:
    """How much of every bias acts (suppression, chain of thought) in the listwise and pointwise formats."""
    scale = 1.0 - params.suppression if bias_aware else 1.0
    if _asks_for_cot(user):
        scale *= 1.0 - params.cot
    return scale


def _listwise_reply(
    request: ChatRequest, params: SimParams, system: str, user: str, prompt_tokens: int
) -> Completion | None:
    """The answer to a listwise prompt (see :mod:`.formats`); None for other prompts."""
    from judgebias.probes.catalog import BIAS_AWARE_MARKER

    found = extract_list(user)
    if found is None:
        return None
    instruction, shown = found
    scale = _format_scale(params, BIAS_AWARE_MARKER in system, user)
    sample = request.sample if request.temperature > 0 else 0
    key: object = params.seed if sample == 0 else f"{params.seed}#sample{sample}"
    ix, reason, content = decide_list(params, instruction, shown, key, scale)
    letter = "ABCDEFGHIJ"[ix]
    odd = misbehaviour.pick(params, request, "list", content_last=content == len(shown) - 1)
    if odd is not None:
        other = "ABCDEFGHIJ"[(ix + 1) % len(shown)]
        return misbehaviour.format_answer(odd, "list", user, letter, other, prompt_tokens)
    return reply(f"Response {letter} is the best ({reason}).\n{verdict_tag(letter)}", prompt_tokens)


def _single_reply(
    request: ChatRequest, params: SimParams, system: str, user: str, prompt_tokens: int
) -> Completion | None:
    """The answer to a pointwise prompt (see :mod:`.formats`); None for other prompts."""
    from judgebias.probes.catalog import strip_edits

    found = extract_single(user)
    if found is None:
        return None
    instruction, response, listed, note = found
    anchor = anchor_grade(note)
    edits = strip_edits(system=system, first=response, second="", note=note)
    cues = list(edits.cues)
    unsigned, own = strip_signature(edits.first)  # graded without it, as in pairs
    if own:
        cues.append(("self", "first"))
    scale = _format_scale(params, edits.bias_aware, user)
    stripped, _, rewritten, _ = rewrite_cues(params, params.seed, instruction, unsigned, "", scale)
    cues += rewritten
    grade = decide_single(
        params,
        instruction,
        stripped,
        cues,
        listed,
        anchor,
        params.seed,
        scale,
    )
    odd = misbehaviour.pick(params, request, "single")
    if odd is not None:
        other = next((x for x in listed if x != grade), grade)  # another grade on the scale
        return misbehaviour.format_answer(odd, "single", user, grade, other, prompt_tokens)
    return reply(
        f"The response is graded on its content.\nRating: {verdict_tag(grade)}", prompt_tokens
    )
