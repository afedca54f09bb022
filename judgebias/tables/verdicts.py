"""Recorded verdicts brought to one row per pair, below both the analysis and the replay judge.

Column names and candidate spellings, the small value helpers (finding columns with
"did you mean", keys for joining and grouping, errors naming the flag), and
:func:`prepare` (wide and long layouts, items joined for texts and lengths, verdict
spellings). ``judgebias analyze`` (:mod:`judgebias.analysis`), ``debias``, the
``replay:`` judge and the statistics of :mod:`judgebias.stats.recorded` read verdict
tables through here, so a judge never imports the offline analysis.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from judgebias.errors import InputError
from judgebias.registry import did_you_mean
from judgebias.vocabulary import VERDICT_SPELLINGS, normalize_label

DEFAULT_MIN_LENGTH_DIFF = 30

# canonical columns of the prepared one-row-per-pair frame
FIRST, SECOND, GOLD = "jb_first", "jb_second", "jb_gold"
LEN_A, LEN_B = "jb_len_a", "jb_len_b"
INSTRUCTION, TEXT_A, TEXT_B = "jb_instruction", "jb_text_a", "jb_text_b"
# with raw answers (analyze --raw): why each order's answer could not be read, and its text
FIRST_REASON, SECOND_REASON = "jb_first_reason", "jb_second_reason"
FIRST_RAW, SECOND_RAW = "jb_first_raw", "jb_second_raw"
CANONICAL_COLUMNS: tuple[str, ...] = (
    FIRST,
    SECOND,
    GOLD,
    LEN_A,
    LEN_B,
    INSTRUCTION,
    TEXT_A,
    TEXT_B,
)
CANONICAL_COLUMNS += (FIRST_REASON, SECOND_REASON, FIRST_RAW, SECOND_RAW)

RawRead = Callable[[str], tuple[str | None, str | None]]
"""Reads one raw answer: (the position it names, ``first``/``second``/``tie``, or None;
the reason it could not be read, or None)."""
_SWAP_BACK = {"first": "b", "second": "a", "tie": "tie"}
_AS_SHOWN = {"first": "a", "second": "b", "tie": "tie"}

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
ORDER_TOKENS: dict[str, str] = {"ab": "first", "ba": "second", "noswap": "first", "swap": "second"}
_INTEGRAL_TEXT = re.compile(r"([+-]?(?:0|[1-9][0-9]*))(?:\.0*)?")

UNPARSEABLE_RULE = (
    "An unparseable or missing verdict is missing data: never a tie, never wrong, never "
    "consistent. Position figures use the pairs with valid verdicts in both orders "
    "(n_valid); accuracy and prefers_longer use every valid verdict."
)


# --------------------------------------------------------------------------- errors


def cli_flag(name: str) -> str:
    return "--" + name.replace("_", "-")


@dataclass(frozen=True)
class TableContext:
    """Where errors point: the file (or frame) and how flags are spelled."""

    source: str
    items_source: str = "<items>"
    flag: Callable[[str], str] = cli_flag

    def error(self, flag: str | None, problem: str, *, items: bool = False) -> InputError:
        prefix = f"{self.flag(flag)}: " if flag else ""
        return InputError(self.items_source if items else self.source, prefix + problem)


def column_listing(columns: Sequence[Any], limit: int = 15) -> str:
    names = [str(c) for c in columns]
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def column_did_you_mean(name: str, options: Sequence[str]) -> str:
    """``"; did you mean 'X'?"`` for the closest option (case-insensitive), or ``""``."""
    return did_you_mean(name, options, ignore_case=True, inline=True)


def column_not_found(name: str, columns: Sequence[Any]) -> str:
    names = [str(c) for c in columns if str(c) not in CANONICAL_COLUMNS]
    hint = column_did_you_mean(name, names)
    return f"column '{name}' not found{hint} (columns: {column_listing(names)})"


def split_names(value: str | Sequence[str] | None, sep: str = ",") -> list[str]:
    if value is None:
        return []
    parts = value.split(sep) if isinstance(value, str) else [str(v) for v in value]
    return [p.strip() for p in parts if p and p.strip()]


def need_columns(
    df: pd.DataFrame, names: Sequence[str], flag: str, ctx: TableContext, *, items: bool = False
) -> None:
    for name in names:
        if name not in df.columns:
            raise ctx.error(flag, column_not_found(name, list(df.columns)), items=items)


# --------------------------------------------------------------------------- values


def is_empty(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def cell_key(v: Any) -> str:
    """A join-safe text form of a value: 3, 3.0 and "3" are the same key."""
    if is_empty(v):
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


def key_series(df: pd.DataFrame, cols: Sequence[str]) -> pd.Series:
    if not cols:
        return pd.Series(["all"] * len(df), index=df.index, dtype=object)
    parts = [df[c].map(cell_key) for c in cols]
    out = parts[0]
    for p in parts[1:]:
        out = out + "\x1f" + p
    return out.astype(object)


def coalesce_columns(df: pd.DataFrame, cols: Sequence[str]) -> pd.Series:
    out = df[cols[0]].astype(object)
    for c in cols[1:]:
        empty = out.map(is_empty).astype(bool)
        out = out.where(~empty, df[c].astype(object))
    return out


def _per_value(col: pd.Series, fn: Callable[[Any], Any]) -> pd.Series:
    """``col.map(fn)`` (an object column), ``fn`` called once per distinct value when the
    values are numbers or all text (values equal as Python values are then the same value;
    a mix such as ``1`` and ``True`` is mapped value by value)."""
    kind = pd.api.types.infer_dtype(col, skipna=True)
    if kind not in ("string", "empty", "integer", "floating", "boolean", "mixed-integer-float"):
        return col.map(fn).astype(object)
    if kind == "boolean" and col.dtype == object:
        return col.map(fn).astype(object)
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [fn(u) for u in uniques]
    missing = col[codes == -1]
    mapped[-1] = fn(missing.iloc[0]) if len(missing) else None
    if len(missing) and len({type(v) for v in missing}) > 1:
        return col.map(fn).astype(object)  # None and NaN both missing: map each
    return pd.Series(mapped[codes], index=col.index, dtype=object)


def label_codes(raw: pd.Series) -> tuple[pd.Series, dict[str, int]]:
    """Normalised labels (a/b/tie/None) and the counts of non-empty values not understood."""
    labels = _per_value(raw, normalize_label)
    bad = raw[labels.isna() & ~_per_value(raw, is_empty).astype(bool)]
    counts = bad.map(lambda v: str(v)[:40]).value_counts().head(5)
    return labels.where(labels.notna(), None), {str(k): int(v) for k, v in counts.items()}


def order_token(v: Any) -> str:
    return cell_key(v).lower()


def group_items(frame: pd.DataFrame, group: list[str]) -> list[tuple[dict[str, Any], pd.DataFrame]]:
    if not group:
        return [({}, frame)]
    out = []
    for values, g in frame.groupby(group, dropna=False, sort=True):
        vals = values if isinstance(values, tuple) else (values,)
        out.append(({k: (None if is_empty(v) else v) for k, v in zip(group, vals, strict=True)}, g))
    return out


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
    repeat: str | None = None
    """The column telling which repetition of the same request a row is, or None."""
    raw: bool = False
    """The verdict columns held raw answers, read into labels (``jb_first_reason`` ... say
    why an answer could not be read)."""


def _read_raw(values: pd.Series, read: RawRead, swapped: bool) -> tuple[pd.Series, pd.Series]:
    """Labels (``a``/``b``/``tie`` or None) and reasons of raw answers shown in one order:
    a position is mapped back to the pair's labels (``swapped``: answer 2 was shown first)."""
    mapping = _SWAP_BACK if swapped else _AS_SHOWN
    texts = values.map(lambda v: "" if is_empty(v) else str(v))
    read_all = [read(t) for t in texts]
    labels = pd.Series([mapping.get(p) if p else None for p, _ in read_all], index=values.index)
    reasons = pd.Series([r for _, r in read_all], index=values.index, dtype=object)
    return labels.astype(object), reasons


