"""The rewriter's prompt (``kind: rewrite`` probes, the self probe's paraphrase): how the
response to rewrite is framed, and how that frame is found again.

One definition serves both sides: :mod:`judgebias.probes.rewrite` renders requests with
:func:`render_rewrite`, and the simulated rewriter finds the response with
:func:`extract_rewrite`, so a change of wording here cannot blind the sim.
"""

from __future__ import annotations

import re

__all__ = ["REWRITE_CLOSE", "REWRITE_OPEN", "extract_rewrite", "render_rewrite"]

REWRITE_OPEN = "[Response to rewrite]"
"""The line before the response to rewrite."""

REWRITE_CLOSE = "[End of response to rewrite]"
"""The line after it."""

_BLOCK = re.compile(re.escape(REWRITE_OPEN) + r"\n(.*)\n" + re.escape(REWRITE_CLOSE), re.DOTALL)


def render_rewrite(task: str, instruction: str, answer: str) -> str:
    """The rewriter's user message: the probe's task, the instruction, the framed response."""
    return f"{task}\n\n[Instruction]\n{instruction}\n\n{REWRITE_OPEN}\n{answer}\n{REWRITE_CLOSE}"


def extract_rewrite(user: str) -> tuple[str, str] | None:
    """``(everything before the frame, the response to rewrite)``; None when ``user`` is
    not a rewrite request."""
    m = _BLOCK.search(user)
    if m is None:
        return None
    return user[: m.start()], m.group(1)
