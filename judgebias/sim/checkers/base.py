"""What every checker shares: the verifier it returns and the exception for inputs
it cannot handle.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Unsupported", "Verifier"]

Verifier = Callable[[str], "bool | None"]
"""Says whether one response states the expected answer (None: no answer found)."""


class Unsupported(Exception):
    """Raised inside the checkers when an input is outside what they can handle."""
