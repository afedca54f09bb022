"""How long `judgebias --help` takes, interpreter start included (target: under 1 s).

Run: python benchmarks/help_speed.py [--repeat N]. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "judgebias.cli", "--help"], capture_output=True, check=True
        )
        times.append(time.perf_counter() - t0)
    best = min(times)
    print(
        json.dumps(
            {
                "benchmark": "help_speed",
                "best_s": round(best, 3),
                "target_s": 1.0,
                "met": best < 1.0,
            }
        )
    )


if __name__ == "__main__":
    main()
