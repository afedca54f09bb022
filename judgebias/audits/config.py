"""An audit's settings (:class:`AuditConfig`) and the rules they must meet, checked in one
place for the CLI and the notebook.

``judgebias audit`` and :func:`judgebias.audit` both call :func:`check_audit_config` before
anything is read or sent, so a setting refused on the command line is refused in a notebook
too, with the same one-line message naming the flag, whatever the format. (Checks that
need the data or the probes are the format's: :meth:`judgebias.audits.formats.base.Format.check`,
made right after these and before anything is read or sent.)

A ``replay:FILE`` judge reads recorded verdicts; which columns hold them can be given as
``replay_first``/``replay_second``/``replay_items`` (``--first``/``--second``/``--items``;
``jb.audit(judge="replay:FILE", first=..., second=..., items=...)``) or inside the spec.
:func:`resolve_audit_config` folds them into the spec, so the judge, ``summary.json`` and
the dry run all see the one spec string.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from judgebias.audits.settings import check_constrain
from judgebias.engine.runner import RunnerConfig
from judgebias.errors import UsageError
from judgebias.stats.validity import DEFAULT_MAX_INVALID

__all__ = [
    "MODES",
    "REPLAY_OPTIONS",
    "AuditConfig",
    "check_audit_config",
    "resolve_audit_config",
    "runner_config",
]


@dataclass
class AuditConfig:
    judge: str
    data: str | None = None
    probes: list[str] = field(default_factory=lambda: ["position"])
    probe_files: list[str] = field(default_factory=list)
    gold_judge: str | None = None
    self_answers: str | None = None
    out: str = "judgebias-run"
    concurrency: int = 8
    limit: int | None = None
    seed: int = 0
    base_urls: list[str] = field(default_factory=list)
    template: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    mode: str = "verdict"
    timeout: float = 60.0
    max_attempts: int = 16
    quiet: bool = False
    command: str | None = None
    write_report: bool = True
    rpm: float | None = None
    tpm: float | None = None
    price_in: float | None = None
    price_out: float | None = None
    max_cost: float | None = None
    shard: str | None = None
    transport: str | None = None
    batch: bool = False
    batch_poll_s: float = 5.0
    mitigations: list[str] = field(default_factory=list)
    """``--mitigation`` items (see :mod:`judgebias.corrections.mitigations`)."""
    samples: int | None = None
    max_invalid: float = DEFAULT_MAX_INVALID
    """``--max-invalid``: the largest share of unreadable answers before the run fails closed."""
    max_tokens: int | None = None
    """``--max-tokens``: the judge's completion budget per request, reasoning included
    (default: :func:`judgebias.judges.request_rules.default_max_tokens`)."""
    reasoning_effort: str | None = None
    """``--reasoning-effort``: low, medium or high, sent where the judge takes it."""
    candidates: int | None = None
    """``--candidates 3|4``: listwise position audit (see :mod:`judgebias.audits.formats.listwise`)."""
    format: str = "pair"
    """``--format single``: one answer graded 1-10 at a time (see :mod:`judgebias.audits.formats.pointwise`)."""
    rewriter: str | None = None
    """``--rewriter SPEC``: the model that rewrites responses for the rewrite probes."""
    replay_first: str | None = None
    replay_second: str | None = None
    replay_items: str | None = None
    """``--first``/``--second``/``--items``: a ``replay:FILE`` judge's columns and pairs' texts
    (folded into the spec by :func:`judgebias.audits.config.resolve_audit_config`)."""
    constrain: str = "none"
    """``--constrain``: auto, json, choice, grammar, logit-bias or none (see
    :mod:`judgebias.judges.constraints`)."""
    force: bool = False
    """``--force``: replace the run in ``out`` even when it was made with other settings
    (see :mod:`judgebias.audits.runguard`)."""
    cluster: str | None = None
    """``--cluster COL``: the unit the intervals are clustered by (None: ``instruction``, the
    pairs sharing an instruction; ``pair``: every pair its own; or a column of the pairs
    file; see :mod:`judgebias.tables.clusters`)."""


MODES = ("verdict", "logprob", "score")
"""``--mode``: how the judge's verdict is read."""

# the replay judge's column options: (spec key, config field)
REPLAY_OPTIONS = (
    ("first", "replay_first"),
    ("second", "replay_second"),
    ("items", "replay_items"),
)


