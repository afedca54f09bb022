"""The CI gate: ``--fail-on "position>0.1,bandwagon>0.05"``.

An expression is a comma-separated list of conditions ``NAME OP VALUE``:

- ``NAME`` is a probe of the run (``position``, ``length``, ... ``self``, or a
  custom probe's name), ``|NAME|`` for the size of its effect in either direction,
  ``accuracy``, or, when the pairs carry human labels, ``agreement`` (the judge's
  agreement with the humans, ties counted) or ``kappa`` (Cohen's kappa against them);
- ``OP`` is ``>`` (trips when the whole 95 % interval lies above VALUE, i.e.
  ``ci_low > VALUE``) or ``<`` (trips when it lies wholly below, ``ci_high < VALUE``);
  ``|NAME|>VALUE`` trips when ``ci_low > VALUE`` or ``ci_high < -VALUE``;
- ``VALUE`` is a fraction like the effects in ``summary.json`` (``0.1`` = 10
  percentage points), a percentage (``10%``) or percentage points as every output
  writes them (``10pp``; ``10pt``/``10 points`` too).

So a condition trips only when the run shows the bias to exceed the threshold
beyond reasonable doubt, not when a noisy estimate merely crosses it. The effect
of ``self`` is its headline self-preference figure; ``accuracy`` uses the accuracy
interval against gold.

The gate fails closed: a condition also trips when its figure was not measured (too
few readable answers, or none), when it is not measurable (status ``uninformative``:
the judge's verdicts did not vary, or were at chance on gold; see
:mod:`judgebias.stats.validity`) or when the share of unreadable answers behind it is
over the run's ``--max-invalid`` (the probe's own share; for ``accuracy``, the run's).
A gate that cannot see the bias must not pass the judge.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from judgebias.errors import UsageError

__all__ = [
    "AGREEMENT_CONDITIONS",
    "Condition",
    "GateResult",
    "agreement_figure",
    "check_gate",
    "conditions_for_audit",
    "parse_fail_on",
    "require_measured",
    "result_lines",
]

_ITEM = re.compile(
    r"^\s*(?P<abs>\|)?\s*(?P<name>[A-Za-z][A-Za-z0-9_-]*)\s*(?P<abs2>\|)?\s*"
    r"(?P<op>>=|<=|=>|=<|==|=|>|<)\s*(?P<value>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<pct>%|pp|pts?|points?)?\s*$"
)


@dataclass(frozen=True)
class Condition:
    """One ``NAME OP VALUE`` condition of a ``--fail-on`` expression."""

    name: str
    op: Literal[">", "<"]
    value: float
    absolute: bool = False

    @property
    def text(self) -> str:
        name = f"|{self.name}|" if self.absolute else self.name
        return f"{name}{self.op}{self.value:g}"


@dataclass(frozen=True)
class GateResult:
    """The outcome of one condition on one run."""

    condition: Condition
    tripped: bool
    evaluated: bool
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    closed: str | None = None
    """Why the gate failed closed (not measured, too many invalid answers), if it did."""
    unit: str | None = None
    """A figure's own unit (``--format single``: grade points, steps, pull); None = fractions."""
    metric: str = "effect"
    """What a probe's estimate is: ``effect``, or ``DBG`` for a self figure from a run
    that predates the noise-robust headline."""

    @property
    def message(self) -> str:
        c = self.condition
        if self.closed:
            return f"{c.text}: FAILED: {self.closed}"
        what = (
            "accuracy"
            if c.name == "accuracy"
            else AGREEMENT_CONDITIONS[c.name][0]
            if c.name in AGREEMENT_CONDITIONS
            else f"{c.name} {self.metric}"
        )
        if not self.evaluated:
            return f"{c.text}: not evaluated ({what} has no estimate in this run)"
        share = c.name == "accuracy" or c.name == "agreement"
        unit = "%" if share else "" if c.name == "kappa" else " pp"
        fmt = (
            (lambda x: f"{100 * x:.1f}")
            if share
            else (lambda x: f"{x:.3f}")
            if c.name == "kappa"
            else (lambda x: f"{100 * x:+.1f}")
        )
        if self.unit:
            unit, fmt = f" {self.unit.split()[0]}", (lambda x: f"{x:+.2f}")
        ci = f"[{fmt(self.ci_low)}, {fmt(self.ci_high)}]{unit}"
        if c.absolute:
            size = f"{c.value:.2f}" if self.unit else f"{100 * c.value:.1f}"
            where = f"outside ±{size}{unit}"
        else:
            where = f"{'above' if c.op == '>' else 'below'} {fmt(c.value)}{unit}"
        verdict = "lies wholly" if self.tripped else "does not lie wholly"
        state = "FAILED" if self.tripped else "passed"
        return f"{c.text}: {state}: {what} {fmt(self.estimate)}{unit}, 95 % interval {ci} {verdict} {where}"

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:  # readable in a notebook: the condition, the verdict and why
        return f"GateResult({self.message!r})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "condition": self.condition.text,
            "tripped": self.tripped,
            "evaluated": self.evaluated,
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "message": self.message,
            "closed": self.closed,
        }


