"""Does the audit recover planted biases? A simulation study over the simulated judge.

Part ``probes``: for each planted level (0, 0.1, 0.3), pair count (200, 400) and
seed, it plants the same level for position, length, bandwagon, authority,
reflection, distraction and the templated cues (compassion, identity, refinement,
citation) at once, audits the sim on freshly generated random
pairs (new pairs per seed), and records each probe's estimate, interval and
BH-adjusted p-value. It prints a table (mean estimate vs planted, bias, 95 %
interval coverage, rejection rate: the false-positive rate at 0 and the power at
0.1 and 0.3).

Part ``self``: the self-preference probe against a gold judge (``sim:accuracy=1``)
for each judge accuracy (0.7, 0.85, 1.0) and planted ``self`` (0, 0.1, 0.3), on
fresh pairs where the gold seldom prefers the sim's own answers (70 % checkable
arithmetic, where the sim's own answer is wrong): the noisy null at several
accuracies. It records the headline (the controlled figure: the own answer as
written against its paraphrase by the rewriter, net of the placebo, whose planted
value is ``self``; the rewriter defaults to the gold spec) and DBG (whose value at
``self = 0`` is not 0 for a noisy judge), and prints the same figures for both,
DBG's at ``self = 0`` only.

Then one JSON line.

    python benchmarks/probe_study.py --seeds 40 [--part all|probes|self]

Targets (issue 3, issue 13): coverage >= 0.93, false-positive rate <= 0.05, power
at 0.1 with 400 pairs >= 0.8, |bias| < 0.02; for self, the same coverage and
false-positive rate at every accuracy.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

PROBES = [
    *("position", "length", "bandwagon", "authority", "reflection", "distraction"),
    *("compassion", "identity", "refinement", "citation"),  # issue 16's templated cues
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


def make_self_pairs(path: Path, n: int, seed: int) -> None:
    """Pairs whose two answers are both right where the task is checkable (70 %), so the
    gold judge prefers the sim's own (wrong) answer only on the uncheckable rest."""
    rng = random.Random(seed)

    def sentence() -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12))).capitalize() + "."

    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            if rng.random() < 0.7:
                a, b = rng.randint(10, 99), rng.randint(10, 99)
                row = {
                    "instruction": f"What is {a} + {b}?",
                    "response_a": f"The answer is {a + b}.",
                    "response_b": f"{a} + {b} = {a + b}.",
                }
            else:
                row = {
                    "instruction": "Explain " + sentence(),
                    "response_a": sentence(),
                    "response_b": sentence(),
                }
            fh.write(json.dumps({"id": f"self{seed}-{i}", **row}) + "\n")


def one_self(job: tuple[float, float, int, int]) -> list[dict[str, Any]]:
    from judgebias.audits.pipeline import AuditConfig, run_audit

    accuracy, level, n, seed = job
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "pairs.jsonl"
        make_self_pairs(data, n, seed * 7919 + n)
        o = run_audit(
            AuditConfig(
                judge=f"sim:accuracy={accuracy},self={level},seed={seed}",
                gold_judge=f"sim:accuracy=1,seed={seed}",
                data=str(data),
                probes=["self"],
                seed=seed,
                out=str(Path(tmp) / "run"),
                quiet=True,
                write_report=False,
            )
        )
    f = o.summary["probes"]["self"]
    common = {"accuracy": accuracy, "planted": level, "n": n, "seed": seed}
    return [
        {
            **common,
            "measure": "self (headline)",
            "effect": f["effect"],
            "ci_low": f["ci_low"],
            "ci_high": f["ci_high"],
            "p": f["p_adjusted"],
        },
        {
            **common,
            "measure": "DBG",
            "effect": f["dbg"],
            "ci_low": f["dbg_ci_low"],
            "ci_high": f["dbg_ci_high"],
            "p": f["dbg_p_value"],
        },
    ]


