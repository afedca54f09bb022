"""``judgebias analyze`` at scale, against a bare pandas pass over the same CSV.

Writes a deterministic CSV of recorded two-order verdicts (wide layout, one row per
pair: ``verdict_ab``, ``verdict_ba``, ``gold``, ``len_a``, ``len_b``, ``question_id``)
in ``judge x strategy x subset`` groups into a temporary folder, then runs, each as
its own process and each ``--repeats`` times:

- ``pandas``: a bare pandas pass (``pd.read_csv``, labels mapped, one ``groupby``)
  computing the position-consistency share of every group: what a user would write
  by hand;
- ``judgebias``: ``judgebias analyze FILE --first verdict_ab --second verdict_ba
  --gold gold --group judge,strategy,subset --cluster question_id`` (summary.csv,
  summary.json and report.html written).

Wall time is the process's, start to exit (imports included, for both); CPU time its
user + system time and peak memory its maximum resident set (``os.wait4``). On a shared
machine the CPU ratio is the steadier figure; the targets are on wall time and memory. The medians of the repeats are
compared; the two programs' consistency shares must agree to 1e-12 for every group.
The last line is one JSON object.

    python benchmarks/analyze_scale.py                     # 1,024,000 pairs in 640 groups
    python benchmarks/analyze_scale.py --pairs 128000 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

JUDGES, STRATEGIES, SUBSETS = 8, 8, 10  # 640 groups
PAIRS_PER_QUESTION = 4

PEER = r"""
import sys
import pandas as pd

