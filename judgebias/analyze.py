"""Audit verdicts a judge has already given: no new judge call is made.

:func:`analyze` takes a table of recorded pairwise verdicts and returns, per
group (judge, prompting strategy, subset, ...), the position-bias, accuracy and
length-preference figures of :mod:`judgebias.stats.position` with 95 %
intervals; :func:`run_analyze` (``judgebias analyze``) writes them to
``DIR/summary.csv``, ``DIR/summary.json`` and a self-contained ``DIR/report.html``.

Layouts
-------
* **Wide** (one row per pair): ``first`` is the column holding the verdict when
  answer 1 (``a``) was shown first, ``second`` the verdict when the order was
  swapped, *already mapped back* to the pair's own labels. A column spec may
  list fallbacks, ``"COL1|COL2"``: the first non-empty value, left to right (the
  LLMBar ``Swap`` strategies keep the judge's synthesis only where its two
  original verdicts disagreed: ``synth_noswap|winner_noswap``).
* **Long** (one row per judge call): ``order`` names the column that tells the
  order shown, ``verdict`` the verdict column (in the pair's own labels) and
  ``pair`` the columns that identify a pair. ``order_values`` gives the two
  values of ``order`` meaning "answer 1 shown first" and "swapped"; without it
  ``ab``/``ba`` and ``noswap``/``swap`` are recognised. A pair with a row for one
  order only has a missing verdict for the other.

Verdict spellings (:func:`~judgebias.stats.position.normalize_label`): ``1``/``2``,
``1.0``/``2.0``, ``a``/``b``, ``A``/``B``; a tie is ``tie``, ``0``, ``3`` or ``C``.
Empty cells and any other value are *unparseable* (and listed in
``summary.json`` under ``unrecognized_values``); a column in which most
non-empty values are not verdicts is refused as the wrong column. Gold labels
use the same spellings (a pair whose gold is a tie or empty has no gold).

How an unparseable (or missing) verdict counts
----------------------------------------------
No verdict is ever invented: an unparseable verdict is missing data, never a
tie, never a wrong answer and never agreement with the other order.

* ``n`` counts every pair; ``n_unparseable`` the unparseable verdicts (two per
  pair at most).
* Position figures (``position_consistency``, ``primacy``, ``recency``,
  ``preference_fairness``, the position effect) use the ``n_valid`` pairs whose
  verdicts in *both* orders are valid; any other pair is left out of numerator
  and denominator (``n_invalid = n - n_valid``). The LLMBar source instead counts
  a pair missing in both orders as consistent, which rewards a judge for failing
  twice; the two rules agree on every group with complete verdicts.
* ``accuracy`` uses every valid verdict (either order) on a pair with gold ``a``
  or ``b``: credit 1 for the gold answer, 0.5 for a tie, 0 otherwise, averaged
  over verdicts; an unparseable verdict is left out, not scored 0.
  ``accuracy_first`` / ``accuracy_second`` are the same over the verdicts given
  when the gold answer was shown first / second.
* ``prefers_longer`` uses every valid verdict on a pair whose two answers
  differ in length by more than ``min_length_diff`` (30) characters: credit 1
  for the longer answer, 0.5 for a tie, 0 for the shorter.
* Strategy comparisons use the pairs both strategies judged with valid verdicts
  (both orders for consistency, at least one order for accuracy).

Intervals: Wilson score intervals for shares (for figures pooled over both
orders, with the number of pairs as the sample size, as for ``accuracy`` in
:func:`~judgebias.stats.position.position_stats`); Newcombe's paired interval
and the exact McNemar test for the position effect; Benjamini-Hochberg across
groups.

Answer lengths
--------------
From the answer texts when ``items`` is given (or when the table itself has
text columns): ``response_a``/``response_b``, ``output_1``/``output_2``,
``output_a``/``output_b``, ``answer_a``/``answer_b`` or ``completion_a``/``completion_b``
(or ``texts="A,B"``); lengths are Python character counts. Otherwise from
length columns of the table: ``len_a``/``len_b``, ``len_1``/``len_2``,
``length_a``/``length_b``, ``length_1``/``length_2`` (or ``lengths="A,B"``).
``items`` is joined on ``on`` (``COL`` or ``COL=ITEMS_COL`` when the names
differ) or, by default, on every column the two tables share; the join keys
must identify one item.

Comparing prompting strategies
------------------------------
With ``compare_to="Vanilla"``, :func:`compare_strategies` compares each value of
``compare_column`` (default ``strategy``) with the baseline *on the same pairs*,
separately within each value of ``compare_within`` (default ``judge`` when
there is such a column). A pair under one strategy is the same pair under the
baseline when it agrees on the ``pair`` columns (default: the ``items`` join
keys, else the first of ``pair_id``, ``id``, ``idx``, ``question_id``,
``instruction_index``) and on every ``group`` column except ``compare_column``.

* consistency: per pair consistent or not, under both strategies; the difference
  with Newcombe's paired interval and the exact McNemar p-value;
* accuracy: per pair the mean credit of its valid verdicts (0, 0.5 or 1); the
  difference with Newcombe's paired interval over the fractional 2x2 table
  (a pair right in one order counts half), and the exact sign test of pairs
  improved against pairs worsened (McNemar's test when credits are 0/1);
* p-values are Benjamini-Hochberg adjusted across every strategy and both
  figures of one ``compare_within`` value;
* length: P(judge prefers the longer answer | the gold answer is the shorter
  one) with a Wilson interval, next to P(prefers the shorter | gold is the
  longer); their difference (Newcombe's interval for independent shares) is a
  length bias net of the judge's accuracy.
"""

from __future__ import annotations

import difflib
import io
import json
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .data import read_table
from .errors import InputError, UsageError
from .stats.intervals import bh_adjust, mcnemar_p, newcombe_diff, newcombe_paired_diff, wilson
from .stats.position import classify_orders, normalize_label, position_stats

