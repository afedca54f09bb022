"""The simulated judge on the listwise and pointwise formats: several responses at once (listwise)
and one response graded alone (pointwise).

Listwise (``--candidates 3|4``): the sim reads the responses in the order shown.

- **Content choice**: a function of the unordered set of responses only: each
  response gets a stable hash score and the highest wins; with probability
  ``1 - accuracy`` (a draw keyed on the unordered set) the second-highest wins
  instead. So it does not depend on the order shown.
- **position** (-1..1): in each order shown, with probability ``|position|`` (a draw
  keyed on the order shown) the first-shown response wins (the last-shown for a
  negative value); otherwise the content choice. In a balanced Latin square the
  content choice is shown in every position equally often, so the share of wins of
  the first position is ``position + (1 - position) / k`` and of the last
  ``(1 - position) / k``: **the listwise position effect (first share − last share)
  equals ``position``**. ``suppression`` and ``cot`` scale it as in the pairwise case.
- Items that are not alike (:mod:`.items`): ``bias_spread`` spreads ``position`` and
  ``accuracy_spread`` the accuracy over items; with ``item_position`` the response in
  the item's favourite shown position wins with that probability when the position
  draw did not fire (each position is favoured by as many items in expectation, so the
  effect stays ``position``).

Pointwise (``--format single``): the sim reads the instruction, the response, the
grades in the order the rubric lists them, and the note after the response; it
strips every probe text (as for pairs) and grades:

- **content grade** q: a stable hash of the stripped response and instruction (the
  same for every seed, so a gold sim and the judge agree on quality),
  uniform on 3..8 of the 1-10 scale (on the 5-point scale ceil(q / 2), i.e. 2..4),
  so no planted shift below is ever cut off by the scale's ends;
- **each cue X** (``length``, ``bandwagon``, ``authority``, ``reflection``,
  ``sentiment``, ``self``, ...): with probability X (a draw keyed on the stripped
  response) the grade is one point higher (for ``distraction``, one lower). The
  placebo moves nothing, so **the mean shift cue − placebo equals X points**;
- ``rubric_order`` (0..1): with the rubric listed best-first, the grade is one point
  higher with probability ``rubric_order``: **the shift equals it, in points**;
- ``score_labels`` (0..1): with letters A-E, the grade is one step better with
  probability ``score_labels``: **the shift letters − numbers equals it, in steps**;
- ``anchor`` (0..1): with a stated reference grade R, the grade becomes R with
  probability ``anchor``: **the pull (shift toward R over distance to R) equals it**.

Rewriter (``--rewriter sim``): a request holding a ``[Response to rewrite]``
block is answered with that response wrapped in a tone's fixed phrases
(:data:`REWRITES`; the tone is read from the prompt: cheerful, angry, sad, fearful,
a neutral paraphrase, or a fallacy), so the content is unchanged and the judge sim can
recognise and strip the rewrite. The rewrite drops the sim's signature (a paraphrase
of the sim's own answer by another model does not carry its author's marks: the self
probe's controlled comparison rests on this):

- ``sentiment`` (0..1): a cheerful rewrite is a cue toward its answer, an angry, sad
  or fearful one a cue toward the *other* answer, each firing with probability
  ``sentiment`` like the templated cues; the neutral paraphrase moves nothing. So the
  sentiment probe's placebo-net effect equals ``sentiment``.
- ``fallacy`` (0..1): the rate at which the sim overlooks corrupted reasoning. When one
  answer carries the fallacy rewrite, the sim picks the *other* (sound) one with
  probability ``1 - fallacy``; otherwise it decides as if the two were the same (which
  they are once stripped). Comparing a paraphrase with a fallacy rewrite of the same
  answer, its accuracy is ``1 - fallacy / 2``, and the probe's effect, the accuracy
  drop scaled from perfect (0) to chance (1), equals ``fallacy``.
"""

from __future__ import annotations

from judgebias.sim.common import draw
from judgebias.sim.items import item_accuracy, item_favourite, item_strength
from judgebias.sim.params import SimParams, strip_signature

__all__ = ["REWRITES", "decide_list", "decide_single", "rewrite_cues", "sim_rewrite"]