def _fail(problem: str, flag: str, example: bool = True) -> UsageError:
    hint = ' (expected e.g. "position>0.1,bandwagon>0.05")' if example else ""
    return UsageError(f"{flag}: {problem}{hint}")


def parse_fail_on(expression: str, flag: str = "--fail-on") -> list[Condition]:
    """Parse a ``--fail-on`` expression; a malformed one raises :class:`UsageError` naming ``flag``."""
    if not expression or not expression.strip():
        raise _fail("empty expression", flag)
    out: list[Condition] = []
    for raw in expression.split(","):
        item = raw.strip()
        if not item:
            raise _fail(f"empty condition in {expression!r}", flag)
        m = _ITEM.match(item)
        if not m:
            raise _fail(f"cannot read {item!r} as NAME>VALUE or NAME<VALUE", flag)
        if bool(m.group("abs")) != bool(m.group("abs2")):
            raise _fail(f"unbalanced '|' in {item!r}; write |NAME|>VALUE", flag)
        op = m.group("op")
        if op not in (">", "<"):
            raise _fail(f"operator '{op}' in {item!r} is not supported; use > or <", flag)
        value = float(m.group("value"))
        if m.group("pct"):  # 10% and 10pp both mean 0.1
            value /= 100.0
        name = m.group("name").lower()
        absolute = bool(m.group("abs"))
        if not math.isfinite(value) or not -1.0 <= value <= 1.0:
            raise _fail(
                f"threshold {m.group('value')}{m.group('pct') or ''} in {item!r} is outside "
                "[-1, 1]; effects are fractions (0.1 = 10 points): write 0.1, 10% or 10pp",
                flag,
            )
        if absolute and (op != ">" or value < 0):
            raise _fail(f"{item!r}: |NAME| takes only '>' with a threshold of 0 or more", flag)
        if absolute and (name == "accuracy" or name in AGREEMENT_CONDITIONS):
            raise _fail(f"|{name}| makes no sense; write {name}<VALUE", flag)
        out.append(Condition(name=name, op=op, value=value, absolute=absolute))  # type: ignore[arg-type]
    return out


def require_measured(
    conditions: Iterable[Condition],
    probes: Iterable[str],
    flag: str = "--fail-on",
    known: Iterable[str] = (),
) -> None:
    """Refuse conditions on probes the run does not measure (before any judge is called).

    ``known`` are probe names that exist but may not be in this run (for the hint).
    """
    have = list(probes)
    for c in conditions:
        if c.name == "accuracy" or c.name in have or c.name in AGREEMENT_CONDITIONS:
            continue
        if c.name in known:
            raise _fail(
                f"'{c.name}' is not measured by this run (probes: {', '.join(have) or 'none'}); "
                f"add it to --probes",
                flag,
                example=False,
            )
        from judgebias.registry import did_you_mean

        hint = did_you_mean(c.name, [*have, *known, "accuracy"])
        raise _fail(
            f"unknown probe '{c.name}'{hint}; this run measures "
            f"{', '.join(have) or 'nothing'}, plus accuracy",
            flag,
            example=False,
        )


AGREEMENT_CONDITIONS: dict[str, tuple[str, ...]] = {
    "agreement": ("agreement with humans", "agreement", "with_ties"),
    "kappa": ("kappa against humans", "kappa"),
}
"""Gate names read from the run's ``agreement`` block (pairs with human labels):
a description, then the path to the figure; its interval is the key + ``_ci``."""


def agreement_figure(summary: dict[str, Any], name: str) -> tuple[Any, Any, Any]:
    """(estimate, ci_low, ci_high) of an agreement condition; ``None``s when the run
    has no human labels."""
    node: Any = summary.get("agreement")
    path = AGREEMENT_CONDITIONS[name][1:]
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        return None, None, None
    ci = node.get(f"{path[-1]}_ci") or [None, None]
    return node.get(path[-1]), ci[0], ci[1]


def _agreement_closed_reason(summary: dict[str, Any]) -> str | None:
    """Why an ``agreement``/``kappa`` condition cannot pass this run, or None."""
    block = summary.get("agreement")
    if not isinstance(block, dict):
        return "the pairs carry no human label columns, so there is no agreement with humans"
    if block.get("error"):
        return f"agreement with humans was not computed ({block['error']})"
    return None


