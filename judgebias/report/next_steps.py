"""What to do after an audit: the steps the console and the report end with.

From a run's ``summary.json`` alone (so ``judgebias report`` gives the same advice later):

- a detected bias (BH-adjusted p below 0.05): the mitigation that addresses it, the audit
  command that measures the mitigated judge into a folder of its own, and the
  ``judgebias compare`` command that checks the mitigation worked;
- intervals too wide to tell a 10-point bias from none: ``judgebias plan`` and the number of
  pairs it gives for the probe's own placebo flip rate;
- unreadable answers: ``judgebias check``, which finds the settings that read this judge;
- failed calls: re-run the same command (only the failed calls are sent again).

Which mitigation addresses which probe (see :mod:`judgebias.corrections.mitigations`):
``swap`` asks both orders and keeps the verdict they agree on (position); the bias-aware
``system-prompt`` names position, length, bandwagon, authority and reflection; ``few-shot``
shows worked examples of a cue resisted (the other cue probes); for ``self`` a jury with
another model dilutes the judge's preference for its own answers.
"""

from __future__ import annotations

import itertools
import math
import shlex
from typing import Any, Literal

__all__ = ["MITIGATION_FOR", "WIDE_HALF_WIDTH", "next_steps", "step_lines"]

WIDE_HALF_WIDTH = 0.1
"""An interval whose half-width exceeds this (10 points) cannot tell a 10-point bias from
none: the run is advised to plan for more pairs."""

_SYSTEM_PROMPT = ("length", "bandwagon", "authority", "reflection")

MITIGATION_FOR: dict[str, tuple[str, str]] = {
    "position": ("swap", "asks every pair in both orders and keeps the verdict both agree on"),
    **{
        p: ("system-prompt", f"a bias-aware system prompt that names the {p} bias")
        for p in _SYSTEM_PROMPT
    },
    "self": (
        "jury:OTHER_SPEC",
        "a panel with another model (replace OTHER_SPEC) dilutes the preference for its own "
        "answers",
    ),
}
"""Probe -> (``--mitigation`` value, why it helps). Any other cue probe: ``few-shot``."""

_DETECTED = ("slight", "moderate", "strong")


def _mitigation(probe: str) -> tuple[str, str]:
    return MITIGATION_FOR.get(
        probe, ("few-shot", "worked examples in which a cue like this one is resisted")
    )


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _audit_command(summary: dict[str, Any], mitigation: str, dest: str) -> str:
    """The run's own audit command with ``--mitigation`` and a new ``--out``."""
    run = summary.get("run") or {}
    try:
        words = shlex.split(str(run.get("command") or ""))
    except ValueError:
        words = []
    if len(words) < 2 or words[:2] != ["judgebias", "audit"]:
        judge = shlex.quote(str(summary.get("judge") or "SPEC"))
        words = ["judgebias", "audit", "--judge", judge, "..."]
        keep = words
    else:
        keep, skip = [], False
        for w in words:
            if skip:
                skip = False
                continue
            if w in ("--out", "--mitigation", "--fail-on"):
                skip = True
                continue
            if w.startswith(("--out=", "--mitigation=", "--fail-on=")):
                continue
            keep.append(w)
        keep = [shlex.quote(w) for w in keep]
    return " ".join([*keep, "--mitigation", shlex.quote(mitigation), "--out", dest])


def _base_urls(summary: dict[str, Any]) -> str:
    """`` --base-url URL`` for each endpoint the run's command named ("" for none)."""
    try:
        words = shlex.split(str((summary.get("run") or {}).get("command") or ""))
    except ValueError:
        return ""
    urls = [b for a, b in itertools.pairwise(words) if a == "--base-url"]
    urls += [w.split("=", 1)[1] for w in words if w.startswith("--base-url=")]
    return "".join(f" --base-url {shlex.quote(u)}" for u in urls)


