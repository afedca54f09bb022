"""Turning an items table into a pairs table (:func:`items_to_pairs`); preparing recorded
verdicts (:func:`prepare`, :class:`Prepared`) lives in :mod:`judgebias.tables.verdicts` and is
re-exported here."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from judgebias.tables.verdicts import (
    INSTRUCTION_CANDIDATES,
    TEXT_CANDIDATES,
    Prepared,
    TableContext,
    find_pair,
    need_columns,
    prepare,
    split_names,
    two_columns,
)
from judgebias.vocabulary import normalize_label

__all__ = ["Prepared", "items_to_pairs", "prepare"]


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
    ctx = TableContext(source=source)
    ids = split_names(id_columns)
    need_columns(items, ids, "id_columns", ctx)
    pair = two_columns(texts, "texts", ctx) or find_pair(items.columns, TEXT_CANDIDATES)
    if pair is None:
        raise ctx.error("texts", "no answer text columns found; name them with texts=A,B")
    instr = instruction or next((c for c in INSTRUCTION_CANDIDATES if c in items.columns), None)
    if instr is None:
        raise ctx.error("instruction", "no instruction column found; name it")
    need_columns(items, [instr, *pair], "texts", ctx)
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
        need_columns(items, [gold], "gold", ctx)
        out["gold"] = items[gold].map(normalize_label).to_numpy()
    return out
