"""Factor attribution: extractors, planted influences, and the AlpacaEval judge."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_DATA
from scipy.special import expit

from judgebias.errors import UsageError
from judgebias.stats.factors import FACTORS, extract_factors, factor_attribution

WORDS = [
    *("river", "stone", "lamp", "orbit", "cedar", "violet", "engine", "harbor", "quartz"),
    *("meadow", "signal", "copper", "lattice", "ember", "tundra", "falcon", "prism"),
    *("velvet", "canyon", "beacon", "mosaic", "thistle", "glacier", "saffron", "anchor"),
]


def shared_data() -> Path:
    return SHARED_DATA


ALPACA = shared_data() / "alpacaeval2"


def make_text(rng: np.random.Generator, n_words: int, n_items: int, n_hedges: int) -> str:
    """Random words, then ``n_items`` bullet lines, with ``n_hedges`` hedging words mixed in."""
    words = list(rng.choice(WORDS, n_words))
    for _ in range(n_hedges):
        words.insert(int(rng.integers(0, len(words) + 1)), "perhaps")
    body = " ".join(words).capitalize() + "."
    bullets = ["- " + " ".join(rng.choice(WORDS, 3)) for _ in range(n_items)]
    return "\n".join([body, *bullets])


def synthetic(n: int, seed: int) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    rows = []
    plan: dict[str, list[int]] = {"items_a": [], "items_b": [], "hedge_a": [], "hedge_b": []}
    for _ in range(n):
        ia, ib = (int(v) for v in rng.integers(0, 7, 2))
        ha, hb = (int(v) for v in rng.integers(0, 4, 2))
        rows.append(
            {
                "a": make_text(rng, int(rng.integers(20, 120)), ia, ha),
                "b": make_text(rng, int(rng.integers(20, 120)), ib, hb),
            }
        )
        plan["items_a"].append(ia)
        plan["items_b"].append(ib)
        plan["hedge_a"].append(ha)
        plan["hedge_b"].append(hb)
    return pd.DataFrame(rows), {k: np.asarray(v) for k, v in plan.items()}


def test_extractors_count_what_they_say() -> None:
    text = (
        "# Title\n\nSure! I hope this helps. Perhaps it might work, see https://example.org [1].\n"
        "**Bold** and *italic* words; 42 apples and 3.5 pears?\n"
        "- first\n- second\n1. third\n\n```python\nx = 1\n```\nLet me think step by step."
    )
    f = extract_factors([text, "", "I'm sorry, but I cannot help with that."])
    row = f.iloc[0]
    assert list(f.columns) == list(FACTORS)
    assert row.list_items == pytest.approx(np.log1p(3))
    assert row.headers == pytest.approx(np.log1p(1))
    assert row.emphasis == pytest.approx(np.log1p(2))
    assert row.code_blocks == pytest.approx(np.log1p(1))
    assert row.links_citations == pytest.approx(np.log1p(2))
    assert row.hedging == pytest.approx(np.log1p(2))  # perhaps, might
    assert row.reasoning_markers == pytest.approx(np.log1p(2))
    assert row.questions == pytest.approx(np.log1p(1))
    assert row.exclamations == pytest.approx(np.log1p(1))
    assert row.politeness >= np.log1p(1)
    assert row.refusal == 0.0 and f.iloc[2].refusal == 1.0
    assert f.iloc[1].length == 0.0 and np.isnan(f.iloc[1].readability)
    assert f.iloc[2].readability > row.readability - 200  # defined and finite
    assert np.isfinite(row.readability)


def test_planted_influence_is_recovered() -> None:
    frame, plan = synthetic(600, seed=4)
    d_items = np.log1p(plan["items_a"]) - np.log1p(plan["items_b"])
    d_hedge = np.log1p(plan["hedge_a"]) - np.log1p(plan["hedge_b"])
    z_items = d_items / d_items.std(ddof=1)
    z_hedge = d_hedge / d_hedge.std(ddof=1)
    # the judge: lists up by 1.2 per SD, nothing else; gold: hedging down by 0.8 per SD
    frame["judge"] = expit(0.3 + 1.2 * z_items)
    rng = np.random.default_rng(0)
    frame["gold"] = np.where(rng.uniform(size=len(frame)) < expit(-0.8 * z_hedge), "a", "b")
    out = factor_attribution(frame, text_a="a", text_b="b", pref="judge", gold="gold").set_index(
        "factor"
    )
    # soft targets from the exact model: the judge's coefficients are recovered exactly
    assert out.loc["list_items", "coef"] == pytest.approx(1.2, abs=1e-4)
    assert out.loc["(intercept)", "coef"] == pytest.approx(0.3, abs=1e-4)
    others = out.drop(index=["list_items", "(intercept)"])["coef"].dropna()
    assert others.abs().max() < 1e-4
    assert out.loc["list_items", "p_value"] < 1e-6
    # gold: hedging is found, with the planted sign, from hard labels
    assert out.loc["hedging", "coef_gold"] < -0.4
    assert out.loc["hedging", "ci_low_gold"] < -0.8 < out.loc["hedging", "ci_high_gold"]
    assert out.loc["hedging", "p_value_gold"] < 1e-4
    assert out.loc["list_items", "p_value_gold"] > 0.001
    # the two differ where planted: the stacked test sees it
    assert out.loc["list_items", "diff"] > 0.8 and out.loc["list_items", "diff_p_value"] < 1e-4
    assert out.loc["hedging", "diff"] > 0.4 and out.loc["hedging", "diff_p_value"] < 1e-3
    assert "agreement_spearman" in out.columns
    # constant factors (no code, no URLs in random words) are reported, not fitted
    assert out.loc["code_blocks", "note"] == "constant"
    assert np.isnan(out.loc["code_blocks", "coef"])


def test_penalty_and_clustering() -> None:
    frame, plan = synthetic(300, seed=9)
    d_items = np.log1p(plan["items_a"]) - np.log1p(plan["items_b"])
    noise = np.random.default_rng(1).normal(0.0, 0.7, len(frame))
    frame["judge"] = expit(1.0 * d_items / d_items.std(ddof=1) + noise)
    frame["item"] = np.arange(len(frame)) // 3
    plain = factor_attribution(frame, text_a="a", text_b="b", pref="judge").set_index("factor")
    pen = factor_attribution(
        frame,
        text_a="a",
        text_b="b",
        pref="judge",
        item="item",
        penalty=0.05,
        factors=["length", "list_items", "hedging"],
    ).set_index("factor")
    assert list(pen.index) == ["length", "list_items", "hedging", "(intercept)"]
    # the penalised estimate is shrunk; the interval still comes from the MLE
    assert 0.0 < pen.loc["list_items", "coef"] < pen.loc["list_items", "coef_mle"]
    mle = pen.loc["list_items", "coef_mle"]
    assert pen.loc["list_items", "ci_low"] < mle < pen.loc["list_items", "ci_high"]
    assert pen.loc["list_items", "ci_low"] > 0.5  # (logit noise attenuates the planted 1.0)
    assert plain.loc["list_items", "coef"] > 0.5 and plain.loc["list_items", "p_value"] < 1e-6
    assert abs(plain.loc["hedging", "coef"]) < 0.15
    # clustering by item changes the standard errors, not the estimates
    assert pen.loc["list_items", "se"] != pytest.approx(plain.loc["list_items", "se"], rel=1e-6)


def test_factor_input_errors() -> None:
    frame = pd.DataFrame({"a": ["x y", "z"], "b": ["w", "v u"], "p": [1.0, 0.5]})
    with pytest.raises(UsageError, match="column 'q'"):
        factor_attribution(frame, text_a="a", text_b="b", pref="q")
    with pytest.raises(UsageError, match="unknown factor"):
        factor_attribution(frame, text_a="a", text_b="b", pref="p", factors=["colour"])
    with pytest.raises(UsageError, match="too few"):
        factor_attribution(frame, text_a="a", text_b="b", pref="p")
    with pytest.raises(UsageError, match=r"\[0, 1\]"):
        factor_attribution(frame.assign(p=[1.0, 2.0]), text_a="a", text_b="b", pref="p")


@pytest.mark.external
@pytest.mark.skipif(
    not (ALPACA / "annotations_claude-2.1.json.gz").exists(),
    reason=f"shared AlpacaEval annotations not found under {ALPACA} (set JUDGEBIAS_SHARED_DATA)",
)
def test_gpt4_turbo_judge_favours_length() -> None:
    records: list[dict[str, object]] = []
    for path in sorted(ALPACA.glob("annotations_*.json.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            records += json.load(fh)
    frame = pd.DataFrame(records)
    frame["pref_1"] = 2.0 - frame["preference"].astype(float)  # preference for output_1
    out = factor_attribution(
        frame, text_a="output_1", text_b="output_2", pref="pref_1", item="instruction"
    ).set_index("factor")
    assert len(out) == len(FACTORS) + 1
    assert out.loc["length", "coef"] > 0
    assert out.loc["length", "ci_low"] > 0
    assert out["note"].eq("").all()


def test_standard_errors_cluster_by_instruction_by_default() -> None:
    frame, plan = synthetic(240, seed=11)
    d_items = np.log1p(plan["items_a"]) - np.log1p(plan["items_b"])
    rng = np.random.default_rng(5)
    # 40 instructions with 6 pairs each; the judge's taste varies by instruction
    frame["instruction"] = np.repeat([f"task {k}" for k in range(40)], 6)
    shared = np.repeat(rng.normal(0.0, 1.5, 40), 6)
    frame["judge"] = np.where(
        rng.uniform(size=len(frame)) < expit(d_items / d_items.std(ddof=1) + shared), 1.0, 0.0
    )
    kw = {
        "text_a": "a",
        "text_b": "b",
        "pref": "judge",
        "factors": ["list_items", "length"],
        "kind": "probability",  # 0/1 outcomes: b won, a won
    }
    auto = factor_attribution(frame, **kw).set_index("factor")  # type: ignore[arg-type]
    explicit = factor_attribution(frame, item="instruction", **kw).set_index("factor")  # type: ignore[arg-type]
    per_row = factor_attribution(frame, cluster=False, **kw).set_index("factor")  # type: ignore[arg-type]
    assert auto["se"].to_numpy() == pytest.approx(explicit["se"].to_numpy())
    assert auto["se_type"].iloc[0] == "cluster-robust by 'instruction' (40 clusters)"
    assert per_row["se_type"].iloc[0].startswith("robust (HC0)")
    assert auto.loc["(intercept)", "se"] > 1.2 * per_row.loc["(intercept)", "se"]
    assert auto["reading"].iloc[0] == "probability"
    # one cluster: no clustered standard error exists, and the note says that (not
    # "did not converge"); the estimates are still given
    one = factor_attribution(frame.assign(instruction="same"), **kw).set_index("factor")  # type: ignore[arg-type]
    assert one["se"].isna().all() and one["coef"].notna().all()
    assert "single cluster" in one.loc["list_items", "note"]
    assert "did not converge" not in one.loc["list_items", "note"]