def _plan(fig: dict[str, Any], position: bool) -> tuple[int | None, str]:
    """(pairs needed to detect a 10-point bias, the ``judgebias plan`` command that says so),
    for the probe's own placebo flip rate (probe design) or the position design."""
    from judgebias.stats.power import plan_sample_size

    design: Literal["probe", "position"] = "position" if position else "probe"
    base = None if position else _num(fig.get("placebo_flip_rate"))
    base = 0.1 if base is None or base <= 0 or base >= 0.5 else round(base, 2) or 0.01
    command = (
        f"judgebias plan --effect {WIDE_HALF_WIDTH:g} --design {design} --baseline-flip {base:g}"
    )
    try:
        plan = plan_sample_size(WIDE_HALF_WIDTH, baseline_flip=base, design=design)
    except Exception:  # a baseline the planner refuses: the command says why
        return None, command
    return int(plan["pairs"]), command


def next_steps(summary: dict[str, Any], folder: str) -> list[dict[str, Any]]:
    """The steps after the run in ``folder`` (its path as given), most pressing first: each
    ``{"kind", "probe", "text", "commands"}`` (``kind`` one of ``retry``, ``check``,
    ``mitigate``, ``plan``); the commands are ready to paste into a shell."""
    steps: list[dict[str, Any]] = []
    inv = summary.get("invalid") or {}
    reasons = inv.get("reasons") or {}
    failed = int(inv.get("failed_calls", reasons.get("call_failed", 0)) or 0)
    unreadable = int(inv.get("n_unreadable", (inv.get("n_invalid") or 0) - failed) or 0)
    run = summary.get("run") or {}
    if failed:
        steps.append(
            {
                "kind": "retry",
                "probe": None,
                "text": f"{failed} judge calls failed: re-run the same command once the judge "
                "answers; only the failed calls are sent again.",
                "commands": [str(run["command"])] if run.get("command") else [],
            }
        )
    if unreadable:
        judge = shlex.quote(str(summary.get("judge") or "SPEC"))
        steps.append(
            {
                "kind": "check",
                "probe": None,
                "text": f"{unreadable} answers could not be read as a verdict: find the "
                "settings (constraint, mode, template) that read this judge.",
                "commands": [f"judgebias check --judge {judge}{_base_urls(summary)}"],
            }
        )
    probes = summary.get("probes") or {}
    n_pairs = int(summary.get("n_pairs") or 0)
    wide: list[tuple[str, float, int | None, str]] = []
    for name, fig in probes.items():
        if not isinstance(fig, dict) or fig.get("unit"):  # graded formats: other units
            continue
        severity = str(fig.get("severity") or "")
        if severity in _DETECTED:
            mitigation, why = _mitigation(name)
            dest = shlex.quote(f"{folder.rstrip('/')}-{mitigation.split(':')[0]}")
            here = shlex.quote(folder)
            effect = _num(fig.get("effect", fig.get("dbg")))
            size = "" if effect is None else f" ({100 * effect:+.1f} pp)"
            steps.append(
                {
                    "kind": "mitigate",
                    "probe": name,
                    "text": f"{name} bias detected{size}, {severity}: try --mitigation "
                    f"{mitigation} ({why}), then compare the two runs.",
                    "commands": [
                        _audit_command(summary, mitigation, dest),
                        f"judgebias compare {here} {dest}",
                    ],
                }
            )
            continue
        lo, hi = _num(fig.get("ci_low")), _num(fig.get("ci_high"))
        if fig.get("status", "measured") != "measured" or lo is None or hi is None:
            continue
        half = (hi - lo) / 2
        if half > WIDE_HALF_WIDTH:
            wide.append((name, half, *_plan(fig, name == "position")))
    if wide:
        most = max(wide, key=lambda w: -1 if w[2] is None else w[2])
        names = ", ".join(f"{name} ±{100 * half:.0f} pp" for name, half, _, _ in wide)
        more = (
            f" about {most[2]} pairs are needed to detect a {100 * WIDE_HALF_WIDTH:.0f}-point "
            f"{most[0]} bias (this run has {n_pairs})"
            if most[2] is not None
            else ""
        )
        steps.append(
            {
                "kind": "plan",
                "probe": most[0],
                "text": f"intervals too wide to tell a {100 * WIDE_HALF_WIDTH:.0f}-point bias "
                f"from none ({names}):{more}.",
                "commands": [most[3]],
            }
        )
    return steps


def step_lines(steps: list[dict[str, Any]]) -> list[str]:
    """The steps as plain lines (the console prints them under "next steps")."""
    lines: list[str] = []
    for s in steps:
        lines.append(f"- {s['text']}")
        lines.extend(f"    {c}" for c in s["commands"])
    return lines
