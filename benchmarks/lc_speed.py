"""How fast and how large is the length-controlled win rate? ``load_lc_table`` + ``lc_winrate``.

Two workloads, each timed as loading (``load_lc_table``) and fitting
(``lc_winrate``: the joint difficulty fit, then one GLM per model):

* **alpacaeval2**: ``shared/data/alpacaeval2/judgments.csv.gz`` (25 models x 805
  instructions), with the reproduction figures against the published
  ``leaderboard.csv``: mean and largest absolute difference of the LC win rate in
  percentage points, and the Spearman correlation. Skipped, with a message, when
  the file is absent (``--data`` or ``JUDGEBIAS_SHARED_DATA`` point elsewhere).
* **synthetic**: ``--models`` x ``--instructions`` rows (100 x 2,000 by default)
  generated here from a judge with a planted length bias, written as a gzipped CSV
  like the real file; its figure is the mean absolute error of LC against the
  planted length-free win rate.

``fit s`` is the point estimates alone (``n_boot=0``); ``+boot s`` is one more fit
with the bootstrap interval (``--n-boot`` resamples per model, refits included:
``lc_ci_low``/``lc_ci_high``), timed once; its cost grows with models x instructions
x resamples, and multi-threaded BLAS on a busy machine slows it several-fold (set
``OPENBLAS_NUM_THREADS=1`` there).

Seconds are the best of ``--repeat`` runs (``time.perf_counter``). Peak memory is
measured in one more run of each stage under ``tracemalloc`` (Python and NumPy
allocations; it slows that run, so it is not timed), and ``max_rss_mib`` is the
process's peak resident set size (``resource.getrusage``) at the end.

    python benchmarks/lc_speed.py [--models 100 --instructions 2000 --repeat 3]

Prints a table, then, as the last line, one JSON object with every figure. Exits 0
whether or not the shared data is present.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import spearmanr

from judgebias.stats.lc import N_BOOT, lc_winrate, load_lc_table

T = TypeVar("T")
MIB = 1024.0 * 1024.0


def default_data() -> Path:
    env = os.environ.get("JUDGEBIAS_SHARED_DATA")
    root = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"
    return root / "alpacaeval2"


def timed(fn: Callable[[], T], repeat: int) -> tuple[T, float, float]:
    """``fn()``'s result, its best time over ``repeat`` runs (s), and its traced peak (MiB)."""
    best = float("inf")
    result: T | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result is not None
    return result, best, peak / MIB


