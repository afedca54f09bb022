"""The per-group table of recorded verdicts, computed for all groups at once.

:func:`group_table` gives, value for value, the table that computing each group alone
(with :func:`~judgebias.stats.position.position_stats` and
:func:`~judgebias.stats.recorded.length_figures`) gives (the same floating-point results: the counts are
summed per group with ``bincount``, the shares are the same quotients, the Wilson and
Newcombe intervals and the position p-values are taken for every group in one call
each, elementwise as for one group). Only the design effects, whose per-cluster sums
are ordered by cluster key, are taken group by group, on integer cluster codes that
sort as :func:`~judgebias.stats.clustering.cluster_keys`' keys do. A million pairs in
640 groups take a second or two, where a loop of pandas operations per group took a
minute.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from judgebias.stats.clustering import cluster_values
from judgebias.stats.intervals import (
    bh_adjust,
    cluster_df,
    design_effect,
    newcombe_paired_diff,
    newcombe_paired_p,
)
from judgebias.tables.verdicts import FIRST, GOLD, LEN_A, LEN_B, SECOND, is_empty
from judgebias.vocabulary import normalize_label

__all__ = ["group_table"]

_NONE, _A, _B, _TIE = 0, 1, 2, 3
_CODE = {"a": _A, "b": _B, "tie": _TIE}


def _codes(col: pd.Series) -> np.ndarray:
    """Verdict codes (0 none, 1 a, 2 b, 3 tie) of a label column, through
    :func:`normalize_label` once per distinct value."""
    idx, uniques = pd.factorize(col, use_na_sentinel=True)
    table = np.array([_CODE.get(normalize_label(u) or "", _NONE) for u in uniques] + [_NONE])
    return table[idx].astype(np.int8)


def _cluster_codes(frame: pd.DataFrame, cluster: str | None, within: np.ndarray) -> np.ndarray:
    """Integer cluster codes whose order within a group is the order of the group's
    :func:`~judgebias.stats.clustering.cluster_keys` (``within``: each row's position in
    its group; a row without a cluster is its own, keyed ``"\\x00row<position>"``)."""
    n_max = int(within.max()) + 1 if len(within) else 0
    own_rank = np.empty(n_max, dtype=np.int64)
    own_rank[np.argsort(np.array([str(i) for i in range(n_max)], dtype=object), kind="stable")] = (
        np.arange(n_max)
    )
    own = own_rank[within]
    if cluster is None:
        return own
    missing, text = cluster_values(frame, cluster)
    idx, uniques = pd.factorize(text)
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[np.argsort(np.asarray(uniques, dtype=object), kind="stable")] = np.arange(len(uniques))
    # a key sorts after "\x00row..." unless it is "" or below it in the \x00 range
    below = np.array([str(u) < "\x00row" for u in uniques], dtype=bool)
    code = np.where(below[idx], rank[idx] - len(uniques), n_max + rank[idx])
    return np.where(missing, own, code)


def _sum(gid: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(gid, weights=weights.astype(float), minlength=k)


def _mean(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.where(count > 0, count, 1), math.nan)


def _wilson(successes: np.ndarray, n: np.ndarray, alpha: np.ndarray | float) -> tuple[Any, Any]:
    """Wilson intervals (statsmodels, as :func:`~judgebias.stats.intervals.wilson`), NaN
    where ``n`` is not positive."""
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = np.full(len(n), math.nan), np.full(len(n), math.nan)
    ok = n > 0
    if ok.any():
        al = alpha[ok] if isinstance(alpha, np.ndarray) else alpha
        lo[ok], hi[ok] = proportion_confint(successes[ok], n[ok], alpha=al, method="wilson")
    return lo, hi


def _share_ci(value: np.ndarray, n: np.ndarray, alpha: float) -> tuple[Any, Any]:
    """:func:`~judgebias.stats.recorded.share_ci` for every group."""
    ok = (n > 0) & ~np.isnan(value)
    return _wilson(np.where(ok, value * n, 0.0), np.where(ok, n, 0), alpha)


def _t_alphas(alpha: float, dfs: list[float | None]) -> np.ndarray:
    """:func:`~judgebias.stats.intervals.t_alpha` for every group."""
    from scipy.stats import norm
    from scipy.stats import t as student

    out = np.full(len(dfs), alpha)
    has = np.array([d is not None for d in dfs], dtype=bool)
    if has.any():
        df = np.array([d for d in dfs if d is not None], dtype=float)
        out[has] = 2.0 * norm.sf(student.isf(alpha / 2.0, df))
    return out


def _group_keys(frame: pd.DataFrame, group: list[str]) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Each row's group number (in the order of ``groupby(sort=True, dropna=False)``)
    and each group's values (empty values as None)."""
    if not group:
        return np.zeros(len(frame), dtype=np.int64), [{}]
    grouped = frame.groupby(group, dropna=False, sort=True)
    gid = grouped.ngroup().to_numpy(dtype=np.int64)
    keys = grouped.size().index
    values = []
    for key in keys:
        vals = key if isinstance(key, tuple) else (key,)
        values.append({k: (None if is_empty(v) else v) for k, v in zip(group, vals, strict=True)})
    return gid, values