__all__ = [
    "SUMMARY_COLUMNS",
    "AnalyzeResult",
    "Prepared",
    "StrategyComparison",
    "analyze",
    "compare_strategies",
    "items_to_pairs",
    "prepare",
    "render_analyze_html",
    "run_analyze",
    "write_outputs",
]

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
    lowered = {o.lower(): o for o in reversed(options)}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return f"; did you mean '{lowered[close[0]]}'?" if close else ""


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


# --------------------------------------------------------------------------- preparing


@dataclass
class Prepared:
    """A verdict table brought to one row per pair, with canonical columns.

    ``frame`` keeps the user's columns and adds ``jb_first``, ``jb_second`` (labels
    ``a``/``b``/``tie`` or ``None``), ``jb_gold``, ``jb_len_a``, ``jb_len_b`` and,
    when texts are known, ``jb_instruction``, ``jb_text_a``, ``jb_text_b``.
    """

    frame: pd.DataFrame
    layout: str
    group: list[str]
    pair: list[str]
    on: list[str]
    has_gold: bool
    lengths: str | None
    """Where the answer lengths came from (for the report), or None."""
    unrecognized: dict[str, dict[str, int]] = field(default_factory=dict)
    n_rows: int = 0
    items_matched: int | None = None
    columns: dict[str, Any] = field(default_factory=dict)


def _apply_where(df: pd.DataFrame, where: Mapping[str, Any], ctx: _Ctx, flag: str) -> pd.DataFrame:
    for col, wanted in where.items():
        if col not in df.columns:
            raise ctx.error(flag, _not_found(col, list(df.columns)))
        values = (
            [wanted]
            if isinstance(wanted, str) or not isinstance(wanted, Sequence)
            else list(wanted)
        )
        keys = df[col].map(_key)
        mask = keys.isin([_key(v) for v in values])
        if not mask.any():
            present = sorted({str(v) for v in df[col].dropna().unique()})
            hint = _did_you_mean(str(values[0]), present)
            shown = "|".join(str(v) for v in values)
            raise ctx.error(flag, f"no row has {col}={shown}{hint} (values: {_listing(present)})")
        df = df[mask]
    return df


def _long_to_wide(
    df: pd.DataFrame,
    *,
    order: str,
    verdict: str,
    pair: list[str],
    group: list[str],
    order_values: Sequence[str] | None,
    ctx: _Ctx,
) -> pd.DataFrame:
    _need(df, [order], "order", ctx)
    _need(df, [verdict], "verdict", ctx)
    if not pair:
        raise ctx.error(
            "pair", "the long layout needs the columns that identify a pair (e.g. --pair pair_id)"
        )
    _need(df, pair, "pair", ctx)
    tokens = df[order].map(_order_token)
    if order_values is not None:
        vals = [_order_token(v) for v in order_values]
        if len(vals) != 2 or vals[0] == vals[1]:
            raise ctx.error("order_values", "give two different values: FIRST,SECOND (e.g. ab,ba)")
        which = tokens.map({vals[0]: "first", vals[1]: "second"})
    else:
        which = tokens.map(_ORDER_TOKENS)
    unknown = df[order][which.isna()]
    if len(unknown):
        found = sorted({str(v) for v in df[order].unique()})
        raise ctx.error(
            "order_values" if order_values is not None else "order",
            f"column '{order}' holds {_listing(found, 6)}; say which value means answer 1 shown "
            f"first and which the swapped order with --order-values FIRST,SECOND",
        )
    keys = list(dict.fromkeys([*group, *pair]))
    marked = df.assign(_jb_which=which.to_numpy())
    dup = marked.duplicated([*keys, "_jb_which"], keep=False)
    if dup.any():
        row = marked[dup].iloc[0]
        example = ", ".join(f"{k}={row[k]}" for k in keys)
        raise ctx.error(
            "pair",
            f"{int(dup.sum())} rows repeat a (pair, order): e.g. {example}, order "
            f"{row[order]}; add the column that tells them apart to --pair or --group",
        )
    rest = (
        marked.drop(columns=[order, verdict, "_jb_which"])
        .groupby(keys, dropna=False, sort=False)
        .first()
        .reset_index()
    )
    for name, col in (("first", FIRST), ("second", SECOND)):
        part = marked.loc[marked["_jb_which"] == name, [*keys, verdict]].rename(
            columns={verdict: col}
        )
        rest = rest.merge(part, on=keys, how="left")
    return rest


def _find_pair(
    columns: Iterable[Any], candidates: tuple[tuple[str, str], ...]
) -> tuple[str, str] | None:
    cols = {str(c) for c in columns}
    for a, b in candidates:
        if a in cols and b in cols:
            return a, b
    return None


def _two(
    value: str | Sequence[str] | None, flag: str, ctx: _Ctx, sep: str = ","
) -> tuple[str, str] | None:
    names = _names(value, sep)
    if not names:
        return None
    if len(names) != 2:
        raise ctx.error(flag, f"give two column names, A{sep}B (got {len(names)})")
    return names[0], names[1]


