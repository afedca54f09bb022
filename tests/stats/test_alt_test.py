"""The alternative annotator test against a literal, loop-by-loop reading of its
definition (Calderon, Reichart & Dror 2025), and on judges that should pass or fail."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ttest_1samp

from judgebias.stats.agreement import make_votes
from judgebias.stats.alt_test import alt_test


def _literal(
    humans: dict[str, dict[int, object]], judge: dict[int, object], eps: float, numeric: bool
):
    """The procedure as the paper states it, written plainly."""

    def score(x: object, others: list[object]) -> float:
        if numeric:
            return -math.sqrt(np.mean([(float(x) - float(o)) ** 2 for o in others]))  # type: ignore[arg-type]
        return float(np.mean([x == o for o in others]))

    per_item: dict[int, list[str]] = {}
    for h, labels in humans.items():
        for i in labels:
            per_item.setdefault(i, []).append(h)
    keep = {i for i, hs in per_item.items() if len(hs) >= 2 and i in judge}
    p_values, rho = [], []
    for h, labels in humans.items():
        items = [i for i in labels if i in keep]
        if len(items) < 30:
            continue
        d, wf = [], []
        for i in items:
            others = [humans[o][i] for o in per_item[i] if o != h]
            sh, sf = score(labels[i], others), score(judge[i], others)
            wf.append(1.0 if sf >= sh else 0.0)
            d.append((1.0 if sh >= sf else 0.0) - wf[-1])
        p_values.append(ttest_1samp(d, eps, alternative="less").pvalue)
        rho.append(np.mean(wf))
    m = len(p_values)
    harmonic = sum(1 / k for k in range(1, m + 1))
    order = np.argsort(p_values)
    last = -1
    for rank, idx in enumerate(order, start=1):
        if p_values[idx] <= rank / m * 0.05 / harmonic:
            last = rank
    return max(last, 0) / m, float(np.mean(rho))


def _data(
    seed: int, judge_noise: float, numeric: bool = False, n_items: int = 80, n_humans: int = 5
):
    rng = np.random.default_rng(seed)
    cats = [1, 2, 3, 4, 5] if numeric else ["a", "b", "tie"]
    humans: dict[str, dict[int, object]] = {f"h{j}": {} for j in range(n_humans)}
    judge: dict[int, object] = {}
    for i in range(n_items):
        truth = int(rng.integers(len(cats)))
        for h in humans:
            if rng.random() < 0.8:
                humans[h][i] = cats[truth if rng.random() < 0.7 else int(rng.integers(len(cats)))]
        judge[i] = cats[truth if rng.random() > judge_noise else int(rng.integers(len(cats)))]
    rows = [(str(i), h, lab) for h, labels in humans.items() for i, lab in labels.items()]
    v = make_votes(
        pd.DataFrame(rows, columns=["item", "rater", "label"]),
        pd.Series({str(i): j for i, j in judge.items()}, dtype=object),
        "score" if numeric else "pairwise",
    )
    return v, humans, judge


@pytest.mark.parametrize(
    ("numeric", "noise", "eps"), [(False, 0.0, 0.2), (False, 0.6, 0.1), (True, 0.1, 0.15)]
)
def test_matches_the_literal_procedure(numeric: bool, noise: float, eps: float) -> None:
    v, humans, judge = _data(7, noise, numeric)
    res = alt_test(v, epsilon=eps)
    assert res is not None
    omega, rho = _literal(humans, judge, eps, numeric)
    assert res["winning_rate"] == pytest.approx(omega)
    assert res["advantage_probability"] == pytest.approx(rho)
    assert res["scoring"] == ("neg_rmse" if numeric else "accuracy")
    assert res["passed"] == (omega >= 0.5)


def test_a_judge_that_knows_the_truth_passes_and_a_random_one_fails() -> None:
    good = alt_test(_data(11, 0.0, n_items=150)[0], epsilon=0.2)
    bad = alt_test(_data(11, 1.0, n_items=150)[0], epsilon=0.2)
    assert good is not None and bad is not None
    assert good["passed"] and good["winning_rate"] >= 0.5
    assert not bad["passed"] and bad["advantage_probability"] < good["advantage_probability"]


def test_humans_with_few_items_are_skipped_or_tested_by_wilcoxon() -> None:
    v = _data(3, 0.2, n_items=25)[0]  # every human has fewer than 30 items
    assert alt_test(v) is None
    res = alt_test(v, few_items="wilcoxon")
    assert res is not None and {r["test"] for r in res["humans"]} == {"wilcoxon"}
    assert res["n_humans_tested"] >= 1


def test_fewer_than_three_humans_tested_is_not_tested() -> None:
    # Two humans: each is compared with the other alone, and one human beaten makes omega
    # 0.5. The old code read that as a pass ("passed": true with 2 humans tested).
    two = alt_test(_data(11, 0.0, n_items=150, n_humans=2)[0], epsilon=0.2)
    assert two is not None and two["n_humans_tested"] == 2
    assert two["winning_rate"] >= 0.5  # what the old code called a pass
    assert two["passed"] is None and two["status"] == "not tested"
    assert "2 humans tested, at least 3 needed" in two["note"]
    # the same judge against three humans is tested, and passes
    three = alt_test(_data(11, 0.0, n_items=150, n_humans=3)[0], epsilon=0.2)
    assert three is not None and three["n_humans_tested"] == 3
    assert three["passed"] is True and three["status"] == "passed" and three["note"] == ""
    # and a random judge against three fails
    bad = alt_test(_data(11, 1.0, n_items=150, n_humans=3)[0], epsilon=0.2)
    assert bad is not None and bad["passed"] is False and bad["status"] == "not passed"
