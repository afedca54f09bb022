"""The long table of length-controlled win rates: reading it from files, and checking it.

:func:`load_lc_table` reads AlpacaEval annotation files or ready tables (one row per
model and instruction: ``model, instruction_index, baseline_length, model_length,
preference``) into that table, placing every bad value by file and line or row;
:func:`check_lc_frame` checks a DataFrame of it before a fit. The fit itself is
:mod:`judgebias.stats.lc`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from judgebias.errors import InputError, UsageError
from judgebias.stats.intervals import show_value as _show
from judgebias.tables.pairs import read_table
from judgebias.tables.tablefile import read_source

__all__ = ["LC_COLUMNS", "check_lc_frame", "load_lc_table"]

LC_COLUMNS: tuple[str, ...] = (
    "model",
    "instruction_index",
    "baseline_length",
    "model_length",
    "preference",
)
"""The long table ``lc_winrate`` reads: one row per (model, instruction)."""

_ANNOTATION_KEYS: tuple[str, ...] = (
    "instruction",
    "output_1",
    "output_2",
    "generator_2",
    "preference",
)


def _first(mask: pd.Series | np.ndarray) -> int | None:
    """Position of the first True in ``mask``, or None."""
    hits = np.flatnonzero(np.asarray(mask, dtype=bool))
    return int(hits[0]) if len(hits) else None


class _Source:
    """One input file read with :func:`~judgebias.tables.pairs.read_table`.

    ``error`` places a record of ``frame`` in the file the way ``judgebias.tables.pairs``
    does: ``line N`` (JSON, JSON Lines: the physical line), ``row N`` (CSV/TSV:
    header = row 1, first data row = row 2; Parquet: the N-th record).
    """

    def __init__(self, path: Path, mapping: Mapping[str, str]) -> None:
        self.path = str(path)
        self.frame = read_table(path, mapping)

    def error(self, problem: str, pos: int | None = None) -> InputError:
        """An InputError for the record at position ``pos`` of ``frame`` (from 0)."""
        if pos is None:
            return InputError(self.path, problem)
        # read_table keeps no locations: read them again, on this error path only.
        table = read_source(self.path)
        loc = table.locs[pos] if pos < len(table.locs) else pos + 1  # Parquet: no locs
        return table.error(problem, loc)


def _numeric(src: _Source, column: str, *, allow_nan: bool = False) -> pd.Series:
    raw = src.frame[column]
    values = pd.to_numeric(raw, errors="coerce").astype(float)
    bad = values.isna() & raw.notna()
    if not allow_nan:
        bad = bad | raw.isna()
    pos = _first(bad)
    if pos is not None:
        raise src.error(f"{column} must be a number, got {_show(raw.iloc[pos])}", pos)
    return values


def _check_preference(pref: pd.Series, src: _Source) -> None:
    pos = _first(pref.notna() & ((pref < 1.0) | (pref > 2.0)))
    if pos is not None:
        raise src.error(
            f"preference {_show(pref.iloc[pos])} is outside [1, 2] (1 = baseline wins, 2 = model "
            "wins, 1.5 = tie); add 1 to a 0/1 encoding",
            pos,
        )


def _from_annotations(src: _Source, instruction_ids: dict[str, int]) -> pd.DataFrame:
    frame = src.frame
    for key in ("output_1", "output_2", "instruction", "generator_2"):
        pos = _first(frame[key].map(lambda v: not isinstance(v, str)))
        if pos is not None:
            raise src.error(f"{key} must be a string", pos)
    pref = _numeric(src, "preference", allow_nan=True)
    # AlpacaEval's convention: some annotators write 0 for a draw.
    pref = pref.where(pref != 0.0, 1.5)
    _check_preference(pref, src)
    index = []
    for text in frame["instruction"]:
        if text not in instruction_ids:
            instruction_ids[text] = len(instruction_ids)
        index.append(instruction_ids[text])
    out = pd.DataFrame(
        {
            "model": frame["generator_2"].astype(str).to_numpy(),
            "instruction_index": np.asarray(index, dtype=np.int64),
            "baseline_length": frame["output_1"].str.len().astype(float).to_numpy(),
            "model_length": frame["output_2"].str.len().astype(float).to_numpy(),
            "preference": pref.to_numpy(),
        }
    )
    if "generator_1" in frame.columns:
        out["baseline"] = frame["generator_1"].astype(str).to_numpy()
    if "dataset" in frame.columns:
        out["dataset"] = frame["dataset"].to_numpy()
    return out


def _from_table(src: _Source) -> pd.DataFrame:
    out = src.frame.copy()
    pos = _first(out["model"].isna())
    if pos is not None:
        raise src.error("model is empty", pos)
    out["model"] = out["model"].astype(str)
    idx = _numeric(src, "instruction_index")
    pos = _first(idx != np.round(idx))
    if pos is not None:
        raise src.error(f"instruction_index must be an integer, got {_show(idx.iloc[pos])}", pos)
    out["instruction_index"] = idx.astype(np.int64).to_numpy()
    for col in ("baseline_length", "model_length"):
        vals = _numeric(src, col)
        pos = _first(vals < 0)
        if pos is not None:
            raise src.error(f"{col} must be >= 0", pos)
        out[col] = vals.to_numpy()
    pref = _numeric(src, "preference", allow_nan=True)
    _check_preference(pref, src)
    out["preference"] = pref.to_numpy()
    return out


def load_lc_table(
    path: str | Path | Sequence[str | Path],
    mapping: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read judge preferences against a baseline into the long table ``lc_winrate`` needs.

    ``path`` is one file or a list of files, each either

    - AlpacaEval annotations: a JSON list (or JSONL) of objects with ``instruction,
      output_1`` (the baseline's output), ``output_2`` (the model's), ``generator_2``
      (the model), ``preference`` (1-2; 0 is read as a tie, AlpacaEval's convention);
      lengths are the outputs' lengths in characters and ``instruction_index`` the
      order of first appearance of the instruction text over all files given; or
    - a table (CSV, TSV, JSONL, JSON, Parquet) with columns ``model,
      instruction_index, baseline_length, model_length, preference``.

    Files are read with :func:`judgebias.tables.pairs.read_table`, so any may be gzipped.
    ``mapping`` renames columns before the check, as ``{expected_name:
    name_in_file}``. A missing preference (empty cell, ``null``) is kept as NaN and
    skipped by ``lc_winrate``; any other bad value raises :class:`InputError` naming
    the file and where in it, as ``judgebias.tables.pairs`` counts: ``line N`` for JSON and
    JSON Lines (the physical line), ``row N`` for CSV/TSV (the header is row 1, the
    first data row row 2) and Parquet (the N-th record).
    """
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    if not paths:
        raise UsageError("load_lc_table: no input file given")
    if mapping is not None and not isinstance(mapping, Mapping):
        raise UsageError("mapping must be {expected_column: column_in_file}")
    rename = {str(new): str(old) for new, old in (mapping or {}).items()}
    instruction_ids: dict[str, int] = {}
    parts: list[pd.DataFrame] = []
    kinds: set[str] = set()
    sources: list[_Source] = []
    for item in paths:
        src = _Source(Path(item), rename)
        columns = set(map(str, src.frame.columns))
        if set(LC_COLUMNS) <= columns:
            part = _from_table(src)
            kinds.add("table")
        elif set(_ANNOTATION_KEYS) <= columns:
            part = _from_annotations(src, instruction_ids)
            kinds.add("annotations")
        else:
            missing_table = [c for c in LC_COLUMNS if c not in columns]
            missing_ann = [c for c in _ANNOTATION_KEYS if c not in columns]
            raise src.error(
                f"missing column(s) {', '.join(missing_table)} for a table "
                f"(or {', '.join(missing_ann)} for AlpacaEval annotations); "
                f"found: {', '.join(sorted(columns)) or '(none)'}"
            )
        part["_file"] = len(sources)
        part["_pos"] = np.arange(len(part))
        sources.append(src)
        parts.append(part)
    if len(kinds) > 1:
        raise UsageError(
            "cannot combine AlpacaEval annotation files with tables: their instruction "
            "indices are not comparable; convert one kind to the other first"
        )
    table = pd.concat(parts, ignore_index=True)
    at = _first(table.duplicated(subset=["model", "instruction_index"], keep="first"))
    if at is not None:
        raise sources[int(table["_file"].iloc[at])].error(
            f"duplicate rating of model {table['model'].iloc[at]!r} on instruction "
            f"{int(table['instruction_index'].iloc[at])}",
            int(table["_pos"].iloc[at]),
        )
    return table.drop(columns=["_file", "_pos"])


