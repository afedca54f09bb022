"""judgebias: measure, test and correct the biases of LLM judges."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
