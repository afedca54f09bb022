"""What every part of the simulated judge shares: its chance and the form of its answers.

Every random event of the sim (the accuracy flip, each cue's draw, the position draw,
a misbehaviour, the length of its reasoning) is :func:`draw` of the seed, the event's
name and the text it concerns, so the same request with the same parameters always
gets the same answer, in process and behind ``serve-sim`` alike.
"""

from __future__ import annotations

import hashlib
import math

from judgebias.types import Completion, LogprobStep

__all__ = ["draw", "reply", "tokens"]


def draw(*parts: object) -> float:
    """A uniform number in [0, 1) that is a stable function of its parts."""
    blob = "\x1f".join(str(p) for p in parts).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(blob, digest_size=8).digest(), "big") / 2.0**64


def tokens(text: str) -> int:
    """The sim's token count of a text: one token per four characters, at least one."""
    return max(1, math.ceil(len(text) / 4))


def reply(
    text: str,
    prompt_tokens: int,
    steps: tuple[LogprobStep, ...] | None = None,
    finish_reason: str = "stop",
) -> Completion:
    """The sim's completion: ``text``, with the log-probabilities of its tokens when given."""
    return Completion(
        text=text,
        prompt_tokens=prompt_tokens,
        completion_tokens=len(steps) if steps else tokens(text),
        top_logprobs=steps[0][2] if steps else None,
        logprob_steps=steps,
        model="sim",
        finish_reason=finish_reason,
    )
