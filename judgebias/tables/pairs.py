"""Pairs from table files: loading and validating them, ``--map``, and DataFrames of pairs.

The pair API of judgebias: :func:`load_pairs`, :func:`read_table`,
:func:`parse_mapping`, :func:`pairs_to_frame`, :func:`frame_to_pairs` and
:func:`bundled_pairs_path`. Reading a file (formats, gzip, decoding, and where in the
file each record is) is :mod:`judgebias.tables.tablefile`'s job; this module renames columns
by ``--map``, checks every pair field and says which column could be mapped to a
missing one.

Every problem with a file raises :class:`~judgebias.errors.InputError`, whose
message names the file, where in it the problem is and what is wrong, e.g.
``pairs.jsonl, line 7: field 'response_a' must be a string, found number (42)``
(``line N`` and ``row N`` as :mod:`judgebias.tables.tablefile` describes). Bad flags
(``--map``, ``--limit``) raise :class:`~judgebias.errors.UsageError`. No exception
from ``json``, ``csv``, ``pandas`` or ``pyarrow`` escapes.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Mapping
from dataclasses import fields
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from judgebias.errors import InputError, UsageError
from judgebias.registry import closest
from judgebias.tables.csv_arrow import typed_frame
from judgebias.tables.tablefile import (
    SUPPORTED_EXTENSIONS,
    BadValue,
    Table,
    clip,
    duplicate_column,
    infer_text_column,
    oneline,
    read_source,
    value_kind,
)
from judgebias.types import Label, Pair
from judgebias.vocabulary import GOLD_ALLOWED, GOLD_SPELLINGS

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


_TEXT_FIELDS = ("instruction", "response_a", "response_b")

_MAX_LISTED_COLUMNS = 20

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
    table = read_source(path, limit=limit, parquet_columns={*PAIR_FIELDS, *mapping.values()})
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
    """Return the path of the pairs shipped with judgebias (``probes/demo_pairs.jsonl``).

    The path is returned whether or not the file exists.
    """
    ref = resources.files("judgebias.probe_data") / "demo_pairs.jsonl"
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
    duplicate = duplicate_column(columns)
    if duplicate:
        raise InputError(source, duplicate)
    records = [
        dict(zip(columns, values, strict=True)) for values in df.itertuples(index=False, name=None)
    ]
    table = Table(
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
    table = read_source(path, columnar=True)
    plan = _mapping_plan(table, mapping)
    try:
        if table.arrow is not None and not table.typed:
            df = typed_frame(table.arrow)  # CSV read by pyarrow: typed as below
        elif table.arrow is not None:
            df = table.arrow.to_pandas()
        else:
            df = pd.DataFrame.from_records(table.records, columns=table.columns)
            if not table.typed:
                df = pd.DataFrame({c: infer_text_column(df[c]) for c in df.columns})
        return pd.DataFrame({new: df[old] for new, old in plan})
    except InputError:
        raise
    except Exception as e:  # pandas/pyarrow conversion: never let a raw error escape
        raise table.error(f"cannot convert to a table: {oneline(e)}") from None


# --------------------------------------------------------------------------- columns and --map


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


def _mapping_plan(table: Table, mapping: Mapping[str, str]) -> list[tuple[str, str]]:
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


def _apply_mapping(table: Table, mapping: Mapping[str, str]) -> Table:
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


def _table_to_pairs(table: Table) -> list[Pair]:
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
        except BadValue as e:
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
        raise BadValue("field 'id' is null; every pair needs an id")
    if isinstance(v, str):
        if not v.strip():
            raise BadValue("field 'id' is empty; every pair needs an id")
        return v.strip()
    n = _integral(v)
    if n is None:
        raise BadValue(f"field 'id' must be a string or an integer, found {value_kind(v)}")
    return str(n)


def _text(name: str, v: Any) -> str:
    if _is_missing(v):
        raise BadValue(f"field {name!r} is null; it must be a non-empty string")
    if not isinstance(v, str):
        raise BadValue(f"field {name!r} must be a string, found {value_kind(v)}")
    if not v.strip():
        raise BadValue(f"field {name!r} is empty; it must be a non-empty string")
    return str(v)


def _gold(v: Any) -> Label | None:
    if _is_missing(v):
        return None
    n = _integral(v)
    key = str(n) if n is not None else v.strip().lower() if isinstance(v, str) else None
    if key == "":
        return None
    if key is not None and key in GOLD_SPELLINGS:
        return GOLD_SPELLINGS[key]
    shown = repr(v) if isinstance(v, str) else value_kind(v)
    raise BadValue(f"invalid gold value {clip(shown)}; allowed: {GOLD_ALLOWED}")


def _model(name: str, v: Any) -> str | None:
    if _is_missing(v):
        return None
    if isinstance(v, str):
        return v.strip() or None
    n = _integral(v)
    if n is None:
        raise BadValue(f"field {name!r} must be a string, found {value_kind(v)}")
    return str(n)
