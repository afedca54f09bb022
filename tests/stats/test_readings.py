"""A preference column's kind (probability or verdict label) is decided once, and said."""

from __future__ import annotations

import pandas as pd
import pytest

from judgebias.corrections import debias
from judgebias.errors import UsageError
from judgebias.stats.dbg import dbg, read_preference, to_preference


def test_the_same_zeros_and_ones_never_read_two_ways_silently() -> None:
    numbers = pd.Series([0.0, 1.0])
    text = pd.Series(["0", "1"])
    # numbers are probabilities (0 = response b); said so
    pref, reading = read_preference(numbers)
    assert pref.tolist() == [0.0, 1.0] and reading == "probability"
    # the same values as text read two ways (AlpacaEval's labels: 0 = tie): refused
    with pytest.raises(UsageError, match="reads two ways"):
        to_preference(text, name="judge")
    # declared, both spellings agree
    assert to_preference(text, kind="probability").tolist() == [0.0, 1.0]
    assert to_preference(numbers, kind="label").tolist() == [0.5, 1.0]
    # unambiguous text keeps its only reading
    assert read_preference(pd.Series(["0.7", "0.2"]))[1] == "probability"
    assert read_preference(pd.Series(["1", "2", "0"]))[1] == "label"
    with pytest.raises(UsageError, match="kind must be"):
        to_preference(numbers, kind="soft")


def test_dbg_reports_its_reading_and_agrees_across_spellings() -> None:
    frame = pd.DataFrame({"judge": [0.0, 1.0] * 5, "gold": ["a"] * 10})
    as_numbers = dbg(frame, judge_col="judge", gold_col="gold", n_boot=200).iloc[0]
    assert as_numbers["dbg"] == pytest.approx(-50.0)
    assert (as_numbers["judge_reading"], as_numbers["gold_reading"]) == ("probability", "label")
    text = frame.assign(judge=frame["judge"].map(lambda v: str(int(v))))
    with pytest.raises(UsageError, match="reads two ways"):
        dbg(text, judge_col="judge", gold_col="gold", n_boot=200)
    declared = dbg(
        text.assign(gold="1"), judge_col="judge", gold_col="gold", n_boot=200, kind="probability"
    ).iloc[0]
    assert declared["dbg"] == pytest.approx(-50.0) and declared["judge_reading"] == "probability"


def test_swap_refuses_to_guess_a_zero_one_probability_column() -> None:
    # P(answer 1) rounded to 0/1 in both orders, all consistent with gold: accuracy 1
    df = pd.DataFrame(
        {"p_ab": [1.0, 0.0, 1.0, 0.0], "p_ba": [1.0, 0.0, 1.0, 0.0], "gold": ["1", "2", "1", "2"]}
    )
    with pytest.raises(UsageError, match="--soft"):
        debias(df, "swap", first="p_ab", second="p_ba", gold="gold")
    _, soft = debias(df, "swap", first="p_ab", second="p_ba", gold="gold", soft=True)
    o = soft["overall"]
    assert o["accuracy_after"] == pytest.approx(1.0) and o["tie_share_after"] == 0.0
    assert soft["reading"].startswith("probabilities of answer 1")
    _, hard = debias(df, "swap", first="p_ab", second="p_ba", gold="gold", soft=False)
    assert hard["reading"].startswith("verdict labels")
    assert hard["overall"]["tie_share_after"] == pytest.approx(0.5)  # 0 read as a tie
