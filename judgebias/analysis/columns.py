"""The column names and helpers of ``judgebias analyze``: those of recorded verdicts are
:mod:`judgebias.tables.verdicts`'s (re-exported here); the layout of ``summary.csv`` is analyze's own."""

from __future__ import annotations

from judgebias.tables.verdicts import (  # noqa: F401 (re-exported for the analysis modules)
    CANONICAL_COLUMNS,
    DEFAULT_MIN_LENGTH_DIFF,
    FIRST,
    GOLD,
    INSTRUCTION,
    INSTRUCTION_CANDIDATES,
    LEN_A,
    LEN_B,
    LENGTH_CANDIDATES,
    ORDER_TOKENS,
    PAIR_CANDIDATES,
    SECOND,
    TEXT_A,
    TEXT_B,
    TEXT_CANDIDATES,
    UNPARSEABLE_RULE,
    VERDICT_SPELLINGS,
    TableContext,
    cell_key,
    cli_flag,
    coalesce_columns,
    column_did_you_mean,
    column_listing,
    column_not_found,
    group_items,
    is_empty,
    key_series,
    label_codes,
    need_columns,
    order_token,
    split_names,
)

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
