"""Probe registry: which variants of each pair an audit asks the judge about.

Every probe is judged in both orders, so position effects never masquerade as
probe effects. The *control* variants (the pairs unchanged) are shared by all
probes of a run and asked once. ``position`` needs only the controls.
Perturbation probes (length, bandwagon, ...) are YAML files in ``probes/``; each
adds a cue variant and a matched placebo variant per pair.

:func:`strip_edits` is the inverse used by the simulated judge: it finds and
removes any text a probe inserts, and reports which cues it found where.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .errors import UsageError
from .types import Pair, Variant

__all__ = [
    "PROBE_NAMES",
    "Edits",
    "control_variant",
    "plan_variants",
    "resolve_probes",
    "strip_edits",
]

PROBE_NAMES: tuple[str, ...] = ("position",)
"""Probes available in this version, in report order."""

BIAS_AWARE_MARKER = "Judge impartially:"
"""First words of the bias-aware system prompt (``--mitigation system-prompt``)."""


def resolve_probes(text: str | Sequence[str], flag: str = "--probes") -> list[str]:
    """Turn ``"position,length"`` or ``"all"`` into a validated list of probe names."""
    items = [t.strip().lower() for t in (text.split(",") if isinstance(text, str) else text)]
    items = [t for t in items if t]
    if not items:
        raise UsageError(f"{flag}: no probe named; choose from {', '.join(PROBE_NAMES)} or 'all'")
    if "all" in items:
        return list(PROBE_NAMES)
    out: list[str] = []
    for name in items:
        if name not in PROBE_NAMES:
            close = difflib.get_close_matches(name, PROBE_NAMES, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise UsageError(
                f"{flag}: unknown probe '{name}'{hint}; available: {', '.join(PROBE_NAMES)}, all"
            )
        if name not in out:
            out.append(name)
    return out


def control_variant(pair: Pair) -> Variant:
    return Variant(
        pair_id=pair.id,
        probe="control",
        kind="control",
        instruction=pair.instruction,
        response_a=pair.response_a,
        response_b=pair.response_b,
    )


def plan_variants(pairs: Iterable[Pair], probes: Sequence[str], seed: int = 0) -> list[Variant]:
    """All variants an audit needs: the shared controls plus each probe's own."""
    variants = [control_variant(p) for p in pairs]
    # position needs only the controls; perturbation probes add theirs here.
    return variants


@dataclass(frozen=True)
class Edits:
    """What :func:`strip_edits` found: the answers without probe text, and the cues."""

    first: str
    second: str
    cues: list[tuple[str, str]] = field(default_factory=list)
    """(bias name, 'first' | 'second'): which answer each cue favours or targets."""
    bias_aware: bool = False


def strip_edits(*, system: str, first: str, second: str, note: str) -> Edits:
    """Remove probe-inserted text from a rendered request and say which cues were there."""
    return Edits(first=first, second=second, bias_aware=BIAS_AWARE_MARKER in system)
