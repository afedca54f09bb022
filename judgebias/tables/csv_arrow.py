"""CSV and TSV files read column by column with pyarrow, for tables of a million rows.

:mod:`judgebias.tables.tablefile` reads a CSV file row by row with Python's ``csv``
module into one dict per record: exact about where a problem is, but about a
kilobyte and several microseconds per row. :func:`read_csv_columns` reads the same
file with pyarrow's parser into columns of text and :func:`typed_frame` types them
as :func:`~judgebias.tables.tablefile.infer_text_column` does, so the frame is the
same as the row reader's. Only a file the row reader accepts as it is takes this
path: the file is first run through ``csv.reader`` (strict, nothing kept), and a
file with a problem (a stray quote, a ragged row, a blank or duplicate header, rows
before the header) returns None, so that the row reader reads it and names the
line (the strict pass is skipped when the file has no quote character, as nothing can
then fail it). Rows whose cells are all blank are dropped, as the row reader does.
"""

from __future__ import annotations

import collections
import csv
import io
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["read_csv_columns", "typed_frame"]

_LEADING_ZERO = r"^\s*[+-]?0\d"


def read_csv_columns(text: str, delimiter: str) -> tuple[Any, list[str]] | None:
    """The pyarrow table of ``text`` (every column text, empty cells ``""``) and its
    header, or None when the row reader must read the file (see the module docstring)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover  (a dependency; the row reader still works)
        return None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
        if reader.line_num != 1 or not header or any(not h.strip() for h in header):
            return None
        if len(set(header)) != len(header) or len({h.strip() for h in header}) != len(header):
            return None
        if '"' in text or "\x00" in text:  # strictness needs quotes to fail: check it
            collections.deque(reader, maxlen=0)  # a csv.Error: the row reader names the row
    except (csv.Error, StopIteration):
        return None
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError):
        return None
    if table.column_names != header or table.num_rows == 0:
        return None
    blank = None
    for col in table.columns:
        empty = pc.equal(pc.utf8_trim_whitespace(col), "")
        blank = empty if blank is None else pc.and_(blank, empty)
    if blank is not None and pc.any(blank).as_py():
        table = table.filter(pc.invert(blank))
        if table.num_rows == 0:
            return None
    names = [h.strip() for h in header]
    return table.rename_columns(names), names


def _objects(column: Any) -> tuple[np.ndarray, np.ndarray]:
    """A text column's distinct values (object array, ``""`` as None) and each row's
    index into them: equal cells share one Python string."""
    import pyarrow as pa

    encoded = column.combine_chunks().dictionary_encode() if column.num_chunks else None
    if encoded is None:
        return np.array([], dtype=object), np.array([], dtype=np.int64)
    uniques = encoded.dictionary.to_numpy(zero_copy_only=False).astype(object)
    uniques[uniques == ""] = None
    codes = encoded.indices.cast(pa.int64()).to_numpy()
    return uniques, codes


def _typed(uniques: np.ndarray, codes: np.ndarray) -> pd.Series:
    """What :func:`~judgebias.tables.tablefile.infer_text_column` makes of the column."""
    values = uniques[codes]
    present = pd.Series(uniques[pd.notna(uniques)], dtype=object)
    if not len(present):
        return pd.Series(values, dtype=object)
    lowered = set(present.str.strip().str.lower())
    if lowered <= {"true", "false"}:
        flags = [None if v is None else v.strip().lower() == "true" for v in uniques]
        return pd.Series([flags[c] for c in codes])
    if present.str.contains(_LEADING_ZERO, regex=True).any():
        return pd.Series(values, dtype=object)  # "007": an identifier, not a number
    try:  # each distinct value parsed once; the column as to_numeric types it whole
        numbers = pd.to_numeric(pd.Series(uniques, dtype=object))
    except (ValueError, TypeError):
        return pd.Series(values, dtype=object)
    if numbers.dtype.kind not in "if":  # beyond int64: let pandas decide on the column
        return pd.to_numeric(pd.Series(values, dtype=object))
    if pd.isna(uniques).any():  # a missing cell makes the column float, as to_numeric does
        return pd.Series(numbers.to_numpy(dtype=float)[codes])
    return pd.Series(numbers.to_numpy()[codes])


def typed_frame(table: Any) -> pd.DataFrame:
    """The frame of a :func:`read_csv_columns` table, typed column by column."""
    return pd.DataFrame(
        {name: _typed(*_objects(table.column(i))) for i, name in enumerate(table.column_names)}
    )
