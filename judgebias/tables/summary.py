"""The typed ``summary.json`` of an audit run, in every format, and its JSON Schema.

:class:`RunSummary` describes the file ``judgebias audit`` writes (pairwise,
``--format single`` and ``--candidates K``): every key scripts read is a typed field,
and a run may carry more (each model allows extra keys, so a later version's
additions do not break an older reader). The unit of a probe's ``effect`` is a type,
:class:`Unit`: a share (``0.3`` = 30 percentage points) unless the probe says
otherwise, as the pointwise figures do (grade points, 5-point steps, the anchor's
pull). Everything that shows an effect (the console, the notebook, the report) formats
it through :meth:`Unit.show`, so a grade shift of 0.3 is never shown as "+30.0pp".

``judgebias schema summary`` prints :func:`summary_schema`; every ``summary.json`` an
audit writes is checked against the models by :func:`check_summary`.
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "Calls",
    "ConstraintInfo",
    "ConstraintTry",
    "Invalid",
    "ProbeFigures",
    "RunInfo",
    "RunSummary",
    "Tokens",
    "Unit",
    "check_summary",
    "summary_schema",
]


class Unit(str, Enum):
    """The unit of an effect and its interval."""

    SHARE = "share"
    """A fraction: 0.3 is 30 percentage points (pairwise and listwise; a probe without
    ``unit`` in ``summary.json``)."""
    POINTS = "points"
    """Grade points on the 1-10 scale (pointwise)."""
    STEPS_OF_5 = "steps of 5"
    """Steps of the 5-point scale (pointwise ``score_labels``)."""
    PULL = "pull"
    """The share of the distance to a stated grade the grade moved (pointwise ``anchor``;
    0 = no anchoring, 1 = the grade becomes the anchor)."""

    def show(self, x: float | None, signed: bool = True, bare: bool = False) -> str:
        """``x`` in this unit: ``+30.0 pp`` for a share, ``+0.30 points`` for a grade shift
        (``bare``: the number without the unit's name, as inside an interval)."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "–"
        sign = "+" if signed else ""
        if self is Unit.SHARE:
            text, name = f"{100 * x:{sign}.1f}", "pp"
        else:
            text, name = f"{x:{sign}.2f}", self.value.split()[0]
        return text if bare else f"{text} {name}"


class _Open(BaseModel):
    """Known keys typed, others kept (a later version may add keys)."""

    model_config = ConfigDict(extra="allow")


Status = Literal["measured", "not_measured", "uninformative"]


class ProbeFigures(_Open):
    """One probe's figures (``probes.<name>``)."""

    effect: float | None = Field(
        default=None,
        description="The headline effect, signed as the probe defines; null when not measured.",
    )
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = Field(default=None, description="Benjamini-Hochberg over the run.")
    n: int | None = Field(default=None, description="Units the figure is computed on.")
    n_invalid: int | None = None
    invalid_share: float | None = None
    status: Status | None = None
    severity: str | None = None
    unit: Unit | None = Field(
        default=None, description="The effect's unit; absent: a share (0.3 = 30 points)."
    )

    @property
    def effect_unit(self) -> Unit:
        return self.unit or Unit.SHARE


class Calls(_Open):
    total: int
    sent: int
    cached: int
    failed: int
    attempts: int | None = None
    retried: int | None = None
    errors: dict[str, int] | None = None
    records: int | None = None
    per_verdict: float | None = None
    verdicts: int | None = None
    seconds: float | None = None
    """Wall seconds spent sending requests and waiting for their answers (the runner's
    calls added up; building prompts between them and everything after is not in it)."""


class Tokens(_Open):
    prompt: int | None = None
    completion: int | None = None
    total: int | None = None
    reasoning: int | None = None


class Invalid(_Open):
    share: float | None = None
    reasons: dict[str, int] = Field(default_factory=dict)
    examples: list[Any] = Field(default_factory=list)
    n: int | None = None
    n_invalid: int | None = None
    max_invalid: float | None = None
    exceeded: bool | None = None
    failed_calls: int | None = Field(
        default=None, description="Calls that got no answer after every retry (not answers)."
    )
    n_unreadable: int | None = Field(
        default=None, description="Answers that came back but could not be read as a verdict."
    )
    unreadable_exceeded: bool | None = Field(
        default=None, description="The unreadable answers alone are over max_invalid."
    )


ConstrainKind = Literal["json", "choice", "grammar", "logit-bias", "none"]


class ConstraintTry(_Open):
    """One form of the constraint tried on the endpoint before the audit."""

    kind: str
    dialect: str
    outcome: str = Field(
        description="'enforced', 'refused: ...', 'ignored (answered ...)' or why it was "
        "not tried (no base URL, labels that are not single tokens)."
    )


class ConstraintInfo(_Open):
    """The output constraint (``run.constraint``): what ``--constrain`` asked for, the form
    used and every form tried."""

    requested: Literal["auto", "json", "choice", "grammar", "logit-bias"] = Field(
        description="The value of --constrain."
    )
    kind: ConstrainKind = Field(description="The kind used; 'none' after auto's fallback.")
    dialect: str | None = Field(
        default=None, description="The request fields that carried it (null: none used)."
    )
    tried: list[ConstraintTry] = Field(default_factory=list)
    reason: str | None = Field(default=None, description="Why auto fell back to none.")
    reasoning: bool | None = Field(
        default=None,
        description="The judge's reasoning kept before its verdict in the JSON object "
        "(a template with reasoning_first).",
    )


class RunInfo(_Open):
    """The run's settings (``run``)."""

    judgebias_version: str
    mode: str
    seed: int
    data: str | None = None
    template: str | None = None
    format: Literal["single", "list"] | None = None
    probes: list[str] = Field(default_factory=list)
    max_invalid: float | None = None
    max_tokens: int | None = None
    reasoning_effort: str | None = None
    constrain: ConstrainKind | None = Field(
        default=None,
        description="The output constraint used (--constrain): its kind, 'none' when the "
        "answers were not constrained; absent in runs before --constrain.",
    )
    constraint: ConstraintInfo | None = Field(
        default=None, description="Absent when --constrain was none."
    )
    concurrency: int | None = None
    command: str | None = None
    started: str | None = None
    seconds: float | None = None
    simulated: bool | None = None
    planted: dict[str, Any] | None = None


class RunSummary(_Open):
    """An audit's ``summary.json``."""

    judge: str
    n_pairs: int = Field(description="Pairs (or, listwise, items) audited.")
    format: Literal["pair", "single", "list"] = Field(
        default="pair", description="Absent for a pairwise run."
    )
    candidates: int | None = Field(default=None, description="Listwise: the answers per prompt.")
    accuracy: float | None = Field(description="Agreement with gold; null when none is valid.")
    accuracy_ci: list[float | None] | None = None
    probes: dict[str, ProbeFigures]
    calls: Calls
    tokens: Tokens
    cost_usd: float | None
    invalid: Invalid
    informative: dict[str, Any] | None = None
    cluster: dict[str, Any] | None = None
    run: RunInfo
    rewriter: dict[str, Any] | None = None
    reasoning: dict[str, Any] | None = None
    agreement: dict[str, Any] | None = None
    figures: dict[str, Any] | None = Field(default=None, description="What the report draws.")
    notes: list[str] | None = Field(
        default=None, description="What the run left out and why (e.g. probes 'all' skipped)."
    )


def summary_schema() -> dict[str, Any]:
    """The JSON Schema of an audit's ``summary.json``."""
    schema = RunSummary.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "judgebias audit summary.json"
    return schema


def check_summary(summary: dict[str, Any], where: str = "summary.json") -> RunSummary:
    """``summary`` as :class:`RunSummary`; a summary that does not match the schema is a
    bug of judgebias's, raised as :class:`ValueError` naming the first wrong key."""
    try:
        return RunSummary.model_validate(summary)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{where}: {path}: {first['msg']} (does not match the schema)") from None
