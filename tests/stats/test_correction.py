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
from judgebias.data import bundled_pairs_path, load_pairs
from judgebias.stats.correction import OUTCOMES, corrected_win_rate

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
    full = ["a"] * 600 + ["b"] * 400
    out = corrected_win_rate(judge, human, full, n_boot=200)
    se, sp, p = 0.8, 0.9, 0.6
    assert out["corrected"]["method"] == "rogan_gladen"
    assert out["corrected"]["estimate"] == pytest.approx((p + sp - 1) / (se + sp - 1))
    assert out["corrected"]["sensitivity"] == pytest.approx(se)
    assert out["raw"]["estimate"] == pytest.approx(p)
    # PPI: judge mean on the full set minus the labelled judge-minus-human mean
    assert out["ppi"]["estimate"] == pytest.approx(0.6 - (85 / 150 - 100 / 150))


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
        full, _ = _draw(rng, shares, confusion, 4000)
        out = corrected_win_rate(judge, human, full, n_boot=400, seed=r)
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
        [ctrl.at[i, "verdict"] for i in ids],
        n_boot=2000,
    )
    lo, hi = out["corrected"]["ci"]
    assert lo <= truth <= hi, (truth, out["corrected"])
    assert hi - lo < 0.35
    plo, phi = out["ppi"]["ci"]
    assert plo <= truth <= phi, (truth, out["ppi"])
    rlo, rhi = out["raw"]["ci"]
    assert not rlo <= truth <= rhi, (truth, out["raw"])
    assert abs(out["corrected"]["estimate"] - truth) < abs(out["raw"]["estimate"] - truth)
