from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from judgebias.stats.intervals import bh_adjust, mcnemar_p, newcombe_paired_diff
from judgebias.stats.position import classify_orders, position_stats
from judgebias.vocabulary import normalize_label


def test_classification_rules() -> None:
    first = pd.Series(["a", "a", "b", "tie", "a", "tie", "b", None, "tie", "b"])
    second = pd.Series(["a", "b", "a", "b", "tie", "a", "tie", "a", "tie", "b"])
    got = list(classify_orders(first, second))
    assert got == [
        "consistent",
        "primacy",
        "recency",
        "primacy",
        "primacy",
        "recency",
        "recency",
        None,
        "consistent",
        "consistent",
    ]


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        (1, "a"),
        (2.0, "b"),
        ("A", "a"),
        ("b", "b"),
        ("tie", "tie"),
        (0, "tie"),
        ("C", "tie"),
        (3, "tie"),
        ("", None),
        (None, None),
        (float("nan"), None),
        ("x", None),
    ],
)
def test_normalize_label(raw: object, label: str | None) -> None:
    assert normalize_label(raw) == label


@pytest.mark.parametrize(
    "probs", [(0.45, 0.15, 0.05, 0.35), (0.5, 0.0, 0.0, 0.5), (0.3, 0.3, 0.0, 0.4)]
)
def test_newcombe_interval_covers_at_nominal_rate(probs: tuple[float, ...]) -> None:
    rng = np.random.default_rng(42)
    truth = probs[1] - probs[2]
    hits = 0
    sims = 600
    for counts in rng.multinomial(200, probs, size=sims):
        est, lo, hi = newcombe_paired_diff(*counts)
        assert est == pytest.approx((counts[1] - counts[2]) / 200)
        hits += lo - 1e-12 <= truth <= hi + 1e-12
    assert hits / sims >= 0.93


def test_mcnemar_and_bh() -> None:
    assert mcnemar_p(0, 0) == 1.0
    assert mcnemar_p(10, 0) < 0.01
    adj = bh_adjust([0.01, 0.04, float("nan"), 0.03])
    assert math.isnan(adj[2])
    assert adj[0] == pytest.approx(0.03)
    assert adj[1] == pytest.approx(0.04)
    assert adj[3] == pytest.approx(0.04)


def test_position_stats_figures_and_accuracy_split() -> None:
    # 6 consistent (4 correct), 3 primacy, 1 recency, 1 invalid
    df = pd.DataFrame(
        {
            "verdict_ab": ["a", "a", "b", "b", "a", "b", "a", "a", "a", "b", None],
            "verdict_ba": ["a", "a", "b", "b", "a", "b", "b", "b", "b", "a", "a"],
            "gold": ["a", "a", "b", "a", "b", "b", "a", "b", "a", "a", "a"],
        }
    )
    s = position_stats(df)
    assert s["n"] == 10 and s["n_invalid"] == 1
    assert s["consistency"] == pytest.approx(0.6)
    assert s["primacy"] == pytest.approx(0.3)
    assert s["recency"] == pytest.approx(0.1)
    assert s["effect"] == pytest.approx(0.2)
    assert s["ci_low"] < 0.2 < s["ci_high"]
    assert s["preference_fairness"] == pytest.approx(-0.2)
    # accuracy over 21 valid verdicts with gold
    credits = []
    for ab, ba, g in zip(df.verdict_ab, df.verdict_ba, df.gold, strict=True):
        for v in (ab, ba):
            if not pd.isna(v):
                credits.append(1.0 if v == g else 0.0)
    assert s["accuracy"] == pytest.approx(np.mean(credits))
    assert s["accuracy_first"] > s["accuracy_second"]  # primacy helps gold shown first


def test_no_position_bias_gives_interval_covering_zero() -> None:
    rng = np.random.default_rng(0)
    v = rng.choice(["a", "b"], size=400)
    s = position_stats(pd.DataFrame({"verdict_ab": v, "verdict_ba": v, "gold": v}))
    assert s["effect"] == 0 and s["ci_low"] <= 0 <= s["ci_high"]
    assert s["p_value"] == 1.0 and s["accuracy"] == 1.0
