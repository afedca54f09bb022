"""The audit formats, each a plug-in behind :class:`judgebias.audits.formats.base.Format`:
pairwise (the default), pointwise (``--format single``) and listwise (``--candidates``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from judgebias.audits.formats.base import Format
from judgebias.audits.formats.listwise import Listwise
from judgebias.audits.formats.pairwise import Pairwise
from judgebias.audits.formats.pointwise import Pointwise

if TYPE_CHECKING:
    from judgebias.audits.config import AuditConfig

__all__ = ["FORMATS", "Format", "format_for"]

FORMATS: dict[str, Format] = {"pair": Pairwise(), "single": Pointwise(), "list": Listwise()}
"""Every format by its name in ``summary.json``."""


def format_for(cfg: AuditConfig) -> Format:
    """The format an audit's settings ask for (``--candidates``: listwise; ``--format``)."""
    return FORMATS["list" if cfg.candidates is not None else cfg.format]
