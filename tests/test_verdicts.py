"""The shared pieces under analyze and debias: VerdictColumns and the layer under the analysis."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from judgebias.analysis import analyze
from judgebias.corrections.debias import debias
from judgebias.tables.verdicts import VerdictColumns, prepare


def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pair_id": [1, 2, 3, 4, 5, 6],
            "judge": ["x", "x", "x", "y", "y", "y"],
            "v_ab": ["1", "1", "2", "tie", "1", "2"],
            "v_ba": ["1", "2", "2", "1", "2", "2"],
            "gold": ["1", "2", "2", "1", "1", "2"],
        }
    )


def test_columns_of_sets_only_what_is_given() -> None:
    base = VerdictColumns(first="v_ab", second="v_ba")
    cols = VerdictColumns.of(base, gold="gold", group=None)
    assert (cols.first, cols.second, cols.gold, cols.group) == ("v_ab", "v_ba", "gold", None)
    assert base.gold is None  # frozen: the original is unchanged


def test_columns_of_refuses_an_unknown_name_with_a_hint() -> None:
    with pytest.raises(TypeError, match="did you mean 'second'"):
        VerdictColumns.of(None, secnd="v_ba")


def test_analyze_and_debias_read_columns_or_keywords_alike() -> None:
    cols = VerdictColumns(first="v_ab", second="v_ba", gold="gold", group="judge")
    by_value = analyze(table(), cols)
    by_keywords = analyze(table(), first="v_ab", second="v_ba", gold="gold", group="judge")
    assert_frame_equal(by_value.table, by_keywords.table)
    assert by_value.table["n_valid"].tolist() == [3, 3]
    fixed, _ = debias(table(), "swap", cols)
    fixed_kw, _ = debias(table(), "swap", first="v_ab", second="v_ba", gold="gold")
    assert fixed["swap_verdict"].tolist() == ["1", "tie", "2", "tie", "tie", "2"]
    assert fixed["swap_verdict"].tolist() == fixed_kw["swap_verdict"].tolist()


def test_prepare_long_layout_from_columns() -> None:
    wide = table()
    long = pd.concat(
        [
            wide.assign(order="ab", verdict=wide["v_ab"]),
            wide.assign(order="ba", verdict=wide["v_ba"]),
        ]
    ).drop(columns=["v_ab", "v_ba"])
    prep = prepare(long, VerdictColumns(order="order", verdict="verdict", pair="pair_id"))
    assert prep.layout == "long" and len(prep.frame) == 6
    assert prep.frame["jb_first"].tolist() == ["a", "a", "b", "tie", "a", "b"]


def test_replay_judge_does_not_import_the_analysis() -> None:
    code = (
        "import sys, judgebias.judges.replay; "
        "print(sorted(m for m in sys.modules if m.startswith('judgebias.analy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
