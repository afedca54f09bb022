"""Reading tables of human labels (and a judge's labels) into :class:`~judgebias.stats.agreement.Votes`.

Two layouts, as ``judgebias agree`` takes them:

* **wide**, one row per item: ``judge`` names the judge's label column, ``human`` the
  human label columns (one per annotator; a column holding lists gives one
  annotator per list position, named ``COL#1``, ``COL#2``, ...). The item is
  identified by the ``item`` columns (default: the row). Several files are joined
  on the ``item`` columns (an item missing from a file has no label from it).
* **long**, one row per vote: ``annotator`` names who voted, ``label`` the vote,
  ``item`` the columns identifying the item; the judge is the annotator named
  ``judge``. ``human_match`` (a regular expression) keeps only the annotators whose
  whole name matches as humans (MT-Bench: ``expert_.*``). Several files are stacked.

``models="COL_A,COL_B"`` names the two models of a pairwise item: the votes are
order-normalised per (item, sorted model pair), as FastChat's MT-Bench agreement
does: the item is keyed on the sorted pair, and a label from a row whose first
model sorts after the second is mirrored (``a`` <-> ``b``), so that ``a`` always
means the model that sorts first.

Labels: on the pairwise scale the spellings of
:func:`~judgebias.vocabulary.pairwise_label`; on the score scale numbers.
``scale="auto"`` picks pairwise when most human labels read as ``a``/``b``/``tie``,
else score when most are numbers. A label column whose non-empty values are mostly
unreadable is refused (the wrong column); isolated unreadable values are missing
labels, counted in ``unrecognized``.

Problems raise :class:`~judgebias.errors.InputError` naming the file, the flag and
the column, and the row where a row is at fault (CSV/TSV rows as a spreadsheet
numbers them, the header being row 1; other formats count records from 1).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from judgebias.errors import InputError, UsageError
from judgebias.stats.agreement import Scale, Votes, make_votes
from judgebias.tables.pairs import read_table
from judgebias.tables.verdicts import (
    cell_key,
    column_did_you_mean,
    column_listing,
    column_not_found,
    is_empty,
    split_names,
)
from judgebias.vocabulary import pairwise_label

__all__ = ["HumanTable", "read_votes"]

_SRC, _ROW = "\x00src", "\x00row"
_MIRROR = {"a": "b", "b": "a", "tie": "tie"}
_SPELLINGS = "a/b/tie (also 1/2/0, A/B, model_a/model_b, anything containing 'tie') or numbers"


@dataclass
class HumanTable:
    """Votes read from a table, with what the report says about the source."""

    votes: Votes
    """Every item: those with human votes and those with only a judge label."""
    soft: pd.Series | None
    """The judge's probability that ``a`` is better, per item (``soft`` column)."""
    layout: str
    source: dict[str, Any]
    unrecognized: dict[str, dict[str, int]] = field(default_factory=dict)


# --------------------------------------------------------------------------- reading


def _row_offset(path: str) -> int:
    name = path.lower().removesuffix(".gz")
    return 2 if name.endswith((".csv", ".tsv")) else 1


def _load(
    data: pd.DataFrame | str | Path | Sequence[str | Path], item: list[str], long: bool
) -> tuple[pd.DataFrame, str]:
    """One frame from a frame, a file or several files (joined or stacked)."""
    if isinstance(data, pd.DataFrame):
        frames = [(data.copy(), "<frame>")]
    else:
        paths = [data] if isinstance(data, str | Path) else list(data)
        if not paths:
            raise UsageError("FILE: no input file given")
        frames = [(read_table(p), str(p)) for p in paths]
    for df, src in frames:
        df.columns = [str(c) for c in df.columns]
        df[_SRC] = src
        df[_ROW] = np.arange(len(df)) + (_row_offset(src) if src != "<frame>" else 1)
    source = ", ".join(src for _, src in frames)
    if len(frames) == 1:
        return frames[0][0], source
    if long:
        return pd.concat([f for f, _ in frames], ignore_index=True), source
    if not item:
        raise UsageError("--item: name the columns that identify an item to join several files")
    out = None
    for df, src in frames:
        for c in item:
            if c not in df.columns:
                raise InputError(src, f"--item: {column_not_found(c, list(df.columns))}")
        df = df.assign(**{"\x00key": _keys(df, item)})
        if out is None:
            out = df
            continue
        df = df.drop(columns=[*item, _SRC, _ROW])
        out = out.merge(df, on="\x00key", how="outer", suffixes=("", f" ({Path(src).name})"))
    assert out is not None
    out[_SRC] = out[_SRC].fillna(frames[-1][1])
    out[_ROW] = out[_ROW].fillna(0).astype(int)
    return out, source


