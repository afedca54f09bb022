"""Loading pairwise-comparison data and other tables, with one-line errors.

Readable formats, chosen by file extension (case-insensitive), each optionally
gzip-compressed with a trailing ``.gz`` (``pairs.jsonl.gz``):

* ``.jsonl``, ``.ndjson``: JSON Lines, one object per line (blank lines are skipped);
* ``.json``: a JSON list of objects, or JSON Lines;
* ``.csv``, ``.tsv``: a header row, then one record per row;
* ``.parquet``.

Every problem with a file raises :class:`~judgebias.errors.InputError`, whose
message names the file, where in it the problem is and what is wrong, e.g.
``pairs.jsonl, line 7: field 'response_a' must be a string, found number (42)``.
Where a problem is placed:

* JSON Lines and JSON: ``line N`` is the physical line of the file, counted from 1
  (for a JSON list, the line where the offending element starts);
* CSV/TSV: ``row N`` is the row as a spreadsheet shows it: the header is row 1 and
  the first data row is row 2 (a quoted cell spanning several lines is one row);
  bytes that are not UTF-8 are placed by physical ``line`` instead;
* Parquet and DataFrames: ``row N`` is the N-th record, counted from 1.

Bad flags (``--map``, ``--limit``) raise :class:`~judgebias.errors.UsageError`.
No exception from ``json``, ``csv``, ``pandas`` or ``pyarrow`` escapes.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import numbers
import os
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from judgebias.errors import InputError, UsageError
from judgebias.registry import closest
from judgebias.types import Label, Pair

__all__ = [
    "PAIR_FIELDS",
    "REQUIRED_FIELDS",
    "SUPPORTED_EXTENSIONS",
    "bundled_pairs_path",
    "frame_to_pairs",
    "load_pairs",
    "pairs_to_frame",
    "parse_mapping",
    "read_table",
]

REQUIRED_FIELDS: tuple[str, ...] = ("id", "instruction", "response_a", "response_b")
"""Fields every pair must have."""

PAIR_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Pair))
"""All fields a pair can have: the required ones, then ``gold``, ``model_a``, ``model_b``."""

_FORMATS: dict[str, str] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
}

SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(_FORMATS)
"""Extensions :func:`load_pairs` and :func:`read_table` read (each also with ``.gz``)."""

_SUPPORTED_TEXT = ", ".join(SUPPORTED_EXTENSIONS) + " (each optionally followed by .gz)"

_GOLD: dict[str, Label] = {"a": "a", "b": "b", "tie": "tie", "1": "a", "2": "b"}
_GOLD_ALLOWED = "a, b or tie (any case; also 1 for a, 2 for b; empty for no gold)"

_TEXT_FIELDS = ("instruction", "response_a", "response_b")

# Column names other datasets use for our fields; used only to suggest a --map.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("question_id", "pair_id", "example_id", "sample_id", "uid", "qid", "idx", "index"),
    "instruction": ("prompt", "question", "query", "input", "instructions", "user_prompt", "task"),
    "response_a": (
        "output_1",
        "output_a",
        "response_1",
        "answer_a",
        "answer_1",
        "completion_a",
        "completion_1",
        "model_a_response",
        "generation_a",
    ),
    "response_b": (
        "output_2",
        "output_b",
        "response_2",
        "answer_b",
        "answer_2",
        "completion_b",
        "completion_2",
        "model_b_response",
        "generation_b",
    ),
    "gold": ("label", "winner", "preference", "gold_label", "human_label"),
}

_BOM = b"\xef\xbb\xbf"
_MAX_LISTED_COLUMNS = 20

Unit = Literal["line", "row"]


class _Bad(Exception):
    """A problem with one value; the caller adds the file and the line or row."""


@dataclass
class _Table:
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


# --------------------------------------------------------------------------- public API


def load_pairs(
    path: str | Path,
    mapping: Mapping[str, str] | None = None,
    limit: int | None = None,
) -> list[Pair]:
    """Read and validate the pairs in ``path``.

    Formats: ``.jsonl``/``.ndjson`` (JSON Lines), ``.json`` (a JSON list of objects,
    or JSON Lines), ``.csv``, ``.tsv`` and ``.parquet``, each optionally
    gzip-compressed (``pairs.jsonl.gz``). Required fields: ``id``, ``instruction``,
    ``response_a``, ``response_b``; optional: ``gold``, ``model_a``, ``model_b``;
    other fields are ignored.

    * ``id``: a string or an integer (converted to a string); ids must be unique.
    * ``instruction``, ``response_a``, ``response_b``: non-empty strings (a null,
      a number, a list or an empty or blank string is an error).
    * ``gold``: ``a``, ``b`` or ``tie`` in any case, or ``1`` (= ``a``) or ``2``
      (= ``b``), as text or number; null or empty means no gold label.
    * ``model_a``, ``model_b``: strings; null or empty means unknown.

    ``mapping`` is ``{new_name: old_name}`` (the CLI's ``--map new=old,...``, see
    :func:`parse_mapping`): column ``old_name`` of the file is read as field
    ``new_name``, e.g. ``{"instruction": "prompt"}``. A mapped column replaces a
    column that already has the new name.

    ``limit`` keeps the first ``limit`` pairs; only those are validated (the rest
    of a JSON Lines or CSV file is not even parsed).

    Problems raise :class:`InputError` naming the file and the line (JSON: the
    physical line, from 1) or row (CSV: as a spreadsheet counts, header = row 1,
    first data row = row 2; Parquet: the N-th record, from 1); bad ``mapping`` or
    ``limit`` values raise :class:`UsageError`.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise UsageError(f"--limit: must be a positive whole number, got {limit!r}")
    mapping = dict(mapping or {})
    _check_mapping_targets(mapping)
    table = _read_source(path, limit=limit, want_records=True, mapping=mapping)
    table = _apply_mapping(table, mapping)
    return _table_to_pairs(table)