def _join_items(
    wide: pd.DataFrame,
    items: pd.DataFrame,
    on: list[str],
    ctx: _Ctx,
    *,
    texts: tuple[str, str] | None,
) -> tuple[pd.DataFrame, list[str], int]:
    if not on:
        on = [str(c) for c in items.columns if c in wide.columns and c not in _CANONICAL]
        if not on:
            raise ctx.error(
                "items",
                f"no column in common with {ctx.source} to join on; give the keys with --on COLS "
                "(COL=ITEMS_COL when the names differ)",
                items=True,
            )
    left = [k.partition("=")[0].strip() for k in on]
    right = [(k.partition("=")[2] or k).strip() for k in on]
    _need(items, right, "on", ctx, items=True)
    _need(wide, left, "on", ctx)
    pair = texts or _find_pair(items.columns, TEXT_CANDIDATES)
    if pair is None:
        wanted = ", ".join(f"{a}/{b}" for a, b in TEXT_CANDIDATES)
        raise ctx.error(
            "items", f"no answer text columns ({wanted}); name them with --texts A,B", items=True
        )
    _need(items, list(pair), "texts", ctx, items=True)
    instr = next((c for c in INSTRUCTION_CANDIDATES if c in items.columns), None)
    ikey = _key_series(items, right)
    dup = ikey.duplicated(keep=False)
    if dup.any():
        row = items[dup].iloc[0]
        example = ", ".join(f"{k}={row[k]}" for k in right)
        raise ctx.error(
            "on",
            f"{int(dup.sum())} items share their join keys ({', '.join(right)}), e.g. {example}; "
            "the keys must identify one item: add columns with --on",
            items=True,
        )
    sub = pd.DataFrame(
        {
            "_jb_key": ikey.to_numpy(),
            TEXT_A: items[pair[0]].to_numpy(dtype=object),
            TEXT_B: items[pair[1]].to_numpy(dtype=object),
            INSTRUCTION: items[instr].to_numpy(dtype=object) if instr else None,
        }
    )
    wide = wide.drop(columns=[c for c in (TEXT_A, TEXT_B, INSTRUCTION) if c in wide.columns])
    wide = wide.assign(_jb_key=_key_series(wide, left).to_numpy())
    merged = wide.merge(sub, on="_jb_key", how="left").drop(columns="_jb_key")
    merged.index = wide.index
    matched = int(merged[TEXT_A].notna().sum())
    if matched == 0:
        raise ctx.error(
            "items",
            f"no row of {ctx.source} matches an item on ({', '.join(on)}); check --on",
            items=True,
        )
    return merged, left, matched


def prepare(
    df: pd.DataFrame,
    *,
    first: str | Sequence[str] | None = None,
    second: str | Sequence[str] | None = None,
    gold: str | None = None,
    group: str | Sequence[str] | None = None,
    items: pd.DataFrame | None = None,
    on: str | Sequence[str] | None = None,
    texts: str | Sequence[str] | None = None,
    lengths: str | Sequence[str] | None = None,
    order: str | None = None,
    verdict: str | None = None,
    pair: str | Sequence[str] | None = None,
    order_values: str | Sequence[str] | None = None,
    where: Mapping[str, Any] | None = None,
    source: str = "<frame>",
    items_source: str = "<items>",
    flag_style: Callable[[str], str] = _cli_flag,
    list_sep: str = ",",
) -> Prepared:
    """Validate a verdict table and bring it to one row per pair (see the module docstring).

    Problems raise :class:`InputError` naming ``source`` (or ``items_source``) and the
    flag at fault. ``flag_style`` spells flag names in messages; ``list_sep``
    separates column lists given as one string.
    """
    ctx = _Ctx(source=source, items_source=items_source, flag=flag_style)
    if not isinstance(df, pd.DataFrame):
        raise ctx.error(None, f"expected a pandas DataFrame, got {type(df).__name__}")
    if df.empty:
        raise ctx.error(None, "no rows; nothing to analyze")
    df = df.copy()
    df.columns = [str(c) for c in df.columns]
    n_input = len(df)
    if where:
        df = _apply_where(df, where, ctx, "where")
    groups = _names(group, list_sep)
    _need(df, groups, "group", ctx)
    pair_cols = _names(pair, list_sep)
    long = order is not None or verdict is not None
    unrecognized: dict[str, dict[str, int]] = {}
    if long:
        if first is not None or second is not None:
            raise ctx.error(
                "first",
                "not used with --order/--verdict (the long layout); give --order-values instead",
            )
        if order is None or verdict is None:
            raise ctx.error(
                "order" if order is None else "verdict",
                "the long layout needs both --order and --verdict",
            )
        wide = _long_to_wide(
            df,
            order=order,
            verdict=verdict,
            pair=pair_cols,
            group=groups,
            order_values=_names(order_values, list_sep) if order_values is not None else None,
            ctx=ctx,
        )
        columns = {"order": order, "verdict": verdict, "pair": pair_cols}
    else:
        if not first or not second:
            raise ctx.error(
                "first" if not first else "second",
                "name the verdict column (or use --order/--verdict for the long layout)",
            )
        firsts, seconds = _names(first, "|"), _names(second, "|")
        _need(df, firsts, "first", ctx)
        _need(df, seconds, "second", ctx)
        _need(df, pair_cols, "pair", ctx)
        wide = df.assign(
            **{FIRST: _coalesce(df, firsts).to_numpy(), SECOND: _coalesce(df, seconds).to_numpy()}
        )
        columns = {"first": "|".join(firsts), "second": "|".join(seconds)}
    for flag, col in (
        ("first" if not long else "verdict", FIRST),
        ("second" if not long else "verdict", SECOND),
    ):
        labels, bad = _labels(wide[col])
        raw_nonempty = int((~wide[col].map(_is_empty).astype(bool)).sum())
        if raw_nonempty and labels.notna().sum() * 2 < raw_nonempty:
            # most values are not verdicts: the wrong column, not a judge that failed
            shown = ", ".join(list(bad)[:4])
            raise ctx.error(
                flag,
                f"most values are not verdicts (e.g. {shown}); expected {_VERDICT_SPELLINGS}",
            )
        wide[col] = labels
        if bad:
            unrecognized[flag] = bad
    has_gold = gold is not None
    if gold is not None:
        _need(wide, [gold], "gold", ctx)
        glabels, gbad = _labels(wide[gold])
        if glabels.notna().sum() == 0:
            raise ctx.error(
                "gold", f"column '{gold}' holds no gold labels; expected {_VERDICT_SPELLINGS}"
            )
        wide[GOLD] = glabels
        if gbad:
            unrecognized["gold"] = gbad
        columns["gold"] = gold
    else:
        wide[GOLD] = None

    on_cols = _names(on, list_sep)
    text_pair = _two(texts, "texts", ctx, list_sep)
    matched: int | None = None
    if items is not None:
        if not isinstance(items, pd.DataFrame) or items.empty:
            raise ctx.error("items", "no rows", items=True)
        items = items.copy()
        items.columns = [str(c) for c in items.columns]
        wide, on_cols, matched = _join_items(wide, items, on_cols, ctx, texts=text_pair)
    else:
        if on_cols:
            raise ctx.error("on", "only used with --items")
        own = text_pair or _find_pair(wide.columns, TEXT_CANDIDATES)
        if own is not None:
            _need(wide, list(own), "texts", ctx)
            instr = next((c for c in INSTRUCTION_CANDIDATES if c in wide.columns), None)
            wide[TEXT_A] = wide[own[0]].astype(object)
            wide[TEXT_B] = wide[own[1]].astype(object)
            wide[INSTRUCTION] = wide[instr].astype(object) if instr else None

    length_source: str | None = None
    len_pair = _two(lengths, "lengths", ctx, list_sep)
    if len_pair is None and TEXT_A in wide.columns:
        wide[LEN_A] = wide[TEXT_A].map(lambda t: float(len(t)) if isinstance(t, str) else math.nan)
        wide[LEN_B] = wide[TEXT_B].map(lambda t: float(len(t)) if isinstance(t, str) else math.nan)
        length_source = "characters of the answer texts"
    else:
        len_pair = len_pair or _find_pair(wide.columns, LENGTH_CANDIDATES)
        if len_pair is not None:
            _need(wide, list(len_pair), "lengths", ctx)
            wide[LEN_A] = pd.to_numeric(wide[len_pair[0]], errors="coerce").astype(float)
            wide[LEN_B] = pd.to_numeric(wide[len_pair[1]], errors="coerce").astype(float)
            length_source = f"columns {len_pair[0]}, {len_pair[1]}"
        else:
            wide[LEN_A] = math.nan
            wide[LEN_B] = math.nan

    if not pair_cols:
        if items is not None:
            pair_cols = list(on_cols)
        else:
            auto = next((c for c in PAIR_CANDIDATES if c in wide.columns), None)
            pair_cols = [auto] if auto else []
    return Prepared(
        frame=wide.reset_index(drop=True),
        layout="long" if long else "wide",
        group=groups,
        pair=pair_cols,
        on=on_cols,
        has_gold=has_gold,
        lengths=length_source,
        unrecognized=unrecognized,
        n_rows=n_input,
        items_matched=matched,
        columns=columns,
    )


