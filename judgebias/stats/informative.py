"""Judges whose verdicts cannot show a bias: the ``uninformative`` status and the run's
``informative`` block.

The rules (why each holds is in :mod:`judgebias.stats.validity`'s docstring):

1. **Verdicts that do not vary.** A probe's *movable* verdicts are those that can show
   its effect: the cue's and the placebo's (a cue probe), every verdict (self, fallacy),
   the grades of the two conditions compared (``--format single``). Their commonest
   value M is taken as the judge gave it: the shown position (``first``, ``second``,
   ``tie``) or the grade. When fewer than :data:`~.validity.MIN_VALID_UNITS` movable
   verdicts differ from M, the probe is uninformative. Position: when fewer than
   that many of its control verdicts name an answer at all (not a tie).
2. **At chance on gold.** When the accuracy's 95 % interval contains chance (1/2; 1/k
   for k candidates) and lies within :data:`CHANCE_MARGIN` of it, every probe but
   position is uninformative. Wider intervals (few gold labels) or no gold: nothing
   is said.

Listwise position (first-shown share minus last-shown share) is uninformative when
fewer than MIN_VALID_UNITS verdicts chose the first or the last shown response
(:func:`listwise_position_informative`).

:func:`pairwise_informative` applies both to an audit's probe figures,
:func:`grades_informative` to ``--format single``'s and :func:`run_informative`
words the run's block.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from judgebias.stats.validity import MIN_VALID_UNITS

__all__ = [
    "CHANCE_MARGIN",
    "NEAR_CONSTANT_SHARE",
    "at_chance",
    "chance_reason",
    "grades_informative",
    "listwise_position_informative",
    "mark_uninformative",
    "pairwise_informative",
    "run_informative",
    "verdict_positions",
]

CHANCE_MARGIN = 0.2
"""How close to chance the accuracy's whole 95 % interval must lie for the judge to be
called at chance: its interval must contain chance and rule out a judge right 70 % of
the time (against 50 %). A tighter margin would let a judge exactly at chance escape the
rule on an ordinary data set: with 150 gold pairs the interval's half-width is about 8
to 10 points, so a 10-point margin missed half of such judges (measured with
benchmarks/adversarial_study.py's ``chance`` configuration); a judge whose interval
reaches past 70 % may be a useful one measured on too few gold labels, and nothing is
said."""

NEAR_CONSTANT_SHARE = 0.05
"""The run's block says the verdicts do not depend on the answers only when the verdicts
that differ from the commonest are both fewer than MIN_VALID_UNITS and under this share
of all verdicts (so a run of ten verdicts, three of them different, is not called
constant)."""

_PHRASE = {
    "first": "chose the first-shown answer",
    "second": "chose the second-shown answer",
    "tie": "answered tie",
}


def verdict_positions(records: pd.DataFrame) -> pd.Series:
    """The shown position (``first``, ``second``, ``tie``) of each valid verdict."""
    valid = records[records["valid"].astype(bool)]
    if "verdict_position" in valid.columns:
        pos = valid["verdict_position"]
    else:  # records without the column: from the label and the order
        first = valid["order"].map({"ab": "a", "ba": "b"})
        pos = valid["verdict"].where(valid["verdict"] == "tie", None)
        pos = pos.fillna(valid["verdict"].eq(first).map({True: "first", False: "second"}))
    return pos.dropna().astype(str)


def _phrase(value: Any, grades: bool) -> str:
    if grades:
        return f"gave the grade {_grade(value)}"
    return _PHRASE.get(str(value), f"answered {value}")


def _grade(value: Any) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)


def constancy(values: pd.Series) -> tuple[Any, int, int]:
    """(commonest value, how many have it, how many in all) of valid verdicts or grades."""
    v = values.dropna()
    if v.empty:
        return None, 0, 0
    counts = v.value_counts()
    return counts.index[0], int(counts.iloc[0]), len(v)


def constant_reason(values: pd.Series, what: str, grades: bool = False) -> str | None:
    """Why the ``values`` (a probe's movable verdicts) cannot show its effect, or None."""
    mode, n_mode, n = constancy(values)
    if n == 0:
        return None  # nothing readable: the probe is not measured, not uninformative
    k = n - n_mode
    if k >= MIN_VALID_UNITS:
        return None
    if k == 0:
        return f"the judge {_phrase(mode, grades)} in all {n} {what}"
    return (
        f"only {k} of the {n} {what} differ from the judge's commonest one "
        f"({_phrase(mode, grades).split(' ', 1)[1]}): fewer than {MIN_VALID_UNITS}, "
        "too few for any effect to show"
    )


def at_chance(
    accuracy: float | None, lo: float | None, hi: float | None, chance: float = 0.5
) -> bool | None:
    """Whether the accuracy against gold cannot be told from ``chance`` and lies within
    :data:`CHANCE_MARGIN` of it; None when there is no accuracy or its interval is too
    wide to say (too few gold labels)."""
    vals = [accuracy, lo, hi]
    if any(v is None or not math.isfinite(float(v)) for v in vals):
        return None
    assert lo is not None and hi is not None
    if lo > chance or hi < chance:
        return False  # above (or below) chance: the verdicts follow the answers
    if lo < chance - CHANCE_MARGIN or hi > chance + CHANCE_MARGIN:
        return None  # too few gold labels to tell
    return True


def chance_reason(accuracy: float, lo: float, hi: float, chance: float = 0.5) -> str:
    return (
        f"the judge is at chance on gold: accuracy {100 * accuracy:.1f} % (95 % interval "
        f"{100 * lo:.1f} to {100 * hi:.1f} %), within {100 * CHANCE_MARGIN:.0f} points of "
        f"chance ({100 * chance:.0f} %)"
    )


def mark_uninformative(fig: dict[str, Any], reasons: list[str]) -> None:
    """Set a measured probe's status to ``uninformative`` with its reasons (its effect,
    interval and p-value stay as computed; it leaves the BH family)."""
    if not reasons or fig.get("status") != "measured":
        return
    fig["status"] = "uninformative"
    fig["status_reason"] = "; ".join(reasons)


def pairwise_informative(
    figs: dict[str, Any],
    records: pd.DataFrame,
    movable: dict[str, tuple[str, ...]],
    accuracy: tuple[float, float, float],
) -> None:
    """Mark the uninformative probes of a pairwise audit in ``figs`` (rules in the module
    docstring). ``movable`` maps each probe but position to the kinds of its records
    whose verdicts can show its effect (``("cue", "placebo")`` for a cue probe)."""
    chance = at_chance(*accuracy)
    for name, fig in figs.items():
        reasons: list[str] = []
        if name == "position":
            ctrl = verdict_positions(records[records["kind"] == "control"])
            named = int((ctrl != "tie").sum())
            if len(ctrl) and named < MIN_VALID_UNITS:
                reasons.append(
                    f"only {named} of the {len(ctrl)} control verdicts name an answer (the "
                    f"others are ties): fewer than {MIN_VALID_UNITS}, too few for any "
                    "preference for a position to show"
                )
        else:
            kinds = movable.get(name, ("cue", "placebo"))
            mine = records[(records["probe"] == name) & records["kind"].isin(kinds)]
            what = "cue and placebo verdicts" if "placebo" in kinds else "verdicts"
            r = constant_reason(verdict_positions(mine), what)
            if r:
                reasons.append(r)
            if chance:
                reasons.append(chance_reason(*accuracy))
        mark_uninformative(fig, reasons)


def listwise_position_informative(fig: dict[str, Any], shown: pd.Series, k: int) -> None:
    """Listwise position's effect (first-shown share minus last-shown share) can only be
    moved by verdicts naming the first or the last shown response: with fewer than
    MIN_VALID_UNITS of them (a judge that always picks a middle position) it cannot show
    a position bias, and ``chi2_p`` is the figure to read."""
    v = shown.dropna().astype(int)
    ends = int(v.isin([1, k]).sum())
    if len(v) and ends < MIN_VALID_UNITS:
        mode, n_mode, n = constancy(v)
        mark_uninformative(
            fig,
            [
                f"only {ends} of the {n} verdicts chose the response shown first or last "
                f"(the commonest was position {mode}, {n_mode} verdicts): too few for "
                "first-minus-last to show anything; read the chi-square test of the shares"
            ],
        )


_GRADE_CONDITIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "rubric_order": (("rubric_order", "cue"), ("control", "control")),
    "score_labels": (("score_labels", "cue"), ("score_labels", "control")),
    "anchor": (("anchor", "cue"), ("anchor", "placebo")),
    "self": (("self", "own"), ("control", "control")),
}


def grades_informative(
    figs: dict[str, Any], records: pd.DataFrame, accuracy: tuple[float, float, float]
) -> None:
    """The same rules for ``--format single``: a grade that does not vary, or grades at
    chance on gold (ranking the gold answer above the other no better than a coin)."""
    chance = at_chance(*accuracy)
    for name, fig in figs.items():
        conditions = _GRADE_CONDITIONS.get(name, ((name, "cue"), (name, "placebo")))
        keep = pd.Series(False, index=records.index)
        for probe, kind in conditions:
            keep |= (records["probe"] == probe) & (records["kind"] == kind)
        reasons: list[str] = []
        r = constant_reason(records.loc[keep, "score"], "grades compared", grades=True)
        if r:
            reasons.append(r)
        if chance:
            reasons.append(chance_reason(*accuracy))
        mark_uninformative(fig, reasons)


def run_informative(
    values: pd.Series,
    accuracy: tuple[float | None, float | None, float | None],
    figs: dict[str, Any],
    *,
    consequence: str,
    chance: float = 0.5,
    grades: bool = False,
    phrase: dict[Any, str] | None = None,
    unit: str = "verdicts",
) -> dict[str, Any]:
    """summary.json's ``informative`` block from every valid verdict of the audited judge
    (shown positions, or grades) and the accuracy against gold.

    ``verdicts_vary`` is False when the verdicts that differ from the commonest are
    fewer than MIN_VALID_UNITS and under :data:`NEAR_CONSTANT_SHARE` of them (None
    with fewer than MIN_VALID_UNITS verdicts); ``at_chance`` follows :func:`at_chance`;
    ``message`` is one sentence saying what is wrong and ``consequence`` (what it means
    for the run's figures), or None. ``phrase`` words a commonest verdict (listwise).
    """
    mode, n_mode, n = constancy(values)
    k = n - n_mode
    vary: bool | None = None
    if n >= MIN_VALID_UNITS:
        vary = not (k < MIN_VALID_UNITS and k < NEAR_CONSTANT_SHARE * n)
    acc, lo, hi = accuracy
    chance_flag = at_chance(acc, lo, hi, chance)
    message: str | None = None
    if vary is False:
        said = (phrase or {}).get(mode) or _phrase(mode, grades)
        message = (
            f"The judge's verdicts do not depend on the answers: it {said} in {n_mode} of "
            f"{n} {unit}, {consequence}."
        )
    elif chance_flag:
        assert acc is not None and lo is not None and hi is not None
        message = (
            f"The judge's verdicts do not follow the answers' quality: its accuracy against "
            f"gold, {100 * acc:.1f} % (95 % interval {100 * lo:.1f} to {100 * hi:.1f} %), "
            f"cannot be told from chance ({100 * chance:.0f} %), {consequence}."
        )
    return {
        "verdicts_vary": vary,
        "modal_verdict": None if mode is None else (_grade(mode) if grades else str(mode)),
        "n_modal": n_mode,
        "n_verdicts": n,
        "at_chance": chance_flag,
        "chance": chance,
        "uninformative_probes": [
            p for p, f in figs.items() if isinstance(f, dict) and f.get("status") == "uninformative"
        ],
        "message": message,
    }
