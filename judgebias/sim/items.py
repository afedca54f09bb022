"""How the simulated judge's items differ from each other (all off by default).

An *item* is an instruction: every pair, order, rotation and probe variant with the
same instruction text is the same item and shares its draws below. Each draw is keyed
on the seed and the instruction alone, so a gold sim with another seed has other
items. Each key keeps the population mean of what it spreads at the planted value, so
planted = estimated still holds for the mean over items, while the items are not alike
(the unit an interval must be clustered by is the instruction, not the pair):

- ``bias_spread`` (0..1): how unevenly every bias is spread over items. For a bias of
  planted strength X (``position``, each cue, ``self``), an item draws u uniform on
  [0, 1) and has strength ``(1 - bias_spread) * X + bias_spread * [u < |X|]`` (signed
  as X). Over items its mean is X exactly; at 1 a share |X| of the items always show
  the bias and the rest never do.
- ``accuracy_spread`` (0..1): the same for the judge's errors: with error rate
  ``e = 1 - accuracy``, an item's error rate is ``(1 - accuracy_spread) * e +
  accuracy_spread * [u < e]``; the mean accuracy stays ``accuracy``. At 1 the judge is
  always wrong on a share e of the items and always right on the others; a gold sim
  with another seed is wrong on other items.
- ``item_position`` (0..1): each item has a favourite shown position, drawn uniformly
  among the positions shown (first or second; 1..k for k answers at once). In each
  order shown, after the cues and ``position`` and before the content, the answer in
  the item's favourite position wins with probability ``item_position`` (a draw keyed
  on the order shown). Every position is favoured by as many items in expectation, so
  the position effect (primacy - recency; first share - last share) is still
  ``position``, but each item leans its own way.
"""

from __future__ import annotations

from judgebias.sim.common import draw
from judgebias.sim.params import SimParams

__all__ = ["item_accuracy", "item_favourite", "item_strength"]


def item_strength(params: SimParams, bias: str, value: float, instruction: str) -> float:
    """The strength of ``bias`` (planted ``value``, signed) on this item."""
    spread = params.bias_spread
    if spread == 0.0 or value == 0.0:
        return value
    hit = draw(params.seed, "item-bias", bias, instruction) < abs(value)
    sign = 1.0 if value > 0 else -1.0
    return (1.0 - spread) * value + spread * (sign if hit else 0.0)


def item_accuracy(params: SimParams, instruction: str) -> float:
    """The judge's accuracy on this item."""
    spread = params.accuracy_spread
    if spread == 0.0:
        return params.accuracy
    error = 1.0 - params.accuracy
    hit = draw(params.seed, "item-error", instruction) < error
    return 1.0 - ((1.0 - spread) * error + spread * (1.0 if hit else 0.0))


def item_favourite(params: SimParams, instruction: str, k: int) -> int | None:
    """The item's favourite shown position (0-based, of ``k``), or None when it has none."""
    if params.item_position == 0.0:
        return None
    return min(k - 1, int(draw(params.seed, "item-position", instruction) * k))
