"""Judge backends: one file per backend behind the small protocol in :mod:`.base`."""

from judgebias.judges.base import Judge, make_judge, parse_spec

__all__ = ["Judge", "make_judge", "parse_spec"]