def parse_mapping(text: str) -> dict[str, str]:
    """Parse ``--map`` text ``"new=old,new2=old2"`` into ``{"new": "old", "new2": "old2"}``.

    Whitespace around names is ignored, as are empty items (a trailing comma).
    Raises :class:`UsageError` (``--map: ...``) for an item without ``=``, an empty
    name, or a new name given twice.
    """
    example = "e.g. --map instruction=prompt,response_a=output_1"
    out: dict[str, str] = {}
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        if "=" not in item:
            raise UsageError(f"--map: {item!r} is not of the form new=old ({example})")
        new, old = (part.strip() for part in item.split("=", 1))
        if not new or not old:
            raise UsageError(
                f"--map: {item!r} needs a column name on both sides of '=' ({example})"
            )
        if new in out:
            raise UsageError(f"--map: {new!r} is mapped twice ({new}={out[new]} and {new}={old})")
        out[new] = old
    if not out:
        raise UsageError(f"--map: no mapping given; expected new=old[,new=old...] ({example})")
    return out


def bundled_pairs_path() -> Path:
    """Return the path of the pairs shipped with judgebias (``judgebias/assets/pairs.jsonl``).

    The path is returned whether or not the file exists.
    """
    ref = resources.files("judgebias.assets") / "pairs.jsonl"
    return ref if isinstance(ref, Path) else Path(str(ref))


def pairs_to_frame(pairs: Iterable[Pair]) -> pd.DataFrame:
    """Return a DataFrame with one row per pair and the columns of :class:`Pair`, in order.

    Missing optional values (``gold``, ``model_a``, ``model_b``) are ``None``.
    :func:`frame_to_pairs` turns the frame back into the same pairs.
    """
    rows = [{name: getattr(p, name) for name in PAIR_FIELDS} for p in pairs]
    return pd.DataFrame(rows, columns=list(PAIR_FIELDS), dtype=object)