def _finite(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _closed_reason(summary: dict[str, Any], name: str) -> str | None:
    """Why a condition on ``name`` cannot pass this run, or None."""
    from judgebias.stats.validity import DEFAULT_MAX_INVALID, MIN_VALID_UNITS

    run_inv = summary.get("invalid") or {}
    limit = _finite(run_inv.get("max_invalid"))
    limit = DEFAULT_MAX_INVALID if limit is None else limit
    if name == "accuracy":
        share = _finite(run_inv.get("share"))
        if summary.get("accuracy") is None:
            return "accuracy was not measured (no readable verdict against gold)"
        if share is not None and share > limit:
            return (
                f"{100 * share:.1f} % of the run's answers could not be read "
                f"(over --max-invalid {limit:g})"
            )
        return None
    fig = (summary.get("probes") or {}).get(name) or {}
    if fig.get("status") == "not_measured":
        return (
            f"{name} was not measured: {fig.get('n') or 0} readable units "
            f"(at least {MIN_VALID_UNITS} needed), {fig.get('n_invalid') or 0} unreadable"
        )
    if fig.get("status") == "uninformative":
        return f"{name} is not measurable: {fig.get('status_reason') or 'the judge did not judge'}"
    share = _finite(fig.get("invalid_share"))
    if share is not None and share > limit:
        return (
            f"{100 * share:.1f} % of {name}'s units had unreadable answers "
            f"(over --max-invalid {limit:g}); its figure may not be read as no bias"
        )
    return None


def check_gate(summary: dict[str, Any], conditions: Iterable[Condition]) -> list[GateResult]:
    """Evaluate conditions against a run's summary (the content of ``summary.json``)."""
    probes = summary.get("probes") or {}
    results = []
    for c in conditions:
        metric = "effect"
        if c.name == "accuracy":
            ci = summary.get("accuracy_ci") or [None, None]
            est, lo, hi = summary.get("accuracy"), ci[0], ci[1]
        elif c.name in AGREEMENT_CONDITIONS:
            est, lo, hi = agreement_figure(summary, c.name)
        else:
            fig = probes.get(c.name) or {}
            est = fig.get("effect", fig.get("dbg"))
            lo, hi = fig.get("ci_low"), fig.get("ci_high")
            if "dbg" in fig and "effect" not in fig:
                metric = "DBG"
        est, lo, hi = _finite(est), _finite(lo), _finite(hi)
        closed = (
            _agreement_closed_reason(summary)
            if c.name in AGREEMENT_CONDITIONS
            else _closed_reason(summary, c.name)
        )
        if closed is None and (est is None or lo is None or hi is None):
            closed = f"{c.name} has no estimate in this run"
        if closed is not None:
            results.append(GateResult(c, True, False, est, lo, hi, closed=closed, metric=metric))
            continue
        assert lo is not None and hi is not None
        if c.absolute:
            tripped = lo > c.value or hi < -c.value
        elif c.op == ">":
            tripped = lo > c.value
        else:
            tripped = hi < c.value
        unit = None if c.name == "accuracy" else (probes.get(c.name) or {}).get("unit")
        results.append(GateResult(c, tripped, True, est, lo, hi, unit=unit, metric=metric))
    return results


def conditions_for_audit(
    expression: str, probes: str, probe_files: Iterable[str] = ()
) -> list[Condition]:
    """Parse ``--fail-on`` for ``judgebias audit`` and check its probes are among ``--probes``.

    Runs before any judge call, so a typo costs nothing.
    """
    conditions = parse_fail_on(expression)
    from judgebias.probes.catalog import load_probe_file, probe_names, resolve_probes

    extra = [load_probe_file(f) for f in probe_files]
    names = [s.name for s in resolve_probes(probes.split(","), extra=extra)]
    require_measured(conditions, names, known=probe_names())
    return conditions


def result_lines(
    results: list[GateResult], *, quiet: bool = False, run: str | None = None
) -> list[str]:
    """The gate's outcome as lines for stderr (only failures when ``quiet``); the CLI prints
    them. Whether the gate tripped is ``any(r.tripped for r in results)``."""
    prefix = f"judgebias: --fail-on{f' ({run})' if run else ''}: "
    tripped = any(r.tripped for r in results)
    lines = [prefix + r.message for r in results if r.tripped or not quiet]
    if not quiet:
        lines.append(prefix + ("gate FAILED (exit status 1)" if tripped else "gate passed"))
    return lines
