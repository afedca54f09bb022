"""The column names and helpers of ``judgebias analyze``: those of recorded verdicts are
:mod:`judgebias.tables.verdicts`'s (re-exported here); the layout of ``summary.csv`` is analyze's own."""

from __future__ import annotations

from judgebias.tables.verdicts import (  # noqa: F401 (re-exported for the analysis modules)
    _CANONICAL,
    _ORDER_TOKENS,
    _VERDICT_SPELLINGS,
    DEFAULT_MIN_LENGTH_DIFF,
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
    UNPARSEABLE_RULE,
    _cli_flag,
    _coalesce,
    _Ctx,
    _did_you_mean,
    _group_items,
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