def measure(
    path: Path, repeat: int, n_boot: int
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Load and fit ``path``; the table, the result (with intervals) and the measurements."""
    table, load_s, load_mib = timed(lambda: load_lc_table(path), repeat)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few-model warning is not the point here
        res, fit_s, fit_mib = timed(lambda: lc_winrate(table, n_boot=0), repeat)
        start = time.perf_counter()
        res = lc_winrate(table, n_boot=n_boot)
        boot_s = time.perf_counter() - start
    figures = {
        "file": str(path),
        "file_mib": round(path.stat().st_size / MIB, 3),
        "rows": len(table),
        "models": int(table["model"].nunique()),
        "instructions": int(table["instruction_index"].nunique()),
        "load_s": round(load_s, 4),
        "fit_s": round(fit_s, 4),
        "n_boot": n_boot,
        "fit_with_interval_s": round(boot_s, 4),
        "total_s": round(load_s + fit_s, 4),
        "load_peak_mib": round(load_mib, 2),
        "fit_peak_mib": round(fit_mib, 2),
    }
    return table, res, figures


def synthesize(path: Path, n_models: int, n_inst: int, seed: int) -> pd.Series:
    """Write a judged table with a planted length bias; return each model's true LC (%)."""
    rng = np.random.default_rng(seed)
    models = [f"model-{k:03d}" for k in range(n_models)]
    theta = rng.normal(-0.5, 0.8, n_models)
    verbosity = rng.normal(0.0, 0.35, n_models)
    difficulty = rng.normal(0.0, 1.0, n_inst)
    base_len = rng.lognormal(7.0, 0.5, n_inst).round()
    slope = 1.5
    model_len = (
        base_len[None, :] * np.exp(verbosity[:, None] + rng.normal(0.0, 0.6, (n_models, n_inst)))
    ).round()
    delta = model_len - base_len[None, :]
    x = np.tanh(delta / delta.std(axis=1, ddof=1, keepdims=True))
    p = expit(theta[:, None] + difficulty[None, :] + slope * x)
    tie = rng.uniform(size=p.shape) < 0.1
    pref = np.where(tie, 1.5, np.where(rng.uniform(size=p.shape) < p, 2.0, 1.0))
    frame = pd.DataFrame(
        {
            "model": np.repeat(models, n_inst),
            "instruction_index": np.tile(np.arange(n_inst), n_models),
            "baseline_length": np.tile(base_len, n_models).astype(np.int64),
            "model_length": model_len.ravel().astype(np.int64),
            "preference": pref.ravel(),
        }
    )
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        frame.to_csv(fh, index=False)
    truth = 100.0 * (0.05 + 0.9 * expit(theta[:, None] + difficulty[None, :])).mean(axis=1)
    return pd.Series(truth, index=models)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=None, help="folder with judgments.csv.gz")
    ap.add_argument("--models", type=int, default=100)
    ap.add_argument("--instructions", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per stage (best kept)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-boot", type=int, default=N_BOOT, help="bootstrap resamples per model")
    args = ap.parse_args(argv)
    if args.models < 2 or args.instructions < 2 or args.repeat < 1:
        ap.error("--models and --instructions must be >= 2, --repeat >= 1")

    out: dict[str, Any] = {
        "benchmark": "lc_speed",
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "repeat": args.repeat,
        "mad_pp": None,
        "max_abs_pp": None,
        "spearman": None,
    }
    rows: list[tuple[str, dict[str, Any], str]] = []

    folder = args.data or default_data()
    real = folder / "judgments.csv.gz"
    board = folder / "leaderboard.csv"
    if real.exists() and board.exists():
        _, res, figures = measure(real, args.repeat, args.n_boot)
        pub = pd.read_csv(board).set_index("model")["length_controlled_winrate"]
        lc = res.set_index("model")["lc_win_rate"].reindex(pub.index)
        diff = (lc - pub).abs()
        out["mad_pp"] = round(float(diff.mean()), 4)
        out["max_abs_pp"] = round(float(diff.max()), 4)
        out["spearman"] = round(float(spearmanr(lc, pub)[0]), 4)
        r = res.set_index("model")
        ratio = (r["lc_ci_high"] - r["lc_ci_low"]) / (2 * 1.96 * r["lc_standard_error"])
        figures["interval_over_alpacaeval_se"] = round(float(ratio.median()), 3)
        out["alpacaeval2"] = figures
        rows.append(
            (
                "alpacaeval2",
                figures,
                f"MAD {out['mad_pp']:.2f} pp, max {out['max_abs_pp']:.2f} pp, "
                f"Spearman {out['spearman']:.3f}",
            )
        )
    else:
        missing = real if not real.exists() else board
        print(f"skipped alpacaeval2: {missing} not found (set JUDGEBIAS_SHARED_DATA or --data)")
        out["alpacaeval2"] = {"skipped": f"{missing} not found"}

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic.csv.gz"
        truth = synthesize(path, args.models, args.instructions, args.seed)
        _, res, figures = measure(path, args.repeat, args.n_boot)
    lc = res.set_index("model")["lc_win_rate"].reindex(truth.index)
    figures["file"] = f"synthetic {args.models}x{args.instructions} (seed {args.seed})"
    figures["lc_mae_vs_truth_pp"] = round(float((lc - truth).abs().mean()), 4)
    out["synthetic"] = figures
    rows.append(
        ("synthetic", figures, f"LC vs planted truth: MAE {figures['lc_mae_vs_truth_pp']:.2f} pp")
    )

    # Linux reports ru_maxrss in KiB, macOS in bytes
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["max_rss_mib"] = round(rss / (MIB if sys.platform == "darwin" else 1024.0), 1)

    header = f"{'workload':<12} {'rows':>8} {'models':>6} {'load s':>8} {'fit s':>8} {'+boot s':>8} {'total s':>8} {'load MiB':>9} {'fit MiB':>8}"
    print(header)
    print("-" * len(header))
    for name, f, _ in rows:
        print(
            f"{name:<12} {f['rows']:>8} {f['models']:>6} {f['load_s']:>8.3f} {f['fit_s']:>8.3f} "
            f"{f['fit_with_interval_s']:>8.3f} {f['total_s']:>8.3f} {f['load_peak_mib']:>9.1f} "
            f"{f['fit_peak_mib']:>8.1f}"
        )
    for name, _, note in rows:
        print(f"{name}: {note}")
    print(
        f"peak RSS of the process: {out['max_rss_mib']} MiB; seconds: best of {args.repeat}; "
        "MiB: tracemalloc peak of one more run"
    )
    print(json.dumps(out, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
