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
- Fewer than :data:`~judgebias.stats.selfpref.MIN_ITEMS` items give the score with
  no interval and no p-value, and a ``note`` (a bootstrap over one item is a point).

DBG is the published figure, but it mixes noise with self-preference: a judge that
errs at random moves its win rate toward 50 %, so DBG is positive for a noisy judge
whose own answers the gold seldom picks. The table therefore also carries the
error asymmetry of :mod:`judgebias.stats.selfpref` on the same rows
(``error_asymmetry, ea_ci_low, ea_ci_high, ea_p_value``, percentage points), which
cancels noise only when the judge errs as often whichever answer the gold prefers
(not when the judge and the gold err on different items); the audit's controlled
self-preference figure needs no gold.

How a preference column is read (numbers or verdict labels) is decided once per
column by :func:`read_preference` and returned as ``judge_reading`` /
``gold_reading``: ``probability`` (a number in [0, 1], 0 = response b) or ``label``
(``a``/``b``/``tie``, ``1``/``2``, ``0`` = tie). Pass ``kind`` to declare it: :func:`dbg`
refuses a column that holds only 0 and 1 (numbers or text) without it, since the two
readings disagree about what 0 means and give different scores.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from judgebias.errors import UsageError
from judgebias.stats.intervals import show_value as _show
from judgebias.stats.selfpref import MIN_ITEMS, self_preference
from judgebias.vocabulary import CREDIT, normalize_label

__all__ = [
    "KINDS",
    "ambiguous_zero_one",
    "dbg",
    "preference_from_orders",
    "read_preference",
    "refuse_zero_one_numbers",
    "to_preference",
]


KINDS = ("probability", "label")
"""The two readings of a preference column (see :func:`read_preference`)."""


def ambiguous_zero_one(values: pd.Series) -> bool:
    """True when every present value is the number 0 or 1 and some are 0.

    Such a column reads two ways that disagree: as probabilities 0 means "the other
    answer wins", as verdict labels (AlpacaEval's convention) 0 means a tie.
    """
    present = values[values.notna() & (values.astype(str).str.strip() != "")]
    if present.empty:
        return False
    x = pd.to_numeric(present, errors="coerce")
    return bool(x.notna().all() and x.isin([0.0, 1.0]).all() and (x == 0.0).any())