def group_table(
    frame: pd.DataFrame,
    group: list[str],
    *,
    has_gold: bool,
    min_diff: float,
    alpha: float,
    cluster: str | None = None,
) -> pd.DataFrame:
    """One row of figures per group of the prepared frame, the position p-values BH-adjusted across groups (``position_p_adjusted``);
    ``cluster`` the column whose equal values are one cluster for the position and
    accuracy intervals."""
    gid, values = _group_keys(frame, group)
    k = len(values)
    order = np.argsort(gid, kind="stable")
    starts = np.searchsorted(gid[order], np.arange(k + 1))
    within = np.empty(len(frame), dtype=np.int64)
    within[order] = np.arange(len(frame)) - np.repeat(starts[:-1], np.diff(starts))
    f, s = _codes(frame[FIRST]), _codes(frame[SECOND])
    gold = _codes(frame[GOLD]) if has_gold else np.zeros(len(frame), dtype=np.int8)
    g_col = _codes(frame[GOLD])  # the gold labels the counts by shown position read
    clusters = _cluster_codes(frame, cluster, within)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(gid[mask], minlength=k)

    n_pairs = np.bincount(gid, minlength=k)
    valid = (f > 0) & (s > 0)
    cons = valid & (f == s)
    prim = valid & (((f == _A) & (s == _B)) | ((f == _A) & (s == _TIE)) | ((f == _TIE) & (s == _B)))
    rec = valid & (((f == _B) & (s == _A)) | ((f == _B) & (s == _TIE)) | ((f == _TIE) & (s == _A)))
    n_valid, n_cons, n_pri, n_rec = count(valid), count(cons), count(prim), count(rec)
    a_cnt = count((f == _A) & cons).astype(float) + 0.5 * count((f == _TIE) & cons).astype(float)
    d_cnt = n_cons.astype(float) - a_cnt
    score = np.where(prim, 1.0, np.where(rec, -1.0, 0.0))
    is_cons = cons.astype(float)

    # accuracy: credits of both orders against gold a/b (NaN when not scored)
    scored_gold = (gold == _A) | (gold == _B)

    def credit(v: np.ndarray) -> np.ndarray:
        c = np.where((v > 0) & scored_gold, 0.0, math.nan)
        c[(v > 0) & scored_gold & (v == gold)] = 1.0
        c[(v > 0) & scored_gold & (v == _TIE)] = 0.5
        return c

    cf, cs = credit(f), credit(s)
    both_ok = np.concatenate([~np.isnan(cf), ~np.isnan(cs)])
    n_verdicts = count(~np.isnan(cf)) + count(~np.isnan(cs))
    acc = _mean(_sum(gid, np.nan_to_num(cf), k) + _sum(gid, np.nan_to_num(cs), k), n_verdicts)
    n_gold = count(~np.isnan(cf) | ~np.isnan(cs))

    # the design effects, group by group over the group's rows in frame order
    deff, c_deff, a_deff = np.ones(k), np.ones(k), np.ones(k)
    dfs: list[float | None] = [None] * k
    a_dfs: list[float | None] = [None] * k
    n_clusters = np.zeros(k, dtype=np.int64)
    gid2 = np.concatenate([gid, gid])
    order2 = np.argsort(gid2, kind="stable")
    starts2 = np.searchsorted(gid2[order2], np.arange(k + 1))
    cl2, both_c = np.concatenate([clusters, clusters]), np.concatenate([cf, cs])
    for i in range(k):
        rows = order[starts[i] : starts[i + 1]]
        if n_valid[i] > 0:
            ok = rows[valid[rows]]
            cl, sc, ic = clusters[ok], score[ok], is_cons[ok]
            deff[i] = design_effect(sc - sc.mean(), cl)
            dfs[i] = cluster_df(cl)
            c_deff[i] = design_effect(ic - ic.mean(), cl)
            n_clusters[i] = len(np.unique(cl))
        if has_gold and n_verdicts[i] > 0:
            rows2 = order2[starts2[i] : starts2[i + 1]]
            ok2 = rows2[both_ok[rows2]]
            keys = cl2[ok2]
            a_deff[i] = design_effect(
                both_c[ok2] - acc[i], keys, np.full(len(ok2), acc[i] * (1.0 - acc[i]))
            )
            a_dfs[i] = cluster_df(keys)

    has_pos = n_valid > 0
    nv = np.where(has_pos, n_valid, 1).astype(float)
    effect = np.where(has_pos, (n_pri - n_rec) / nv, math.nan)
    lo = np.full(k, math.nan)
    hi = np.full(k, math.nan)
    p_value = np.full(k, math.nan)
    t_al = _t_alphas(alpha, dfs)
    if has_pos.any():
        a_, b_, c_, d_ = (
            x[has_pos] / deff[has_pos]
            for x in (a_cnt, n_pri.astype(float), n_rec.astype(float), d_cnt)
        )
        # alpha one per group (t for its clusters): newcombe_paired_diff's alpha is passed on
        # to the Wilson intervals elementwise when df is None
        alphas: Any = t_al[has_pos]
        _, lo[has_pos], hi[has_pos] = newcombe_paired_diff(a_, b_, c_, d_, alphas)
        plain = np.array([d is None for d in dfs])[has_pos]
        pos_idx = np.flatnonzero(has_pos)
        if plain.any():
            p_value[pos_idx[plain]] = newcombe_paired_p(a_[plain], b_[plain], c_[plain], d_[plain])
        if (~plain).any():
            df_arr = np.array([dfs[j] for j in pos_idx[~plain]], dtype=float)
            p_value[pos_idx[~plain]] = newcombe_paired_p(
                a_[~plain], b_[~plain], c_[~plain], d_[~plain], df=df_arr
            )
    c_lo, c_hi = _wilson(
        np.where(has_pos, n_cons / c_deff, 0.0), np.where(has_pos, n_valid / c_deff, 0.0), t_al
    )
    primacy = np.where(has_pos, n_pri / nv, math.nan)
    recency = np.where(has_pos, n_rec / nv, math.nan)

    acc_on = has_gold & (n_verdicts > 0)
    accuracy = np.where(acc_on, acc, math.nan)
    acc_lo, acc_hi = _wilson(
        np.where(acc_on, acc * n_verdicts / a_deff, 0.0),
        np.where(acc_on, n_verdicts / a_deff, 0.0),
        _t_alphas(alpha, a_dfs),
    )
    first_shown = np.concatenate(
        [np.where(gold == _A, cf, math.nan), np.where(gold == _B, cs, math.nan)]
    )
    second_shown = np.concatenate(
        [np.where(gold == _B, cf, math.nan), np.where(gold == _A, cs, math.nan)]
    )

    def pooled_mean(both: np.ndarray, g2: np.ndarray) -> np.ndarray:
        ok = ~np.isnan(both)
        return _mean(
            np.bincount(g2[ok], weights=both[ok], minlength=k), np.bincount(g2[ok], minlength=k)
        )

    acc_first = np.where(acc_on, pooled_mean(first_shown, gid2), math.nan)
    acc_second = np.where(acc_on, pooled_mean(second_shown, gid2), math.nan)

    fv, sv = f > 0, s > 0
    n_gold_first = count(fv & (g_col == _A)) + count(sv & (g_col == _B))
    n_gold_second = count(fv & (g_col == _B)) + count(sv & (g_col == _A))

    table: dict[str, Any] = {
        "n": n_pairs,
        "n_valid": n_valid,
        "position_consistency": np.where(has_pos, n_cons / nv, math.nan),
        "primacy": primacy,
        "recency": recency,
        "preference_fairness": np.where(has_pos, (n_rec - n_pri) / nv, math.nan),
        "accuracy": accuracy,
        "accuracy_first": acc_first,
        "accuracy_second": acc_second,
        "prefers_longer": np.full(k, math.nan),
        "n_invalid": n_pairs - n_valid,
        "n_unparseable": count(f == _NONE) + count(s == _NONE),
        "n_consistent": n_cons,
        "n_primacy": n_pri,
        "n_recency": n_rec,
        "position_consistency_ci_low": c_lo,
        "position_consistency_ci_high": c_hi,
        "position_effect": effect,
        "position_effect_ci_low": lo,
        "position_effect_ci_high": hi,
        "position_p_value": p_value,
        "n_clusters": n_clusters,
        "preference_fairness_ci_low": -hi,
        "preference_fairness_ci_high": -lo,
        "accuracy_ci_low": acc_lo,
        "accuracy_ci_high": acc_hi,
        "n_gold": np.where(has_gold, n_gold, 0),
        "n_gold_first": n_gold_first,
        "n_gold_second": n_gold_second,
    }
    for name, n_of in (
        ("primacy", n_valid),
        ("recency", n_valid),
        ("accuracy_first", n_gold_first),
        ("accuracy_second", n_gold_second),
    ):
        table[f"{name}_ci_low"], table[f"{name}_ci_high"] = _share_ci(table[name], n_of, alpha)
    table.update(_length_columns(frame, f, s, g_col, gid, gid2, k, min_diff, alpha))
    out = pd.DataFrame(values) if group else pd.DataFrame(index=range(k))
    out = pd.concat([out, pd.DataFrame(table)], axis=1)
    out["position_p_adjusted"] = bh_adjust(out["position_p_value"].tolist())
    return out