def frame_to_pairs(df: pd.DataFrame, source: str = "<frame>") -> list[Pair]:
    """Validate a DataFrame with the columns of :class:`Pair` and return its pairs.

    The rules are those of :func:`load_pairs` (``NaN``/``None``/``pd.NA`` count as
    null); other columns are ignored. ``source`` names the frame in error messages,
    and ``row N`` in them is the N-th row counted from 1 (``df.iloc[N - 1]``), not
    the index label. Rename columns with ``df.rename(columns={"prompt": "instruction"})``.
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError(source, f"expected a pandas DataFrame, got {type(df).__name__}")
    columns = [str(c) for c in df.columns]
    duplicate = _duplicate_column(columns)
    if duplicate:
        raise InputError(source, duplicate)
    records = [
        dict(zip(columns, values, strict=True)) for values in df.itertuples(index=False, name=None)
    ]
    table = _Table(
        source=source,
        unit="row",
        columns=columns,
        records=records,
        locs=list(range(1, len(records) + 1)),
        from_frame=True,
    )
    return _table_to_pairs(table)


def read_table(path: str | Path, mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read any supported file (see :func:`load_pairs`) into a DataFrame, columns renamed by ``mapping``.

    JSON objects become rows (a key missing from an object is ``NaN``); Parquet
    keeps its column types; CSV/TSV cells are text, except that a column whose
    non-empty cells are all numbers becomes numeric (unless a number has a leading
    zero, like ``007``), a column of only ``true``/``false`` becomes boolean, and
    empty cells become missing values. ``mapping`` is ``{new_name: old_name}`` as
    in :func:`load_pairs`. Problems raise :class:`InputError` with the same
    line/row conventions; an empty file (no records) is an error.
    """
    mapping = dict(mapping or {})
    table = _read_source(path, limit=None, want_records=False, mapping=mapping)
    plan = _mapping_plan(table, mapping)
    try:
        if table.arrow is not None:
            df = table.arrow.to_pandas()
        else:
            df = pd.DataFrame.from_records(table.records, columns=table.columns)
            if not table.typed:
                df = pd.DataFrame({c: _infer_text_column(df[c]) for c in df.columns})
        return pd.DataFrame({new: df[old] for new, old in plan})
    except InputError:
        raise
    except Exception as e:  # pandas/pyarrow conversion: never let a raw error escape
        raise table.error(f"cannot convert to a table: {_oneline(e)}") from None


# --------------------------------------------------------------------------- reading


def _read_source(
    path: str | Path,
    *,
    limit: int | None,
    want_records: bool,
    mapping: Mapping[str, str],
) -> _Table:
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
        raise InputError(src, f"cannot read the file: {e.strerror or _oneline(e)}") from None
    if gz:
        data = _gunzip(data, src)
    elif data[:2] == b"\x1f\x8b":
        raise InputError(src, f"the file is gzip-compressed; rename it to {p.name}.gz")
    if not data:
        raise InputError(src, "file is empty" + (" after decompression" if gz else ""))

    if fmt == "parquet":
        table = _read_parquet(data, src)
        if want_records:
            needed = set(PAIR_FIELDS) | set(mapping.values())
            keep = [c for c in table.columns if c in needed]
            sliced = table.arrow if limit is None else table.arrow.slice(0, limit)
            try:
                table.records = sliced.select(keep).to_pylist()
            except Exception as e:  # pyarrow: never let a raw error escape
                raise InputError(src, f"cannot read the Parquet data: {_oneline(e)}") from None
            table.locs = list(range(1, len(table.records) + 1))
        return table

    text = _decode(data, src)
    if not text.strip():
        raise InputError(src, "file contains only blank lines; nothing to read")
    if fmt in ("csv", "tsv"):
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
            src, f"not a valid gzip file ({_oneline(e)}); the name ends in .gz"
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


def _read_json_lines(text: str, src: str, limit: int | None, first_line_hint: str = "") -> _Table:
    table = _Table(source=src, unit="line", columns=[])
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
                f"expected a JSON object ({{...}}), found {_kind(obj)}{hint}",
                line=lineno,
            )
        table.records.append(obj)
        table.locs.append(lineno)
        for key in obj:
            seen_columns.setdefault(key, None)
    table.columns = list(seen_columns)
    return table


def _read_json_list(text: str, src: str, limit: int | None) -> _Table:
    table = _Table(source=src, unit="line", columns=[])
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
                f"element {index} of the JSON list is not an object: found {_kind(obj)}",
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


def _read_csv(text: str, src: str, delimiter: str, limit: int | None) -> _Table:
    # Long responses can exceed csv's default field limit of 128 KiB.
    if csv.field_size_limit() < 2**31 - 1:
        csv.field_size_limit(2**31 - 1)
    table = _Table(source=src, unit="row", columns=[], typed=False)
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
            problem = f"malformed {kind}: {_oneline(e)}"
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
            duplicate = _duplicate_column(header)
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