def _keys(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    if not cols:
        return pd.Series([f"row{i}" for i in df[_ROW]], index=df.index, dtype=object)
    out = df[cols[0]].map(cell_key)
    for c in cols[1:]:
        out = out + "\x1f" + df[c].map(cell_key)
    return out.astype(object)


def _at(df: pd.DataFrame, idx: Any, flag: str, problem: str) -> InputError:
    """An error naming the file and row of ``df.loc[idx]``."""
    row = int(str(df.at[idx, _ROW]))
    return InputError(str(df.at[idx, _SRC]), f"{flag}: {problem}", row=row or None)


def need_columns(df: pd.DataFrame, cols: list[str], flag: str, source: str) -> None:
    shown = [c for c in df.columns if not c.startswith("\x00")]
    for c in cols:
        if c not in df.columns:
            raise InputError(source, f"{flag}: {column_not_found(c, shown)}")


# --------------------------------------------------------------------------- labels


def _choose_scale(raw: pd.Series, scale: str) -> Scale:
    if scale in ("pairwise", "score"):
        return scale  # type: ignore[return-value]
    if scale != "auto":
        raise UsageError(f"--scale: '{scale}' is not one of auto, pairwise, score")
    values = raw[~raw.map(is_empty).astype(bool)]
    if values.empty:
        return "pairwise"
    if values.map(pairwise_label).notna().mean() >= 0.5:
        return "pairwise"
    return "score"


def _reader(scale: Scale) -> Any:
    if scale == "pairwise":
        return pairwise_label

    def number(v: Any) -> float | None:
        try:
            x = float(v)
        except (TypeError, ValueError):
            return None
        return x if np.isfinite(x) else None

    return number


def label_codes(
    df: pd.DataFrame, col: str, values: pd.Series, scale: Scale, flag: str, bad: dict
) -> pd.Series:
    """Normalised labels of one column; refuse a column that is mostly unreadable."""
    read = values.map(_reader(scale))
    filled = ~values.map(is_empty).astype(bool)
    unread = filled & read.isna()
    if filled.sum() and unread.sum() * 2 > filled.sum():
        first = unread.idxmax()
        shown = ", ".join(repr(str(v)[:30]) for v in values[unread].unique()[:3])
        raise _at(
            df,
            first,
            flag,
            f"column '{col}': most values are not {scale} labels (e.g. {shown}); expected {_SPELLINGS}",
        )
    if unread.any():
        counts = values[unread].map(lambda x: str(x)[:40]).value_counts().head(5)
        bad[col] = {str(k): int(n) for k, n in counts.items()}
    return read.astype(object).where(read.notna(), None)


def _orient(df: pd.DataFrame, models: list[str]) -> tuple[pd.Series, pd.Series]:
    """(sorted-pair key, whether the row's labels must be mirrored)."""
    a = df[models[0]].map(cell_key)
    b = df[models[1]].map(cell_key)
    flip = a > b
    pair = a.where(~flip, b) + "\x1f" + b.where(~flip, a)
    return pair, flip


# --------------------------------------------------------------------------- layouts


def _explode(df: pd.DataFrame, col: str) -> pd.DataFrame:
    """One (row, rater, raw label) per vote of a wide human column (lists expand)."""
    out: list[tuple[Any, str, Any]] = []
    for idx, value in df[col].items():
        if isinstance(value, list | tuple | np.ndarray):
            out.extend((idx, f"{col}#{i + 1}", v) for i, v in enumerate(value))
        else:
            out.append((idx, col, value))
    return pd.DataFrame(out, columns=["idx", "rater", "raw"])


def read_votes(
    data: pd.DataFrame | str | Path | Sequence[str | Path],
    *,
    judge: str,
    human: str | Sequence[str] | None = None,
    annotator: str | None = None,
    label: str | None = None,
    item: str | Sequence[str] | None = None,
    group: str | Sequence[str] | None = None,
    models: str | Sequence[str] | None = None,
    human_match: str | None = None,
    soft: str | None = None,
    scale: Literal["auto", "pairwise", "score"] = "auto",
    no_ties: bool = False,
) -> HumanTable:
    """Read a wide (``human``) or long (``annotator``/``label``) table into votes."""
    long = annotator is not None or label is not None
    if long and human:
        raise UsageError("--human is for the wide layout; --annotator/--label for the long one")
    if not long and not human:
        raise UsageError(
            "name the human labels: --human COL[,COL...] (wide) or --annotator COL --label COL (long)"
        )
    if long and (annotator is None or label is None):
        raise UsageError("the long layout needs both --annotator COL and --label COL")
    items = split_names(item)
    if long and not items:
        raise UsageError("--item: the long layout needs the columns that identify an item")
    groups, pair = split_names(group), split_names(models)
    if pair and len(pair) != 2:
        raise UsageError(f"--models: expected two columns A,B, got {len(pair)}")
    df, source = _load(data, items, long)
    if df.empty:
        raise InputError(source, "no rows")
    need_columns(df, items, "--item", source)
    need_columns(df, groups, "--group", source)
    need_columns(df, pair, "--models", source)
    if soft is not None:
        need_columns(df, [soft], "--soft", source)
    key = df["\x00key"] if "\x00key" in df.columns else _keys(df, items)
    flip = pd.Series(False, index=df.index)
    if pair:
        pair_key, flip = _orient(df, pair)
        key = key + "\x1e" + pair_key
    df = df.assign(**{"\x00item": key})
    bad: dict[str, dict[str, int]] = {}
    info: dict[str, Any] = {"file": source, "item": items, "group": groups, "models": pair}
    if long:
        assert annotator is not None and label is not None
        votes, judge_rows, info2 = _long(df, annotator, label, judge, human_match, source)
    else:
        votes, judge_rows, info2 = _wide(df, split_names(human), judge, soft, source)
    info.update(info2)
    sc = _choose_scale(votes["raw"], scale)
    column = votes["rater"].str.split("#").str[0] if not long else info["label_column"]
    votes["label"] = None
    for col in [info["label_column"]] if long else split_names(human):
        part = votes.index if long else votes.index[column == col]
        raw = votes.loc[part, "raw"].set_axis(votes.loc[part, "idx"])
        votes.loc[part, "label"] = label_codes(df, col, raw, sc, info["label_flag"], bad).to_numpy()
    jl = label_codes(
        df, info["judge_column"], judge_rows[info["judge_column"]], sc, info["judge_flag"], bad
    )
    if sc == "pairwise":
        votes["label"] = votes["label"].where(
            ~flip.loc[votes["idx"]].to_numpy(), votes["label"].map(_MIRROR)
        )
        jl = jl.where(~flip.loc[jl.index], jl.map(_MIRROR))
    if no_ties:
        votes.loc[votes["label"] == "tie", "label"] = None
        jl = jl.where(jl != "tie", None)
    votes["item"] = df.loc[votes["idx"], "\x00item"].to_numpy()
    humans = votes[votes["label"].notna()][["item", "rater", "label", "idx"]]
    dup = humans.duplicated(["item", "rater"], keep=False)
    if dup.any():
        first = humans[dup].iloc[0]
        raise _at(
            df,
            first["idx"],
            info["label_flag"],
            f"annotator '{first['rater']}' labels this item more than once",
        )
    jitems = judge_rows["\x00item"]
    jdup = jitems[jl.notna()].duplicated(keep=False)
    if jdup.any():
        raise _at(df, jdup.idxmax(), "--judge", "the judge labels this item more than once")
    jseries = pd.Series(jl[jl.notna()].to_numpy(), index=jitems[jl.notna()].to_numpy())
    if sc == "score":
        humans = humans.assign(label=humans["label"].astype(float))
        jseries = jseries.astype(float)
    g = None
    if groups:
        gval = (
            df[groups[0]].astype(str)
            if len(groups) == 1
            else df[groups].astype(str).agg(" | ".join, axis=1)
        )
        g = pd.Series(gval.to_numpy(), index=df["\x00item"].to_numpy())
        g = g[~g.index.duplicated()]
    soft_s = None
    if soft is not None:
        p = pd.to_numeric(judge_rows[soft], errors="coerce")
        if pair:
            p = p.where(~flip.loc[p.index], 1 - p)
        soft_s = pd.Series(p.to_numpy(), index=jitems.to_numpy()).dropna()
        soft_s = soft_s[~soft_s.index.duplicated()]
        if ((soft_s < 0) | (soft_s > 1)).any():
            raise InputError(source, f"--soft: column '{soft}' has values outside [0, 1]")
    v = make_votes(humans[["item", "rater", "label"]], jseries, sc, g)
    if sc == "pairwise" and len(humans) == 0:
        raise InputError(source, f"{info['label_flag']}: no readable human label")
    return HumanTable(
        votes=v,
        soft=soft_s,
        layout="long" if long else "wide",
        source={**info, "rows": len(df), "scale": sc, "no_ties": no_ties},
        unrecognized=bad,
    )


def _wide(
    df: pd.DataFrame, cols: list[str], judge: str, soft: str | None, source: str
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    need_columns(df, cols, "--human", source)
    need_columns(df, [judge], "--judge", source)
    dup = df["\x00item"].duplicated(keep=False)
    if dup.any():
        raise _at(df, dup.idxmax(), "--item", "the same item appears on more than one row")
    votes = pd.concat([_explode(df, c) for c in cols], ignore_index=True)
    info = {
        "human": cols,
        "judge": judge,
        "label_column": ",".join(cols),
        "label_flag": "--human",
        "judge_column": judge,
        "judge_flag": "--judge",
        "soft": soft,
    }
    return votes, df, info


def _long(
    df: pd.DataFrame,
    annotator: str,
    label: str,
    judge: str,
    human_match: str | None,
    source: str,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    need_columns(df, [annotator], "--annotator", source)
    need_columns(df, [label], "--label", source)
    who = df[annotator].map(lambda x: "" if is_empty(x) else str(x).strip())
    names = sorted(set(who) - {""})
    if judge not in names:
        raise InputError(
            source,
            f"--judge: no row has {annotator}={judge}{column_did_you_mean(judge, names)} "
            f"(annotators: {column_listing(names)})",
        )
    is_human = (who != judge) & (who != "")
    if human_match:
        try:
            pattern = re.compile(human_match)
        except re.error as exc:
            raise UsageError(
                f"--human-match: {human_match!r} is not a regular expression ({exc})"
            ) from None
        is_human &= who.map(lambda x: pattern.fullmatch(x) is not None)
        if not is_human.any():
            raise InputError(
                source,
                f"--human-match: no annotator matches {human_match!r} (annotators: {column_listing(names)})",
            )
    rows = df[is_human]
    votes = pd.DataFrame(
        {"idx": rows.index, "rater": who[is_human].to_numpy(), "raw": rows[label].to_numpy()}
    )
    info = {
        "annotator": annotator,
        "label": label,
        "judge": judge,
        "human_match": human_match,
        "label_column": label,
        "label_flag": "--label",
        "judge_column": label,
        "judge_flag": "--judge",
    }
    return votes, df[who == judge], info