LABELS = {"1": "a", "2": "b", "a": "a", "b": "b", "tie": "tie", "0": "tie", "3": "tie"}
df = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
f = df["verdict_ab"].str.strip().str.lower().map(LABELS)
s = df["verdict_ba"].str.strip().str.lower().map(LABELS)
valid = f.notna() & s.notna()
frame = pd.DataFrame(
    {
        "judge": df["judge"], "strategy": df["strategy"], "subset": df["subset"],
        "valid": valid, "consistent": valid & (f == s),
    }
)
g = frame.groupby(["judge", "strategy", "subset"], sort=True)[["valid", "consistent"]].sum()
g["position_consistency"] = g["consistent"] / g["valid"]
g.reset_index().to_csv(sys.argv[2], index=False)
"""


def write_csv(path: Path, n_pairs: int, seed: int = 0) -> int:
    """The verdicts table: ``n_pairs`` rows spread evenly over the 640 groups."""
    rng = np.random.default_rng(seed)
    n_groups = JUDGES * STRATEGIES * SUBSETS
    per = n_pairs // n_groups
    n = per * n_groups
    gid = np.repeat(np.arange(n_groups), per)
    judge = gid // (STRATEGIES * SUBSETS)
    strategy = (gid // SUBSETS) % STRATEGIES
    subset = gid % SUBSETS
    local = np.tile(np.arange(per), n_groups)
    gold = rng.integers(1, 3, n)
    # each group its own accuracy and lean toward the first-shown answer
    acc = 0.55 + 0.4 * rng.random(n_groups)[gid]
    lean = 0.3 * rng.random(n_groups)[gid]

    def verdict(first_is_gold: np.ndarray) -> np.ndarray:
        right = rng.random(n) < acc
        shown_first = rng.random(n) < lean
        pick_gold = np.where(shown_first, first_is_gold, right)
        v = np.where(pick_gold, gold, 3 - gold).astype(object).astype(str)
        v[rng.random(n) < 0.05] = "tie"
        v[rng.random(n) < 0.01] = ""
        v[rng.random(n) < 0.002] = "unclear"
        return v

    frame = pd.DataFrame(
        {
            "judge": np.char.add("judge-", judge.astype(str)),
            "strategy": np.char.add("strategy-", strategy.astype(str)),
            "subset": np.char.add("subset-", subset.astype(str)),
            "pair_id": local,
            "question_id": local // PAIRS_PER_QUESTION,
            "verdict_ab": verdict(gold == 1),
            "verdict_ba": verdict(gold == 2),
            "gold": gold,
            "len_a": rng.integers(20, 900, n),
            "len_b": rng.integers(20, 900, n),
        }
    )
    frame.to_csv(path, index=False)
    return n


def timed(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MiB) and CPU seconds (user + system) of one process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def agree(peer_csv: Path, summary_csv: Path) -> float:
    """The largest difference between the two programs' consistency shares."""
    keys = ["judge", "strategy", "subset"]
    a = pd.read_csv(peer_csv).set_index(keys)["position_consistency"]
    b = pd.read_csv(summary_csv).set_index(keys)["position_consistency"]
    if len(a) != len(b) or not a.index.sort_values().equals(b.index.sort_values()):
        raise SystemExit("the two programs found different groups")
    return float((a - b.reindex(a.index)).abs().max())


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--pairs", type=int, default=1_024_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--keep", help="write the CSV and the outputs here (kept)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.keep or tmp)
        base.mkdir(parents=True, exist_ok=True)
        csv = base / "verdicts.csv"
        n = write_csv(csv, args.pairs)
        peer_py = base / "peer.py"
        peer_py.write_text(PEER)
        peer_out, out = base / "peer.csv", base / "analyze"
        cmds = {
            "pandas": [sys.executable, str(peer_py), str(csv), str(peer_out)],
            "judgebias": [
                sys.executable,
                "-m",
                "judgebias.cli",
                "analyze",
                str(csv),
                "--first",
                "verdict_ab",
                "--second",
                "verdict_ba",
                "--gold",
                "gold",
                "--group",
                "judge,strategy,subset",
                "--cluster",
                "question_id",
                "--quiet",
                "--out",
                str(out),
            ],
        }
        runs: dict[str, list[tuple[float, float, float]]] = {k: [] for k in cmds}
        for _ in range(args.repeats):
            for name, cmd in cmds.items():  # interleaved: both see the same load
                runs[name].append(timed(cmd))
        diff = agree(peer_out, out / "summary.csv")
        html_kib = (out / "report.html").stat().st_size / 1024
        csv_mib = csv.stat().st_size / 2**20
    result: dict[str, Any] = {
        "benchmark": "analyze_scale",
        "pairs": n,
        "verdicts": 2 * n,
        "groups": JUDGES * STRATEGIES * SUBSETS,
        "csv_mib": round(csv_mib, 1),
        "repeats": args.repeats,
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}, pandas {pd.__version__}",
    }
    print(f"{'program':>10} {'wall s (runs)':>24} {'cpu s (runs)':>24} {'peak MiB (runs)':>24}")
    for name, rs in runs.items():
        walls, rss, cpus = [r[0] for r in rs], [r[1] for r in rs], [r[2] for r in rs]
        print(
            f"{name:>10} {' '.join(f'{w:.2f}' for w in walls):>24} "
            f"{' '.join(f'{c:.2f}' for c in cpus):>24} {' '.join(f'{m:.0f}' for m in rss):>24}"
        )
        result[name] = {
            "wall_s": round(statistics.median(walls), 3),
            "cpu_s": round(statistics.median(cpus), 3),
            "peak_rss_mib": round(statistics.median(rss), 1),
            "wall_s_runs": [round(w, 3) for w in walls],
            "cpu_s_runs": [round(c, 3) for c in cpus],
            "peak_rss_mib_runs": [round(m, 1) for m in rss],
        }
    result["time_ratio"] = round(result["judgebias"]["wall_s"] / result["pandas"]["wall_s"], 2)
    result["cpu_ratio"] = round(result["judgebias"]["cpu_s"] / result["pandas"]["cpu_s"], 2)
    result["memory_ratio"] = round(
        result["judgebias"]["peak_rss_mib"] / result["pandas"]["peak_rss_mib"], 2
    )
    result["report_html_kib"] = round(html_kib, 1)
    result["max_consistency_difference"] = diff
    result["targets_met"] = bool(
        result["time_ratio"] <= 5 and result["memory_ratio"] <= 2 and diff < 1e-12
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