# --------------------------------------------------------------------------- figures


def _share_ci(value: float, n: int, alpha: float) -> tuple[float, float]:
    if n <= 0 or math.isnan(value):
        return (math.nan, math.nan)
    return wilson(value * n, n, alpha)


def _pooled(first: pd.Series, second: pd.Series) -> tuple[float, int]:
    """Mean over the non-missing credits of both orders, and the number of pairs with any."""
    both = pd.concat([first, second])
    pairs = int((first.notna() | second.notna()).sum())
    if pairs == 0:
        return math.nan, 0
    return float(both.mean(skipna=True)), pairs


def _toward(verdicts: pd.Series, target: pd.Series) -> pd.Series:
    """Credit 1 when the verdict is ``target``, 0.5 for a tie, 0 otherwise; NaN when missing."""
    out = pd.Series(np.nan, index=verdicts.index, dtype=float)
    ok = verdicts.notna() & target.notna()
    out[ok] = 0.0
    out[ok & (verdicts == target)] = 1.0
    out[ok & (verdicts == "tie")] = 0.5
    return out


def _length_figures(g: pd.DataFrame, min_diff: float, alpha: float) -> dict[str, Any]:
    diff = g[LEN_A].astype(float) - g[LEN_B].astype(float)
    differs = diff.abs() > min_diff
    longer = pd.Series(np.where(diff > 0, "a", "b"), index=g.index, dtype=object).where(
        differs, None
    )
    shorter = longer.map({"a": "b", "b": "a"})
    cf, cs = _toward(g[FIRST], longer), _toward(g[SECOND], longer)
    value, n = _pooled(cf, cs)
    gold = g[GOLD]
    gs = differs & gold.isin(["a", "b"]) & (gold == shorter)
    gl = differs & gold.isin(["a", "b"]) & (gold == longer)
    v_gs, n_gs = _pooled(cf[gs], cs[gs])
    v_gl, n_gl = _pooled(1.0 - cf[gl], 1.0 - cs[gl])
    out: dict[str, Any] = {
        "prefers_longer": value,
        "n_length": n,
        "prefers_longer_when_gold_shorter": v_gs,
        "n_gold_shorter": n_gs,
        "prefers_shorter_when_gold_longer": v_gl,
        "n_gold_longer": n_gl,
    }
    out["prefers_longer_ci_low"], out["prefers_longer_ci_high"] = _share_ci(value, n, alpha)
    lo, hi = _share_ci(v_gs, n_gs, alpha)
    out["prefers_longer_when_gold_shorter_ci_low"] = lo
    out["prefers_longer_when_gold_shorter_ci_high"] = hi
    lo, hi = _share_ci(v_gl, n_gl, alpha)
    out["prefers_shorter_when_gold_longer_ci_low"] = lo
    out["prefers_shorter_when_gold_longer_ci_high"] = hi
    return out