def run_jobs(
    fn: Callable[[Any], list[dict[str, Any]]], jobs: list[Any], workers: int, label: str, p: str
) -> Any:
    """Run the audits in parallel; one row per estimate, with ``covered`` and ``rejected``."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(workers) as ex:
        for i, r in enumerate(ex.map(fn, jobs), 1):
            rows.extend(r)
            print(f"\r{i}/{len(jobs)} {label}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    df = pd.DataFrame(rows)
    df["covered"] = (df["ci_low"] <= df["planted"]) & (df["planted"] <= df["ci_high"])
    df["rejected"] = df[p] < 0.05
    return df


def cells(df: Any, keys: list[str]) -> Any:
    """One row per cell: mean estimate, coverage, rejection rate, runs and bias."""
    table = (
        df.groupby(keys, sort=False)
        .agg(
            mean_estimate=("effect", "mean"),
            coverage=("covered", "mean"),
            rejection_rate=("rejected", "mean"),
            runs=("seed", "count"),
        )
        .reset_index()
    )
    table["bias"] = table["mean_estimate"] - table["planted"]
    return table


def self_part(args: argparse.Namespace) -> dict[str, Any]:
    import pandas as pd

    jobs = [
        (float(a), float(lv), int(args.self_pairs), s)
        for a in args.accuracies.split(",")
        for lv in args.self_levels.split(",")
        for s in range(args.seeds)
    ]
    df = run_jobs(one_self, jobs, args.workers, "self audits", "p")
    head = df[df["measure"] == "self (headline)"]
    dbg = df[(df["measure"] == "DBG") & (df["planted"] == 0)]
    table = cells(pd.concat([head, dbg]), ["measure", "accuracy", "planted"])
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    null = head[head["planted"] == 0]
    fpr = null.groupby("accuracy")["rejected"].mean()
    dbg_fpr = dbg.groupby("accuracy")["rejected"].mean()
    power = head[head["planted"] == 0.1]["rejected"]
    hb = table[table["measure"] == "self (headline)"]
    return {
        "self_runs": len(jobs),
        "self_coverage": round(float(head["covered"].mean()), 4),
        "self_min_cell_coverage": round(float(hb["coverage"].min()), 4),
        "self_false_positive_rate": {f"{a:g}": round(float(v), 4) for a, v in fpr.items()},
        "dbg_false_positive_rate": {f"{a:g}": round(float(v), 4) for a, v in dbg_fpr.items()},
        "self_power_at_0.1": round(float(power.mean()), 4) if len(power) else None,
        "self_max_abs_bias": round(float(hb["bias"].abs().max()), 4),
    }


REWRITTEN = ("sentiment", "fallacy")
"""Probes whose variants the rewriter makes (``--rewriter sim`` in the study)."""


def one(job: tuple[float, int, int, tuple[str, ...]]) -> list[dict[str, Any]]:
    from judgebias.audits.pipeline import AuditConfig, run_audit

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
                rewriter="sim" if set(probes) & set(REWRITTEN) else None,
                seed=seed,
                probe_files=[str(unseen)],
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


def probes_part(args: argparse.Namespace) -> dict[str, Any]:
    import pandas as pd

    probes = tuple(p.strip() for p in args.probes.split(",") if p.strip())
    jobs = [
        (float(lv), int(n), s, probes)
        for lv in args.levels.split(",")
        for n in args.sizes.split(",")
        for s in range(args.seeds)
    ]
    df = run_jobs(one, jobs, args.workers, "audits", "p_adjusted")
    df["level"] = [lv for lv, *_ in jobs for _ in range(len(probes) + 1)]
    table = cells(df, ["probe", "level", "planted", "n"])
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
    noisy = df[df["probe"] == "unseen"]
    power = df[(df["planted"] == 0.1) & (df["n"] == 400)]
    return {
        "runs": len(jobs),
        "min_coverage": round(float(table["coverage"].min()), 4),
        "mean_coverage": round(float(df["covered"].mean()), 4),
        "coverage_nonzero": round(float(df[df["planted"] > 0]["covered"].mean()), 4),
        "noisy_null_coverage": round(float(noisy["covered"].mean()), 4),
        "noisy_null_false_positive_rate": round(float(noisy["rejected"].mean()), 4),
        "false_positive_rate": round(fpr, 4),
        "power_at_0.1_n400": round(float(power["rejected"].mean()), 4) if len(power) else None,
        "max_abs_bias": round(float(table["bias"].abs().max()), 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--part", choices=["all", "probes", "self"], default="all")
    ap.add_argument(
        "--probes",
        default=",".join(PROBES),
        help="probes part: the probes planted and measured (sentiment and fallacy are "
        "rewritten by --rewriter sim)",
    )
    ap.add_argument("--levels", default="0,0.1,0.3")
    ap.add_argument("--sizes", default="200,400")
    ap.add_argument("--accuracies", default="0.7,0.85,1.0", help="self part: judge accuracies")
    ap.add_argument("--self-levels", default="0,0.1,0.3", help="self part: planted self")
    ap.add_argument("--self-pairs", type=int, default=200, help="self part: pairs per audit")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    result: dict[str, Any] = {"benchmark": "probe_study", "seeds": args.seeds}
    met = True
    if args.part in ("all", "probes"):
        r = probes_part(args)
        result.update(r)
        met = met and bool(
            r["coverage_nonzero"] >= 0.93
            and r["noisy_null_coverage"] >= 0.93
            and r["false_positive_rate"] <= 0.05
            and (r["power_at_0.1_n400"] or 0) >= 0.8
            and r["max_abs_bias"] < 0.02
        )
    if args.part in ("all", "self"):
        r = self_part(args)
        result.update(r)
        met = met and bool(
            r["self_coverage"] >= 0.93
            and max(r["self_false_positive_rate"].values()) <= 0.05
            and r["self_max_abs_bias"] < 0.02
        )
    result["targets_met"] = met
    print(json.dumps(result))


if __name__ == "__main__":
    main()
