"""What does each mitigation buy? Measured on the simulated judge and on LLMBar.

Part 1 audits one simulated judge with planted biases (and a planted suppression S
of its biases under a bias-aware system prompt) on freshly generated checkable
pairs, once plainly and once per mitigation, and compares each mitigated run with
the plain one pair by pair (``judgebias.report.compare``). It checks that

* ``swap`` removes the position effect (its 95 % interval covers 0) at two backend
  calls per verdict;
* ``system-prompt`` scales every bias by the planted ``1 - S``:
  effect_after / effect_before is close to ``1 - S`` for every probe, and
  ``(1 - S) * effect_before`` lies inside effect_after's 95 % interval;

and reports every other mitigation's measured effect. The simulated judge reacts
to the bias-aware marker only; it plants no response to few-shot examples or to a
reflection instruction, so their effect on it is nil by construction (their value
has to be measured on a real judge).

Part 2 applies the ``swap`` correction (``judgebias.debias``) to LLMBar's recorded
verdicts of GPT-4 and ChatGPT under every prompting strategy
(``../shared/data/llmbar/judgments.csv.gz``; skipped with a message when absent):
accuracy in each order, after the correction (a tie scores one half), with ties
counted wrong, among decided verdicts, and the tie share.

    python benchmarks/mitigation_study.py --pairs 1000

The last line printed is one JSON object with every number.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from judgebias.audits.pipeline import AuditConfig, run_audit
from judgebias.corrections.debias import debias
from judgebias.report.compare import compare_runs

PROBES = ["position", "length", "bandwagon", "authority", "reflection", "distraction"]
PLANTED = {
    "position": 0.3,
    "length": 0.2,
    "bandwagon": 0.3,
    "authority": 0.25,
    "reflection": 0.15,
    "distraction": 0.1,
}
SUPPRESSION = 0.5
LLMBAR = Path(__file__).resolve().parents[2] / "shared" / "data" / "llmbar" / "judgments.csv.gz"

PHRASES = (
    "{v}",
    "The answer is {v}.",
    "It comes to {v}.",
    "Result: {v}",
    "{v}, after working it out.",
    "I computed it step by step and got {v}.",
)


def make_pairs(path: Path, n: int, seed: int) -> None:
    """Checkable arithmetic pairs (the sim's checker knows the better answer), gold known."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            x, y = rng.randint(10, 999), rng.randint(10, 999)
            op = rng.choice(["+", "-", "*"])
            true = x + y if op == "+" else x - y if op == "-" else x * y
            wrong = true + rng.choice([-1, 1]) * rng.randint(1, 30)
            right_text = rng.choice(PHRASES).format(v=true)
            wrong_text = rng.choice(PHRASES).format(v=wrong)
            gold = rng.choice(["a", "b"])
            a, b = (right_text, wrong_text) if gold == "a" else (wrong_text, right_text)
            fh.write(
                json.dumps(
                    {
                        "id": f"m{seed}-{i}",
                        "instruction": f"What is {x} {op} {y}?",
                        "response_a": a,
                        "response_b": b,
                        "gold": gold,
                    }
                )
                + "\n"
            )


def judge_spec(seed: int = 1) -> str:
    planted = ",".join(f"{k}={v:g}" for k, v in PLANTED.items())
    return f"sim:accuracy=0.85,{planted},suppression={SUPPRESSION:g},seed={seed}"


MITIGATIONS: dict[str, list[str]] = {
    "system-prompt": ["system-prompt"],
    "few-shot": ["few-shot"],
    "reflect": ["reflect"],
    "swap": ["swap"],
    "multi-sample": ["multi-sample"],
    "jury": [f"jury:{judge_spec(2)};{judge_spec(3)}"],
    "system-prompt+swap": ["system-prompt", "swap"],
}


def audit(data: Path, out: Path, mitigations: list[str]) -> dict[str, Any]:
    t0 = time.monotonic()
    o = run_audit(
        AuditConfig(
            judge=judge_spec(),
            data=str(data),
            probes=list(PROBES),
            out=str(out),
            quiet=True,
            write_report=False,
            mitigations=mitigations,
            concurrency=64,
        )
    )
    s = o.summary
    s["_seconds"] = time.monotonic() - t0
    return s


def _r(x: Any, nd: int = 4) -> Any:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), nd)