def _group_figures(
    g: pd.DataFrame, *, has_gold: bool, min_diff: float, alpha: float
) -> dict[str, Any]:
    ps = position_stats(g, first=FIRST, second=SECOND, gold=GOLD if has_gold else None, alpha=alpha)
    n_valid = int(ps["n_valid"])
    gold = g[GOLD]
    n_gold_first = int(
        (g[FIRST].notna() & (gold == "a")).sum() + (g[SECOND].notna() & (gold == "b")).sum()
    )
    n_gold_second = int(
        (g[FIRST].notna() & (gold == "b")).sum() + (g[SECOND].notna() & (gold == "a")).sum()
    )
    row: dict[str, Any] = {
        "n": int(ps["n_pairs"]),
        "n_valid": n_valid,
        "position_consistency": ps["consistency"],
        "primacy": ps["primacy"],
        "recency": ps["recency"],
        "preference_fairness": ps["preference_fairness"],
        "accuracy": ps["accuracy"],
        "accuracy_first": ps["accuracy_first"],
        "accuracy_second": ps["accuracy_second"],
        "prefers_longer": math.nan,
        "n_invalid": int(ps["n_invalid"]),
        "n_unparseable": int(g[FIRST].isna().sum() + g[SECOND].isna().sum()),
        "n_consistent": int(ps["n_consistent"]),
        "n_primacy": int(ps["n_primacy"]),
        "n_recency": int(ps["n_recency"]),
        "position_consistency_ci_low": ps["consistency_ci_low"],
        "position_consistency_ci_high": ps["consistency_ci_high"],
        "position_effect": ps["effect"],
        "position_effect_ci_low": ps["ci_low"],
        "position_effect_ci_high": ps["ci_high"],
        "position_p_value": ps["p_value"],
        "preference_fairness_ci_low": -ps["ci_high"],
        "preference_fairness_ci_high": -ps["ci_low"],
        "accuracy_ci_low": ps["accuracy_ci_low"],
        "accuracy_ci_high": ps["accuracy_ci_high"],
        "n_gold": int(ps["n_gold"]),
        "n_gold_first": n_gold_first,
        "n_gold_second": n_gold_second,
    }
    for name, count in (
        ("primacy", n_valid),
        ("recency", n_valid),
        ("accuracy_first", n_gold_first),
        ("accuracy_second", n_gold_second),
    ):
        row[f"{name}_ci_low"], row[f"{name}_ci_high"] = _share_ci(row[name], count, alpha)
    row.update(_length_figures(g, min_diff, alpha))
    return row


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


def _figure_table(prep: Prepared, *, min_diff: float, alpha: float) -> pd.DataFrame:
    rows = []
    for values, g in _group_items(prep.frame, prep.group):
        rows.append(
            {**values, **_group_figures(g, has_gold=prep.has_gold, min_diff=min_diff, alpha=alpha)}
        )
    table = pd.DataFrame(rows)
    table["position_p_adjusted"] = bh_adjust(table["position_p_value"].tolist())
    return table


# --------------------------------------------------------------------------- strategies


@dataclass
class StrategyComparison:
    """Each strategy against the baseline on the same pairs (see the module docstring)."""

    column: str
    baseline: str
    within: list[str]
    match: list[str]
    differences: pd.DataFrame
    """One row per (within..., strategy, figure): baseline, value, difference, interval, p, p_adjusted, n."""
    length: pd.DataFrame
    """One row per (within..., strategy): P(prefers longer | gold shorter) and its contrast."""


def _credit_pairs(x: pd.Series, y: pd.Series) -> tuple[float, float, float, float]:
    """The (fractional) 2x2 table of per-pair credits x (strategy) and y (baseline)."""
    a = float(np.minimum(x, y).sum())
    b = float(np.maximum(x - y, 0.0).sum())
    c = float(np.maximum(y - x, 0.0).sum())
    d = float(np.minimum(1.0 - x, 1.0 - y).sum())
    return a, b, c, d


def _pair_credit(g: pd.DataFrame) -> pd.Series:
    gold = g[GOLD].where(g[GOLD].isin(["a", "b"]), None)
    cf, cs = _toward(g[FIRST], gold), _toward(g[SECOND], gold)
    return pd.concat([cf, cs], axis=1).mean(axis=1, skipna=True)


def _compare_one(base: pd.DataFrame, other: pd.DataFrame, alpha: float) -> list[dict[str, Any]]:
    m = base.merge(other, on="_jb_match", suffixes=("_b", "_s"))
    rows: list[dict[str, Any]] = []
    cls_b = classify_orders(m[FIRST + "_b"], m[SECOND + "_b"])
    cls_s = classify_orders(m[FIRST + "_s"], m[SECOND + "_s"])
    ok = cls_b.notna() & cls_s.notna()
    x = (cls_s[ok] == "consistent").astype(float)
    y = (cls_b[ok] == "consistent").astype(float)
    rows.append(_diff_row("position_consistency", x, y, alpha))
    cb = _pair_credit(
        m.rename(columns={FIRST + "_b": FIRST, SECOND + "_b": SECOND, GOLD + "_b": GOLD})
    )
    cs = _pair_credit(
        m.rename(columns={FIRST + "_s": FIRST, SECOND + "_s": SECOND, GOLD + "_s": GOLD})
    )
    ok = cb.notna() & cs.notna()
    rows.append(_diff_row("accuracy", cs[ok], cb[ok], alpha))
    return rows


def _diff_row(figure: str, x: pd.Series, y: pd.Series, alpha: float) -> dict[str, Any]:
    n = len(x)
    if n == 0:
        return {
            "figure": figure,
            "n": 0,
            "baseline_value": math.nan,
            "value": math.nan,
            "difference": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "p_value": math.nan,
            "n_better": 0,
            "n_worse": 0,
        }
    a, b, c, d = _credit_pairs(x, y)
    diff, lo, hi = newcombe_paired_diff(a, b, c, d, alpha)
    better, worse = int((x > y).sum()), int((x < y).sum())
    return {
        "figure": figure,
        "n": n,
        "baseline_value": float(y.mean()),
        "value": float(x.mean()),
        "difference": diff,
        "ci_low": lo,
        "ci_high": hi,
        "p_value": mcnemar_p(better, worse),
        "n_better": better,
        "n_worse": worse,
    }


def _newcombe_indep(
    v1: float, n1: int, v2: float, n2: int, alpha: float
) -> tuple[float, float, float]:
    """Newcombe's hybrid score interval for the difference of two independent shares."""
    if n1 <= 0 or n2 <= 0 or math.isnan(v1) or math.isnan(v2):
        return (math.nan, math.nan, math.nan)
    return newcombe_diff(v1 * n1, n1, v2 * n2, n2, alpha)


