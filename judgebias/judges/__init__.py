"""Judge backends: one file per backend behind the small protocol in :mod:`.base`."""

from .base import Judge, make_judge, parse_spec

__all__ = ["Judge", "make_judge", "parse_spec"]
