"""`judgebias agree` and `jb.agreement`: both layouts, order normalisation, groups,
the files it writes, and one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_one_line_error
from conftest import run_cli as run

import judgebias as jb

CONTRACT_KEYS = {
    "n_items",
    "n_humans",
    "agreement",
    "human_human",
    "kappa",
    "kappa_majority",
    "alpha_humans",
    "alt_test",
    "groups",
}
SHARE_KEYS = {
    "with_ties",
    "without_ties",
    "with_ties_ci",
    "without_ties_ci",
    "n_with_ties",
    "n_without_ties",
}


def wide_frame(n: int = 90, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = np.array(["1", "2", "0"])  # PandaLM's spelling: 1 = a, 2 = b, 0 = tie
    truth = rng.choice(3, size=n, p=[0.45, 0.45, 0.1])

    def noisy(acc: float) -> np.ndarray:
        return np.where(rng.random(n) < acc, truth, rng.choice(3, size=n))

    return pd.DataFrame(
        {
            "idx": np.arange(n),
            "category": np.where(np.arange(n) % 2 == 0, "writing", "math"),
            "h1": labels[noisy(0.85)],
            "h2": labels[noisy(0.85)],
            "h3": labels[noisy(0.85)],
            "judge": labels[noisy(0.7)],
        }
    )


def test_wide_csv_writes_the_contract(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    wide_frame().to_csv(path, index=False)
    out = tmp_path / "out"
    p = run(
        "agree",
        str(path),
        "--judge",
        "judge",
        "--human",
        "h1,h2,h3",
        "--item",
        "idx",
        "--group",
        "category",
        "--out",
        str(out),
        "--n-boot",
        "300",
    )
    assert p.returncode == 0, p.stderr
    s = json.loads((out / "summary.json").read_text())
    assert set(s) >= CONTRACT_KEYS
    assert set(s["agreement"]) == SHARE_KEYS and set(s["human_human"]) == SHARE_KEYS
    assert s["n_items"] == 90 and s["n_humans"] == 3
    assert set(s["alt_test"]) >= {"epsilon", "winning_rate", "advantage_probability", "passed"}
    assert set(s["groups"]) == {"math", "writing"}
    assert CONTRACT_KEYS - {"groups"} <= set(s["groups"]["math"])
    table = pd.read_csv(out / "summary.csv")
    assert list(table["group"]) == ["all", "math", "writing"]
    assert table.loc[0, "agreement_with_ties"] == pytest.approx(s["agreement"]["with_ties"])
    html = (out / "report.html").read_text()
    assert "Agreement with humans" in html and "alternative annotator test" in html
    assert "<script" not in html


def test_json_output_and_the_notebook_api_agree(tmp_path: Path) -> None:
    df = wide_frame(60, seed=3)
    path = tmp_path / "labels.jsonl"
    df.to_json(path, orient="records", lines=True)
    p = run(
        "agree",
        str(path),
        "--judge",
        "judge",
        "--human",
        "h1,h2,h3",
        "--json",
        "--out",
        str(tmp_path / "o"),
        "--n-boot",
        "200",
    )
    assert p.returncode == 0, p.stderr
    cli = json.loads(p.stdout)
    res = jb.agreement(df, judge="judge", human=["h1", "h2", "h3"], n_boot=200)
    assert res.summary["agreement"] == cli["agreement"]
    assert res.summary["kappa"] == pytest.approx(cli["kappa"])
    assert len(res.per_human) == 3


def test_long_layout_normalises_the_order_of_the_models(tmp_path: Path) -> None:
    # the same item voted with the models in either order: one human says model_a
    # with x shown first, another says model_b with y shown first -- the same answer
    rows = [
        {"q": 1, "who": "expert_1", "m_a": "x", "m_b": "y", "vote": "model_a"},
        {"q": 1, "who": "expert_2", "m_a": "y", "m_b": "x", "vote": "model_b"},
        {"q": 1, "who": "author_1", "m_a": "x", "m_b": "y", "vote": "model_b"},
        {"q": 1, "who": "gpt", "m_a": "y", "m_b": "x", "vote": "model_b"},
        {"q": 2, "who": "expert_1", "m_a": "x", "m_b": "y", "vote": "tie"},
        {"q": 2, "who": "expert_2", "m_a": "x", "m_b": "y", "vote": "model_b"},
        {"q": 2, "who": "gpt", "m_a": "x", "m_b": "y", "vote": "tie (inconsistent)"},
    ]
    df = pd.DataFrame(rows)
    res = jb.agreement(
        df,
        annotator="who",
        label="vote",
        item="q",
        models="m_a,m_b",
        judge="gpt",
        human_match="expert_.*",
        n_boot=0,
    )
    s = res.summary
    assert s["n_humans"] == 2  # author_1 is not an expert
    # q1: both experts and the judge say x; q2: judge tie vs (tie, b)
    assert s["agreement"]["with_ties"] == pytest.approx(3 / 4)
    assert s["agreement"]["n_without_ties"] == 2 and s["agreement"]["without_ties"] == 1.0
    assert s["human_human"]["with_ties"] == pytest.approx(1 / 2)


def test_list_column_and_win_rate_and_soft(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n = 400
    truth = rng.random(n) < 0.7
    p_a = np.clip(np.where(truth, 0.75, 0.35) + rng.normal(0, 0.1, n), 0, 1)
    judge = np.where(p_a > 0.5, "a", "b")
    humans = [
        [("a" if t == (rng.random() < 0.9) else "b") for _ in range(3)] if i < 150 else None
        for i, t in enumerate(truth)
    ]
    df = pd.DataFrame({"id": range(n), "humans": humans, "judge": judge, "p": p_a})
    res = jb.agreement(
        df, judge="judge", human="humans", item="id", soft="p", win_rate=True, n_boot=300
    )
    s = res.summary
    assert s["n_items"] == 150 and s["n_humans"] == 3
    wr = s["win_rate"]
    assert wr["n_labelled"] == 150 and wr["n_unlabelled"] == n - 150 and wr["n_full"] == n
    assert s["calibration"]["raw"]["n"] == 150


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--judge", "judge", "--human", "h1,h9"], ["labels.csv", "--human", "'h9' not found"]),
        (["--judge", "judgee", "--human", "h1,h2"], ["--judge", "did you mean 'judge'"]),
        (["--judge", "category", "--human", "h1,h2"], ["row 2", "--judge", "category"]),
        (["--judge", "judge", "--human", "h1,category"], ["row 2", "--human", "'category'"]),
        (["--judge", "judge"], ["--human"]),
        (["--judge", "judge", "--human", "h1", "--epsilon", "1.5"], ["--epsilon"]),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, args: list[str], needles: list[str]) -> None:
    path = tmp_path / "labels.csv"
    wide_frame(30).to_csv(path, index=False)
    assert_one_line_error(run("agree", str(path), *args, "--out", str(tmp_path / "o")), *needles)


def test_a_vote_given_twice_names_its_row(tmp_path: Path) -> None:
    path = tmp_path / "votes.csv"
    pd.DataFrame(
        {"q": [1, 1, 1, 2], "who": ["h1", "h2", "h1", "gpt"], "vote": ["a", "b", "a", "a"]}
    ).to_csv(path, index=False)
    assert_one_line_error(
        run(
            "agree",
            str(path),
            "--annotator",
            "who",
            "--label",
            "vote",
            "--item",
            "q",
            "--judge",
            "gpt",
            "--out",
            str(tmp_path / "o"),
        ),
        "votes.csv",
        "row",
        "h1",
        "more than once",
    )
