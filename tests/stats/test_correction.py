"""Win rates corrected for judge error: the closed form, the coverage of the corrected
interval where the truth is known (a simulated confusion process, then the real
simulated judge), and the raw rate's failure to cover."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

import judgebias as jb
from judgebias.stats.correction import OUTCOMES, corrected_win_rate
from judgebias.tables.pairs import bundled_pairs_path, load_pairs

LABELS = np.array(OUTCOMES)


def _draw(rng: np.random.Generator, shares: np.ndarray, confusion: np.ndarray, n: int):
    """n items: human labels from ``shares``, judge labels through P(judge | human)."""
    human = rng.choice(3, size=n, p=shares)
    cum = np.cumsum(confusion[:, human], axis=0)
    judge = (rng.random(n)[None, :] > cum).sum(axis=0)
    return LABELS[judge], LABELS[human]


def test_rogan_gladen_closed_form() -> None:
    # 100 labelled: Se = 80/100 of human-a said a; Sp = 45/50 of human-b said b
    judge = ["a"] * 80 + ["b"] * 20 + ["b"] * 45 + ["a"] * 5
    human = ["a"] * 100 + ["b"] * 50
    unlabelled = ["a"] * 600 + ["b"] * 400
    out = corrected_win_rate(judge, human, unlabelled_judge=unlabelled, n_boot=200)
    se, sp, p = 0.8, 0.9, (85 + 600) / 1150  # every item once: 150 labelled + 1000 others
    assert out["corrected"]["method"] == "rogan_gladen"
    assert out["corrected"]["estimate"] == pytest.approx((p + sp - 1) / (se + sp - 1))
    assert out["corrected"]["sensitivity"] == pytest.approx(se)
    assert out["raw"]["estimate"] == pytest.approx(p)
    assert (out["n_labelled"], out["n_unlabelled"], out["n_full"]) == (150, 1000, 1150)
    # PPI: judge mean over all items minus the labelled judge-minus-human mean
    assert out["ppi"]["estimate"] == pytest.approx(p - (85 / 150 - 100 / 150))
    assert out["human"]["estimate"] == pytest.approx(100 / 150)
    # the labelled items are never passed twice: the old third positional argument is gone
    with pytest.raises(TypeError):
        corrected_win_rate(judge, human, unlabelled)  # type: ignore[misc]


TWO = (np.array([0.75, 0.25, 0.0]), np.array([[0.8, 0.2, 0], [0.2, 0.8, 0], [0, 0, 1.0]]))
"""Two outcomes: the judge errs symmetrically 20 % of the time; truth 0.75."""
THREE = (
    np.array([0.55, 0.30, 0.15]),
    np.array([[0.8, 0.15, 0.3], [0.1, 0.75, 0.3], [0.1, 0.1, 0.4]]),
)
"""Three outcomes, asymmetric errors and ties; truth 0.55 + 0.15 / 2 = 0.625."""


@pytest.mark.parametrize("case", [TWO, THREE], ids=["two", "three"])
def test_every_item_labelled_gives_the_human_rate_and_its_interval(
    case: tuple[np.ndarray, np.ndarray],
) -> None:
    # With every item labelled there is nothing to correct: both estimates are the human
    # rate, and their intervals the human rate's. The old code resampled the labelled
    # items a second time as the "full set": on this draw (two outcomes, human rate 0.770
    # [0.743, 0.796]) its corrected interval was [0.692, 0.845] and PPI's [0.728, 0.811],
    # 2.9x and 1.6x the human interval's width; with three outcomes 2.2x and 1.3x.
    judge, human = _draw(np.random.default_rng(3), *case, 999)
    out = corrected_win_rate(judge, human, n_boot=2000)
    want = out["human"]["estimate"]
    assert want == pytest.approx(np.mean([{"a": 1.0, "b": 0.0, "tie": 0.5}[h] for h in human]))
    assert out["corrected"]["estimate"] == pytest.approx(want)
    assert out["ppi"]["estimate"] == pytest.approx(want)
    lo, hi = out["human"]["ci"]
    for k in ("corrected", "ppi"):
        assert out[k]["ci"] == pytest.approx([lo, hi]), k
    assert out["n_unlabelled"] == 0


def _ppi_width(judge: np.ndarray, human: np.ndarray, unlabelled: np.ndarray) -> float:
    """The analytic 95 % width of PPI over disjoint sets (Angelopoulos et al. 2023),
    written out: theta = mean_lab(y - w f) + w mean_unlab(f), w = N_unlab / N."""
    score = {"a": 1.0, "b": 0.0, "tie": 0.5}
    f = np.array([score[x] for x in judge])
    y = np.array([score[x] for x in human])
    fu = np.array([score[x] for x in unlabelled])
    w = len(fu) / (len(f) + len(fu))
    var = np.var(y - w * f, ddof=1) / len(f) + w**2 * np.var(fu, ddof=1) / len(fu)
    return float(2 * 1.959964 * np.sqrt(var))


@pytest.mark.parametrize("n_labelled", [200, 700])
@pytest.mark.parametrize("case", [TWO, THREE], ids=["two", "three"])
def test_a_partly_labelled_set_covers_the_truth_at_the_width_ppi_predicts(
    case: tuple[np.ndarray, np.ndarray], n_labelled: int
) -> None:
    # 999 items, n_labelled of them with a human label, the truth known. Measured with the
    # old code (labelled items passed again in the full set) over the same draws, mean
    # width over the analytic PPI width: 1.10 / 1.08 (200 labelled; two / three outcomes)
    # and 1.35 / 1.24 (700) for PPI; Rogan-Gladen's 1.94 / 1.70 times the spread of its
    # own estimate (700).
    shares, confusion = case
    truth = shares[0] + shares[2] / 2
    rng = np.random.default_rng(5)
    reps = 300
    covered = {"corrected": 0, "ppi": 0}
    width: dict[str, list[float]] = {"corrected": [], "ppi": [], "analytic": []}
    estimates: dict[str, list[float]] = {"corrected": [], "ppi": []}
    for r in range(reps):
        judge, human = _draw(rng, shares, confusion, 999)
        lab = np.zeros(999, dtype=bool)
        lab[rng.choice(999, n_labelled, replace=False)] = True
        out = corrected_win_rate(
            judge[lab], human[lab], unlabelled_judge=judge[~lab], n_boot=400, seed=r
        )
        for k in covered:
            lo, hi = out[k]["ci"]
            covered[k] += lo <= truth <= hi
            width[k].append(hi - lo)
            estimates[k].append(out[k]["estimate"])
        width["analytic"].append(_ppi_width(judge[lab], human[lab], judge[~lab]))
    for k in covered:
        assert covered[k] / reps >= 0.93, (k, covered[k] / reps)
    # PPI's bootstrap width is the analytic one, and both the real spread of the estimate
    mean = {k: float(np.mean(v)) for k, v in width.items()}
    spread = {k: 2 * 1.959964 * float(np.std(v)) for k, v in estimates.items()}
    assert 0.94 <= mean["ppi"] / mean["analytic"] <= 1.06, mean
    assert 0.85 <= mean["ppi"] / spread["ppi"] <= 1.12, (mean, spread)
    # Rogan-Gladen is not linear: its percentile interval may be somewhat wider than its
    # spread (up to 1.23 here, three outcomes with 200 labelled), never twice as wide
    assert 0.85 <= mean["corrected"] / spread["corrected"] <= 1.3, (mean, spread)


@pytest.mark.parametrize(
    ("shares", "confusion"),
    [
        # two outcomes: the judge errs symmetrically 20 % of the time; truth 0.75
        (np.array([0.75, 0.25, 0.0]), np.array([[0.8, 0.2, 0], [0.2, 0.8, 0], [0, 0, 1.0]])),
        # three outcomes, asymmetric errors and ties; truth 0.55 + 0.15 / 2 = 0.625
        (
            np.array([0.55, 0.30, 0.15]),
            np.array([[0.8, 0.15, 0.3], [0.1, 0.75, 0.3], [0.1, 0.1, 0.4]]),
        ),
    ],
)
def test_corrected_interval_covers_at_about_the_nominal_rate(
    shares: np.ndarray, confusion: np.ndarray
) -> None:
    truth = shares[0] + shares[2] / 2
    rng = np.random.default_rng(2024)
    reps = 300
    covered = {"raw": 0, "corrected": 0, "ppi": 0}
    for r in range(reps):
        judge, human = _draw(rng, shares, confusion, 500)
        unlabelled, _ = _draw(rng, shares, confusion, 4000)
        out = corrected_win_rate(judge, human, unlabelled_judge=unlabelled, n_boot=400, seed=r)
        for k in covered:
            lo, hi = out[k]["ci"]
            covered[k] += lo <= truth <= hi
    rate = {k: v / reps for k, v in covered.items()}
    assert 0.90 <= rate["corrected"] <= 0.99, rate
    assert 0.90 <= rate["ppi"] <= 0.99, rate
    assert rate["raw"] < 0.3, rate


def test_on_the_simulated_judge_the_corrected_rate_finds_the_truth(tmp_path: Path) -> None:
    # The bundled pairs are checkable tasks with gold labels; the sim's content verdict is
    # the truth flipped with probability 1 - accuracy. Swap answers so that a is better
    # in 80 % of the pairs: the raw rate is pulled toward one half, the truth is known.
    pairs = load_pairs(bundled_pairs_path())
    rng = np.random.default_rng(0)
    rows = []
    for p in pairs:
        want_a = rng.random() < 0.8
        if (p.gold == "a") != want_a:
            p = dataclasses.replace(
                p, response_a=p.response_b, response_b=p.response_a, gold="a" if want_a else "b"
            )
        rows.append(dataclasses.asdict(p))
    data = tmp_path / "pairs.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    truth = float(np.mean([r["gold"] == "a" for r in rows]))
    res = jb.audit("sim:accuracy=0.85", str(data), out=str(tmp_path / "run"))
    rec = res.records
    ctrl = rec[(rec["kind"] == "control") & (rec["order"] == "ab")].set_index("pair_id")
    gold = {r["id"]: r["gold"] for r in rows}
    ids = sorted(gold)
    labelled = [i for i in ids if rng.random() < 0.6]
    out = corrected_win_rate(
        [ctrl.at[i, "verdict"] for i in labelled],
        [gold[i] for i in labelled],
        unlabelled_judge=[ctrl.at[i, "verdict"] for i in ids if i not in labelled],
        n_boot=2000,
    )
    lo, hi = out["corrected"]["ci"]
    assert lo <= truth <= hi, (truth, out["corrected"])
    assert hi - lo < 0.2  # 0.29 when the labelled pairs were resampled again as the full set
    plo, phi = out["ppi"]["ci"]
    assert plo <= truth <= phi, (truth, out["ppi"])
    rlo, rhi = out["raw"]["ci"]
    assert not rlo <= truth <= rhi, (truth, out["raw"])
    assert abs(out["corrected"]["estimate"] - truth) < abs(out["raw"]["estimate"] - truth)
