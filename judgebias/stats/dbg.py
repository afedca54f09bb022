"""Self-preference: the DBG score of "Beyond the Surface".

For a judge that also produced some of the responses it compares::

    DBG = (judge's win rate for its own model's responses)
          - (gold win rate for the same responses)        [percentage points]

Per pair, the judge's preference for its own response is a number in [0, 1]: the
average over both presentation orders of its verdict (1 own response, 0 the other,
0.5 tie) or of its normalised probability. The gold preference is built the same
way from stronger judges or humans. DBG > 0 means the judge favours its own
answers more than their quality earns. Published: Qwen2.5-0.5B-Instruct 41.7 pp,
Qwen2.5-14B-Instruct 2.1 pp.

Uncertainty is over items (``item_col``: e.g. the instruction, when the judge's
answer to one instruction is compared with several others; by default every row is
its own item). Per item ``j`` let ``S_j`` be the sum of ``judge - gold`` over its
rows and ``N_j`` their number; DBG = 100 * sum S_j / sum N_j.

- Interval: percentile bootstrap, resampling items with replacement.
- p-value: a paired sign-flip (randomisation) test of "no self-preference": under
  the null the judge's and the gold preference are exchangeable within an item, so
  each ``S_j`` is as likely to carry either sign. The statistic is recomputed with
  random signs ``n_boot`` times; p = (1 + #{|flipped| >= |observed|}) / (1 + n_boot),
  two-sided. Unlike a Wilcoxon signed-rank test it tests the same quantity the
  score reports (a difference of means, with clusters of unequal size) and needs no
  continuity correction for the many zero and half-point differences.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from .intervals import show_value as _show
from .position import normalize_label

__all__ = ["dbg", "preference_from_orders", "to_preference"]

_LABEL_VALUE = {"a": 1.0, "b": 0.0, "tie": 0.5}


def to_preference(values: pd.Series, *, name: str = "preference") -> pd.Series:
    """Preference for response a in [0, 1] from numbers or verdict labels.

    Numbers must already lie in [0, 1] (1 = response a). Labels are read with the
    position module's vocabulary (``a``/``b``/``tie``, ``1``/``2``, ``A``/``B``,
    ``tie``/``0``/``1.5`` ...): a -> 1, b -> 0, tie -> 0.5. Missing stays NaN.
    """
    if pd.api.types.is_bool_dtype(values):
        raise UsageError(f"{name}: expected numbers in [0, 1] or verdict labels, got booleans")
    if pd.api.types.is_numeric_dtype(values):
        num = values.astype(float)
        bad = num.notna() & ((num < 0.0) | (num > 1.0))
        if bad.any():
            label = values.index[int(np.flatnonzero(bad.to_numpy())[0])]
            raise UsageError(
                f"{name} must be in [0, 1] (1 = response a, 0.5 = tie); row {label!r} has "
                f"{_show(values.loc[label])} (pass 1/2 verdict labels as strings)"
            )
        return num
    labels = values.map(normalize_label)
    bad = labels.isna() & values.notna() & values.map(lambda v: str(v).strip() != "")
    if bad.any():
        label = values.index[int(np.flatnonzero(bad.to_numpy())[0])]
        raise UsageError(f"{name}: cannot read verdict {_show(values.loc[label])} (row {label!r})")
    return labels.map(
        lambda v: _LABEL_VALUE.get(v, math.nan) if v is not None else math.nan
    ).astype(float)


def preference_from_orders(
    first: pd.Series, second: pd.Series, *, probabilities: bool = False
) -> pd.Series:
    """Preference for response a in [0, 1], averaged over both presentation orders.

    ``first`` is the verdict when response a was shown first, ``second`` when
    response b was shown first, both in the pair's own terms (``a``/``b``/``tie`` or
    the spellings :func:`to_preference` reads). With ``probabilities=True`` both are
    the judge's normalised probability that response a is better. A pair with one
    order missing uses the other; with both missing it is NaN.
    """
    if len(first) != len(second):
        raise UsageError("first and second must have the same length")
    if probabilities and not (
        pd.api.types.is_numeric_dtype(first) and pd.api.types.is_numeric_dtype(second)
    ):
        raise UsageError("probabilities=True needs numeric columns in [0, 1]")
    one = to_preference(first, name="first")
    two = to_preference(pd.Series(second.to_numpy(), index=first.index), name="second")
    return pd.concat([one, two], axis=1).mean(axis=1, skipna=True).rename("preference")


def _one_group(
    judge: np.ndarray, gold: np.ndarray, items: np.ndarray, n_boot: int, seed: int, alpha: float
) -> dict[str, Any]:
    n = len(judge)
    if n == 0:
        return {
            "dbg": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "p_value": math.nan,
            "n": 0,
            "n_items": 0,
            "judge_win_rate": math.nan,
            "gold_win_rate": math.nan,
        }
    codes, _ = pd.factorize(pd.Series(items), sort=False)
    n_items = int(codes.max()) + 1
    sums = np.bincount(codes, weights=judge - gold, minlength=n_items)
    counts = np.bincount(codes, minlength=n_items).astype(float)
    observed = float(sums.sum() / counts.sum())
    rng = np.random.default_rng(seed)
    boots = np.empty(n_boot)
    flips = np.empty(n_boot)
    chunk = max(1, min(n_boot, 2_000_000 // max(n_items, 1)))
    done = 0
    while done < n_boot:
        size = min(chunk, n_boot - done)
        draw = rng.integers(0, n_items, size=(size, n_items))
        num = sums[draw].sum(axis=1)
        den = counts[draw].sum(axis=1)
        boots[done : done + size] = num / den
        signs = rng.choice(np.array([-1.0, 1.0]), size=(size, n_items))
        flips[done : done + size] = (signs * sums).sum(axis=1) / counts.sum()
        done += size
    if np.allclose(sums, 0.0):
        p_value = 1.0
    else:
        tol = 1e-12 * max(1.0, abs(observed))
        p_value = float((1 + np.sum(np.abs(flips) >= abs(observed) - tol)) / (1 + n_boot))
    lo, hi = np.quantile(boots, [alpha / 2.0, 1.0 - alpha / 2.0])
    return {
        "dbg": 100.0 * observed,
        "ci_low": 100.0 * float(lo),
        "ci_high": 100.0 * float(hi),
        "p_value": p_value,
        "n": n,
        "n_items": n_items,
        "judge_win_rate": 100.0 * float(judge.mean()),
        "gold_win_rate": 100.0 * float(gold.mean()),
    }


def dbg(
    df: pd.DataFrame,
    *,
    judge_col: str,
    gold_col: str,
    own_col: str | None = None,
    item_col: str | None = None,
    by: str | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """DBG self-preference score with a bootstrap interval and a sign-flip p-value.

    ``judge_col`` and ``gold_col`` hold, per pair, the judge's and the gold
    preference in [0, 1] (see :func:`preference_from_orders`; verdict labels are
    accepted too). Without ``own_col`` they are preferences *for the judge's own
    response*. With ``own_col``, they are preferences for response a and ``own_col``
    says which response is the judge's own (``a``/``b``, ``1``/``2``); rows where it
    is b are flipped. ``item_col`` clusters rows for the bootstrap and the test;
    ``by`` (e.g. the judge) gives one row per group. Rows with either preference
    missing are dropped.

    Returns a DataFrame (one row, or one per ``by`` group) with ``dbg, ci_low,
    ci_high`` (percentage points), ``p_value``, ``n`` (pairs), ``n_items``,
    ``judge_win_rate`` and ``gold_win_rate`` (percent).
    """
    if not isinstance(df, pd.DataFrame):
        raise UsageError("dbg expects a pandas DataFrame")
    for flag, col in (
        ("judge_col", judge_col),
        ("gold_col", gold_col),
        ("own_col", own_col),
        ("item_col", item_col),
        ("by", by),
    ):
        if col is not None and col not in df.columns:
            raise UsageError(
                f"{flag}: column {col!r} not in the table ({', '.join(map(str, df.columns))})"
            )
    if n_boot < 100:
        raise UsageError("n_boot must be at least 100")
    if not 0.0 < alpha < 1.0:
        raise UsageError("alpha must be in (0, 1)")
    judge = to_preference(df[judge_col], name=judge_col)
    gold = to_preference(df[gold_col], name=gold_col)
    if own_col is not None:
        own = df[own_col].map(normalize_label)
        bad = ~own.isin(["a", "b"])
        if bad.any():
            label = df.index[int(np.flatnonzero(bad.to_numpy())[0])]
            raise UsageError(
                f"{own_col} must name the judge's own response as a or b (or 1 or 2); "
                f"row {label!r} has {_show(df[own_col].loc[label])}"
            )
        flip = (own == "b").to_numpy()
        judge = judge.where(~flip, 1.0 - judge)
        gold = gold.where(~flip, 1.0 - gold)
    keep = (judge.notna() & gold.notna()).to_numpy()
    items = df[item_col].to_numpy() if item_col is not None else np.arange(len(df))
    groups: list[tuple[Hashable, np.ndarray]]
    if by is None:
        groups = [(None, keep)]
    else:
        keys = df[by]
        groups = [(key, keep & (keys == key).to_numpy()) for key in pd.unique(keys.dropna())]
    rows = []
    for key, mask in groups:
        result = _one_group(
            judge.to_numpy()[mask], gold.to_numpy()[mask], items[mask], n_boot, seed, alpha
        )
        if by is not None:
            result = {by: key, **result}
        rows.append(result)
    return pd.DataFrame(rows)
