"""Does the audit recover planted biases in the other formats? Listwise position
(``--candidates 3|4``) and pointwise grading (``--format single``) on the simulated judge.

    python benchmarks/formats_study.py --candidates 4 --seeds 40 --sizes 100,200
    python benchmarks/formats_study.py --format single --seeds 20 --sizes 100,200
    python benchmarks/formats_study.py --interval-check 1500

For each planted level, size and seed it audits the sim on fresh random items and
prints each cell's mean estimate, coverage and rejection rate, then one JSON line.
Same targets as benchmarks/probe_study.py.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path
from typing import Any

from probe_study import WORDS, cells, make_pairs, run_jobs


def make_lists(path: Path, n: int, k: int, seed: int) -> None:
    """Items of k random responses (fields response_a ... response_d)."""
    rng = random.Random(seed)

    def sentence() -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12))).capitalize() + "."

    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            rec = {"id": f"l{seed}-{i}", "instruction": "Explain " + sentence()}
            for c in "abcd"[:k]:
                rec[f"response_{c}"] = " ".join(sentence() for _ in range(rng.randint(1, 4)))
            fh.write(json.dumps(rec) + "\n")


def one_list(job: tuple[float, int, int, int]) -> list[dict[str, Any]]:
    """A listwise audit (``--candidates k``) of the sim with listwise position planted."""
    from judgebias.audits.pipeline import AuditConfig, run_audit

    level, n, seed, k = job
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "lists.jsonl"
        make_lists(data, n, k, seed * 1000 + n)
        o = run_audit(
            AuditConfig(
                judge=f"sim:accuracy=0.85,seed={seed},position={level}",
                data=str(data),
                candidates=k,
                out=str(Path(tmp) / "run"),
                quiet=True,
                write_report=False,
            )
        )
    f = o.summary["probes"]["position"]
    first = f["shares"][0]
    expected_first = level + (1 - level) / k
    return [
        {
            "level": level,
            "probe": f"position (listwise, k={k})",
            "planted": level,
            "n": n,
            "seed": seed,
            "effect": f["effect"],
            "ci_low": f["ci_low"],
            "ci_high": f["ci_high"],
            "p_adjusted": f["p_adjusted"],
            "chi2_rejected": f["chi2_p"] < 0.05,
            "first_share_covered": first["ci_low"] <= expected_first <= first["ci_high"],
        }
    ]


SINGLE = [
    "length",
    "bandwagon",
    "authority",
    "reflection",
    "rubric_order",
    "score_labels",
    "anchor",
]


def one_single(job: tuple[float, int, int, str]) -> list[dict[str, Any]]:
    """A pointwise audit (``--format single``) with every grading bias planted at ``level``
    (shifts in grade points, 5-point steps, and the anchor's pull)."""
    from judgebias.audits.pipeline import AuditConfig, run_audit

    level, n, seed, _ = job
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "pairs.jsonl"
        make_pairs(data, n, seed * 1000 + n)
        o = run_audit(
            AuditConfig(
                judge=f"sim:seed={seed}," + ",".join(f"{p}={level}" for p in SINGLE),
                data=str(data),
                format="single",
                probes=SINGLE,
                seed=seed,
                out=str(Path(tmp) / "run"),
                quiet=True,
                write_report=False,
            )
        )
    return [
        {
            "level": level,
            "probe": f"{p} (single)",
            "planted": level,
            "n": n,
            "seed": seed,
            **{k: o.summary["probes"][p][k] for k in ("effect", "ci_low", "ci_high", "p_adjusted")},
        }
        for p in SINGLE
    ]


def interval_check(reps: int, n: int = 100, levels: tuple[float, ...] = (0.1, 0.3)) -> None:
    """Coverage of the listwise effect's interval on the sim's model itself (k = 4), and
    the bias of the pointwise anchor's pull estimator on the sim's model,
    without running audits: in a Williams square each response is shown first once and
    last once, so an item's first-minus-last wins over its 4 orders are
    2 f_b + f_c + f_d (f: the position draw fired in that order; b: the order showing the
    best response last). BCa (what the audit uses) against a t interval over items."""
    import math

    import numpy as np
    from scipy import stats as st

    from judgebias.stats.listwise import ratio_ci

    rng = np.random.default_rng(5)
    out: dict[str, Any] = {"benchmark": "listwise_interval_check", "reps": reps, "items": n}
    for p in levels:
        bca = t_cov = 0
        for _ in range(reps):
            f = rng.random((n, 4)) < p
            d = (2 * f[:, 1] + f[:, 2] + f[:, 3]).astype(float)
            est, lo, hi, _ = ratio_ci(d, np.full(n, 4.0))
            bca += lo <= p <= hi
            se = d.std(ddof=1) / 4 / math.sqrt(n)
            t_cov += abs(est - p) <= st.t.ppf(0.975, n - 1) * se
        out[f"bca_coverage_at_{p:g}"] = round(bca / reps, 4)
        out[f"t_coverage_at_{p:g}"] = round(t_cov / reps, 4)
    # the anchor's pull (pointwise) on the sim's model: content grade q uniform on 3..8,
    # stated grade R in {2, 9}, the grade becomes R with probability a; the estimate is
    # sum(shift toward R) / sum(|R - q|) over 2 answers x 100 pairs
    # (and its BCa interval's coverage over pairs on the first ``reps`` tables)
    a, pulls, covered = 0.3, [], 0
    for i in range(10 * reps):
        q = rng.integers(3, 9, size=(n, 2))
        dist = np.abs(np.where(rng.random((n, 2)) < 0.5, 2, 9) - q)
        shift = dist * (rng.random((n, 2)) < a)
        pulls.append(float(shift.sum() / dist.sum()))
        if i < reps:
            _, lo, hi, _ = ratio_ci(shift.sum(1).astype(float), dist.sum(1).astype(float))
            covered += lo <= a <= hi
    out["anchor_pull_bca_coverage_at_0.3"] = round(covered / reps, 4)
    arr = np.array(pulls)
    out["anchor_pull_bias_at_0.3"] = round(float(arr.mean()) - a, 5)
    out["anchor_pull_bias_se"] = round(float(arr.std(ddof=1) / math.sqrt(len(arr))), 5)
    out["anchor_pull_sd_per_run"] = round(float(arr.std(ddof=1)), 4)
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--levels", default="0,0.1,0.3")
    ap.add_argument("--sizes", default="200,400")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--candidates",
        type=int,
        default=None,
        help="listwise: k responses per prompt, position planted (sizes = items)",
    )
    ap.add_argument("--format", default="single", choices=["single"])
    ap.add_argument(
        "--interval-check",
        type=int,
        default=0,
        metavar="REPS",
        help="only check the listwise interval's coverage on the sim's model (no audits)",
    )
    args = ap.parse_args()
    if args.interval_check:
        interval_check(args.interval_check)
        return
    grid = [
        (float(lv), int(n), s)
        for lv in args.levels.split(",")
        for n in args.sizes.split(",")
        for s in range(args.seeds)
    ]
    jobs: list[Any] = [(*g, args.candidates or "single") for g in grid]
    work = one_list if args.candidates else one_single
    df = run_jobs(work, jobs, args.workers, "audits", "p_adjusted")
    table = cells(df, ["probe", "level", "planted", "n"])
    # Monte Carlo standard error of each cell's bias: a |bias| is only a finding when it
    # is several of these (with 20 runs of a noisy cell, 0.02 can be chance)
    sd = df.groupby(["probe", "level", "planted", "n"], sort=False)["effect"].std()
    table["bias_se"] = (
        sd / table.set_index(["probe", "level", "planted", "n"])["runs"] ** 0.5
    ).to_numpy()
    worst = table.loc[table["bias"].abs().idxmax()]
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    fpr = float(df[df["planted"] == 0]["rejected"].mean())
    if not args.candidates:
        print(
            json.dumps(
                {
                    "benchmark": "probe_study_single",
                    "runs": len(jobs),
                    "coverage_nonzero": round(float(df[df["planted"] != 0]["covered"].mean()), 4),
                    "min_cell_coverage": round(float(table["coverage"].min()), 4),
                    "false_positive_rate": round(fpr, 4),
                    "power_at_0.1": round(float(df[df["planted"] == 0.1]["rejected"].mean()), 4),
                    "max_abs_bias": round(float(table["bias"].abs().max()), 4),
                    "max_abs_bias_cell": f"{worst['probe']} {worst['planted']:g} n={worst['n']}",
                    "max_abs_bias_se": round(float(worst["bias_se"]), 4),
                    "max_abs_bias_z": round(
                        float(
                            (table["bias"] / table["bias_se"].where(table["bias_se"] > 0))
                            .abs()
                            .max()
                        ),
                        2,
                    ),
                }
            )
        )
        return
    if args.candidates:
        result_list = {
            "benchmark": "probe_study_listwise",
            "candidates": args.candidates,
            "runs": len(jobs),
            "coverage_nonzero": round(float(df[df["planted"] != 0]["covered"].mean()), 4),
            "first_share_coverage": round(float(df["first_share_covered"].mean()), 4),
            "false_positive_rate": round(fpr, 4),
            "chi2_false_positive_rate": round(
                float(df[df["planted"] == 0]["chi2_rejected"].mean()), 4
            ),
            "power_at_0.1": round(float(df[df["planted"] == 0.1]["rejected"].mean()), 4),
            "chi2_power_at_0.1": round(float(df[df["planted"] == 0.1]["chi2_rejected"].mean()), 4),
            "max_abs_bias": round(float(table["bias"].abs().max()), 4),
            "min_cell_coverage": round(float(table["coverage"].min()), 4),
        }
        print(json.dumps(result_list))
        return


if __name__ == "__main__":
    main()