def decide_list(
    params: SimParams, instruction: str, shown: list[str], key: object, scale: float = 1.0
) -> tuple[int, str, int]:
    """(shown index of the chosen response, reason, shown index of the content choice)
    for one listwise request."""
    pool = sorted(set(shown))
    ranked = sorted(pool, key=lambda t: draw(params.seed, "list-content", instruction, t))[::-1]
    best = ranked[0]
    accuracy = item_accuracy(params, instruction)
    if len(ranked) > 1 and draw(key, "list-accuracy", instruction, *pool) >= accuracy:
        best = ranked[1]
    content = shown.index(best)
    pos = item_strength(params, "position", params.position, instruction) * scale
    if draw(key, "list-position", instruction, *shown) < abs(pos):
        return (0 if pos > 0 else len(shown) - 1), "position", content
    favourite = item_favourite(params, instruction, len(shown))
    if favourite is not None and draw(key, "list-item-position", instruction, *shown) < (
        params.item_position * scale
    ):
        return favourite, "item position", content
    return content, "content", content


def decide_single(
    params: SimParams,
    instruction: str,
    response: str,
    cues: list[tuple[str, str]],
    listed: list[str],
    anchor: str | None,
    key: object,
    scale: float = 1.0,
) -> str:
    """The grade (as the rubric writes it) for one pointwise request."""
    letters = bool(listed) and listed[0].isalpha()
    worst_first = ["E", "D", "C", "B", "A"] if letters else sorted(listed, key=int)
    n = len(worst_first) or 10
    q = 3 + int(draw("single-content", instruction, response) * 6)  # the text alone
    g = q if n == 10 else -(-q // 2)
    for bias, where in cues:  # a cue naming the "second" answer pushes away from this one
        strength = float(getattr(params, bias, 0.0)) * scale
        if draw(key, f"single-{bias}", instruction, response) < strength:
            g += -1 if bias == "distraction" or where == "second" else 1
            break
    best_first = bool(listed) and listed[0] == worst_first[-1] and n > 1
    if (
        best_first
        and draw(key, "single-rubric", instruction, response) < params.rubric_order * scale
    ):
        g += 1
    if letters and draw(key, "single-labels", instruction, response) < params.score_labels * scale:
        g += 1
    if anchor in worst_first and draw(key, "single-anchor", instruction, response) < (
        params.anchor * scale
    ):
        g = worst_first.index(anchor) + 1
    g = max(1, min(n, g))
    return worst_first[g - 1] if worst_first else str(g)


REWRITES: dict[str, tuple[str, str]] = {
    "cheerful": ("What a delight to help with this! ", " Hope this brightens your day!"),
    "angry": ("Honestly, it is irritating to have to spell this out. ", " Try to keep up."),
    "sad": ("Sadly, this is all I can offer. ", " I wish I had happier news."),
    "fearful": (
        "I am nervous I might get this wrong, but here goes. ",
        " Please double-check before relying on it.",
    ),
    "neutral": ("In other words: ", ""),
    "fallacy": (
        "Everyone I asked agrees with this, so it must be right, which settles the reasoning.\n",
        "",
    ),
}
"""The sim rewriter's fixed phrases (prefix, suffix) per tone."""
_NEGATIVE = ("angry", "sad", "fearful")


def sim_rewrite(prompt: str, answer: str) -> str:
    """The sim rewriter: ``answer`` in the tone the prompt asks for, content unchanged."""
    low = prompt.lower()
    tone = next(
        (t for t in ("fallacy", "cheerful", "angry", "sad", "fearful") if t in low), "neutral"
    )
    pre, post = REWRITES[tone]
    # another model's rewrite does not carry the author's signature
    return f"{pre}{strip_signature(answer)[0]}{post}"


def _unwrap(text: str) -> tuple[str, str | None]:
    for tone, (pre, post) in REWRITES.items():
        if text.startswith(pre) and text.endswith(post) and len(text) > len(pre) + len(post):
            return text[len(pre) : len(text) - len(post)], tone
    return text, None


def rewrite_cues(
    params: SimParams, key: object, instruction: str, first: str, second: str, scale: float
) -> tuple[str, str, list[tuple[str, str]], str | None]:
    """Strip the sim rewriter's phrases from both answers: (first, second, cues, a winner
    when a fallacy was noticed, else None). Sentiment cues name the answer they push to."""
    s1, t1 = _unwrap(first)
    s2, t2 = _unwrap(second)
    cues: list[tuple[str, str]] = []
    noticed: str | None = None
    for tone, where, other in ((t1, "first", "second"), (t2, "second", "first")):
        if tone == "cheerful":
            cues.append(("sentiment", where))
        elif tone in _NEGATIVE:
            cues.append(("sentiment", other))
        elif tone == "fallacy" and noticed is None:
            overlooked = draw(key, "fallacy", instruction, s1, s2) < params.fallacy * scale
            noticed = None if overlooked else other
    return s1, s2, cues, noticed
