"""Agreement statistics: pooled shares as FastChat pools them, kappa and alpha checked
against statsmodels and the krippendorff package, bootstrap intervals over items."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from judgebias.stats.agreement import (
    agreement_figures,
    human_pairs,
    make_votes,
    per_human,
)
from judgebias.vocabulary import pairwise_label


def _votes(rows: list[tuple[str, str, object]], judge: dict[str, object], scale: str = "pairwise"):
    humans = pd.DataFrame(rows, columns=["item", "rater", "label"])
    return make_votes(humans, pd.Series(judge, dtype=object), scale)  # type: ignore[arg-type]


def test_labels_read_like_analyze_plus_mtbench_forms() -> None:
    assert [
        pairwise_label(x) for x in ("1", 2, "A", "model_b", "tie (inconsistent)", "TIE", "x")
    ] == [
        "a",
        "b",
        "a",
        "b",
        "tie",
        "tie",
        None,
    ]


def test_pooled_agreement_with_and_without_ties_by_hand() -> None:
    # item 1: humans a, a, tie; judge a.  item 2: human b; judge tie.
    v = _votes(
        [("1", "h1", "a"), ("1", "h2", "a"), ("1", "h3", "tie"), ("2", "h1", "b")],
        {"1": "a", "2": "tie"},
    )
    f = agreement_figures(v, n_boot=0)
    # judge-human pairs: item 1 -> 2 of 3 agree; item 2 -> 0 of 1 (a tie against b)
    assert f["agreement"]["with_ties"] == pytest.approx(2 / 4)
    assert f["agreement"]["n_with_ties"] == 4
    # without ties: item 1 keeps (a,a),(a,a); item 2's judge tie drops its pair
    assert f["agreement"]["without_ties"] == pytest.approx(1.0)
    assert f["agreement"]["n_without_ties"] == 2
    # human-human: (a,a) agree, (a,tie) twice disagree; without ties only (a,a)
    assert f["human_human"]["with_ties"] == pytest.approx(1 / 3)
    assert f["human_human"]["without_ties"] == pytest.approx(1.0)
    assert f["human_human"]["n_without_ties"] == 1
    # majority: item 1 -> a (judge agrees), item 2 -> b (judge says tie)
    assert f["majority"]["with_ties"] == pytest.approx(0.5)
    assert f["majority"]["n_without_ties"] == 1


def _random_votes(seed: int, n_items: int = 120, scale: str = "pairwise"):
    rng = np.random.default_rng(seed)
    cats = ["a", "b", "tie"] if scale == "pairwise" else [1.0, 2.0, 4.0, 7.0]
    rows, judge = [], {}
    for i in range(n_items):
        truth = rng.integers(len(cats))
        for h in range(4):
            if rng.random() < 0.7:
                lab = truth if rng.random() < 0.7 else rng.integers(len(cats))
                rows.append((str(i), f"h{h}", cats[lab]))
        judge[str(i)] = cats[truth if rng.random() < 0.75 else rng.integers(len(cats))]
    return _votes(rows, judge, scale), rows, judge, cats


@pytest.mark.parametrize("scale", ["pairwise", "score"])
def test_kappa_and_alpha_match_the_reference_libraries(scale: str) -> None:
    import krippendorff
    from statsmodels.stats.inter_rater import cohens_kappa

    v, rows, judge, cats = _random_votes(3, scale=scale)
    f = agreement_figures(v, n_boot=200)
    # the pooled (judge vote, human vote) table
    k = len(cats)
    table = np.zeros((k, k))
    for item, _, lab in rows:
        table[cats.index(judge[item]), cats.index(lab)] += 1
    if scale == "pairwise":
        ref = cohens_kappa(table).kappa
    else:
        ref = cohens_kappa(table, weights=np.array(cats), wt="quadratic").kappa
    assert f["kappa"] == pytest.approx(ref, abs=1e-12)
    raters = sorted({r for _, r, _ in rows})
    rel = np.full((len(raters), v.n_items), np.nan)
    items = list(v.items)
    for item, r, lab in rows:
        rel[raters.index(r), items.index(item)] = cats.index(lab) if scale == "pairwise" else lab
    level = "nominal" if scale == "pairwise" else "interval"
    assert f["alpha_humans"] == pytest.approx(
        krippendorff.alpha(reliability_data=rel, level_of_measurement=level), abs=1e-9
    )
    for key in ("kappa", "alpha_humans", "kappa_humans"):
        lo, hi = f[f"{key}_ci"]
        assert lo < f[key] < hi


def test_bootstrap_interval_narrows_with_more_items_and_covers() -> None:
    small = agreement_figures(_random_votes(1, 60)[0], n_boot=500)
    large = agreement_figures(_random_votes(1, 960)[0], n_boot=500)
    w_small = np.diff(small["agreement"]["with_ties_ci"])[0]
    w_large = np.diff(large["agreement"]["with_ties_ci"])[0]
    assert w_large < w_small / 2.5  # ~ 1/sqrt(16) = 1/4
    lo, hi = large["agreement"]["with_ties_ci"]
    assert lo < large["agreement"]["with_ties"] < hi


def test_per_human_and_human_pairs() -> None:
    v, rows, judge, _ = _random_votes(5, 200)
    table = per_human(v, n_boot=100)
    h0 = next(r for r in table if r["human"] == "h0")
    mine = [(i, lab) for i, r, lab in rows if r == "h0"]
    assert h0["n"] == len(mine)
    assert h0["with_ties"] == pytest.approx(np.mean([judge[i] == lab for i, lab in mine]))
    pairs = human_pairs(v, n_boot=50)
    assert len(pairs) == 6  # 4 humans
    assert all(-1 <= p["kappa"] <= 1 for p in pairs)
