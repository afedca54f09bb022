"""An audit's generation settings, resolved once per judge from its flags.

:func:`audit_generation` is the one place an audit's ``--max-tokens``,
``--reasoning-effort``, ``--transport`` and ``--constrain`` become the
:class:`~judgebias.judges.generation.GenerationSettings` of the audited judge (``auto``
resolved against the endpoint by :func:`judgebias.judges.constraints.resolve_constraint`);
:func:`plain_generation` gives a judge the flags do not apply to (a gold judge) its
provider's defaults. Every request of every format is built from these settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from judgebias.errors import UsageError
from judgebias.judges.constraints import CONSTRAIN_CHOICES, ConstraintChoice, resolve_constraint
from judgebias.judges.generation import GenerationSettings, resolve_generation

if TYPE_CHECKING:
    from judgebias.audits.config import AuditConfig

__all__ = [
    "audit_generation",
    "check_constrain",
    "constrain_summary",
    "flag_generation",
    "plain_generation",
]


def check_constrain(cfg: AuditConfig) -> None:
    """Refuse a ``--constrain`` the audit cannot use, before anything is sent."""
    if cfg.constrain not in CONSTRAIN_CHOICES:
        raise UsageError(
            f"--constrain: '{cfg.constrain}' is not one of {', '.join(CONSTRAIN_CHOICES)}"
        )
    if cfg.constrain == "none":
        return
    if cfg.mode != "verdict":
        raise UsageError(
            f"--constrain {cfg.constrain}: constrains a verdict; use it with --mode verdict"
        )
    if cfg.mitigations:
        raise UsageError(f"--constrain {cfg.constrain}: cannot be combined with --mitigation yet")


def flag_generation(
    cfg: AuditConfig,
    model: str,
    mode: str | None = None,
    constraint: ConstraintChoice | None = None,
    reasoning_first: bool = False,
) -> GenerationSettings:
    """The audited judge's settings from the flags (``constraint``: already resolved)."""
    return resolve_generation(
        model,
        mode or cfg.mode,
        max_tokens=cfg.max_tokens,
        reasoning_effort=cfg.reasoning_effort,
        transport=cfg.transport,
        constraint=constraint,
        reasoning_first=reasoning_first,
    )


def plain_generation(model: str, mode: str = "verdict") -> GenerationSettings:
    """A judge the audit's flags do not apply to (the gold judge): its provider's defaults."""
    return resolve_generation(model, mode)


async def audit_generation(
    cfg: AuditConfig,
    judge: Any,
    mode: str | None = None,
    labels: tuple[str, ...] = ("A", "B", "C"),
    reasoning_first: bool = False,
) -> GenerationSettings:
    """The audited judge's settings, its constraint resolved against its endpoint (a probe
    request per form tried; none for ``--constrain none``)."""
    check_constrain(cfg)
    choice = None
    if cfg.constrain != "none":
        choice = await resolve_constraint(judge, cfg.constrain, cfg.base_urls, labels)
        if choice.kind == "none" and not cfg.quiet:
            import sys

            print(f"judgebias: --constrain auto: {choice.reason}; unconstrained", file=sys.stderr)
    return flag_generation(cfg, judge.model, mode, choice, reasoning_first)


def constrain_summary(settings: GenerationSettings) -> dict[str, Any]:
    """``run.constrain`` (the kind used, ``none`` when unconstrained) and
    ``run.constraint`` (what was asked for, the dialect, each form tried and why)."""
    c = settings.constraint
    if c is None:
        return {"constrain": "none"}
    return {
        "constrain": c.kind,
        "constraint": {**c.as_dict(), "reasoning": settings.reasoning_first and c.kind != "choice"},
    }