def _replay_options(cfg: AuditConfig) -> dict[str, str]:
    """The replay options that are set, as spec keys, in the order first, second, items."""
    return {key: value for key, attr in REPLAY_OPTIONS if (value := getattr(cfg, attr))}


# backends that price every call themselves (litellm's price table)
_SELF_PRICED = ("litellm:",)


def check_audit_config(cfg: AuditConfig) -> None:
    """Raise :class:`~judgebias.errors.UsageError` naming the flag of the first broken rule."""
    replay = _replay_options(cfg)
    if replay and not cfg.judge.strip().lower().startswith("replay:"):
        raise UsageError(
            f"--{next(iter(replay))}: only for a replay:FILE judge (it names columns of the"
            " recorded verdicts)"
        )
    if cfg.mode not in MODES:
        raise UsageError(f"--mode: '{cfg.mode}' is not one of {', '.join(MODES)}")
    if cfg.concurrency < 1:
        raise UsageError("--concurrency: must be at least 1")
    if cfg.limit is not None and cfg.limit < 1:
        raise UsageError("--limit: must be at least 1")
    if cfg.max_attempts < 1:
        raise UsageError("--max-attempts: must be at least 1")
    if cfg.candidates is not None and cfg.candidates not in (3, 4):
        raise UsageError(f"--candidates: {cfg.candidates} is not one of 3, 4")
    if cfg.format not in ("pair", "single"):
        raise UsageError(f"--format: '{cfg.format}' is not one of pair, single")
    if cfg.cluster is not None and cfg.candidates is not None:
        raise UsageError(
            "--cluster: a listwise audit (--candidates) clusters its intervals by item"
        )
    if cfg.cluster is not None and not cfg.cluster.strip():
        raise UsageError("--cluster: give a column name (e.g. --cluster instruction)")
    if cfg.format == "single" and cfg.candidates is not None:
        raise UsageError(
            "--format single: grades one answer at a time; it cannot be used with --candidates"
        )
    if not 0.0 <= cfg.max_invalid <= 1.0:
        raise UsageError(f"--max-invalid: {cfg.max_invalid:g} is not a share between 0 and 1")
    if cfg.max_tokens is not None and cfg.max_tokens < 1:
        raise UsageError("--max-tokens: must be at least 1")
    for flag, value in (
        ("--rpm", cfg.rpm),
        ("--tpm", cfg.tpm),
        ("--max-cost", cfg.max_cost),
        ("--timeout", cfg.timeout),
        ("--batch-poll", cfg.batch_poll_s),
    ):
        if value is not None and not value > 0:
            raise UsageError(f"{flag}: must be positive")
    for flag, value in (("--price-in", cfg.price_in), ("--price-out", cfg.price_out)):
        if value is not None and not value >= 0:
            raise UsageError(f"{flag}: must not be negative")
    if (
        cfg.max_cost is not None
        and cfg.price_in is None
        and cfg.price_out is None
        and not cfg.judge.strip().lower().startswith(_SELF_PRICED)
    ):
        # without a price every call is estimated at $0 and the cap would never bite
        raise UsageError(
            "--max-cost: needs --price-in/--price-out (the price of this judge is unknown)"
        )
    check_constrain(cfg)


def resolve_audit_config(cfg: AuditConfig) -> AuditConfig:
    """Check ``cfg`` and return it with the replay options folded into the judge spec
    (``replay:FILE,first=COL,...``); ``cfg`` itself is left as it is."""
    check_audit_config(cfg)
    replay = _replay_options(cfg)
    if not replay:
        return cfg
    resolved = copy.copy(cfg)
    resolved.judge = cfg.judge + "".join(f",{k}={v}" for k, v in replay.items())
    for _, attr in REPLAY_OPTIONS:
        setattr(resolved, attr, None)
    return resolved


def runner_config(cfg: AuditConfig) -> RunnerConfig:
    """The runner's settings from an audit's flags (rates are per endpoint)."""
    endpoints = max(1, len(cfg.base_urls))
    return RunnerConfig(
        concurrency=cfg.concurrency,
        timeout=cfg.timeout,
        rpm=cfg.rpm * endpoints if cfg.rpm else None,
        tpm=cfg.tpm * endpoints if cfg.tpm else None,
        price_in=cfg.price_in,
        price_out=cfg.price_out,
        max_cost=cfg.max_cost,
        batch=cfg.batch,
        batch_poll_s=cfg.batch_poll_s,
        max_attempts=cfg.max_attempts,
        progress=not cfg.quiet,
    )
