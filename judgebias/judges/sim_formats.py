"""The simulated judge on issue 16's formats: several responses at once (listwise).

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
"""

from __future__ import annotations

from .simulated import SimParams, _draw

__all__ = ["decide_list"]


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
