"""``--probes all`` runs every probe it can: the ones that need a model the run was not given
are left out with a note saying what they need, instead of stopping the audit.

- ``self`` needs a model that paraphrases the judge's own answers: ``--rewriter SPEC``, or
  ``--gold-judge SPEC`` (which then also rewrites, and gives the DBG figures);
- the rewrite probes (``sentiment``, ``fallacy``) need ``--rewriter SPEC``.

A probe named on its own (``--probes self``) still needs its model: that is an error.
Messages name the flag and the notebook keyword (``gold_judge=``, ``rewriter=``).
"""

from __future__ import annotations

from judgebias.errors import UsageError
from judgebias.probes.catalog import ProbeSpec

__all__ = ["SELF_NEEDS", "runnable_probes"]

SELF_NEEDS = (
    "--rewriter SPEC (rewriter= in Python), the model that paraphrases the judge's answers, "
    "or --gold-judge SPEC (gold_judge=), used as the rewriter and for DBG"
)


def runnable_probes(
    probes: list[ProbeSpec],
    requested: list[str],
    *,
    rewriter: str | None,
    gold_judge: str | None,
) -> tuple[list[ProbeSpec], list[str]]:
    """(the probes this run can measure, notes on those ``all`` left out).

    ``probes`` are resolved from ``requested`` (with ``all``) before rewrite probes without a
    rewriter were dropped; raises :class:`UsageError` for a named probe that cannot run."""
    wanted = [p.strip().lower() for p in requested if p.strip()]
    everything = "all" in wanted
    notes: list[str] = []
    keep: list[ProbeSpec] = []
    for p in probes:
        if p.kind == "self" and not (rewriter or gold_judge):
            if everything and "self" not in wanted:
                notes.append(f"self was left out of --probes all: it needs {SELF_NEEDS}")
                continue
            raise UsageError(f"--probes self: needs {SELF_NEEDS}")
        if p.kind == "rewrite" and not rewriter:
            if everything and p.name not in wanted:
                continue  # one note for all of them, below
            raise UsageError(
                f"--probes {p.name}: needs --rewriter SPEC (rewriter= in Python), the model "
                "that rewrites the responses (--rewriter sim for the simulated judge's rewriter)"
            )
        keep.append(p)
    dropped = [p.name for p in probes if p.kind == "rewrite" and not rewriter and everything]
    dropped = [n for n in dropped if n not in wanted]
    if dropped:
        notes.append(
            f"{', '.join(dropped)} {'was' if len(dropped) == 1 else 'were'} left out of --probes "
            "all: they need --rewriter SPEC (rewriter= in Python; --rewriter sim for the "
            "simulated judge's rewriter)"
        )
    return keep, notes
