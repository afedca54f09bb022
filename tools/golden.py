"""Same commands, same results: a digest of what judgebias's commands write, for refactors.

Runs a fixed, seeded set of commands (audits of the simulated judge in every mode and
format, and the analysis commands on ../shared/data when it is there) into OUT, then
writes OUT/digest.json: every summary.json with the volatile keys removed (timestamps,
durations, the command line, paths), and a hash of every table written, with timing
columns dropped. Compare two digests to see whether a change altered any result:

    python tools/golden.py --out /tmp/golden-before          # on the old code
    python tools/golden.py --out /tmp/golden-after --compare /tmp/golden-before/digest.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

VOLATILE = {"started", "seconds", "command", "data", "path", "out", "report", "runs", "store"}
TIMING = {"latency_s", "attempts"}
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def commands(out: Path) -> list[list[str]]:
    sim = "sim:accuracy=0.85,position=0.2,length=0.2,bandwagon=0.1,authority=0.1,self=0.2,echo=0.03"
    a = ["audit", "--quiet", "--seed", "3"]
    cmds = [
        [*a, "--judge", sim, "--probes", "all", "--gold-judge", "sim:accuracy=1", "--out", str(out / "a-all")],
        [*a, "--judge", sim, "--mode", "logprob", "--limit", "60", "--out", str(out / "a-logprob")],
        [*a, "--judge", sim, "--mode", "score", "--limit", "60", "--out", str(out / "a-score")],
        [*a, "--judge", sim, "--mitigation", "swap", "--limit", "60", "--out", str(out / "a-swap")],
        [*a, "--judge", sim, "--mitigation", "multi-sample", "--samples", "3", "--mode", "score", "--limit", "30", "--out", str(out / "a-ms-score")],
        [*a, "--judge", sim, "--mitigation", "multi-sample", "--samples", "3", "--mode", "logprob", "--limit", "30", "--out", str(out / "a-ms-logprob")],
        [*a, "--judge", sim, "--mitigation", "swap,jury:sim:position=0.3,seed=1;sim:echo=0.3", "--limit", "30", "--out", str(out / "a-jury")],
        [*a, "--judge", sim, "--format", "single", "--limit", "40", "--probes", "length,authority", "--out", str(out / "a-single")],
        ["compare", str(out / "a-all"), str(out / "a-swap"), "--out", str(out / "compare.html")],
        ["plan", "--effect", "0.05", "--baseline-flip", "0.1", "--json"],
    ]  # fmt: skip
    llmbar = SHARED / "llmbar" / "judgments.csv.gz"
    if llmbar.exists():
        cmds.append(
            ["analyze", str(llmbar), "--first", "synth_noswap|winner_noswap", "--second",
             "synth_swap|winner_swap", "--gold", "label", "--group", "subset,judge,strategy",
             "--out", str(out / "analyze")]
        )  # fmt: skip
    alpaca = SHARED / "alpacaeval2" / "judgments.csv.gz"
    if alpaca.exists():
        cmds.append(["lc", str(alpaca), "--out", str(out / "lc.csv"), "--n-boot", "50"])
    mt = SHARED / "human" / "mtbench"
    if mt.exists():
        cmds.append(
            ["agree", str(mt / "human.jsonl"), str(mt / "gpt4_pair.jsonl"), "--annotator", "judge",
             "--label", "winner", "--item", "question_id,turn", "--judge", "gpt4_pair",
             "--models", "model_a,model_b", "--human-match", "expert_.*", "--group", "turn",
             "--n-boot", "200", "--out", str(out / "agree")]
        )  # fmt: skip
    return cmds


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    if isinstance(obj, float):
        return round(obj, 10)
    return obj


def _table_hash(path: Path) -> str:
    import pandas as pd

    df = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    df = df.drop(columns=[c for c in df.columns if c in TIMING])
    text = df.to_csv(index=False, float_format="%.10g")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def digest(out: Path) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for p in sorted(out.rglob("*")):
        rel = str(p.relative_to(out))
        if p.name == "summary.json":
            result[rel] = _clean(json.loads(p.read_text()))
        elif p.suffix in (".parquet", ".csv"):
            result[rel] = _table_hash(p)
    return result


def _diff(a: Any, b: Any, where: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{where}.{k}: only in {'after' if k not in a else 'before'}")
            else:
                _diff(a[k], b[k], f"{where}.{k}", out)
    elif a != b:
        out.append(f"{where}: {str(a)[:80]} -> {str(b)[:80]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--compare", help="a digest.json to compare with")
    args = ap.parse_args()
    out = Path(args.out)
    if out.exists():
        import shutil

        shutil.rmtree(out)  # every command starts from nothing: same calls sent each time
    out.mkdir(parents=True)
    for cmd in commands(out):
        p = subprocess.run(
            [sys.executable, "-m", "judgebias.cli", *cmd], capture_output=True, text=True
        )
        if p.returncode not in (0, 3):
            sys.exit(f"golden: {' '.join(cmd[:2])} failed ({p.returncode}): {p.stderr[-500:]}")
        if cmd[0] == "plan":
            (out / "plan.json").write_text(p.stdout)
    d = digest(out)
    plan = out / "plan.json"
    if plan.exists():
        d["plan.json"] = _clean(json.loads(plan.read_text()))
    (out / "digest.json").write_text(json.dumps(d, indent=1, sort_keys=True) + "\n")
    if args.compare:
        before = json.loads(Path(args.compare).read_text())
        diffs: list[str] = []
        _diff(before, d, "", diffs)
        for line in diffs[:200]:
            print(line)
        print(json.dumps({"golden": "compare", "differences": len(diffs), "same": not diffs}))
    else:
        print(json.dumps({"golden": "written", "files": len(d)}))


if __name__ == "__main__":
    main()