def _read_parquet(data: bytes, src: str) -> _Table:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrow = pq.read_table(pa.BufferReader(data))
    except Exception as e:  # pyarrow raises many types: never let a raw error escape
        raise InputError(
            src, f"not a valid Parquet file ({_oneline(e)}); is it complete and really Parquet?"
        ) from None
    columns = [str(c) for c in arrow.column_names]
    duplicate = _duplicate_column(columns)
    if duplicate:
        raise InputError(src, duplicate)
    if arrow.num_rows == 0:
        raise InputError(src, "the Parquet file has no rows; nothing to read")
    return _Table(source=src, unit="row", columns=columns, arrow=arrow)


def _infer_text_column(col: pd.Series) -> pd.Series:
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


# --------------------------------------------------------------------------- columns and --map


def _duplicate_column(columns: list[str]) -> str | None:
    """The problem with ``columns`` if a name appears twice, else None."""
    seen: dict[str, int] = {}
    for i, c in enumerate(columns, 1):
        if c in seen:
            return f"column {c!r} appears twice (columns {seen[c]} and {i})"
        seen[c] = i
    return None


def _check_mapping_targets(mapping: Mapping[str, str]) -> None:
    for new, old in mapping.items():
        if new in PAIR_FIELDS:
            continue
        problem = f"--map: {new!r} is not a pair field ({', '.join(PAIR_FIELDS)})"
        if old in PAIR_FIELDS:
            problem += f"; the form is new=old: did you mean {old}={new}?"
        else:
            close = closest(new, PAIR_FIELDS)
            if close:
                problem += f"; did you mean {close}={old}?"
        raise UsageError(problem)


def _mapping_plan(table: _Table, mapping: Mapping[str, str]) -> list[tuple[str, str]]:
    """Return (new name, source column) for every output column, in the file's order."""
    present = set(table.columns)
    for new, old in mapping.items():
        if old not in present:
            problem = f"--map {new}={old}: the file has no column {old!r}"
            close = closest(old, table.columns)
            if close:
                problem += f"; did you mean {new}={close}?"
            problem += f"; columns: {_list_columns(table.columns)}"
            raise table.error(problem, table.header_loc)
    olds = set(mapping.values())
    plan: list[tuple[str, str]] = []
    for c in table.columns:
        if c in olds:
            plan.extend((new, c) for new, old in mapping.items() if old == c)
        elif c not in mapping:
            plan.append((c, c))
    return plan


def _apply_mapping(table: _Table, mapping: Mapping[str, str]) -> _Table:
    if not mapping:
        return table
    plan = _mapping_plan(table, mapping)
    table.records = [{new: rec[old] for new, old in plan if old in rec} for rec in table.records]
    table.columns = [new for new, _ in plan]
    return table


def _list_columns(columns: list[str]) -> str:
    if not columns:
        return "(none)"
    shown = ", ".join(columns[:_MAX_LISTED_COLUMNS])
    if len(columns) > _MAX_LISTED_COLUMNS:
        shown += f", ... ({len(columns) - _MAX_LISTED_COLUMNS} more)"
    return shown


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _suggest(missing: list[str], columns: list[str]) -> dict[str, str]:
    """Guess which existing column could be mapped to each missing field."""
    candidates = {_norm(c): c for c in reversed(columns) if c not in PAIR_FIELDS}
    found: dict[str, str] = {}
    for want in missing:  # exact (case/punctuation-insensitive) names and known synonyms
        for alias in (want, *_SYNONYMS.get(want, ())):
            col = candidates.get(_norm(alias))
            if col is not None and col not in found.values():
                found[want] = col
                break
    for want in missing:  # then near spellings
        if want in found:
            continue
        free = {k: v for k, v in candidates.items() if v not in found.values()}
        close = closest(_norm(want), free, cutoff=0.75)
        if close:
            found[want] = free[close]
    return found


