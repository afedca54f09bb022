"""``judgebias analyze``'s files: ``summary.csv``, ``summary.json`` and ``report.html``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from judgebias.analysis.raw import readings
from judgebias.analysis.result import AnalyzeResult, analyze
from judgebias.errors import UsageError
from judgebias.report.analyze_page import render_analyze_html
from judgebias.tables.pairs import read_table
from judgebias.tables.verdicts import VerdictColumns


def write_outputs(result: AnalyzeResult, out: str | Path, *, title: str | None = None) -> Path:
    """Write ``summary.csv``, ``summary.json`` and ``report.html`` into ``out`` (and, for raw
    answers, ``readings.csv``: what each answer was read as); return it."""
    path = Path(out)
    try:
        path.mkdir(parents=True, exist_ok=True)
        result.summary_csv().to_csv(path / "summary.csv", index=False)
        (path / "summary.json").write_text(
            json.dumps(result.summary, indent=2) + "\n", encoding="utf-8"
        )
        (path / "report.html").write_text(
            render_analyze_html(result, title=title), encoding="utf-8"
        )
        if result.prepared.raw:
            src = result.summary["source"]
            texts = [
                c for k in ("first", "second", "verdict") for c in str(src.get(k) or "").split("|")
            ]
            readings(result.pairs, texts).to_csv(path / "readings.csv", index=False)
    except OSError as exc:
        raise UsageError(f"--out: cannot write to {path} ({exc.strerror or exc})") from None
    return path


def run_analyze(
    path: str | Path,
    first: str | None = None,
    second: str | None = None,
    gold: str | None = None,
    group: str | Sequence[str] | None = None,
    items: str | Path | None = None,
    out: str | Path = "judgebias-analyze",
    *,
    columns: VerdictColumns | None = None,
    title: str | None = None,
    command: str | None = None,
    **options: Any,
) -> AnalyzeResult:
    """Read ``path`` (and ``items``), run :func:`analyze` and write its outputs into ``out``.

    ``columns`` (or ``first``, ``second``, ``gold``, ``group`` and the other
    :class:`~judgebias.tables.verdicts.VerdictColumns` fields in ``options``) say which
    columns mean what; ``options`` are the other keyword arguments of :func:`analyze`.
    """
    table = read_table(path)
    item_table = read_table(items) if items is not None else None
    meta: dict[str, Any] = {"items": str(items) if items is not None else None}
    if command:
        meta["command"] = command
    result = analyze(
        table,
        VerdictColumns.of(columns, first=first, second=second, gold=gold, group=group),
        items=item_table,
        source=str(path),
        items_source=str(items) if items is not None else "<items>",
        meta=meta,
        **options,
    )
    write_outputs(result, out, title=title)
    return result
