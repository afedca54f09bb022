"""`judgebias analyze` against the figures Shi et al. ("Judging the Judges") published for real
judges on DevBench: repetition stability (9 judges), position consistency and the positional
preference score averaged over (model, task) units (5 judges).

The data lives outside the repository, in ``../shared/data/external/judging_the_judges_devbench``
(or under ``$JUDGEBIAS_SHARED_DATA``); the tests skip, saying so, when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import SHARED_DATA, run_cli

pytestmark = pytest.mark.external

DEVBENCH = SHARED_DATA / "external" / "judging_the_judges_devbench"
# 1 = the human reference answer, 2 = the candidate; v_model_first is already mapped back
COLUMNS = ("--first", "v_ref_first", "--second", "v_model_first", "--group", "judge")
PAIR = ("--pair", "question,model,task")


def _need(*files: str) -> None:
    missing = [f for f in files if not (DEVBENCH / f).exists()]
    if missing:
        pytest.skip(f"DevBench data not found in {DEVBENCH} (missing {', '.join(missing)})")


def _run(tmp_path: Path, data: str, *flags: str) -> pd.DataFrame:
    out = tmp_path / "out"
    p = run_cli("analyze", str(DEVBENCH / data), *COLUMNS, *PAIR, *flags, "--out", str(out))
    assert p.returncode == 0, p.stderr
    return pd.read_csv(out / "summary.csv").set_index("judge")


def test_repetition_stability_of_the_nine_judges_as_published(tmp_path: Path) -> None:
    _need("repetition_verdicts_devbench.csv", "reference_repetition_stability.csv")
    ours = _run(tmp_path, "repetition_verdicts_devbench.csv", "--repeat", "rep")
    ref = pd.read_csv(DEVBENCH / "reference_repetition_stability.csv").set_index("judge")
    assert sorted(ours.index) == sorted(ref.index) and len(ref) == 9
    # equal to the last bit (up to the order of a float sum): 0.847 (Gemini Pro) to 0.986
    assert ours["repetition_stability"].to_numpy() == pytest.approx(
        ref.loc[ours.index, "repetition_stability"].to_numpy(), abs=1e-12
    )
    assert (ours["n_repeat_calls"] == ref.loc[ours.index, "n_calls"]).all()
    assert (ours["repetitions"] == 3).all()
    # Gemini Pro's two unreadable answers count in R (and it still matches the authors)
    assert ours.loc["gemini-pro", "n_repeat_unread"] == 2


def test_position_figures_of_the_five_judges_as_published(tmp_path: Path) -> None:
    _need("position_verdicts_devbench.csv", "reference_position_by_judge.csv")
    ours = _run(tmp_path, "position_verdicts_devbench.csv", "--units", "model,task")
    ref = pd.read_csv(DEVBENCH / "reference_position_by_judge.csv").set_index("Judge")
    ref = ref.loc[ours.index]
    assert len(ref) == 5 and (ours["n_units"] == 140).all()
    # their positional preference score: the mean over (model, task) units, unread pairs in
    # each unit's denominator: equal, and so is its standard deviation over the units
    assert ours["preference_fairness_units_mean"].to_numpy() == pytest.approx(
        ref["Average Positional Preference Score"].to_numpy(), abs=1e-12
    )
    assert ours["preference_fairness_units_std"].to_numpy() == pytest.approx(
        ref["Positional Preference Score Std"].to_numpy(), abs=1e-12
    )
    # the same sign: positive favours the second-shown answer (Claude 3 Haiku +0.745)
    assert ours.loc["claude-3-haiku-20240307", "preference_fairness_units_mean"] > 0.7
    assert (ours["preference_fairness_units_mean"] * ours["preference_fairness"] > 0).all()
    # the pooled figure (readable pairs only) differs by up to 0.002 (Claude 3 Haiku)
    pooled = (ours["preference_fairness"] - ref["Average Positional Preference Score"]).abs()
    assert pooled.max() == pytest.approx(0.0020, abs=1e-4)
    # their "average" position consistency is pooled over the judge's read pairs, which is
    # position_consistency exactly; the mean over units differs where a unit lost a pair
    assert ours["position_consistency"].to_numpy() == pytest.approx(
        ref["Average Positional Consistency"].to_numpy(), abs=1e-12
    )
    assert ours["position_consistency_units_std"].to_numpy() == pytest.approx(
        ref["Positional Consistency Std"].to_numpy(), abs=1e-12
    )
    units_gap = (ours["position_consistency_units_mean"] - ours["position_consistency"]).abs()
    assert units_gap.max() < 2e-4
    assert units_gap[["gpt-3.5-turbo-0125", "gpt-3.5-turbo-1106", "gpt-4-0613"]].max() < 1e-12
