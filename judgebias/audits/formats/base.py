"""What an audit format is: the one protocol the session runs.

A format (pairwise, pointwise, listwise) owns what differs between them: the flags it
accepts (:meth:`Format.check`, called before anything is read or sent), the judges
it needs besides the audited one (:meth:`Format.roles`), its variants, requests and
answer reader (inside :meth:`Format.run`), its figures and its part of
``summary.json`` (the :class:`FormatRun` it returns), its dry run (:meth:`Format.plan`)
and the report section that lays it out (:attr:`Format.report_section`: the report
draws the section of that name, ``summary.json``'s ``format``). Everything the
formats share (the judge, the store, the runner, the run folder and the assembly of
``summary.json``) is :class:`judgebias.audits.session.AuditSession`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from judgebias.types import Pair

if TYPE_CHECKING:
    from judgebias.audits.config import AuditConfig
    from judgebias.audits.session import AuditSession

__all__ = ["Format", "FormatRun", "Roles"]


@dataclass(frozen=True)
class Roles:
    """The judges an audit of this format opens besides the audited one, the mode the
    audited judge's request options are checked for, and the answers its requests allow
    (what a ``--constrain`` constraint is resolved for)."""

    mode: str = "verdict"
    gold: str | None = None
    rewriter: str | None = None
    check_gold: bool = False
    """Check the gold judge's request options too (pairwise: it answers the same prompts)."""
    labels: tuple[str, ...] = ("A", "B", "C")
    """Every answer a judging request of this format allows (``--constrain`` restricts the
    judge's answer to them: verdict labels, candidate letters, grades)."""
    reasoning_first: bool = False
    """The template asks for its reasoning before the verdict (kept within a JSON
    constraint)."""


@dataclass
class FormatRun:
    """A format's finished part of an audit, handed to the session to write.

    ``summary`` holds the format's keys of ``summary.json`` (``n_pairs``, ``accuracy``,
    ``accuracy_ci``, ``probes``, ``invalid``, ``informative``, ...), ``run`` its keys of
    ``summary.json``'s ``run`` block; the session adds the keys every audit has."""

    records: pd.DataFrame
    pairs_frame: pd.DataFrame
    summary: dict[str, Any]
    run: dict[str, Any]
    pairs: list[Pair] = field(default_factory=list)


class Format(Protocol):
    """One audit format, run by :class:`judgebias.audits.session.AuditSession`."""

    name: str
    """``summary.json``'s ``format``: ``pair``, ``single`` or ``list``."""
    report_section: str
    """The section of the report that lays this format's figures out."""

    def check(self, cfg: AuditConfig) -> None:
        """Raise :class:`~judgebias.errors.UsageError` for a flag this format refuses."""
        ...

    def roles(self, cfg: AuditConfig) -> Roles:
        """The judges to open besides the audited one (gold judge, rewriter)."""
        ...

    def plan(self, cfg: AuditConfig) -> dict[str, Any]:
        """What the audit would send, without sending anything (``--dry-run``)."""
        ...

    async def run(self, session: AuditSession) -> FormatRun:
        """Build the variants and requests, send them through the session, read the
        answers back into records and compute the format's figures."""
        ...
