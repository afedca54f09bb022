"""What :func:`analyze` returns and how it is built: the per-group table, ``summary.json``
and the optional strategy comparison."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from judgebias.analysis.columns import (
    DEFAULT_MIN_LENGTH_DIFF,
    INSTRUCTION,
    SUMMARY_COLUMNS,
    UNPARSEABLE_RULE,
    column_not_found,
    group_items,
    split_names,
)
from judgebias.analysis.prepare import Prepared, prepare
from judgebias.analysis.raw import RawAnswers, invalid_columns, raw_invalid
from judgebias.errors import UsageError
from judgebias.jsonsafe import json_safe
from judgebias.stats.recorded import group_table
from judgebias.stats.repetition import repetition_stability, unit_means
from judgebias.stats.strategies import StrategyComparison, compare_strategies
from judgebias.stats.validity import DEFAULT_MAX_INVALID
from judgebias.tables.verdicts import VerdictColumns

# --------------------------------------------------------------------------- the result

RAW_RULE = (
    "Raw answers are read by the strict reader of live audits; an answer that cannot be read "
    "is invalid with a reason, never a verdict: the position figures use the pairs read in "
    "both orders (n_valid), and over --max-invalid no figure may be read as 'no bias'."
)


@dataclass
class AnalyzeResult:
    """What :func:`analyze` returns.

    ``table``: one row per group: the group columns, :data:`SUMMARY_COLUMNS`, then
    counts, intervals (``*_ci_low``/``*_ci_high``) and p-values. ``summary``: the
    content of ``summary.json``. ``pairs``: the prepared one-row-per-pair frame.
    ``comparison``: the strategy comparison, when asked for.
    """

    table: pd.DataFrame
    summary: dict[str, Any]
    pairs: pd.DataFrame
    prepared: Prepared
    comparison: StrategyComparison | None = None

    def __repr__(self) -> str:
        from judgebias.report.analyze_console import analyze_text

        groups = len(self.table)
        head = f"AnalyzeResult: {groups} group{'s' if groups != 1 else ''}"
        return f"{head}\n{analyze_text(self.table, list(self.prepared.group), limit=20)}"

    def _repr_html_(self) -> str:
        """Jupyter's display: the per-group figures with their intervals (escaped)."""
        import html

        from judgebias.report.analyze_console import SIGN_NOTE, analyze_frame

        frame = analyze_frame(self.table, list(self.prepared.group), limit=40)
        more = len(self.table) - len(frame)
        tail = f"<p>... {more} more groups in <code>.table</code></p>" if more > 0 else ""
        return (
            f"<div><p><strong>judgebias analyze</strong>: {len(self.table)} groups</p>"
            + frame.to_html(index=False, escape=True)
            + tail
            + f"<p><small>95% intervals in brackets; {html.escape(SIGN_NOTE)}</small></p></div>"
        )

    def summary_csv(self) -> pd.DataFrame:
        """The ``summary.csv`` table: group columns, the contract figures, then the rest."""
        lead = [*self.prepared.group, *SUMMARY_COLUMNS]
        return self.table[lead + [c for c in self.table.columns if c not in lead]]


def _interval(
    row: Mapping[str, Any], name: str, n_key: str, value_key: str | None = None
) -> dict[str, Any]:
    return {
        "value": row[value_key or name],
        "ci_low": row[f"{name}_ci_low"],
        "ci_high": row[f"{name}_ci_high"],
        "n": row[n_key],
    }


