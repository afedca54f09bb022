"""Column names, candidate spellings and the small value helpers of ``judgebias analyze``:
finding columns (with "did you mean"), keys for joining and grouping, errors naming the flag."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..registry import did_you_mean
from ..stats.position import normalize_label

SUMMARY_COLUMNS: tuple[str, ...] = (
    "n",
    "n_valid",
    "position_consistency",
    "primacy",
    "recency",
    "preference_fairness",
    "accuracy",
    "accuracy_first",
    "accuracy_second",
    "prefers_longer",
)
"""The figures of ``summary.csv`` after the group columns (fractions); more columns follow."""

DEFAULT_MIN_LENGTH_DIFF = 30

# canonical columns of the prepared one-row-per-pair frame
FIRST, SECOND, GOLD = "jb_first", "jb_second", "jb_gold"
LEN_A, LEN_B = "jb_len_a", "jb_len_b"
INSTRUCTION, TEXT_A, TEXT_B = "jb_instruction", "jb_text_a", "jb_text_b"
_CANONICAL = (FIRST, SECOND, GOLD, LEN_A, LEN_B, INSTRUCTION, TEXT_A, TEXT_B)

TEXT_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("response_a", "response_b"),
    ("output_1", "output_2"),
    ("output_a", "output_b"),
    ("answer_a", "answer_b"),
    ("completion_a", "completion_b"),
)
INSTRUCTION_CANDIDATES: tuple[str, ...] = ("instruction", "input", "prompt", "question")
LENGTH_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("len_a", "len_b"),
    ("len_1", "len_2"),
    ("length_a", "length_b"),
    ("length_1", "length_2"),
)
PAIR_CANDIDATES: tuple[str, ...] = ("pair_id", "id", "idx", "question_id", "instruction_index")
_ORDER_TOKENS: dict[str, str] = {"ab": "first", "ba": "second", "noswap": "first", "swap": "second"}
_INTEGRAL_TEXT = re.compile(r"([+-]?(?:0|[1-9][0-9]*))(?:\.0*)?")
_VERDICT_SPELLINGS = "1/2, 1.0/2.0, a/b, A/B, or tie/0/3/C for a tie"

UNPARSEABLE_RULE = (
    "An unparseable or missing verdict is missing data: never a tie, never wrong, never "
    "consistent. Position figures use the pairs with valid verdicts in both orders "
    "(n_valid); accuracy and prefers_longer use every valid verdict."
)


# --------------------------------------------------------------------------- errors


def _cli_flag(name: str) -> str:
    return "--" + name.replace("_", "-")


@dataclass(frozen=True)
class _Ctx:
    """Where errors point: the file (or frame) and how flags are spelled."""

    source: str
    items_source: str = "<items>"
    flag: Callable[[str], str] = _cli_flag

    def error(self, flag: str | None, problem: str, *, items: bool = False) -> InputError:
        prefix = f"{self.flag(flag)}: " if flag else ""
        return InputError(self.items_source if items else self.source, prefix + problem)


def _listing(columns: Sequence[Any], limit: int = 15) -> str:
    names = [str(c) for c in columns]
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def _did_you_mean(name: str, options: Sequence[str]) -> str:
    """``"; did you mean 'X'?"`` for the closest option (case-insensitive), or ``""``."""
    return did_you_mean(name, options, ignore_case=True, inline=True)


def _not_found(name: str, columns: Sequence[Any]) -> str:
    names = [str(c) for c in columns if str(c) not in _CANONICAL]
    hint = _did_you_mean(name, names)
    return f"column '{name}' not found{hint} (columns: {_listing(names)})"


def _names(value: str | Sequence[str] | None, sep: str = ",") -> list[str]:
    if value is None:
        return []
    parts = value.split(sep) if isinstance(value, str) else [str(v) for v in value]
    return [p.strip() for p in parts if p and p.strip()]


def _need(
    df: pd.DataFrame, names: Sequence[str], flag: str, ctx: _Ctx, *, items: bool = False
) -> None:
    for name in names:
        if name not in df.columns:
            raise ctx.error(flag, _not_found(name, list(df.columns)), items=items)


# --------------------------------------------------------------------------- values


def _is_empty(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _key(v: Any) -> str:
    """A join-safe text form of a value: 3, 3.0 and "3" are the same key."""
    if _is_empty(v):
        return "\x00NA"
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        f = float(v)
        return str(int(f)) if f.is_integer() else repr(f)
    text = str(v).strip()
    m = _INTEGRAL_TEXT.fullmatch(text)
    return str(int(m.group(1))) if m else text


def _key_series(df: pd.DataFrame, cols: Sequence[str]) -> pd.Series:
    if not cols:
        return pd.Series(["all"] * len(df), index=df.index, dtype=object)
    parts = [df[c].map(_key) for c in cols]
    out = parts[0]
    for p in parts[1:]:
        out = out + "\x1f" + p
    return out.astype(object)


def _coalesce(df: pd.DataFrame, cols: Sequence[str]) -> pd.Series:
    out = df[cols[0]].astype(object)
    for c in cols[1:]:
        empty = out.map(_is_empty).astype(bool)
        out = out.where(~empty, df[c].astype(object))
    return out


def _labels(raw: pd.Series) -> tuple[pd.Series, dict[str, int]]:
    """Normalised labels (a/b/tie/None) and the counts of non-empty values not understood."""
    labels = raw.map(normalize_label).astype(object)
    bad = raw[labels.isna() & ~raw.map(_is_empty).astype(bool)]
    counts = bad.map(lambda v: str(v)[:40]).value_counts().head(5)
    return labels.where(labels.notna(), None), {str(k): int(v) for k, v in counts.items()}


def _order_token(v: Any) -> str:
    return _key(v).lower()


def _group_items(
    frame: pd.DataFrame, group: list[str]
) -> list[tuple[dict[str, Any], pd.DataFrame]]:
    if not group:
        return [({}, frame)]
    out = []
    for values, g in frame.groupby(group, dropna=False, sort=True):
        vals = values if isinstance(values, tuple) else (values,)
        out.append(
            ({k: (None if _is_empty(v) else v) for k, v in zip(group, vals, strict=True)}, g)
        )
    return out