def compare_strategies(
    pairs: pd.DataFrame,
    *,
    baseline: str,
    column: str = "strategy",
    within: Sequence[str] | None = None,
    match: Sequence[str],
    alpha: float = 0.05,
    min_length_diff: float = DEFAULT_MIN_LENGTH_DIFF,
) -> StrategyComparison:
    """Compare every value of ``column`` with ``baseline`` on the same pairs.

    ``pairs`` is :attr:`AnalyzeResult.pairs` (the prepared one-row-per-pair frame);
    ``match`` the columns that identify the same pair under two strategies;
    ``within`` the columns whose values are compared separately (e.g. ``judge``).
    """
    within = list(within or [])
    for col in [column, *within, *match]:
        if col not in pairs.columns:
            raise UsageError(
                f"--compare-column/--compare-within/--pair: {_not_found(col, list(pairs.columns))}"
            )
    if not match:
        raise UsageError(
            "--pair: comparing strategies needs the columns that identify a pair (e.g. --pair idx)"
        )
    base_key = _key(baseline)
    strat = pairs[column].map(_key)
    if not (strat == base_key).any():
        present = sorted({str(v) for v in pairs[column].dropna().unique()})
        hint = _did_you_mean(baseline, present)
        raise UsageError(
            f"--compare-to: no pair has {column}={baseline}{hint} (values: {_listing(present)})"
        )
    frame = pairs.assign(
        _jb_match=_key_series(pairs, match).to_numpy(), _jb_strategy=strat.to_numpy()
    )
    dup = frame.duplicated([*within, "_jb_strategy", "_jb_match"], keep=False)
    if dup.any():
        row = frame[dup].iloc[0]
        example = ", ".join(f"{k}={row[k]}" for k in [*within, column, *match])
        raise UsageError(
            f"--pair: ({', '.join(match)}) does not identify one pair per {column} (e.g. {example} "
            f"appears {int(dup.sum())} times); add columns to --pair or --group"
        )
    keep = [FIRST, SECOND, GOLD, "_jb_match"]
    diffs: list[dict[str, Any]] = []
    lengths: list[dict[str, Any]] = []
    for values, g in _group_items(frame, within):
        base = g[g["_jb_strategy"] == base_key]
        order = list(dict.fromkeys(g[column].tolist()))
        rows_here: list[dict[str, Any]] = []
        for value in order:
            sg = g[g["_jb_strategy"] == _key(value)]
            lf = _length_figures(sg, min_length_diff, alpha)
            d, lo, hi = _newcombe_indep(
                lf["prefers_longer_when_gold_shorter"],
                lf["n_gold_shorter"],
                lf["prefers_shorter_when_gold_longer"],
                lf["n_gold_longer"],
                alpha,
            )
            lengths.append(
                {
                    **values,
                    column: value,
                    **{
                        k: lf[k]
                        for k in (
                            "prefers_longer_when_gold_shorter",
                            "prefers_longer_when_gold_shorter_ci_low",
                            "prefers_longer_when_gold_shorter_ci_high",
                            "n_gold_shorter",
                            "prefers_shorter_when_gold_longer",
                            "prefers_shorter_when_gold_longer_ci_low",
                            "prefers_shorter_when_gold_longer_ci_high",
                            "n_gold_longer",
                        )
                    },
                    "length_bias": d,
                    "length_bias_ci_low": lo,
                    "length_bias_ci_high": hi,
                }
            )
            if _key(value) == base_key:
                continue
            for r in _compare_one(base[keep], sg[keep], alpha):
                rows_here.append({**values, column: value, **r})
        adjusted = bh_adjust([r["p_value"] for r in rows_here])
        for r, q in zip(rows_here, adjusted, strict=True):
            r["p_adjusted"] = q
        diffs.extend(rows_here)
    return StrategyComparison(
        column=column,
        baseline=baseline,
        within=within,
        match=list(match),
        differences=pd.DataFrame(diffs),
        length=pd.DataFrame(lengths),
    )


# --------------------------------------------------------------------------- the result


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

    def summary_csv(self) -> pd.DataFrame:
        """The ``summary.csv`` table: group columns, the contract figures, then the rest."""
        lead = [*self.prepared.group, *SUMMARY_COLUMNS]
        return self.table[lead + [c for c in self.table.columns if c not in lead]]