@dataclass(frozen=True)
class VerdictColumns:
    """Which columns of a recorded-verdict table mean what: the column flags shared by
    ``analyze``, ``debias`` and the replay judge (``--first``, ``--gold``, ``--order`` ...).

    Wide layout: ``first``/``second`` (``"A|B"``: the first non-empty). Long layout:
    ``order``, ``verdict``, ``pair`` and optionally ``order_values``. ``gold`` the gold
    labels, ``group`` the grouping columns, ``on`` the join keys with the items table,
    ``texts``/``lengths`` the answer text or length columns, ``where`` the rows to keep
    (column -> value or values), ``repeat`` the column telling which repetition of the
    same request a row is (each repetition of a pair is then its own row). Column lists
    are lists or comma-separated strings.
    """

    first: str | Sequence[str] | None = None
    second: str | Sequence[str] | None = None
    gold: str | None = None
    group: str | Sequence[str] | None = None
    on: str | Sequence[str] | None = None
    texts: str | Sequence[str] | None = None
    lengths: str | Sequence[str] | None = None
    order: str | None = None
    verdict: str | None = None
    pair: str | Sequence[str] | None = None
    order_values: str | Sequence[str] | None = None
    where: Mapping[str, Any] | None = None
    repeat: str | None = None

    @classmethod
    def of(cls, columns: VerdictColumns | None = None, **names: Any) -> VerdictColumns:
        """``columns`` (or none) with the fields given as keywords set (None: not given)."""
        known = [f.name for f in fields(cls)]
        for name in names:
            if name not in known:
                hint = did_you_mean(name, known)
                raise TypeError(f"unexpected keyword argument '{name}'{hint}")
        given = {k: v for k, v in names.items() if v is not None}
        return replace(columns or cls(), **given)


