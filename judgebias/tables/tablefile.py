"""Reading one table file into records, each placed by line or row: the file layer under data.py.

This module knows file formats and nothing about pairs. Readable formats, chosen by
file extension (case-insensitive), each optionally gzip-compressed with a trailing
``.gz`` (``pairs.jsonl.gz``):

* ``.jsonl``, ``.ndjson``: JSON Lines, one object per line (blank lines are skipped);
* ``.json``: a JSON list of objects, or JSON Lines;
* ``.csv``, ``.tsv``: a header row, then one record per row;
* ``.parquet``.

:func:`read_source` returns a :class:`Table`: the records, their columns, and where
each record is in the file. Every problem with a file raises
:class:`~judgebias.errors.InputError`, whose message names the file, where in it the
problem is and what is wrong. Where a problem is placed:

* JSON Lines and JSON: ``line N`` is the physical line of the file, counted from 1
  (for a JSON list, the line where the offending element starts);
* CSV/TSV: ``row N`` is the row as a spreadsheet shows it: the header is row 1 and
  the first data row is row 2 (a quoted cell spanning several lines is one row);
  bytes that are not UTF-8 are placed by physical ``line`` instead;
* Parquet and DataFrames: ``row N`` is the N-th record, counted from 1.

No exception from ``json``, ``csv``, ``gzip`` or ``pyarrow`` escapes.
:mod:`judgebias.tables.pairs` builds pairs and DataFrames on top of it.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import numbers
import os
import re
import zlib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from judgebias.errors import InputError
from judgebias.registry import closest
from judgebias.tables.csv_arrow import read_csv_columns

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "BadValue",
    "Table",
    "clip",
    "duplicate_column",
    "infer_text_column",
    "oneline",
    "read_source",
    "value_kind",
]

_FORMATS: dict[str, str] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
}

SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(_FORMATS)
"""Extensions :func:`read_source` reads (each also with ``.gz``); data.py re-exports it."""

_SUPPORTED_TEXT = ", ".join(SUPPORTED_EXTENSIONS) + " (each optionally followed by .gz)"

_BOM = b"\xef\xbb\xbf"

Unit = Literal["line", "row"]


class BadValue(Exception):
    """A problem with one value; the caller adds the file and the line or row."""


@dataclass
class Table:
    """Records read from one source, with where each one came from."""

    source: str
    unit: Unit
    columns: list[str]
    records: list[dict[str, Any]] = field(default_factory=list)
    locs: list[int] = field(default_factory=list)
    header_loc: int | None = None
    """Where column-level problems are placed (CSV: row of the header)."""
    arrow: Any = None
    """The pyarrow table, for Parquet (records are then filled only on demand)."""
    typed: bool = True
    """False when every value is text (CSV), so read_table infers column types."""
    from_frame: bool = False

    def error(self, problem: str, loc: int | None = None) -> InputError:
        if self.unit == "line":
            return InputError(self.source, problem, line=loc)
        return InputError(self.source, problem, row=loc)


# --------------------------------------------------------------------------- reading


def read_source(
    path: str | Path,
    *,
    limit: int | None = None,
    parquet_columns: Collection[str] | None = None,
    columnar: bool = False,
) -> Table:
    """Read the table in ``path``: its records, their columns and where each one is.

    ``limit`` keeps the first ``limit`` records (the rest of a JSON Lines or CSV file
    is not even parsed). A Parquet file is kept as ``Table.arrow``; its records are
    filled only when ``parquet_columns`` is given, with those of its columns (in the
    file's order) that are named there. CSV/TSV values are text (``Table.typed`` is
    False). An empty file, a file of blank lines, or a header without rows is an error.
    ``columnar`` (no ``limit``): a CSV/TSV file is read by pyarrow into ``Table.arrow``
    (columns of text, no records) when :mod:`judgebias.tables.csv_arrow` can; a file
    with a problem is read row by row as usual, so errors name the row.
    """
    src = str(path)
    p = Path(path)
    if p.is_dir():
        raise InputError(src, f"is a directory, not a file; give a data file ({_SUPPORTED_TEXT})")
    if not p.exists():
        raise InputError(src, "file not found" + _not_found_hint(p))
    fmt, gz = _format_of(p, src)
    try:
        data = p.read_bytes()
    except PermissionError:
        raise InputError(src, "cannot read the file: permission denied") from None
    except OSError as e:
        raise InputError(src, f"cannot read the file: {e.strerror or oneline(e)}") from None
    if gz:
        data = _gunzip(data, src)
    elif data[:2] == b"\x1f\x8b":
        raise InputError(src, f"the file is gzip-compressed; rename it to {p.name}.gz")
    if not data:
        raise InputError(src, "file is empty" + (" after decompression" if gz else ""))

    if fmt == "parquet":
        table = _read_parquet(data, src)
        if parquet_columns is not None:
            keep = [c for c in table.columns if c in parquet_columns]
            sliced = table.arrow if limit is None else table.arrow.slice(0, limit)
            try:
                table.records = sliced.select(keep).to_pylist()
            except Exception as e:  # pyarrow: never let a raw error escape
                raise InputError(src, f"cannot read the Parquet data: {oneline(e)}") from None
            table.locs = list(range(1, len(table.records) + 1))
        return table

    text = _decode(data, src)
    if not text.strip():
        raise InputError(src, "file contains only blank lines; nothing to read")
    if fmt in ("csv", "tsv"):
        if columnar and limit is None:
            read = read_csv_columns(text, "\t" if fmt == "tsv" else ",")
            if read is not None:
                arrow, header = read
                return Table(
                    source=src, unit="row", columns=header, header_loc=1, arrow=arrow, typed=False
                )
        return _read_csv(text, src, delimiter="\t" if fmt == "tsv" else ",", limit=limit)
    stripped = text.lstrip()
    if stripped.startswith("["):
        if fmt == "json":
            return _read_json_list(text, src, limit)
        hint = f"; the file looks like a JSON list: rename it to {_stem(p)}.json"
        return _read_json_lines(text, src, limit, first_line_hint=hint)
    try:
        return _read_json_lines(text, src, limit)
    except InputError:
        if fmt == "json" and stripped.startswith("{"):
            _raise_if_single_object(text, src)
        raise


def _format_of(p: Path, src: str) -> tuple[str, bool]:
    name = p.name.lower()
    gz = name.endswith(".gz")
    if gz:
        name = name[: -len(".gz")]
    for ext, fmt in _FORMATS.items():
        if name.endswith(ext):
            return fmt, gz
    suffix = Path(name).suffix
    what = f"unsupported file format {suffix!r}" if suffix else "unknown file format (no extension)"
    raise InputError(src, f"{what}; supported: {_SUPPORTED_TEXT}")


def _stem(p: Path) -> str:
    name = p.name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    return Path(name).stem


def _not_found_hint(p: Path) -> str:
    hint = ""
    if not p.is_absolute():
        hint = f" (looked for {p.resolve()})"
    parent = p.parent if str(p.parent) else Path(".")
    try:
        names = os.listdir(parent)[:2000]
    except OSError:
        return hint
    close = closest(p.name, names, cutoff=0.75)
    if close:
        hint += f"; did you mean {str(parent / close)!r}?"
    return hint


def _gunzip(data: bytes, src: str) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as e:
        raise InputError(
            src, f"not a valid gzip file ({oneline(e)}); the name ends in .gz"
        ) from None


def _decode(data: bytes, src: str) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError(src, "the file is UTF-16 encoded; re-save it as UTF-8", line=1)
    base = len(_BOM) if data.startswith(_BOM) else 0
    try:
        return data[base:].decode("utf-8")
    except UnicodeDecodeError as e:
        offset = base + e.start
        line = data.count(b"\n", 0, offset) + 1
        raise InputError(
            src,
            f"not valid UTF-8: byte 0x{data[offset]:02x} at byte offset {offset}; re-save the file as UTF-8",
            line=line,
        ) from None


def _read_json_lines(text: str, src: str, limit: int | None, first_line_hint: str = "") -> Table:
    table = Table(source=src, unit="line", columns=[])
    seen_columns: dict[str, None] = {}
    first = True
    # Split on "\n" only: JSON strings may hold U+2028 and other characters
    # that str.splitlines() would treat as line breaks.
    for lineno, raw in enumerate(text.split("\n"), 1):
        if limit is not None and len(table.records) >= limit:
            break
        if not raw.strip():
            continue
        hint = first_line_hint if first else ""
        first = False
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as e:
            if raw.strip() in ("{", "["):
                hint = (
                    hint
                    or "; JSON Lines needs each object on one line (is the file pretty-printed?)"
                )
            elif e.msg == "Extra data":
                hint = hint or "; JSON Lines needs exactly one object per line"
            raise InputError(
                src, f"invalid JSON: {e.msg} (column {e.colno}){hint}", line=lineno
            ) from None
        if not isinstance(obj, dict):
            raise InputError(
                src,
                f"expected a JSON object ({{...}}), found {value_kind(obj)}{hint}",
                line=lineno,
            )
        table.records.append(obj)
        table.locs.append(lineno)
        for key in obj:
            seen_columns.setdefault(key, None)
    table.columns = list(seen_columns)
    return table


def _read_json_list(text: str, src: str, limit: int | None) -> Table:
    table = Table(source=src, unit="line", columns=[])
    seen_columns: dict[str, None] = {}
    decoder = json.JSONDecoder()
    n = len(text)
    counted_to, line = 0, 1

    def line_at(pos: int) -> int:
        nonlocal counted_to, line
        line += text.count("\n", counted_to, pos)
        counted_to = pos
        return line

    def skip_ws(i: int) -> int:
        while i < n and text[i] in " \t\r\n":
            i += 1
        return i

    i = skip_ws(skip_ws(0) + 1)  # past "["
    if i < n and text[i] == "]":
        i = skip_ws(i + 1)
        if i < n:
            raise InputError(src, "invalid JSON: extra data after the list", line=line_at(i))
        raise InputError(src, "the JSON list is empty; nothing to read")
    index = 0
    while True:
        start = i
        try:
            obj, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError as e:
            raise InputError(
                src, f"invalid JSON: {e.msg} (column {e.colno})", line=e.lineno
            ) from None
        index += 1
        where = line_at(start)
        if not isinstance(obj, dict):
            raise InputError(
                src,
                f"element {index} of the JSON list is not an object: found {value_kind(obj)}",
                line=where,
            )
        if limit is None or len(table.records) < limit:
            table.records.append(obj)
            table.locs.append(where)
            for key in obj:
                seen_columns.setdefault(key, None)
        i = skip_ws(i)
        if i >= n:
            raise InputError(
                src,
                "invalid JSON: the list is not closed (missing ']')",
                line=line_at(len(text.rstrip())),
            )
        if text[i] == ",":
            i = skip_ws(i + 1)
            continue
        if text[i] == "]":
            i = skip_ws(i + 1)
            if i < n:
                raise InputError(src, "invalid JSON: extra data after the list", line=line_at(i))
            break
        raise InputError(
            src, "invalid JSON: expected ',' or ']' after a list element", line=line_at(i)
        )
    table.columns = list(seen_columns)
    return table


def _raise_if_single_object(text: str, src: str) -> None:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError:
        return
    if not isinstance(obj, dict):
        return
    problem = "holds a single JSON object; expected a JSON list of objects or one object per line"
    lists = [k for k, v in obj.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
    if lists:
        problem += f" (its key {lists[0]!r} holds a list of objects: save that list alone)"
    raise InputError(src, problem, line=1)


def _read_csv(text: str, src: str, delimiter: str, limit: int | None) -> Table:
    # Long responses can exceed csv's default field limit of 128 KiB.
    if csv.field_size_limit() < 2**31 - 1:
        csv.field_size_limit(2**31 - 1)
    table = Table(source=src, unit="row", columns=[], typed=False)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    sep, kind = ("a tab", "TSV") if delimiter == "\t" else ("','", "CSV")
    header: list[str] | None = None
    rowno = 0
    while limit is None or len(table.records) < limit:
        start_line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            problem = f"malformed {kind}: {oneline(e)}"
            if "end of data" in str(e):
                problem = (
                    f"a quoted field starting on line {start_line} is never closed (missing '\"')"
                )
            raise InputError(src, problem, row=rowno + 1) from None
        rowno += 1
        if not row or all(not cell.strip() for cell in row):
            continue  # a blank row: spreadsheets show it, so it still counts
        if header is None:
            header = [h.strip() or f"Unnamed: {i}" for i, h in enumerate(row)]
            duplicate = duplicate_column(header)
            if duplicate:
                raise InputError(src, f"{duplicate} in the header", row=rowno)
            table.header_loc = rowno
            continue
        if len(row) != len(header):
            extra = row[len(header) :]
            if len(row) > len(header) and all(not cell.strip() for cell in extra):
                row = row[: len(header)]
            else:
                hint = (
                    f"; a value containing {sep} must be quoted"
                    if len(row) > len(header)
                    else "; is a value missing, or a quote not closed?"
                )
                raise InputError(
                    src,
                    f"ragged row: {len(row)} fields, but the header has {len(header)}{hint}",
                    row=rowno,
                )
        table.records.append(dict(zip(header, row, strict=True)))
        table.locs.append(rowno)
    if header is None:
        raise InputError(src, "file contains only blank lines; nothing to read")
    table.columns = header
    if not table.records:
        raise InputError(src, "has a header row but no data rows", row=table.header_loc)
    return table


def _read_parquet(data: bytes, src: str) -> Table:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrow = pq.read_table(pa.BufferReader(data))
    except Exception as e:  # pyarrow raises many types: never let a raw error escape
        raise InputError(
            src, f"not a valid Parquet file ({oneline(e)}); is it complete and really Parquet?"
        ) from None
    columns = [str(c) for c in arrow.column_names]
    duplicate = duplicate_column(columns)
    if duplicate:
        raise InputError(src, duplicate)
    if arrow.num_rows == 0:
        raise InputError(src, "the Parquet file has no rows; nothing to read")
    return Table(source=src, unit="row", columns=columns, arrow=arrow)


def infer_text_column(col: pd.Series) -> pd.Series:
    """Type a column of CSV text: numbers, ``true``/``false``, or text; empty cells missing.

    A column with a number that has a leading zero (``007``) stays text: an identifier.
    """
    values = [None if v is None or v == "" else v for v in col]
    present = [v for v in values if v is not None]
    if not present:
        return pd.Series(values, dtype=object)
    lowered = {str(v).strip().lower() for v in present}
    if lowered <= {"true", "false"}:
        return pd.Series([None if v is None else str(v).strip().lower() == "true" for v in values])
    if any(re.match(r"\s*[+-]?0\d", str(v)) for v in present):
        return pd.Series(values, dtype=object)  # "007": an identifier, not a number
    try:
        return pd.to_numeric(pd.Series(values, dtype=object))
    except (ValueError, TypeError):
        return pd.Series(values, dtype=object)


def duplicate_column(columns: list[str]) -> str | None:
    """The problem with ``columns`` if a name appears twice, else None."""
    seen: dict[str, int] = {}
    for i, c in enumerate(columns, 1):
        if c in seen:
            return f"column {c!r} appears twice (columns {seen[c]} and {i})"
        seen[c] = i
    return None


def value_kind(v: Any) -> str:
    """The JSON-ish name of a value's type, for messages."""
    if v is None:
        return "null"
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return f"boolean ({v})"
    if isinstance(v, numbers.Number):
        return f"number ({v})"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list | tuple) or type(v).__name__ == "ndarray":
        return "array"
    return type(v).__name__


def clip(text: str, width: int = 60) -> str:
    """``text`` cut to ``width`` characters, ending in ``...`` when cut."""
    return text if len(text) <= width else text[: width - 3] + "..."


def oneline(e: BaseException | str) -> str:
    """An exception (or text) as one short line for an error message."""
    text = " ".join(str(e).split())
    return clip(text or type(e).__name__, 200)
