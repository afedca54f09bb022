"""The notebook face of an audit: :class:`AuditResult` and :func:`load_run`.

``judgebias.audit(...)`` returns an :class:`AuditResult`; ``judgebias.load_run(path)``
returns the same object for a run folder written earlier (no judge is called)::

    import judgebias as jb
    res = jb.audit("sim:position=0.3,length=0.2", probes="position,length", out="runs/sim")
    res                      # in Jupyter: the scorecard
    res.summary              # one row per probe: effect, ci_low, ci_high, p_adjusted, ...
    res.records              # one row per judge call
    res.plot()               # forest plot (matplotlib Figure)
    res.to_html()            # the full self-contained report, as a string
    res.to_html("r.html")    # ... written to a file (returns the path)
    res.check("position>0.1")  # the CI gate, as a list of results
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import pandas as pd

from judgebias.report.runs import ordered_probes
from judgebias.tables.runfolder import Run, read_run
from judgebias.tables.summary import RunSummary, Unit, check_summary

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from judgebias.audits.gate import GateResult

__all__ = ["SUMMARY_COLUMNS", "AuditResult", "load_run", "summary_frame"]

SUMMARY_COLUMNS = [
    "probe",
    "metric",
    "effect",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "significant",
    "severity",
    "status",
    "n",
    "n_invalid",
    "invalid_share",
    "flip_rate",
    "placebo_flip_rate",
    "attributable_rate",
    "robustness_rate",
    "consistency",
    "primacy",
    "recency",
    "judge_win_rate",
    "gold_win_rate",
    "planted",
    "unit",
]
"""Columns of :attr:`AuditResult.summary`, in order (as in ``summary.json``: each effect in
its probe's ``unit``, a share unless it says otherwise)."""

_RATES = SUMMARY_COLUMNS[SUMMARY_COLUMNS.index("flip_rate") : SUMMARY_COLUMNS.index("planted")]


def _unit(fig: dict[str, Any]) -> Unit:
    """The unit of a probe's effect (a share when the probe names none or an unknown one)."""
    try:
        return Unit(fig.get("unit") or Unit.SHARE)
    except ValueError:
        return Unit.SHARE


_METRIC = {
    "position": "primacy - recency",
    "self": "own wording - paraphrase, net of placebo",
}


def _float(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v


def summary_frame(summary: dict[str, Any]) -> pd.DataFrame:
    """A tidy table of a run's probes: one row per probe, the columns of :data:`SUMMARY_COLUMNS`."""
    probes = summary.get("probes") or {}
    planted = (summary.get("run") or {}).get("planted") or {}
    rows = []
    for name in ordered_probes(probes):
        f = probes[name] if isinstance(probes[name], dict) else {}
        is_dbg = "dbg" in f and "effect" not in f
        q = _float(f.get("p_adjusted"))
        rows.append(
            {
                "probe": name,
                "metric": "DBG" if is_dbg else _METRIC.get(name, "flip - placebo"),
                "effect": _float(f.get("dbg") if is_dbg else f.get("effect")),
                "ci_low": _float(f.get("ci_low")),
                "ci_high": _float(f.get("ci_high")),
                "p_value": _float(f.get("p_value")),
                "p_adjusted": q,
                "significant": bool(q < 0.05) if not math.isnan(q) else False,
                "severity": f.get("severity"),
                "status": f.get("status") or "measured",
                "n": int(f["n"])
                if isinstance(f.get("n"), int | float) and not isinstance(f.get("n"), bool)
                else 0,
                "n_invalid": int(f.get("n_invalid") or 0),
                "invalid_share": _float(f.get("invalid_share")),
                **{k: _float(f.get(k)) for k in _RATES},
                "planted": _float(planted.get(name)) if not is_dbg else math.nan,
                "unit": _unit(f).value,
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


class AuditResult:
    """A finished audit: its numbers, its records and its report, ready for a notebook.

    Attributes: ``path`` (the run folder), ``summary_json`` (the content of
    ``summary.json``), ``records`` (one row per judge call), ``pairs`` (the pairs).
    """

    def __init__(self, run: Run) -> None:
        self._run = run
        self._summary: pd.DataFrame | None = None

    @classmethod
    def from_folder(cls, path: str | Path) -> AuditResult:
        return cls(read_run(path))

    # -- data ----------------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self._run.path

    @property
    def summary_json(self) -> dict[str, Any]:
        """Everything in ``summary.json``: probes, calls, tokens, cost, the run's settings."""
        return self._run.summary

    @property
    def typed(self) -> RunSummary:
        """``summary.json`` as the typed :class:`~judgebias.tables.summary.RunSummary`
        (``judgebias schema summary`` prints its schema)."""
        return check_summary(self._run.summary, where=str(self.path / "summary.json"))

    @property
    def summary(self) -> pd.DataFrame:
        """One row per probe: effect, 95 % interval, p-values, severity and the probe's own rates."""
        if self._summary is None:
            self._summary = summary_frame(self._run.summary)
        return self._summary.copy()

    @property
    def records(self) -> pd.DataFrame:
        """One tidy row per judge call (``records.parquet``)."""
        return self._run.records

    @property
    def pairs(self) -> pd.DataFrame:
        return self._run.pairs

    @property
    def judge(self) -> str:
        return str(self._run.summary.get("judge", "?"))

    @property
    def accuracy(self) -> float | None:
        acc = self._run.summary.get("accuracy")
        return None if acc is None else float(acc)

    # -- views ---------------------------------------------------------------------
    def plot(self, ax: Axes | None = None) -> Figure:
        """The forest plot of every effect with its 95 % interval (a matplotlib Figure)."""
        from judgebias.report.plots import draw_forest

        if ax is None:
            import matplotlib.pyplot as plt

            n = max(1, len(self._run.probes))
            _, ax = plt.subplots(figsize=(7.0, 1.0 + 0.42 * n))
        draw_forest(ax, [self._run])
        ax.set_title(f"judgebias: {self.judge}", fontsize=10, loc="left")
        figure = ax.get_figure()
        assert figure is not None
        return figure  # type: ignore[return-value]

    @overload
    def to_html(self, path: None = None) -> str: ...

    @overload
    def to_html(self, path: str | Path) -> Path: ...

    def to_html(self, path: str | Path | None = None) -> str | Path:
        """The full self-contained HTML report as a string; with ``path``, the report is
        written there and the path returned (a notebook then shows the path, not the page)."""
        from judgebias.report.render import render_report

        html = render_report(self._run)
        if path is None:
            return html
        target = Path(path)
        target.write_text(html, encoding="utf-8")
        return target

    def check(self, fail_on: str) -> list[GateResult]:
        """Evaluate a ``--fail-on`` expression; a result with ``tripped`` True would fail CI.
        Each result reads as its sentence (``print(r)``, or the list's repr in a notebook):
        the condition, passed or FAILED, the estimate and its interval, or why it failed
        closed."""
        from judgebias.audits.gate import check_gate, parse_fail_on, require_measured

        conditions = parse_fail_on(fail_on, flag="fail_on")
        require_measured(conditions, self._run.probes, flag="fail_on")
        return check_gate(self._run.summary, conditions)

    def _repr_html_(self) -> str:
        from judgebias.report.render import scorecard_html

        return scorecard_html(self._run)

    def __repr__(self) -> str:
        parts = []
        for r in self.summary.to_dict("records"):
            eff, lo, hi = _float(r["effect"]), _float(r["ci_low"]), _float(r["ci_high"])
            unit = Unit(r["unit"])  # a share in pp, a grade shift in points
            if math.isnan(eff):
                parts.append(f"{r['probe']} –")
            else:
                parts.append(
                    f"{r['probe']} {unit.show(eff)} [{unit.show(lo, bare=True)}, "
                    f"{unit.show(hi, bare=True)}] {r['severity']}"
                )
        n = self._run.summary.get("n_pairs")
        return (
            f"AuditResult(judge={self.judge!r}, n_pairs={n}, path='{self.path}'; "
            + "; ".join(parts)
            + ")"
        )


def load_run(path: str | Path) -> AuditResult:
    """The :class:`AuditResult` of a run folder written by ``judgebias audit`` (no judge call)."""
    return AuditResult.from_folder(path)