def check_lc_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` checked and converted for a fit: numeric lengths and preferences, no empty model."""
    if not isinstance(df, pd.DataFrame):
        raise UsageError("lc_winrate expects a pandas DataFrame")
    missing = [c for c in LC_COLUMNS if c not in df.columns]
    if missing:
        raise UsageError(
            f"the table lacks column(s) {', '.join(missing)}; needs {', '.join(LC_COLUMNS)}"
        )
    if df["model"].isna().any() or df["instruction_index"].isna().any():
        raise UsageError("model and instruction_index must not be empty")
    out = pd.DataFrame(
        {
            "model": df["model"].astype(str).to_numpy(),
            "instruction_index": df["instruction_index"].to_numpy(),
        }
    )
    for col in ("baseline_length", "model_length", "preference"):
        vals = pd.to_numeric(df[col], errors="coerce").astype(float)
        bad = vals.isna() & df[col].notna()
        if col != "preference":
            bad = bad | df[col].isna()
        if bad.any():
            label = df.index[int(np.flatnonzero(bad.to_numpy())[0])]
            raise UsageError(f"{col} must be numeric (row {label!r}: {_show(df[col].loc[label])})")
        out[col] = vals.to_numpy()
    pref = out["preference"]
    out_of_range = pref.notna() & ((pref < 1.0) | (pref > 2.0))
    if out_of_range.any():
        label = df.index[int(np.flatnonzero(out_of_range.to_numpy())[0])]
        raise UsageError(
            f"preference must be in [1, 2] (1 = baseline wins, 2 = model wins, 1.5 = tie); "
            f"row {label!r} has {_show(df['preference'].loc[label])}"
        )
    if (out["baseline_length"] < 0).any() or (out["model_length"] < 0).any():
        raise UsageError("lengths must be >= 0")
    if "baseline" in df.columns:
        out["baseline"] = df["baseline"].astype(str).to_numpy()
    return out