def read_preference(
    values: pd.Series, *, name: str = "preference", kind: str | None = None
) -> tuple[pd.Series, str]:
    """Preference for response a in [0, 1], and the reading used (``probability``/``label``).

    The column's kind is decided once, for the whole column:

    - ``kind="probability"``: numbers in [0, 1] (1 = response a, 0 = response b,
      0.5 = tie); numbers written as text are accepted.
    - ``kind="label"``: verdict labels in the position module's vocabulary
      (``a``/``b``/``tie``, ``1``/``2``, ``A``/``B``, ``tie``/``0``/``1.5`` ...):
      a -> 1, b -> 0, tie -> 0.5; numbers are read as labels too.
    - ``kind=None``: a column of numbers is probabilities; a column of text is labels,
      except text that is all numbers in [0, 1] with one strictly between (no label
      reads ``0.7``: probabilities). Text holding only ``0`` and ``1`` is refused:
      the two readings disagree about what 0 means, so declare ``kind``.

    Missing stays NaN.
    """
    if kind is not None and kind not in KINDS:
        raise UsageError(f"{name}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if pd.api.types.is_bool_dtype(values):
        raise UsageError(f"{name}: expected numbers in [0, 1] or verdict labels, got booleans")
    if kind is None:
        if pd.api.types.is_numeric_dtype(values):
            kind = "probability"
        else:
            present = values[values.notna() & (values.astype(str).str.strip() != "")]
            x = pd.to_numeric(present, errors="coerce")
            numeric = len(present) > 0 and bool(x.notna().all())
            if numeric and ambiguous_zero_one(values):
                raise UsageError(
                    f"{name}: holds only 0 and 1 as text, which reads two ways: as "
                    "probabilities 0 means response b wins, as verdict labels 0 means a tie; "
                    "declare its kind, probability or label (kind=... / --kind)"
                )
            fractional = numeric and bool((x.between(0.0, 1.0) & (x % 1 != 0)).any())
            in_unit = numeric and bool(x.between(0.0, 1.0).all())
            kind = "probability" if (in_unit and fractional) else "label"
    if kind == "probability":
        return _as_probability(values, name), kind
    return _as_labels(values, name), kind


def to_preference(
    values: pd.Series, *, name: str = "preference", kind: str | None = None
) -> pd.Series:
    """Preference for response a in [0, 1] from numbers or verdict labels.

    :func:`read_preference` without the reading: numbers must lie in [0, 1] (1 =
    response a); labels a -> 1, b -> 0, tie -> 0.5; missing stays NaN.
    """
    return read_preference(values, name=name, kind=kind)[0]


def _as_probability(values: pd.Series, name: str) -> pd.Series:
    num = pd.to_numeric(values, errors="coerce").astype(float)
    unreadable = num.isna() & values.notna() & (values.astype(str).str.strip() != "")
    if unreadable.any():
        label = values.index[int(np.flatnonzero(unreadable.to_numpy())[0])]
        raise UsageError(
            f"{name}: read as probabilities, but row {label!r} has {_show(values.loc[label])}"
        )
    bad = num.notna() & ((num < 0.0) | (num > 1.0))
    if bad.any():
        label = values.index[int(np.flatnonzero(bad.to_numpy())[0])]
        raise UsageError(
            f"{name} must be in [0, 1] (1 = response a, 0.5 = tie); row {label!r} has "
            f"{_show(values.loc[label])} (for 1/2 verdict labels declare the kind 'label')"
        )
    return num


def _as_labels(values: pd.Series, name: str) -> pd.Series:
    labels = values.map(normalize_label)
    bad = labels.isna() & values.notna() & values.map(lambda v: str(v).strip() != "")
    if bad.any():
        label = values.index[int(np.flatnonzero(bad.to_numpy())[0])]
        raise UsageError(f"{name}: cannot read verdict {_show(values.loc[label])} (row {label!r})")
    return labels.map(lambda v: CREDIT.get(v, math.nan) if v is not None else math.nan).astype(
        float
    )


def preference_from_orders(
    first: pd.Series, second: pd.Series, *, probabilities: bool | None = None
) -> pd.Series:
    """Preference for response a in [0, 1], averaged over both presentation orders.

    ``first`` is the verdict when response a was shown first, ``second`` when
    response b was shown first, both in the pair's own terms (``a``/``b``/``tie`` or
    the spellings :func:`to_preference` reads). ``probabilities=True`` declares both
    columns the judge's normalised probability that response a is better,
    ``False`` declares them verdict labels (``1``/``2``/``0`` included), ``None``
    decides each column as :func:`read_preference` does. A pair with one order
    missing uses the other; with both missing it is NaN.
    """
    if len(first) != len(second):
        raise UsageError("first and second must have the same length")
    kind = None if probabilities is None else ("probability" if probabilities else "label")
    one = to_preference(first, name="first", kind=kind)
    two = to_preference(pd.Series(second.to_numpy(), index=first.index), name="second", kind=kind)
    return pd.concat([one, two], axis=1).mean(axis=1, skipna=True).rename("preference")


def refuse_zero_one_numbers(values: pd.Series, name: str) -> None:
    """A column of the numbers 0 and 1 (integers, or floats that are all 0 or 1) reads two
    ways as a preference (DBG, factor attribution): refuse it unless its kind is declared."""
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return
    if ambiguous_zero_one(values):
        raise UsageError(
            f"{name}: holds only the numbers 0 and 1, which read two ways (as probabilities 0 "
            "means response b wins, as verdict labels 0 means a tie); say which with "
            "--kind probability or --kind label (kind=... in Python)"
        )


def _one_group(
    judge: np.ndarray, gold: np.ndarray, items: np.ndarray, n_boot: int, seed: int, alpha: float
) -> dict[str, Any]:
    n = len(judge)
    nan = math.nan
    if n == 0:
        return {
            "dbg": nan,
            "ci_low": nan,
            "ci_high": nan,
            "p_value": nan,
            "n": 0,
            "n_items": 0,
            "judge_win_rate": nan,
            "gold_win_rate": nan,
            "note": "no row has both preferences",
        }
    codes, _ = pd.factorize(pd.Series(items), sort=False)
    n_items = int(codes.max()) + 1
    sums = np.bincount(codes, weights=judge - gold, minlength=n_items)
    counts = np.bincount(codes, minlength=n_items).astype(float)
    observed = float(sums.sum() / counts.sum())
    out = {
        "dbg": 100.0 * observed,
        "ci_low": nan,
        "ci_high": nan,
        "p_value": nan,
        "n": n,
        "n_items": n_items,
        "judge_win_rate": 100.0 * float(judge.mean()),
        "gold_win_rate": 100.0 * float(gold.mean()),
        "note": "",
    }
    if n_items < MIN_ITEMS:
        # a bootstrap over one item is a point, and a sign-flip test over a handful of
        # items cannot reach 0.05: no interval rather than a degenerate one
        out["note"] = f"too few items ({n_items}; at least {MIN_ITEMS}) for an interval"
        return out
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
    if hi - lo < 1e-12:
        out["note"] = "every item gives the same difference: the bootstrap interval has no width"
    out.update(ci_low=100.0 * float(lo), ci_high=100.0 * float(hi), p_value=p_value)
    return out


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
    kind: str | None = None,
) -> pd.DataFrame:
    """DBG self-preference score with a bootstrap interval and a sign-flip p-value.

    ``judge_col`` and ``gold_col`` hold, per pair, the judge's and the gold
    preference in [0, 1] (see :func:`preference_from_orders`; verdict labels are
    accepted too). Without ``own_col`` they are preferences *for the judge's own
    response*. With ``own_col``, they are preferences for response a and ``own_col``
    says which response is the judge's own (``a``/``b``, ``1``/``2``); rows where it
    is b are flipped. ``item_col`` clusters rows for the bootstrap and the test;
    ``by`` (e.g. the judge) gives one row per group. Rows with either preference
    missing are dropped. ``kind`` (``probability`` or ``label``) declares how both
    preference columns are read; by default :func:`read_preference` decides each, and a
    column holding only the numbers 0 and 1 (or only the text ``0`` and ``1``) is refused:
    as probabilities its 0 means the other response wins, as labels a tie, and the two
    readings give different scores.

    Returns a DataFrame (one row, or one per ``by`` group) with ``dbg, ci_low,
    ci_high`` (percentage points), ``p_value``, ``n`` (pairs), ``n_items``,
    ``judge_win_rate`` and ``gold_win_rate`` (percent), ``note`` (why an interval
    is missing), the noise-robust ``error_asymmetry, ea_ci_low, ea_ci_high,
    ea_p_value`` (percentage points; :mod:`judgebias.stats.selfpref`) and the
    readings ``judge_reading``, ``gold_reading``.
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
    if kind is None:
        for col in (judge_col, gold_col):
            refuse_zero_one_numbers(df[col], col)
    judge, judge_reading = read_preference(df[judge_col], name=judge_col, kind=kind)
    gold, gold_reading = read_preference(df[gold_col], name=gold_col, kind=kind)
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
        j, g, it = judge.to_numpy()[mask], gold.to_numpy()[mask], items[mask]
        result = _one_group(j, g, it, n_boot, seed, alpha)
        ea = self_preference(
            pd.DataFrame({"judge": j, "gold": g, "item": it}),
            judge_col="judge",
            gold_col="gold",
            item_col="item",
            alpha=alpha,
        )
        result.update(
            error_asymmetry=100.0 * ea["effect"],
            ea_ci_low=100.0 * ea["ci_low"],
            ea_ci_high=100.0 * ea["ci_high"],
            ea_p_value=ea["p_value"],
            judge_reading=judge_reading,
            gold_reading=gold_reading,
        )
        if by is not None:
            result = {by: key, **result}
        rows.append(result)
    return pd.DataFrame(rows)
