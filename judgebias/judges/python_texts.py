"""The texts a Python judge function receives, read back out of one rendered request.

The audit renders every condition through the bundled templates, whose bracketed
markers (``[Instruction]``, ``[Response A]`` ...) the simulated judge also reads; the
same readers give a function the instruction and the responses in the order shown.
What a probe adds around them (a note after the responses, a system note, a
mitigation's system prompt) is appended to the instruction, after a blank line, so
that every cue reaches the function.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from judgebias.prompts.listwise import extract_list, list_template
from judgebias.prompts.pointwise import SCALES, extract_single, single_template
from judgebias.prompts.templates import (
    BUNDLED_TEMPLATES,
    bundled_template,
    extract_note,
    extract_pair,
)
from judgebias.types import ChatRequest

__all__ = ["Seen", "read_request"]


@dataclass(frozen=True)
class Seen:
    """What one request shows, as a function receives it."""

    kind: Literal["pair", "list", "single"]
    instruction: str
    """The instruction, with any note the prompt adds appended after a blank line."""
    responses: tuple[str, ...]
    """The responses in the order shown (one for a single grading)."""
    scale: tuple[str, ...] = ()
    """For a single grading: the grades allowed, from worst to best."""


@functools.cache
def _template_systems() -> tuple[str, ...]:
    """The bundled templates' system prompts, longest first (what is not a note)."""
    systems = {bundled_template(name).system for name in BUNDLED_TEMPLATES}
    systems |= {single_template(None).system, list_template(None).system}
    return tuple(sorted((s for s in systems if s), key=len, reverse=True))


def _system_note(system: str) -> str:
    """The part of the system prompt that the audit added to the template's own."""
    system = system.strip()
    for known in _template_systems():
        if system.startswith(known):
            return system[len(known) :].strip()
    return system


def _with_notes(instruction: str, *notes: str) -> str:
    return "\n\n".join([instruction, *(n for n in notes if n)])


def _worst_to_best(listed: list[str]) -> tuple[str, ...]:
    for scale in SCALES.values():
        if set(scale) == set(listed):
            return scale
    return tuple(listed)


def read_request(request: ChatRequest) -> Seen | None:
    """The texts of a judging request; None when it is not one (a generation request)."""
    system = "\n".join(c for r, c in request.messages if r == "system")
    users = [c for r, c in request.messages if r == "user"]
    if not users:
        return None
    user = users[-1]  # a few-shot mitigation's examples come before the request itself
    note = _system_note(system)
    found_list = extract_list(user)
    if found_list is not None:
        instruction, shown = found_list
        return Seen("list", _with_notes(instruction, note), tuple(shown))
    found_single = extract_single(user)
    if found_single is not None:
        instruction, response, listed, after = found_single
        return Seen(
            "single", _with_notes(instruction, note, after), (response,), _worst_to_best(listed)
        )
    found_pair = extract_pair(user)
    if found_pair is not None:
        instruction, first, second = found_pair
        return Seen("pair", _with_notes(instruction, note, extract_note(user)), (first, second))
    return None
