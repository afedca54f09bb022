"""Does the audit recover planted biases in the other formats? Listwise position
(``--candidates 3|4``) and pointwise grading (``--format single``) on the simulated judge.

    python benchmarks/formats_study.py --candidates 4 --seeds 40 --sizes 100,200
    python benchmarks/formats_study.py --format single --seeds 20 --sizes 100,200

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
    from judgebias.pipeline import AuditConfig, run_audit

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
    from judgebias.pipeline import AuditConfig, run_audit

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
    args = ap.parse_args()
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