def _clean(obj: Any) -> Any:
    """JSON-safe: NaN -> null, numpy scalars -> Python."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is pd.NA or obj is pd.NaT:
        return None
    return obj


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
    }


def _summary(
    prep: Prepared,
    table: pd.DataFrame,
    comparison: StrategyComparison | None,
    *,
    min_diff: float,
    alpha: float,
    meta: Mapping[str, Any],
) -> dict[str, Any]:
    from . import __version__

    out: dict[str, Any] = {
        "source": {
            **meta,
            "layout": prep.layout,
            **prep.columns,
            "group": prep.group,
            "pair": prep.pair,
            "on": prep.on,
            "lengths": prep.lengths,
            "rows": prep.n_rows,
            "items_matched": prep.items_matched,
        },
        "n_groups": len(table),
        "n_pairs": int(table["n"].sum()),
        "min_length_diff": min_diff,
        "confidence": 1 - alpha,
        "rules": {"unparseable": UNPARSEABLE_RULE},
        "unrecognized_values": prep.unrecognized,
        "groups": [_group_json(r, prep.group) for r in table.to_dict("records")],
        "judgebias_version": __version__,
    }
    if comparison is not None:
        out["comparison"] = {
            "column": comparison.column,
            "baseline": comparison.baseline,
            "within": comparison.within,
            "match": comparison.match,
            "differences": comparison.differences.to_dict("records"),
            "length": comparison.length.to_dict("records"),
        }
    cleaned: dict[str, Any] = _clean(out)
    return cleaned


def analyze(
    df: pd.DataFrame,
    *,
    first: str | Sequence[str] | None = None,
    second: str | Sequence[str] | None = None,
    gold: str | None = None,
    group: str | Sequence[str] | None = None,
    items: pd.DataFrame | None = None,
    on: str | Sequence[str] | None = None,
    texts: str | Sequence[str] | None = None,
    lengths: str | Sequence[str] | None = None,
    order: str | None = None,
    verdict: str | None = None,
    pair: str | Sequence[str] | None = None,
    order_values: str | Sequence[str] | None = None,
    where: Mapping[str, Any] | None = None,
    min_length_diff: float = DEFAULT_MIN_LENGTH_DIFF,
    compare_to: str | None = None,
    compare_column: str = "strategy",
    compare_within: str | Sequence[str] | None = None,
    alpha: float = 0.05,
    source: str = "<frame>",
    items_source: str = "<items>",
    meta: Mapping[str, Any] | None = None,
) -> AnalyzeResult:
    """Figures per group from recorded verdicts (rules and layouts: the module docstring).

    Wide layout: ``first``/``second`` name the verdict columns (``"A|B"``: first
    non-empty). Long layout: ``order``, ``verdict``, ``pair`` and optionally
    ``order_values``. Column lists are lists or comma-separated strings.
    ``where`` keeps the rows whose column equals the value (or one of the values).
    ``compare_to`` turns on :func:`compare_strategies` against that value of
    ``compare_column``; ``compare_within`` defaults to ``judge`` when present.
    """
    if not 0.0 < alpha < 1.0:
        raise UsageError(f"alpha: {alpha} is not in (0, 1)")
    if min_length_diff < 0 or math.isnan(min_length_diff):
        raise UsageError(f"--min-length-diff: must not be negative, got {min_length_diff}")
    prep = prepare(
        df,
        first=first,
        second=second,
        gold=gold,
        group=group,
        items=items,
        on=on,
        texts=texts,
        lengths=lengths,
        order=order,
        verdict=verdict,
        pair=pair,
        order_values=order_values,
        where=where,
        source=source,
        items_source=items_source,
    )
    table = _figure_table(prep, min_diff=min_length_diff, alpha=alpha)
    comparison = None
    if compare_to is not None:
        if compare_column not in prep.frame.columns:
            raise UsageError(
                f"--compare-column: {_not_found(compare_column, list(prep.frame.columns))}"
            )
        within = (
            _names(compare_within)
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
        )
    summary = _summary(
        prep,
        table,
        comparison,
        min_diff=min_length_diff,
        alpha=alpha,
        meta={"file": source, **(meta or {})},
    )
    return AnalyzeResult(
        table=table, summary=summary, pairs=prep.frame, prepared=prep, comparison=comparison
    )


# --------------------------------------------------------------------------- report


_RC: Any = {"svg.hashsalt": "judgebias", "svg.fonttype": "none", "font.size": 8}
"""Plots keep their text as SVG text (small files) with fixed ids (stable output)."""


def _svg(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(
        buf,
        format="svg",
        bbox_inches="tight",
        metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
    )
    plt.close(fig)
    text = buf.getvalue()
    return text[text.find("<svg") :]


def _group_label(values: Mapping[Any, Any], group: list[str]) -> str:
    return " · ".join(str(values.get(g)) for g in group) or "all pairs"


def _groups_plot(table: pd.DataFrame, group: list[str]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = table.to_dict("records")
    varying = [g for g in group if table[g].map(_key).nunique() > 1] or group
    labels = [_group_label(r, varying) for r in rows]
    height = 1.0 + 0.22 * len(rows)
    with matplotlib.rc_context(_RC):
        fig, axes = plt.subplots(1, 2, figsize=(11, height), sharey=True)
        for ax, name, color in (
            (axes[0], "position_consistency", "#2a7a5a"),
            (axes[1], "accuracy", "#3a5a9a"),
        ):
            for i, r in enumerate(rows):
                v = r[name]
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    continue
                lo, hi = r[f"{name}_ci_low"], r[f"{name}_ci_high"]
                ax.plot([100 * lo, 100 * hi], [i, i], color=color, lw=1.4, alpha=0.6)
                ax.plot([100 * v], [i], "o", color=color, ms=3.5)
            ax.set_xlim(-2, 102)
            ax.set_xlabel(name.replace("_", " ") + " (%, 95% interval)")
            ax.grid(axis="x", color="#ddd", lw=0.6)
            ax.axvline(50, color="#bbb", lw=0.8, ls=":")
        axes[0].set_yticks(range(len(rows)), labels)
        axes[0].set_ylim(len(rows) - 0.5, -0.5)
        fig.tight_layout()
        return _svg(fig)


def _comparison_plot(diffs: pd.DataFrame, lengths: pd.DataFrame, column: str, baseline: Any) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    strategies = [baseline, *dict.fromkeys(diffs[column].tolist())]
    with matplotlib.rc_context(_RC):
        fig, axes = plt.subplots(1, 3, figsize=(10, 1.0 + 0.3 * len(strategies)), sharey=True)
        for ax, figure in ((axes[0], "position_consistency"), (axes[1], "accuracy")):
            part = diffs[diffs["figure"] == figure].set_index(column)
            for i, s in enumerate(strategies):
                if s not in part.index or pd.isna(part.loc[s, "difference"]):
                    continue
                r = part.loc[s]
                sig = bool(r["p_adjusted"] < 0.05)
                color = "#c0392b" if sig else "#666"
                ax.plot([100 * r["ci_low"], 100 * r["ci_high"]], [i, i], color=color, lw=1.6)
                ax.plot([100 * r["difference"]], [i], "o", color=color, ms=4)
            ax.axvline(0, color="#999", lw=0.8, ls="--")
            ax.set_xlabel(f"Δ {figure.replace('_', ' ')} (pp)")
            ax.grid(axis="x", color="#eee", lw=0.6)
        lp = lengths.set_index(column)
        for i, s in enumerate(strategies):
            if s not in lp.index:
                continue
            r = lp.loc[s]
            v = r["prefers_longer_when_gold_shorter"]
            if pd.isna(v):
                continue
            axes[2].plot(
                [
                    100 * r["prefers_longer_when_gold_shorter_ci_low"],
                    100 * r["prefers_longer_when_gold_shorter_ci_high"],
                ],
                [i, i],
                color="#8e44ad",
                lw=1.6,
            )
            axes[2].plot([100 * v], [i], "o", color="#8e44ad", ms=4)
        axes[2].set_xlim(-2, 102)
        axes[2].set_xlabel("P(prefers longer | gold shorter) (%)")
        axes[2].grid(axis="x", color="#eee", lw=0.6)
        names = [f"{s} (baseline)" if i == 0 else str(s) for i, s in enumerate(strategies)]
        axes[0].set_yticks(range(len(strategies)), names)
        axes[0].set_ylim(len(strategies) - 0.5, -0.5)
        fig.tight_layout()
        return _svg(fig)


def _baseline_value(lengths: pd.DataFrame, comp: StrategyComparison) -> Any:
    """The baseline as spelled in the data (``Vanilla``, or 1 for a numeric column)."""
    hit = lengths[lengths[comp.column].map(_key) == _key(comp.baseline)]
    return hit[comp.column].iloc[0] if len(hit) else comp.baseline


def render_analyze_html(result: AnalyzeResult, *, title: str | None = None) -> str:
    """The self-contained HTML report of an analysis (no external resources)."""
    from importlib import resources

    from jinja2 import Environment, select_autoescape

    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))

    def num(x: Any) -> bool:
        return x is not None and not (isinstance(x, float) and math.isnan(x))

    env.filters["pct"] = lambda x: f"{100 * x:.1f}" if num(x) else "–"
    env.filters["pp"] = lambda x: f"{100 * x:+.1f}" if num(x) else "–"
    env.filters["p"] = lambda x: ("<0.0001" if x < 1e-4 else f"{x:.2g}") if num(x) else "–"
    src = (
        resources.files("judgebias.report").joinpath("analyze.html.j2").read_text(encoding="utf-8")
    )
    prep = result.prepared
    rows = result.table.to_dict("records")
    for r in rows:
        r["_label"] = [
            ("–" if r[g] is None or (isinstance(r[g], float) and math.isnan(r[g])) else r[g])
            for g in prep.group
        ]
    sections = []
    comp = result.comparison
    if comp is not None and not comp.differences.empty:
        for values, part in _group_items(comp.differences, comp.within):
            lmask = pd.Series(True, index=comp.length.index)
            for k, v in values.items():
                lmask &= comp.length[k].map(_key) == _key(v)
            lpart = comp.length[lmask]
            sections.append(
                {
                    "label": _group_label(values, comp.within) if comp.within else "all pairs",
                    "plot": _comparison_plot(
                        part, lpart, comp.column, _baseline_value(lpart, comp)
                    ),
                    "consistency": part[part["figure"] == "position_consistency"].to_dict(
                        "records"
                    ),
                    "accuracy": part[part["figure"] == "accuracy"].to_dict("records"),
                    "length": lpart.to_dict("records"),
                }
            )
    return env.from_string(src).render(
        title=title or f"judgebias analyze: {Path(str(result.summary['source'].get('file'))).name}",
        s=result.summary,
        src=result.summary["source"],
        group=prep.group,
        rows=rows,
        plot=_groups_plot(result.table, prep.group),
        comp=comp,
        sections=sections,
        rule=UNPARSEABLE_RULE,
        generated=time.strftime("%Y-%m-%d"),
    )


def write_outputs(result: AnalyzeResult, out: str | Path, *, title: str | None = None) -> Path:
    """Write ``summary.csv``, ``summary.json`` and ``report.html`` into ``out``; return it."""
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
    title: str | None = None,
    command: str | None = None,
    **options: Any,
) -> AnalyzeResult:
    """Read ``path`` (and ``items``), run :func:`analyze` and write its outputs into ``out``.

    ``options`` are the other keyword arguments of :func:`analyze`.
    """
    table = read_table(path)
    item_table = read_table(items) if items is not None else None
    meta: dict[str, Any] = {"items": str(items) if items is not None else None}
    if command:
        meta["command"] = command
    result = analyze(
        table,
        first=first,
        second=second,
        gold=gold,
        group=group,
        items=item_table,
        source=str(path),
        items_source=str(items) if items is not None else "<items>",
        meta=meta,
        **options,
    )
    write_outputs(result, out, title=title)
    return result


# --------------------------------------------------------------------------- pairs files


def items_to_pairs(
    items: pd.DataFrame,
    *,
    id_columns: str | Sequence[str],
    instruction: str | None = None,
    texts: str | Sequence[str] | None = None,
    gold: str | None = None,
    source: str = "<items>",
) -> pd.DataFrame:
    """Turn an items table into a pairs table (``id, instruction, response_a, response_b, gold``).

    ``id`` joins the ``id_columns`` values with ``/``; texts and instruction are
    found as in :func:`prepare` unless named; ``gold`` is mapped to ``a``/``b``/``tie``.
    Write it with ``frame.to_json(path, orient="records", lines=True)`` and audit it
    with ``judgebias audit --data`` (e.g. against ``replay:``).
    """
    ctx = _Ctx(source=source)
    ids = _names(id_columns)
    _need(items, ids, "id_columns", ctx)
    pair = _two(texts, "texts", ctx) or _find_pair(items.columns, TEXT_CANDIDATES)
    if pair is None:
        raise ctx.error("texts", "no answer text columns found; name them with texts=A,B")
    instr = instruction or next((c for c in INSTRUCTION_CANDIDATES if c in items.columns), None)
    if instr is None:
        raise ctx.error("instruction", "no instruction column found; name it")
    _need(items, [instr, *pair], "texts", ctx)
    out = pd.DataFrame(
        {
            "id": [
                "/".join(str(v) for v in vals)
                for vals in items[ids].itertuples(index=False, name=None)
            ],
            "instruction": items[instr].astype(object).to_numpy(),
            "response_a": items[pair[0]].astype(object).to_numpy(),
            "response_b": items[pair[1]].astype(object).to_numpy(),
        }
    )
    if gold is not None:
        _need(items, [gold], "gold", ctx)
        out["gold"] = items[gold].map(normalize_label).to_numpy()
    return out