def _group_json(row: Mapping[Any, Any], group: list[str]) -> dict[str, Any]:
    return {
        "group": {g: row[g] for g in group},
        "n": row["n"],
        "n_valid": row["n_valid"],
        "n_invalid": row["n_invalid"],
        "n_unparseable": row["n_unparseable"],
        "position_consistency": _interval(row, "position_consistency", "n_valid"),
        "primacy": _interval(row, "primacy", "n_valid"),
        "recency": _interval(row, "recency", "n_valid"),
        "preference_fairness": _interval(row, "preference_fairness", "n_valid"),
        "n_clusters": row["n_clusters"],
        "position_effect": {
            **_interval(row, "position_effect", "n_valid"),
            "p_value": row["position_p_value"],
            "p_adjusted": row["position_p_adjusted"],
        },
        "accuracy": _interval(row, "accuracy", "n_gold"),
        "accuracy_first": _interval(row, "accuracy_first", "n_gold_first"),
        "accuracy_second": _interval(row, "accuracy_second", "n_gold_second"),
        "prefers_longer": _interval(row, "prefers_longer", "n_length"),
        "prefers_longer_when_gold_shorter": _interval(
            row, "prefers_longer_when_gold_shorter", "n_gold_shorter"
        ),
        **_repeat_units_json(row),
        **_raw_json(row),
    }


def _raw_json(row: Mapping[Any, Any]) -> dict[str, Any]:
    """With ``--raw``: the group's unreadable answers (two answers per pair)."""
    if "n_invalid_answers" not in row:
        return {}
    reasons = {}
    for part in str(row["invalid_reasons"] or "").split("; "):
        if part:
            name, _, count = part.rpartition(" ")
            reasons[name] = int(count)
    return {
        "invalid_answers": {
            "n": 2 * int(row["n"]),
            "n_invalid": row["n_invalid_answers"],
            "share": row["invalid_share"],
            "reasons": reasons,
        }
    }


# --------------------------------------------------------------------------- --repeat, --units


