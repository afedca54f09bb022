"""The per-group table computed for all groups at once equals, value for value, the
figures of each group computed alone by the package's one-group functions (the loop
analyze ran before, kept here as the reference)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_DATA

from judgebias.analysis.result import cluster_column
from judgebias.stats.intervals import bh_adjust
from judgebias.stats.position import position_stats
from judgebias.stats.recorded import group_table, length_figures, share_ci
from judgebias.tables.pairs import read_table
from judgebias.tables.verdicts import FIRST, GOLD, SECOND, group_items, prepare


def group_figures(
    g: pd.DataFrame, *, has_gold: bool, min_diff: float, alpha: float, cluster: str | None = None
) -> dict[str, Any]:
    ps = position_stats(
        g,
        first=FIRST,
        second=SECOND,
        gold=GOLD if has_gold else None,
        alpha=alpha,
        cluster=cluster,
    )
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
        "n_clusters": int(ps["n_clusters"]),
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
        row[f"{name}_ci_low"], row[f"{name}_ci_high"] = share_ci(row[name], count, alpha)
    row.update(length_figures(g, min_diff, alpha))
    return row


def loop_table(frame: pd.DataFrame, group: list[str], **kw: Any) -> pd.DataFrame:
    rows = [{**values, **group_figures(g, **kw)} for values, g in group_items(frame, group)]
    table = pd.DataFrame(rows)
    table["position_p_adjusted"] = bh_adjust(table["position_p_value"].tolist())
    return table


def assert_same(df: pd.DataFrame, cluster: str | None = None, **cols: Any) -> pd.DataFrame:
    prep = prepare(df, **cols)
    ccol, _ = cluster_column(prep.frame, cluster)
    kw = {"has_gold": prep.has_gold, "min_diff": 30.0, "alpha": 0.05, "cluster": ccol}
    fast = group_table(prep.frame, prep.group, **kw)
    pd.testing.assert_frame_equal(fast, loop_table(prep.frame, prep.group, **kw), check_exact=True)
    return fast


def verdicts(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lab = np.array(["1", "2", "tie", None, "x", "A"], dtype=object)
    p = [0.4, 0.4, 0.1, 0.05, 0.03, 0.02]
    return pd.DataFrame(
        {
            "judge": rng.choice(np.array(["u", "v", None], dtype=object), n),
            "k": rng.integers(0, 3, n),
            "q": np.where(rng.random(n) < 0.1, None, rng.integers(0, 50, n).astype(str)),
            "qi": rng.integers(0, 40, n),
            "ab": rng.choice(lab, n, p=p),
            "ba": rng.choice(lab, n, p=p),
            "gold": rng.choice(np.array(["1", "2", "tie", None], dtype=object), n),
            "len_a": np.where(rng.random(n) < 0.05, np.nan, rng.integers(0, 300, n)),
            "len_b": rng.integers(0, 300, n),
        }
    )


COLS = {"first": "ab", "second": "ba", "gold": "gold", "group": "judge,k"}


@pytest.mark.parametrize("cluster", ["q", "qi", "pair"])
def test_all_groups_at_once_equal_the_loop(cluster: str) -> None:
    table = assert_same(verdicts(3000, 1), cluster=cluster, **COLS)
    assert len(table) == 9  # a group with no judge value is one of them
    assert table["judge"].isna().sum() == 3
    assert (table["n_valid"] < table["n"]).all()


def test_without_gold_one_group_and_tiny_groups() -> None:
    df = verdicts(600, 2)
    assert_same(df, cluster="q", **{**COLS, "gold": None})
    assert_same(df, cluster="q", **{**COLS, "group": None})
    one = assert_same(df.iloc[:30], cluster="q", **COLS)
    assert one["n"].sum() == 30
    none = assert_same(df.assign(ab=None), cluster="q", **COLS)  # no position figure anywhere
    assert none["position_consistency"].isna().all() and (none["n_valid"] == 0).all()


@pytest.mark.external
def test_llmbar_all_groups_equal_the_loop() -> None:
    path = SHARED_DATA / "llmbar" / "judgments.csv.gz"
    if not path.exists():
        pytest.skip(f"shared data absent: {path}")
    cols = {
        "first": "synth_noswap|winner_noswap",
        "second": "synth_swap|winner_swap",
        "gold": "label",
        "group": "subset,judge,strategy",
    }
    assert len(assert_same(read_table(path), **cols)) > 100
