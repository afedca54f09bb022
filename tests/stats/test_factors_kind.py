"""Factor attribution refuses a preference column of the numbers 0 and 1 unless its kind is
declared, as DBG does: as probabilities 0 means response b wins, as verdict labels a tie."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_one_line_error, run_cli

from judgebias.errors import UsageError
from judgebias.stats.factors import factor_attribution

WORDS = ("river", "stone", "lamp", "orbit", "cedar", "violet", "engine", "harbor")


def ties_as_zero(n: int = 120, seed: int = 3) -> pd.DataFrame:
    """Verdict labels written as integers, 1 = response a and 0 = a tie (the judge never
    picks b): read as probabilities, every tie becomes a win for b."""
    rng = np.random.default_rng(seed)
    text = [" ".join(rng.choice(WORDS, int(rng.integers(5, 60)))) for _ in range(2 * n)]
    return pd.DataFrame({"a": text[:n], "b": text[n:], "pref": rng.choice([0, 1], n, p=[0.7, 0.3])})


def test_zero_one_numbers_are_refused_without_a_kind() -> None:
    """Before, the integers were silently read as probabilities: on this table the
    intercept came out at -1.10 (b favoured) for a judge that never picks b; as labels it
    is +0.51 (ties at 0.5, a at 1)."""
    frame = ties_as_zero()
    kw = {"text_a": "a", "text_b": "b", "pref": "pref", "factors": ["length"]}
    with pytest.raises(UsageError, match=r"pref: holds only the numbers 0 and 1.*--kind"):
        factor_attribution(frame, **kw)  # type: ignore[arg-type]
    soft = frame.assign(pref=np.where(frame["pref"] == 1, 1.0, 0.25))
    with pytest.raises(UsageError, match="gold: holds only the numbers 0 and 1"):
        factor_attribution(soft.assign(gold=frame["pref"].astype(float)), gold="gold", **kw)  # type: ignore[arg-type]
    prob = factor_attribution(frame, kind="probability", **kw).set_index("factor")  # type: ignore[arg-type]
    label = factor_attribution(frame, kind="label", **kw).set_index("factor")  # type: ignore[arg-type]
    assert prob.loc["(intercept)", "coef"] < -0.5  # b favoured: the ties read as b's wins
    assert label.loc["(intercept)", "coef"] > 0.3  # a favoured: the judge never picks b
    assert prob["reading"].iloc[0] == "probability" and label["reading"].iloc[0] == "label"
    # a column with a value strictly between 0 and 1 is probabilities, as before
    assert factor_attribution(soft, **kw)["reading"].iloc[0] == "probability"  # type: ignore[arg-type]


def test_cli_refuses_zero_one_numbers_unless_kind_is_given(tmp_path: Path) -> None:
    path = tmp_path / "pairs.csv"
    ties_as_zero().to_csv(path, index=False)
    args = ["factors", str(path), "--text-a", "a", "--text-b", "b", "--pref", "pref"]
    assert_one_line_error(run_cli(*args), "pref", "--kind")
    assert_one_line_error(run_cli(*args, "--kind", "odds"), "--kind")
    p = run_cli(*args, "--factors", "length", "--kind", "label", "--out", str(tmp_path / "f.csv"))
    assert p.returncode == 0, p.stderr
    out = pd.read_csv(tmp_path / "f.csv").set_index("factor")
    assert out.loc["(intercept)", "coef"] > 0.3 and out["reading"].iloc[0] == "label"