def _apply_where(
    df: pd.DataFrame, where: Mapping[str, Any], ctx: TableContext, flag: str
) -> pd.DataFrame:
    for col, wanted in where.items():
        if col not in df.columns:
            raise ctx.error(flag, column_not_found(col, list(df.columns)))
        values = (
            [wanted]
            if isinstance(wanted, str) or not isinstance(wanted, Sequence)
            else list(wanted)
        )
        keys = df[col].map(cell_key)
        mask = keys.isin([cell_key(v) for v in values])
        if not mask.any():
            present = sorted({str(v) for v in df[col].dropna().unique()})
            hint = column_did_you_mean(str(values[0]), present)
            shown = "|".join(str(v) for v in values)
            raise ctx.error(
                flag, f"no row has {col}={shown}{hint} (values: {column_listing(present)})"
            )
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
    ctx: TableContext,
    repeat: str | None = None,
) -> pd.DataFrame:
    need_columns(df, [order], "order", ctx)
    need_columns(df, [verdict], "verdict", ctx)
    if not pair:
        raise ctx.error(
            "pair", "the long layout needs the columns that identify a pair (e.g. --pair pair_id)"
        )
    need_columns(df, pair, "pair", ctx)
    tokens = df[order].map(order_token)
    if order_values is not None:
        vals = [order_token(v) for v in order_values]
        if len(vals) != 2 or vals[0] == vals[1]:
            raise ctx.error("order_values", "give two different values: FIRST,SECOND (e.g. ab,ba)")
        which = tokens.map({vals[0]: "first", vals[1]: "second"})
    else:
        which = tokens.map(ORDER_TOKENS)
    unknown = df[order][which.isna()]
    if len(unknown):
        found = sorted({str(v) for v in df[order].unique()})
        raise ctx.error(
            "order_values" if order_values is not None else "order",
            f"column '{order}' holds {column_listing(found, 6)}; say which value means answer 1 shown "
            f"first and which the swapped order with --order-values FIRST,SECOND",
        )
    keys = list(dict.fromkeys([*group, *pair, *([repeat] if repeat else [])]))
    marked = df.assign(_jb_which=which.to_numpy())
    dup = marked.duplicated([*keys, "_jb_which"], keep=False)
    if dup.any():
        row = marked[dup].iloc[0]
        example = ", ".join(f"{k}={row[k]}" for k in keys)
        raise ctx.error(
            "repeat" if repeat else "pair",
            f"{int(dup.sum())} rows repeat a (pair, order"
            + (", repetition" if repeat else "")
            + f"): e.g. {example}, order {row[order]}; add the column that tells them apart "
            + ("to --pair or --group" if repeat else "to --pair or --group (or --repeat)"),
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


def find_pair(
    columns: Iterable[Any], candidates: tuple[tuple[str, str], ...]
) -> tuple[str, str] | None:
    cols = {str(c) for c in columns}
    for a, b in candidates:
        if a in cols and b in cols:
            return a, b
    return None


def two_columns(
    value: str | Sequence[str] | None, flag: str, ctx: TableContext, sep: str = ","
) -> tuple[str, str] | None:
    names = split_names(value, sep)
    if not names:
        return None
    if len(names) != 2:
        raise ctx.error(flag, f"give two column names, A{sep}B (got {len(names)})")
    return names[0], names[1]


def _join_items(
    wide: pd.DataFrame,
    items: pd.DataFrame,
    on: list[str],
    ctx: TableContext,
    *,
    texts: tuple[str, str] | None,
) -> tuple[pd.DataFrame, list[str], int]:
    if not on:
        on = [str(c) for c in items.columns if c in wide.columns and c not in CANONICAL_COLUMNS]
        if not on:
            raise ctx.error(
                "items",
                f"no column in common with {ctx.source} to join on; give the keys with --on COLS "
                "(COL=ITEMS_COL when the names differ)",
                items=True,
            )
    left = [k.partition("=")[0].strip() for k in on]
    right = [(k.partition("=")[2] or k).strip() for k in on]
    need_columns(items, right, "on", ctx, items=True)
    need_columns(wide, left, "on", ctx)
    pair = texts or find_pair(items.columns, TEXT_CANDIDATES)
    if pair is None:
        wanted = ", ".join(f"{a}/{b}" for a, b in TEXT_CANDIDATES)
        raise ctx.error(
            "items", f"no answer text columns ({wanted}); name them with --texts A,B", items=True
        )
    need_columns(items, list(pair), "texts", ctx, items=True)
    instr = next((c for c in INSTRUCTION_CANDIDATES if c in items.columns), None)
    ikey = key_series(items, right)
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
    wide = wide.assign(_jb_key=key_series(wide, left).to_numpy())
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
    columns: VerdictColumns | None = None,
    *,
    items: pd.DataFrame | None = None,
    source: str = "<frame>",
    items_source: str = "<items>",
    flag_style: Callable[[str], str] = cli_flag,
    list_sep: str = ",",
    raw: RawRead | None = None,
    **names: Any,
) -> Prepared:
    """Validate a verdict table and bring it to one row per pair (see the module docstring).

    ``raw``: the verdict columns hold the judge's raw answers in the order shown, each
    read by ``raw`` (``first``: answer 1 shown first; ``second``: answer 2 shown first),
    its position mapped back to the pair's labels; ``jb_first_reason``/``jb_second_reason``
    keep why an answer could not be read and ``jb_first_raw``/``jb_second_raw`` its text.

    Problems raise :class:`InputError` naming ``source`` (or ``items_source``) and the
    flag at fault. ``flag_style`` spells flag names in messages; ``list_sep``
    separates column lists given as one string. The columns are ``columns``
    (:class:`VerdictColumns`) or its fields given as keywords (``first="v_ab"``).
    """
    cols = VerdictColumns.of(columns, **names)
    first, second, gold, group = cols.first, cols.second, cols.gold, cols.group
    on, texts, lengths, where = cols.on, cols.texts, cols.lengths, cols.where
    order, verdict, pair, order_values = cols.order, cols.verdict, cols.pair, cols.order_values
    repeat = cols.repeat
    ctx = TableContext(source=source, items_source=items_source, flag=flag_style)
    if not isinstance(df, pd.DataFrame):
        raise ctx.error(None, f"expected a pandas DataFrame, got {type(df).__name__}")
    if df.empty:
        raise ctx.error(None, "no rows; nothing to analyze")
    df = df.copy()
    df.columns = [str(c) for c in df.columns]
    n_input = len(df)
    if where:
        df = _apply_where(df, where, ctx, "where")
    groups = split_names(group, list_sep)
    need_columns(df, groups, "group", ctx)
    pair_cols = split_names(pair, list_sep)
    if repeat is not None:
        need_columns(df, [repeat], "repeat", ctx)
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
            order_values=split_names(order_values, list_sep) if order_values is not None else None,
            ctx=ctx,
            repeat=repeat,
        )
        named = {"order": order, "verdict": verdict, "pair": pair_cols}
    else:
        if not first or not second:
            raise ctx.error(
                "first" if not first else "second",
                "name the verdict column (or use --order/--verdict for the long layout)",
            )
        firsts, seconds = split_names(first, "|"), split_names(second, "|")
        need_columns(df, firsts, "first", ctx)
        need_columns(df, seconds, "second", ctx)
        need_columns(df, pair_cols, "pair", ctx)
        wide = df.assign(
            **{
                FIRST: coalesce_columns(df, firsts).to_numpy(),
                SECOND: coalesce_columns(df, seconds).to_numpy(),
            }
        )
        named = {"first": "|".join(firsts), "second": "|".join(seconds)}
    for flag, col in (
        ("first" if not long else "verdict", FIRST),
        ("second" if not long else "verdict", SECOND),
    ):
        if raw is not None:
            swapped = col == SECOND
            wide[FIRST_RAW if not swapped else SECOND_RAW] = wide[col].astype(object)
            wide[col], wide[SECOND_REASON if swapped else FIRST_REASON] = _read_raw(
                wide[col], raw, swapped
            )
            continue
        labels, bad = label_codes(wide[col])
        raw_nonempty = int((~_per_value(wide[col], is_empty).astype(bool)).sum())
        if raw_nonempty and labels.notna().sum() * 2 < raw_nonempty:
            # most values are not verdicts: the wrong column, not a judge that failed
            shown = ", ".join(list(bad)[:4])
            raise ctx.error(
                flag,
                f"most values are not verdicts (e.g. {shown}); expected {VERDICT_SPELLINGS}",
            )
        wide[col] = labels
        if bad:
            unrecognized[flag] = bad
    has_gold = gold is not None
    if gold is not None:
        need_columns(wide, [gold], "gold", ctx)
        glabels, gbad = label_codes(wide[gold])
        if glabels.notna().sum() == 0:
            raise ctx.error(
                "gold", f"column '{gold}' holds no gold labels; expected {VERDICT_SPELLINGS}"
            )
        wide[GOLD] = glabels
        if gbad:
            unrecognized["gold"] = gbad
        named["gold"] = gold
    else:
        wide[GOLD] = None

    on_cols = split_names(on, list_sep)
    text_pair = two_columns(texts, "texts", ctx, list_sep)
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
        own = text_pair or find_pair(wide.columns, TEXT_CANDIDATES)
        if own is not None:
            need_columns(wide, list(own), "texts", ctx)
            instr = next((c for c in INSTRUCTION_CANDIDATES if c in wide.columns), None)
            wide[TEXT_A] = wide[own[0]].astype(object)
            wide[TEXT_B] = wide[own[1]].astype(object)
            wide[INSTRUCTION] = wide[instr].astype(object) if instr else None

    length_source: str | None = None
    len_pair = two_columns(lengths, "lengths", ctx, list_sep)
    if len_pair is None and TEXT_A in wide.columns:
        wide[LEN_A] = wide[TEXT_A].map(lambda t: float(len(t)) if isinstance(t, str) else math.nan)
        wide[LEN_B] = wide[TEXT_B].map(lambda t: float(len(t)) if isinstance(t, str) else math.nan)
        length_source = "characters of the answer texts"
    else:
        len_pair = len_pair or find_pair(wide.columns, LENGTH_CANDIDATES)
        if len_pair is not None:
            need_columns(wide, list(len_pair), "lengths", ctx)
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
    if repeat is not None:
        _check_repeats(wide, groups, pair_cols, repeat, ctx)
        named["repeat"] = repeat
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
        columns=named,
        repeat=repeat,
        raw=raw is not None,
    )


def _check_repeats(
    wide: pd.DataFrame, groups: list[str], pair: list[str], repeat: str, ctx: TableContext
) -> None:
    """Repetitions need pairs to repeat: a pair column, one row per (group, pair,
    repetition), and some pair asked more than once."""
    if not pair:
        raise ctx.error(
            "pair",
            "--repeat needs the columns that identify a pair (e.g. --pair question,model), "
            "so that its repetitions can be found",
        )
    keys = list(dict.fromkeys([*groups, *pair]))
    ids = key_series(wide, keys)
    reps = wide[repeat].map(cell_key)
    dup = pd.DataFrame({"k": ids, "r": reps}).duplicated(keep=False)
    if dup.any():
        row = wide[dup.to_numpy()].iloc[0]
        example = ", ".join(f"{k}={row[k]}" for k in [*keys, repeat])
        raise ctx.error(
            "repeat",
            f"{int(dup.sum())} rows share a (pair, repetition): e.g. {example}; add the column "
            "that tells them apart to --pair or --group",
        )
    if int(ids.value_counts().max()) < 2:
        raise ctx.error(
            "repeat",
            f"no pair has more than one value of '{repeat}': repetition stability needs the "
            "same pair asked at least twice (check --pair)",
        )