def _length_columns(
    frame: pd.DataFrame,
    f: np.ndarray,
    s: np.ndarray,
    gold: np.ndarray,
    gid: np.ndarray,
    gid2: np.ndarray,
    k: int,
    min_diff: float,
    alpha: float,
) -> dict[str, Any]:
    """:func:`~judgebias.stats.recorded.length_figures` for every group."""
    diff = frame[LEN_A].to_numpy(dtype=float) - frame[LEN_B].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        differs = np.abs(diff) > min_diff
    longer = np.where(differs, np.where(diff > 0, _A, _B), _NONE)
    shorter = np.where(differs, np.where(diff > 0, _B, _A), _NONE)

    def toward(v: np.ndarray) -> np.ndarray:
        ok = (v > 0) & (longer > 0)
        c = np.where(ok, 0.0, math.nan)
        c[ok & (v == longer)] = 1.0
        c[ok & (v == _TIE)] = 0.5
        return c

    cf, cs = toward(f), toward(s)

    def pooled(a: np.ndarray, b: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        both = np.concatenate([np.where(rows, a, math.nan), np.where(rows, b, math.nan)])
        ok = ~np.isnan(both)
        value = _mean(
            np.bincount(gid2[ok], weights=both[ok], minlength=k), np.bincount(gid2[ok], minlength=k)
        )
        anyv = rows & (~np.isnan(a) | ~np.isnan(b))
        return value, np.bincount(gid[anyv], minlength=k)

    scored = (gold == _A) | (gold == _B)
    value, n = pooled(cf, cs, np.ones(len(f), dtype=bool))
    v_gs, n_gs = pooled(cf, cs, differs & scored & (gold == shorter))
    v_gl, n_gl = pooled(1.0 - cf, 1.0 - cs, differs & scored & (gold == longer))
    out: dict[str, Any] = {
        "prefers_longer": value,
        "n_length": n,
        "prefers_longer_when_gold_shorter": v_gs,
        "n_gold_shorter": n_gs,
        "prefers_shorter_when_gold_longer": v_gl,
        "n_gold_longer": n_gl,
    }
    for name, v, m in (
        ("prefers_longer", value, n),
        ("prefers_longer_when_gold_shorter", v_gs, n_gs),
        ("prefers_shorter_when_gold_longer", v_gl, n_gl),
    ):
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = _share_ci(v, m, alpha)
    return out
