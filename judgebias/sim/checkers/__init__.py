"""The simulated judge's "knowledge": answer checkers for objectively checkable tasks.

The ``sim`` judge has no language model behind it. To make its *content* verdict
agree with the truth wherever the truth can be computed, it asks :func:`check`
which of two responses is correct. ``check`` recognises a handful of task kinds
from the instruction text alone (regular expressions, never a lookup of the
bundled sample pairs), computes the expected answer itself, extracts the final
answer each response states and compares:

* ``arithmetic`` -- "What is 37 * 12?", "Compute 845 - 379.", "the remainder when
  98 is divided by 7" (a whitelisted AST evaluator; no ``eval``);
* ``unit_conversion`` -- km/miles, kg/lb, Celsius/Fahrenheit, hours/minutes/seconds,
  litres/US or imperial gallons, with the rounding the instruction states;
* ``sorting`` -- a list of numbers or words, ascending or descending;
* ``counting`` -- a letter in a word, or the words of a quoted sentence;
* ``passage`` -- a question about a short passage (memo, invoice, schedule) given in
  the instruction; the expected value is read from the passage itself;
* ``code_output`` -- what a tiny Python snippet prints, or what an expression
  evaluates to, computed by a whitelisted AST interpreter over literals, arithmetic,
  comparisons, subscripts/slices and a few builtins and ``str`` methods (never
  ``eval``/``exec``);
* ``date`` -- the weekday of a date, the days between two dates, a date plus or
  minus N days.

One module per task kind (:mod:`.arithmetic`, :mod:`.units`, :mod:`.sorting`,
:mod:`.counting`, :mod:`.passages`, :mod:`.code`, :mod:`.dates`), on shared helpers
(:mod:`.numbers` reads the numbers in answers, :mod:`.interpreter` evaluates code and
arithmetic safely).

``check`` is total: it never raises. Unrecognised tasks, inputs longer than
:data:`MAX_INPUT_CHARS`, expressions that would be too costly (huge powers or
repetitions) and cases where neither or both responses are right all give ``None``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from judgebias.sim.checkers.arithmetic import recognise_arithmetic
from judgebias.sim.checkers.base import Verifier
from judgebias.sim.checkers.code import recognise_code
from judgebias.sim.checkers.counting import recognise_counting
from judgebias.sim.checkers.dates import recognise_date
from judgebias.sim.checkers.passages import recognise_passage
from judgebias.sim.checkers.sorting import recognise_sorting
from judgebias.sim.checkers.units import recognise_units

__all__ = ["KINDS", "MAX_INPUT_CHARS", "check", "task_kind"]

MAX_INPUT_CHARS = 20_000
"""Instructions or responses longer than this are not examined at all."""

KINDS = (
    "code_output",
    "passage",
    "date",
    "unit_conversion",
    "sorting",
    "counting",
    "arithmetic",
)
"""The task kinds :func:`check` recognises, in the order it tries them."""


# --------------------------------------------------------------------------- API


def check(instruction: str, response_1: str, response_2: str) -> int | None:
    """Return 1 or 2 for the response that is correct, or None if undecidable.

    None when the task is not recognised, when the expected answer cannot be
    computed safely, or when neither or both responses state the expected answer.
    A response from which no answer can be extracted counts as not correct.
    """
    try:
        return _check(instruction, response_1, response_2)
    except Exception:
        return None


def task_kind(instruction: str) -> str | None:
    """The kind of checkable task ``instruction`` poses (one of :data:`KINDS`), or None."""
    try:
        found = _recognise(instruction) if _usable(instruction) else None
    except Exception:
        return None
    return found[0] if found else None


def _usable(text: object) -> bool:
    return isinstance(text, str) and len(text) <= MAX_INPUT_CHARS


def _check(instruction: str, response_1: str, response_2: str) -> int | None:
    if not (_usable(instruction) and _usable(response_1) and _usable(response_2)):
        return None
    if not instruction.strip():
        return None
    found = _recognise(instruction)
    if found is None:
        return None
    verify = found[1]
    ok_1 = verify(response_1) if response_1.strip() else None
    ok_2 = verify(response_2) if response_2.strip() else None
    if ok_1 is True and ok_2 is not True:
        return 1
    if ok_2 is True and ok_1 is not True:
        return 2
    return None


@functools.lru_cache(maxsize=1024)  # every probe of a pair repeats its instruction
def _recognise(instruction: str) -> tuple[str, Verifier] | None:
    recognisers: tuple[tuple[str, Callable[[str], Verifier | None]], ...] = (
        ("code_output", recognise_code),
        ("passage", recognise_passage),
        ("date", recognise_date),
        ("unit_conversion", recognise_units),
        ("sorting", recognise_sorting),
        ("counting", recognise_counting),
        ("arithmetic", recognise_arithmetic),
    )
    # A recogniser returns None when the instruction is not of its kind, and raises
    # when it is but the expected answer cannot be computed (check then gives None).
    for kind, recognise in recognisers:
        verify = recognise(instruction)
        if verify is not None:
            return kind, _guarded(verify)
    return None


def _guarded(verify: Verifier) -> Verifier:
    def run(response: str) -> bool | None:
        try:
            return verify(response)
        except Exception:
            return None

    return run
