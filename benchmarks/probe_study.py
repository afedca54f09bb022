"""Does the audit recover planted biases? A simulation study over the simulated judge.

For each planted level (0, 0.1, 0.3), pair count (200, 400) and seed, it plants the
same level for position, length, bandwagon, authority, reflection, distraction and
issue 16's templated cues (compassion, identity, refinement, citation) at once
(``--probes`` narrows the set), audits the sim on freshly generated random pairs (new pairs per seed), and
records each probe's estimate, interval and BH-adjusted p-value. It prints a table
(mean estimate vs planted, bias, 95 % interval coverage, rejection rate: the
false-positive rate at 0 and the power at 0.1 and 0.3), then one JSON line.

    python benchmarks/probe_study.py --seeds 40

Targets (issue 3): coverage >= 0.93, false-positive rate <= 0.05, power at 0.1 with
400 pairs >= 0.8, |bias| < 0.02.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

PROBES = [
    "position",
    "length",
    "bandwagon",
    "authority",
    "reflection",
    "distraction",
    "compassion",
    "identity",
    "refinement",
    "citation",
]
# A probe whose text the sim does not know: it reads both the cue and the placebo as
# new content, so both flip about half the verdicts and the true effect is 0. This is
# the demanding null: noisy, and with the two orders of a pair flipping together.
UNSEEN = """name: unseen
kind: perturbation
bias: unseen
placement: suffix
cues:
  - id: cheer
    text: "What a delightful question to think about!"
placebos:
  - id: plain
    text: "This sentence ends the response text here."
"""
WORDS = [
    "amber",
    "basalt",
    "comet",
    "delta",
    "ember",
    "fjord",
    "garnet",
    "harbor",
    "iris",
    "jasper",
    "kelp",
    "lumen",
    "mistral",
    "nectar",
    "onyx",
    "pollen",
    "quill",
    "rune",
    "sable",
    "tidal",
    "umber",
    "vale",
    "willow",
    "yarrow",
    "zephyr",
]


def make_pairs(path: Path, n: int, seed: int) -> None:
    rng = random.Random(seed)

    def sentence() -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12))).capitalize() + "."

    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(
                json.dumps(
                    {
                        "id": f"s{seed}-{i}",
                        "instruction": "Explain " + sentence(),
                        "response_a": " ".join(sentence() for _ in range(rng.randint(1, 4))),
                        "response_b": " ".join(sentence() for _ in range(rng.randint(1, 4))),
                    }
                )
                + "\n"
            )


def one(job: tuple[float, int, int, tuple[str, ...]]) -> list[dict[str, Any]]:
    from judgebias.pipeline import AuditConfig, run_audit

    level, n, seed, probes = job
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "pairs.jsonl"
        make_pairs(data, n, seed * 1000 + n)
        unseen = Path(tmp) / "unseen.yaml"
        unseen.write_text(UNSEEN)
        spec = f"sim:accuracy=0.85,seed={seed}," + ",".join(f"{p}={level}" for p in probes)
        o = run_audit(
            AuditConfig(
                judge=spec,
                data=str(data),
                probes=list(probes),
                seed=seed,
                probe_files=[str(unseen)],
                # the rewritten cues (sentiment, fallacy) use the sim's own rewriter
                rewriter="sim" if {"sentiment", "fallacy"} & set(probes) else None,
                out=str(Path(tmp) / "run"),
                quiet=True,
                write_report=False,
            )
        )
    rows = []
    for p in [*probes, "unseen"]:
        f = o.summary["probes"][p]
        rows.append(
            {
                "level": level,
                "probe": p,
                "planted": level if p != "unseen" else 0.0,
                "n": n,
                "seed": seed,
                "effect": f["effect"],
                "ci_low": f["ci_low"],
                "ci_high": f["ci_high"],
                "p_adjusted": f["p_adjusted"],
            }
        )
    return rows


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
    ap.add_argument("--probes", default=",".join(PROBES), help="probes planted and measured")
    ap.add_argument(
        "--candidates",
        type=int,
        default=None,
        help="listwise study instead: k responses per prompt, position planted (sizes = items)",
    )
    ap.add_argument("--format", default="pair", choices=["pair", "single"])
    args = ap.parse_args()
    import pandas as pd

    probes = tuple(p.strip() for p in args.probes.split(",") if p.strip())
    grid = [
        (float(lv), int(n), s)
        for lv in args.levels.split(",")
        for n in args.sizes.split(",")
        for s in range(args.seeds)
    ]
    jobs: list[Any] = [(*g, args.candidates or probes) for g in grid]
    work = one_list if args.candidates else one_single if args.format == "single" else one
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(args.workers) as ex:
        for i, r in enumerate(ex.map(work, jobs), 1):
            rows.extend(r)
            print(f"\r{i}/{len(jobs)} audits", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    df = pd.DataFrame(rows)
    df["covered"] = (df["ci_low"] <= df["planted"]) & (df["planted"] <= df["ci_high"])
    df["rejected"] = df["p_adjusted"] < 0.05
    table = (
        df.groupby(["probe", "level", "planted", "n"], sort=False)
        .agg(
            mean_estimate=("effect", "mean"),
            coverage=("covered", "mean"),
            rejection_rate=("rejected", "mean"),
            runs=("seed", "count"),
        )
        .reset_index()
    )
    table["bias"] = table["mean_estimate"] - table["planted"]
    # the unseen probe is a null at every level: pool its rows per n
    table = pd.concat(
        [
            table[table["probe"] != "unseen"],
            table[table["probe"] == "unseen"]
            .groupby(["probe", "planted", "n"], as_index=False)
            .agg(
                level=("level", "first"),
                mean_estimate=("mean_estimate", "mean"),
                coverage=("coverage", "mean"),
                rejection_rate=("rejection_rate", "mean"),
                runs=("runs", "sum"),
                bias=("bias", "mean"),
            )
            .assign(level="any"),
        ]
    ).drop(columns="level")
    pd.set_option("display.width", 120)
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    fpr = float(df[df["planted"] == 0]["rejected"].mean())
    if args.format == "single":
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
        }
        print(json.dumps(result_list))
        return
    noisy = df[df["probe"] == "unseen"]
    power = df[(df["planted"] == 0.1) & (df["n"] == 400)]
    result = {
        "benchmark": "probe_study",
        "runs": len(jobs),
        "probes": list(probes),
        "min_coverage": round(float(table["coverage"].min()), 4),
        "mean_coverage": round(float(df["covered"].mean()), 4),
        "coverage_nonzero": round(float(df[df["planted"] > 0]["covered"].mean()), 4),
        "noisy_null_coverage": round(float(noisy["covered"].mean()), 4),
        "noisy_null_false_positive_rate": round(float(noisy["rejected"].mean()), 4),
        "false_positive_rate": round(fpr, 4),
        "power_at_0.1_n400": round(float(power["rejected"].mean()), 4) if len(power) else None,
        "max_abs_bias": round(float(table["bias"].abs().max()), 4),
    }
    result["targets_met"] = bool(
        result["coverage_nonzero"] >= 0.93
        and result["noisy_null_coverage"] >= 0.93
        and fpr <= 0.05
        and (result["power_at_0.1_n400"] or 0) >= 0.8
        and result["max_abs_bias"] < 0.02
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
