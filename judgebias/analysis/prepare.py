"""Recorded verdicts to one row per pair: :func:`prepare` (wide and long layouts, items
joined for texts and lengths, verdict spellings) and :func:`items_to_pairs`."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..stats.position import normalize_label
from .columns import (
    _CANONICAL,
    _ORDER_TOKENS,
    _VERDICT_SPELLINGS,
    FIRST,
    GOLD,
    INSTRUCTION,
    INSTRUCTION_CANDIDATES,
    LEN_A,
    LEN_B,
    LENGTH_CANDIDATES,
    PAIR_CANDIDATES,
    SECOND,
    TEXT_A,
    TEXT_B,
    TEXT_CANDIDATES,
    _cli_flag,
    _coalesce,
    _Ctx,
    _did_you_mean,
    _is_empty,
    _key,
    _key_series,
    _labels,
    _listing,
    _names,
    _need,
    _not_found,
    _order_token,
)

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