def _missing_fields_problem(
    missing: list[str], columns: list[str], where: str, from_frame: bool
) -> str:
    names = ", ".join(repr(m) for m in missing)
    plural = "s" if len(missing) > 1 else ""
    problem = f"missing required field{plural} {names}; {where}: {_list_columns(columns)}"
    guess = _suggest(missing, columns)
    if guess:
        if from_frame:
            renames = ", ".join(f"{old!r}: {new!r}" for new, old in guess.items())
            problem += f"; rename with df.rename(columns={{{renames}}})"
        else:
            pairs = ",".join(f"{new}={old}" for new, old in guess.items())
            problem += f"; did you mean --map {pairs}?"
    elif from_frame:
        problem += "; rename the columns with df.rename(columns=...)"
    else:
        problem += f"; rename the columns or use --map {missing[0]}=<column>"
    return problem


# --------------------------------------------------------------------------- validation


def _table_to_pairs(table: _Table) -> list[Pair]:
    if not table.records:
        raise table.error("no records; nothing to read")
    absent = [f for f in REQUIRED_FIELDS if f not in table.columns]
    if absent:
        where = "columns present" if table.unit == "row" else "fields present"
        # CSV: the header row; JSON: the first record; Parquet and frames: no place.
        loc = table.locs[0] if table.unit == "line" else table.header_loc
        raise table.error(
            _missing_fields_problem(absent, table.columns, where, table.from_frame), loc
        )
    unit = table.unit
    pairs: list[Pair] = []
    seen: dict[str, int] = {}
    for rec, loc in zip(table.records, table.locs, strict=True):
        missing = [f for f in REQUIRED_FIELDS if f not in rec]
        if missing:
            raise table.error(
                _missing_fields_problem(missing, list(rec), f"fields on this {unit}", False), loc
            )
        try:
            pid = _id(rec["id"])
            texts = [_text(name, rec[name]) for name in _TEXT_FIELDS]
            gold = _gold(rec.get("gold"))
            model_a = _model("model_a", rec.get("model_a"))
            model_b = _model("model_b", rec.get("model_b"))
        except _Bad as e:
            raise table.error(str(e), loc) from None
        if pid in seen:
            raise table.error(
                f"duplicate id {pid!r} (first on {unit} {seen[pid]}); ids must be unique", loc
            )
        seen[pid] = loc
        pairs.append(
            Pair(
                id=pid,
                instruction=texts[0],
                response_a=texts[1],
                response_b=texts[2],
                gold=gold,
                model_a=model_a,
                model_b=model_b,
            )
        )
    return pairs


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def _kind(v: Any) -> str:
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


def _integral(v: Any) -> int | None:
    """``v`` as an int if it is a whole number (not a bool), else None."""
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return None
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real) and math.isfinite(float(v)) and float(v).is_integer():
        return int(float(v))
    return None


def _id(v: Any) -> str:
    if _is_missing(v):
        raise _Bad("field 'id' is null; every pair needs an id")
    if isinstance(v, str):
        if not v.strip():
            raise _Bad("field 'id' is empty; every pair needs an id")
        return v.strip()
    n = _integral(v)
    if n is None:
        raise _Bad(f"field 'id' must be a string or an integer, found {_kind(v)}")
    return str(n)


def _text(name: str, v: Any) -> str:
    if _is_missing(v):
        raise _Bad(f"field {name!r} is null; it must be a non-empty string")
    if not isinstance(v, str):
        raise _Bad(f"field {name!r} must be a string, found {_kind(v)}")
    if not v.strip():
        raise _Bad(f"field {name!r} is empty; it must be a non-empty string")
    return str(v)


def _gold(v: Any) -> Label | None:
    if _is_missing(v):
        return None
    n = _integral(v)
    key = str(n) if n is not None else v.strip().lower() if isinstance(v, str) else None
    if key == "":
        return None
    if key is not None and key in _GOLD:
        return _GOLD[key]
    shown = repr(v) if isinstance(v, str) else _kind(v)
    raise _Bad(f"invalid gold value {_clip(shown)}; allowed: {_GOLD_ALLOWED}")


def _model(name: str, v: Any) -> str | None:
    if _is_missing(v):
        return None
    if isinstance(v, str):
        return v.strip() or None
    n = _integral(v)
    if n is None:
        raise _Bad(f"field {name!r} must be a string, found {_kind(v)}")
    return str(n)


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _oneline(e: BaseException | str) -> str:
    text = " ".join(str(e).split())
    return _clip(text or type(e).__name__, 200)