def _repeat_units_table(
    prep: Prepared,
    table: pd.DataFrame,
    units: list[str] | None,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """``table`` with Shi et al.'s figures per group: ``repetition_stability`` (with
    ``--repeat``; its interval clustered by ``cluster``) and the means over ``units``
    (with ``--units``)."""
    if prep.repeat is None and not units:
        return table
    extra = []
    for _, g in group_items(prep.frame, prep.group):
        row: dict[str, Any] = {}
        if prep.repeat is not None:
            row.update(repetition_stability(g, pair=prep.pair, cluster=cluster, alpha=alpha))
        if units:
            row.update(unit_means(g, units=units))
        extra.append(row)
    return pd.concat([table.reset_index(drop=True), pd.DataFrame(extra)], axis=1)


def _repeat_units_json(row: Mapping[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "repetition_stability" in row:
        out["repetition_stability"] = {
            "value": row["repetition_stability"],
            "ci_low": row["repetition_stability_ci_low"],
            "ci_high": row["repetition_stability_ci_high"],
            "n_calls": row["n_repeat_calls"],
            "n_pairs": row["n_repeat_pairs"],
            "n_pairs_asked_once": row["n_repeat_single"],
            "repetitions": row["repetitions"],
            "n_unread": row["n_repeat_unread"],
        }
    for name in ("position_consistency", "preference_fairness"):
        if f"{name}_units_mean" in row:
            out[f"{name}_units_mean"] = {
                "value": row[f"{name}_units_mean"],
                "std": row[f"{name}_units_std"],
                "n_units": row["n_units"] if name == "preference_fairness" else row["n_units_read"],
            }
    return out


def cluster_column(frame: pd.DataFrame, cluster: str | None) -> tuple[str | None, dict[str, Any]]:
    """The column whose equal values are one cluster (None: every pair its own) and
    summary.json's ``cluster`` for ``--cluster`` (default: the instruction, when the table
    or ``--items`` gives one)."""
    given = (cluster or "instruction").strip()
    col: str | None
    if given.lower() in ("pair", "id"):
        col, unit, note = None, "pair", ""
    elif given == "instruction":
        has = [c for c in (INSTRUCTION, "instruction") if c in frame.columns]
        col = next((c for c in has if frame[c].notna().any()), None)
        unit = "instruction" if col is not None else "pair"
        note = "" if col is not None else "no instruction column: every pair is its own cluster"
        if col is None and cluster is not None:
            raise UsageError(f"--cluster: {column_not_found(given, list(frame.columns))}")
    else:
        if given not in frame.columns:
            raise UsageError(f"--cluster: {column_not_found(given, list(frame.columns))}")
        col, unit, note = given, given, ""
    keys = frame[col].dropna() if col is not None else frame.index
    info = {"column": given, "unit": unit, "n_clusters": int(pd.Series(keys).nunique())}
    if note:
        info["note"] = note
    return col, info


def _summary(
    prep: Prepared,
    table: pd.DataFrame,
    comparison: StrategyComparison | None,
    *,
    units: list[str],
    min_diff: float,
    alpha: float,
    meta: Mapping[str, Any],
    cluster: Mapping[str, Any],
    raw: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    from judgebias import __version__

    out: dict[str, Any] = {
        "source": {
            **meta,
            "layout": prep.layout,
            **prep.columns,
            "group": prep.group,
            "pair": prep.pair,
            "on": prep.on,
            "lengths": prep.lengths,
            "repeat": prep.repeat,
            "units": list(units),
            "rows": prep.n_rows,
            "items_matched": prep.items_matched,
        },
        "n_groups": len(table),
        "n_pairs": int(table["n"].sum()),
        "min_length_diff": min_diff,
        "confidence": 1 - alpha,
        "cluster": dict(cluster),
        "rules": {"unparseable": UNPARSEABLE_RULE},
        "unrecognized_values": prep.unrecognized,
        "groups": [_group_json(r, prep.group) for r in table.to_dict("records")],
        "judgebias_version": __version__,
    }
    if raw is not None:
        out["reader"] = dict(raw["reader"])
        out["invalid"] = dict(raw["invalid"])
        out["rules"]["raw"] = RAW_RULE
    if comparison is not None:
        out["comparison"] = {
            "column": comparison.column,
            "baseline": comparison.baseline,
            "within": comparison.within,
            "match": comparison.match,
            "differences": comparison.differences.to_dict("records"),
            "length": comparison.length.to_dict("records"),
        }
    cleaned: dict[str, Any] = json_safe(out)
    return cleaned


def analyze(
    df: pd.DataFrame,
    columns: VerdictColumns | None = None,
    *,
    items: pd.DataFrame | None = None,
    min_length_diff: float = DEFAULT_MIN_LENGTH_DIFF,
    compare_to: str | None = None,
    compare_column: str = "strategy",
    compare_within: str | Sequence[str] | None = None,
    units: str | Sequence[str] | None = None,
    alpha: float = 0.05,
    source: str = "<frame>",
    items_source: str = "<items>",
    meta: Mapping[str, Any] | None = None,
    cluster: str | None = None,
    raw: bool = False,
    template: str | None = None,
    answer_pattern: str | None = None,
    max_invalid: float = DEFAULT_MAX_INVALID,
    **names: Any,
) -> AnalyzeResult:
    """Figures per group from recorded verdicts (rules and layouts: the module docstring).

    The columns are ``columns`` (:class:`~judgebias.tables.verdicts.VerdictColumns`) or its
    fields as keywords: wide layout ``first``/``second`` (``"A|B"``: first non-empty),
    long layout ``order``, ``verdict``, ``pair`` and optionally ``order_values``;
    ``gold``, ``group``, ``on``, ``texts``, ``lengths``. Column lists are lists or
    comma-separated strings. ``where`` keeps the rows whose column equals the value
    (or one of the values).
    ``compare_to`` turns on :func:`compare_strategies` against that value of
    ``compare_column``; ``compare_within`` defaults to ``judge`` when present.
    ``repeat`` (a column field: which repetition of the same request a row is, pairs
    identified by ``pair``) adds ``repetition_stability`` per group; ``units`` (columns)
    adds ``position_consistency_units_mean`` and ``preference_fairness_units_mean``, the
    means over the units of each group (:mod:`judgebias.stats.repetition`).
    ``cluster`` (``--cluster``) names the column whose equal values are one cluster for
    the position and accuracy intervals: by default the instruction (when the table or
    ``items`` has one), ``pair`` for none, or any column of the table (``question_id``).
    ``raw`` (``--raw``): the verdict columns hold the judge's raw answers in the order
    shown, read by the strict reader of live audits: ``template``'s (a bundled name or a
    file; default the pairwise ``[[A]]``/``[[B]]``/``[[C]]`` one) or ``answer_pattern``'s (a
    regular expression with one capture group, the label: ``"Choice: ([AB])"``); unreadable
    answers are counted with their reasons, and ``max_invalid`` is the share over which the
    summary's ``invalid.exceeded`` is true (:mod:`judgebias.analysis.raw`).
    """
    if not 0.0 < alpha < 1.0:
        raise UsageError(f"alpha: {alpha} is not in (0, 1)")
    if min_length_diff < 0 or math.isnan(min_length_diff):
        raise UsageError(f"--min-length-diff: must not be negative, got {min_length_diff}")
    if not raw and (template is not None or answer_pattern is not None):
        flag = "--answer-pattern" if answer_pattern is not None else "--template"
        raise UsageError(f"{flag}: only with --raw (the verdict columns hold raw answers)")
    if not 0.0 <= max_invalid <= 1.0:
        raise UsageError(f"--max-invalid: {max_invalid:g} is not a share between 0 and 1")
    reader = RawAnswers(template, answer_pattern) if raw else None
    prep = prepare(
        df,
        VerdictColumns.of(columns, **names),
        items=items,
        source=source,
        items_source=items_source,
        raw=reader,
    )
    cluster_col, cluster_info = cluster_column(prep.frame, cluster)
    table = group_table(
        prep.frame,
        prep.group,
        has_gold=prep.has_gold,
        min_diff=min_length_diff,
        alpha=alpha,
        cluster=cluster_col,
    )
    unit_cols = split_names(units)
    if unit_cols:
        for col in unit_cols:
            if col not in prep.frame.columns:
                raise UsageError(f"--units: {column_not_found(col, list(prep.frame.columns))}")
    table = _repeat_units_table(prep, table, unit_cols, cluster_col, alpha)
    raw_info = None
    if reader is not None:
        extra = invalid_columns(prep.frame, prep.group)
        table = pd.concat([table.reset_index(drop=True), extra], axis=1)
        raw_info = {
            "reader": reader.describe(),
            "invalid": raw_invalid(prep.frame, prep.pair, prep.group, max_invalid),
        }
    comparison = None
    if compare_to is not None:
        if compare_column not in prep.frame.columns:
            raise UsageError(
                f"--compare-column: {column_not_found(compare_column, list(prep.frame.columns))}"
            )
        within = (
            split_names(compare_within)
            if compare_within is not None
            else (["judge"] if "judge" in prep.frame.columns and compare_column != "judge" else [])
        )
        match = list(
            dict.fromkeys(
                [*prep.pair, *(g for g in prep.group if g != compare_column and g not in within)]
            )
        )
        comparison = compare_strategies(
            prep.frame,
            baseline=compare_to,
            column=compare_column,
            within=within,
            match=[m for m in match if m not in within],
            alpha=alpha,
            min_length_diff=min_length_diff,
            cluster=cluster_col,
        )
    summary = _summary(
        prep,
        table,
        comparison,
        units=unit_cols,
        min_diff=min_length_diff,
        alpha=alpha,
        meta={"file": source, **(meta or {})},
        cluster=cluster_info,
        raw=raw_info,
    )
    return AnalyzeResult(
        table=table, summary=summary, pairs=prep.frame, prepared=prep, comparison=comparison
    )