def sim_study(n_pairs: int, seed: int, workdir: Path) -> dict[str, Any]:
    data = workdir / "pairs.jsonl"
    make_pairs(data, n_pairs, seed)
    plain = audit(data, workdir / "plain", [])
    out: dict[str, Any] = {
        "judge": judge_spec(),
        "n_pairs": n_pairs,
        "suppression": SUPPRESSION,
        "plain": {
            "effects": {p: _r(plain["probes"][p]["effect"]) for p in PROBES},
            "accuracy": _r(plain["accuracy"]),
            "backend_requests": plain["calls"]["total"],
            "tokens": plain["tokens"]["total"],
        },
        "mitigations": {},
    }
    print(
        f"plain: {n_pairs} pairs, {plain['calls']['total']} backend requests, "
        f"accuracy {plain['accuracy']:.3f}"
    )
    for name, mits in MITIGATIONS.items():
        s = audit(data, workdir / name, mits)
        cmp = compare_runs(workdir / "plain", workdir / name, n_boot=1000, seed=seed)
        table = cmp["table"].set_index("figure")
        rows = {}
        for fig in [*PROBES, "accuracy", "ties"]:
            r = table.loc[fig]
            rows[fig] = {
                "before": _r(r["effect_a"]),
                "after": _r(r["effect_b"]),
                "after_ci": [_r(r["ci_low_b"]), _r(r["ci_high_b"])],
                "difference": _r(r["difference"]),
                "difference_ci": [_r(r["diff_ci_low"]), _r(r["diff_ci_high"])],
                "p_value": _r(r["p_value"], 5),
                "ratio": _r(r["ratio"]),
            }
        entry: dict[str, Any] = {
            "mitigations": mits,
            "figures": rows,
            "calls_per_verdict": s["calls"]["per_verdict"],
            "backend_requests": s["calls"]["total"],
            "backend_requests_ratio": _r(s["calls"]["total"] / plain["calls"]["total"], 3),
            "tokens_ratio": _r(s["tokens"]["total"] / plain["tokens"]["total"], 3),
        }
        if name == "swap":
            pos = rows["position"]
            entry["check_position_interval_covers_0"] = bool(
                pos["after_ci"][0] <= 0 <= pos["after_ci"][1]
            )
            entry["check_two_calls_per_verdict"] = s["calls"]["per_verdict"] == 2
        if name == "system-prompt":
            checks = {}
            for p in PROBES:
                before, after = rows[p]["before"], rows[p]["after"]
                lo, hi = rows[p]["after_ci"]
                expected = (1 - SUPPRESSION) * before
                checks[p] = {
                    "expected_after": _r(expected),
                    "after": after,
                    "ratio": rows[p]["ratio"],
                    "expected_in_after_ci": bool(lo <= expected <= hi),
                }
            entry["suppression_check"] = checks
            entry["check_all_within_ci"] = all(c["expected_in_after_ci"] for c in checks.values())
        out["mitigations"][name] = entry
        eff = ", ".join(
            f"{p} {100 * rows[p]['before']:+.1f}->{100 * rows[p]['after']:+.1f}" for p in PROBES
        )
        print(
            f"{name:<19} {eff}; accuracy {100 * rows['accuracy']['before']:.1f}->"
            f"{100 * rows['accuracy']['after']:.1f}, ties {100 * rows['ties']['after']:.1f}%, "
            f"{entry['calls_per_verdict']} calls/verdict, backend requests x"
            f"{entry['backend_requests_ratio']}, tokens x{entry['tokens_ratio']}"
        )
    return out


def llmbar_study(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        print(f"LLMBar skipped: {path} not found (the shared data folder is absent)")
        return None
    df = pd.read_csv(path)
    _, acc = debias(
        df,
        "swap",
        first="winner_noswap",
        second="winner_swap",
        gold="label",
        group="judge,strategy",
        source=str(path),
    )
    rows = []
    for g in acc["groups"]:
        rows.append(
            {
                "judge": g["judge"],
                "strategy": g["strategy"],
                "n": g["n_valid"],
                "consistency": _r(g["n_consistent"] / g["n_valid"]),
                "accuracy_first_order": _r(g["accuracy_first_order"]),
                "accuracy_second_order": _r(g["accuracy_second_order"]),
                "accuracy_after": _r(g["accuracy_after"]),
                "accuracy_after_strict": _r(g["accuracy_after_strict"]),
                "accuracy_decided": _r(g["accuracy_decided"]),
                "tie_share_after": _r(g["tie_share_after"]),
            }
        )
    print(
        "\nLLMBar, swap correction per judge and strategy (accuracy: 1st order / 2nd order "
        "-> swap with ties 1/2 | ties wrong | among decided; tie share)"
    )
    for r in rows:
        print(
            f"{r['judge']:<8}{r['strategy']:<26}n={r['n']:<5} "
            f"{100 * r['accuracy_first_order']:.1f} / {100 * r['accuracy_second_order']:.1f} -> "
            f"{100 * r['accuracy_after']:.1f} | {100 * r['accuracy_after_strict']:.1f} | "
            f"{100 * r['accuracy_decided']:.1f}; ties {100 * r['tie_share_after']:.1f}%"
        )
    return {
        "source": str(path),
        "overall": {k: _r(v) if isinstance(v, float) else v for k, v in acc["overall"].items()},
        "groups": rows,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=1000, help="generated pairs (default 1000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="keep the run folders here (default: a temp dir)")
    ap.add_argument("--llmbar", default=str(LLMBAR))
    args = ap.parse_args()
    t0 = time.monotonic()
    if args.out:
        work = Path(args.out)
        work.mkdir(parents=True, exist_ok=True)
        sim = sim_study(args.pairs, args.seed, work)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            sim = sim_study(args.pairs, args.seed, Path(tmp))
    llm = llmbar_study(Path(args.llmbar))
    result = {
        "benchmark": "mitigation_study",
        "seconds": round(time.monotonic() - t0, 1),
        "sim": sim,
        "llmbar": llm,
        "checks": {
            "swap_position_covers_0": sim["mitigations"]["swap"][
                "check_position_interval_covers_0"
            ],
            "swap_two_calls_per_verdict": sim["mitigations"]["swap"]["check_two_calls_per_verdict"],
            "system_prompt_scales_by_1_minus_S": sim["mitigations"]["system-prompt"][
                "check_all_within_ci"
            ],
        },
    }
    sys.stdout.flush()
    print(json.dumps(result, separators=(",", ":")))


if __name__ == "__main__":
    main()
