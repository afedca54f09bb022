"""The simulated judge on issue 16's formats: several responses at once (listwise)
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
"""

from __future__ import annotations

from .simulated import SimParams, _draw

__all__ = ["decide_list", "decide_single"]


def decide_list(
    params: SimParams, instruction: str, shown: list[str], key: object, scale: float = 1.0
) -> tuple[int, str]:
    """(shown index of the chosen response, reason) for one listwise request."""
    pool = sorted(set(shown))
    ranked = sorted(pool, key=lambda t: _draw(params.seed, "list-content", instruction, t))[::-1]
    best = ranked[0]
    if len(ranked) > 1 and _draw(key, "list-accuracy", instruction, *pool) >= params.accuracy:
        best = ranked[1]
    pos = params.position * scale
    if _draw(key, "list-position", instruction, *shown) < abs(pos):
        return (0 if pos > 0 else len(shown) - 1), "position"
    return shown.index(best), "content"


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
    q = 3 + int(_draw("single-content", instruction, response) * 6)  # the text alone
    g = q if n == 10 else -(-q // 2)
    for bias, _where in cues:
        strength = float(getattr(params, bias, 0.0)) * scale
        if _draw(key, f"single-{bias}", instruction, response) < strength:
            g += -1 if bias == "distraction" else 1
            break
    best_first = bool(listed) and listed[0] == worst_first[-1] and n > 1
    if (
        best_first
        and _draw(key, "single-rubric", instruction, response) < params.rubric_order * scale
    ):
        g += 1
    if letters and _draw(key, "single-labels", instruction, response) < params.score_labels * scale:
        g += 1
    if anchor in worst_first and _draw(key, "single-anchor", instruction, response) < (
        params.anchor * scale
    ):
        g = worst_first.index(anchor) + 1
    g = max(1, min(n, g))
    return worst_first[g - 1] if worst_first else str(g)
