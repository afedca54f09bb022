"""Which pairs form one cluster for an audit's intervals (``--cluster COL``).

Pairs that share an instruction (MT-Bench: 80 questions, each judged for many model
pairs) are not independent draws: a judge whose bias differs from one instruction to
the next moves all of that instruction's verdicts together, and intervals that treat
the pairs as independent are too narrow. So the audit's intervals are clustered by
instruction by default (pairs with the same instruction text are one cluster); ``--cluster
COL`` names another column of the pairs file (``question_id``), and ``--cluster pair``
(or ``id``) makes every pair its own cluster (the two orders of a pair are always one).

:func:`resolve_clusters` gives each pair its cluster key; the pipeline writes it into the
records' ``cluster`` column (:data:`judgebias.stats.clustering.CLUSTER_COLUMN`), where every
figure of :mod:`judgebias.stats` finds it.
"""

from __future__ import annotations

import math
import numbers
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgebias.errors import InputError, UsageError
from judgebias.registry import did_you_mean
from judgebias.types import Pair

__all__ = ["DEFAULT_CLUSTER", "PAIR_CLUSTER", "Clusters", "resolve_clusters"]

DEFAULT_CLUSTER = "instruction"
"""The default ``--cluster``: pairs with the same instruction text are one cluster."""

PAIR_CLUSTER = ("pair", "id")
"""``--cluster`` values that make every pair its own cluster."""

_PAIR_FIELDS = ("instruction", "response_a", "response_b", "gold", "model_a", "model_b")


@dataclass(frozen=True)
class Clusters:
    """Each pair's cluster: ``column`` as given, ``unit`` the word reports use for one
    cluster (``instruction``, ``pair`` or the column's name), ``keys`` pair id -> key."""

    column: str
    unit: str
    keys: Mapping[str, str]

    def summary(self) -> dict[str, Any]:
        """summary.json's ``cluster``: the ``--cluster`` column, what one cluster is, how
        many clusters and pairs there are and the largest cluster's size."""
        sizes = Counter(self.keys.values())
        return {
            "column": self.column,
            "unit": self.unit,
            "n_clusters": len(sizes),
            "n_pairs": len(self.keys),
            "largest": max(sizes.values(), default=0),
        }


def _norm_id(value: object) -> str | None:
    """A pairs file's id as :func:`judgebias.tables.pairs.load_pairs` reads it (ints as text)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        f = float(value)
        if math.isfinite(f) and f.is_integer():
            return str(int(f))
    return str(value)


def _missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def resolve_clusters(
    pairs: Sequence[Pair],
    column: str | None,
    data_path: str | Path,
    mapping: Mapping[str, str] | None = None,
) -> Clusters:
    """The cluster of every pair for ``--cluster column`` (see the module docstring).

    ``column`` is ``instruction`` (the default), ``pair``/``id``, a pair field
    (``model_a`` ...), or any other column of the pairs file ``data_path`` (its name in
    the file; the file's id column is the one ``mapping`` maps to ``id``). An unknown
    column is a :class:`UsageError` with a "did you mean"; a pair without a value is an
    :class:`InputError` naming the file and the pair.
    """
    col = (column or DEFAULT_CLUSTER).strip()
    if not col:
        raise UsageError("--cluster: give a column name (e.g. --cluster instruction)")
    if col.lower() in PAIR_CLUSTER:
        return Clusters(col, "pair", {p.id: p.id for p in pairs})
    if col in _PAIR_FIELDS:
        keys: dict[str, str] = {}
        for p in pairs:
            value = getattr(p, col)
            if _missing(value):
                raise InputError(
                    str(data_path),
                    f"--cluster {col}: pair {p.id!r} has no {col}; every pair needs one "
                    "(or use --cluster pair)",
                )
            keys[p.id] = str(value)
        return Clusters(col, col, keys)
    from judgebias.tables.pairs import read_table

    table = read_table(data_path)
    columns = [str(c) for c in table.columns]
    if col not in columns:
        known = [*_PAIR_FIELDS, "pair", *columns]
        hint = did_you_mean(col, known, inline=True)
        shown = ", ".join(columns[:20]) + (" ..." if len(columns) > 20 else "")
        raise UsageError(
            f"--cluster: {data_path} has no column {col!r}{hint} (columns: {shown}; "
            "or instruction, pair)"
        )
    id_col = (mapping or {}).get("id", "id")
    by_id = {
        _norm_id(i): v for i, v in zip(table[id_col].tolist(), table[col].tolist(), strict=True)
    }
    keys = {}
    for p in pairs:
        value = by_id.get(p.id)
        if _missing(value):
            raise InputError(
                str(data_path),
                f"--cluster {col}: pair {p.id!r} has no value in column {col!r}; every pair "
                "needs one (or use --cluster pair)",
            )
        keys[p.id] = str(_norm_id(value))
    return Clusters(col, col, keys)
