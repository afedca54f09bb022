"""Data for the adversarial recovery study (benchmarks/adversarial_study.py): pairs and
lists whose items (instructions) hold several pairs each, or one of which holds a large
share of all pairs, so that items that are not alike (the simulated judge's
``bias_spread``, ``accuracy_spread``, ``item_position``) make the pairs of one item
move together.

Every generator is seeded: the same arguments write the same file.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from mitigation_study import PHRASES
from probe_study import WORDS

__all__ = ["instruction_sizes", "write_lists", "write_pairs"]


def instruction_sizes(n: int, per_item: int, dominant: float = 0.0) -> list[int]:
    """How many pairs each instruction holds: ``round(dominant * n)`` for the first (when
    ``dominant`` > 0), the rest ``per_item`` each (the last one what is left)."""
    sizes = [round(dominant * n)] if dominant > 0 else []
    rest = n - sum(sizes)
    while rest > 0:
        sizes.append(min(per_item, rest))
        rest -= sizes[-1]
    return sizes


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12))).capitalize() + "."


def _text(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(1, 4)))


def _item(rng: random.Random, kind: str) -> tuple[str, Any]:
    """An instruction and what its responses are made from (``kind``: ``words`` for text
    the sim cannot check; ``self`` for 70 % arithmetic, where the sim's own answer is
    wrong; ``gold``: arithmetic with one right and one wrong answer)."""
    if kind == "words" or (kind == "self" and rng.random() >= 0.7):
        return "Explain " + _sentence(rng), None
    x, y = rng.randint(10, 99), rng.randint(10, 99)
    return f"What is {x} + {y}?", x + y


def _responses(rng: random.Random, kind: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {"response_a": _text(rng), "response_b": _text(rng)}
    right, other = rng.sample(PHRASES, 2)
    if kind == "self":  # both right: the gold prefers the sim's own (wrong) answer only by error
        return {"response_a": right.format(v=value), "response_b": other.format(v=value)}
    wrong = value + rng.choice([-1, 1]) * rng.randint(1, 9)
    gold = rng.choice(["a", "b"])
    texts = (right.format(v=value), other.format(v=wrong))
    a, b = texts if gold == "a" else texts[::-1]
    return {"response_a": a, "response_b": b, "gold": gold}


def write_pairs(
    path: Path, n: int, seed: int, per_item: int = 1, dominant: float = 0.0, kind: str = "words"
) -> None:
    """``n`` pairs grouped into instructions (:func:`instruction_sizes`); ``kind`` as
    :func:`_item` says. Ids ``<seed>-<item>-<j>``."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i, size in enumerate(instruction_sizes(n, per_item, dominant)):
            instruction, value = _item(rng, kind)
            for j in range(size):
                row = {"id": f"{seed}-{i}-{j}", "instruction": instruction}
                fh.write(json.dumps({**row, **_responses(rng, kind, value)}) + "\n")


def write_lists(path: Path, n: int, k: int, seed: int, per_item: int = 1) -> None:
    """``n`` lists of ``k`` random responses, ``per_item`` lists per instruction."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i, size in enumerate(instruction_sizes(n, per_item)):
            instruction = "Explain " + _sentence(rng)
            for j in range(size):
                rec = {"id": f"{seed}-{i}-{j}", "instruction": instruction}
                rec.update({f"response_{c}": _text(rng) for c in "abcd"[:k]})
                fh.write(json.dumps(rec) + "\n")
