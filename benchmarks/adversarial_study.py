"""Do the estimators hold up on data built to break their assumptions?

The recovery studies (probe_study.py, formats_study.py) audit a simulated judge whose
items are alike, whose gold judge shares its seed and whose unreadable answers do not
depend on the order shown. Here each configuration breaks one of those assumptions, at
planted 0 (no bias: any flag is a false positive) and at a planted bias (the interval
must cover it), over seeds, in process:

- ``items-position``: instructions of 5 pairs each (30 of the default 150 pairs); each
  item favours its own position (``item_position=0.6``, first and second equally often
  over items) and the planted position is spread over items (``bias_spread=1``: a
  share of the items always follows the position, the rest never).
- ``items-cues``: the same items; length, bandwagon and authority spread over items,
  the judge's errors too (``accuracy_spread=1``); plus ``unseen``, a probe whose text
  the sim does not know (a noisy null, planted 0 at every level).
- ``dominant``: one instruction holds a third of the pairs; position and length, with
  ``item_position=0.4`` and ``bias_spread=0.5``.
- ``self-gold-seed``: self-preference (planted ``self``) scored by a gold judge
  ``sim:accuracy=0.9`` with another seed than the judge, both erring by item
  (``accuracy_spread=1``), on 70 % arithmetic where the sim's own answer is wrong,
  4 pairs per instruction.
- ``list-items``: listwise position (``--candidates 3``), 5 lists per instruction, each
  item with its own favourite position (``item_position=0.6``) and the planted position
  spread over items; the effect (first share - last share) and the chi-square test.
- ``list-unreadable``: listwise, answers garbled when the judge's content choice is
  shown last (``garble_last=0.24``: 8 % of the answers).
- ``pair-unreadable``: pairwise position, length and bandwagon with answers garbled
  when the content choice is shown second (``garble_last=0.16``: 8 %).
- ``constant-verdict``, ``constant-logprob``, ``constant-score``: a judge that always
  picks the first-shown answer (``position=1``) in each mode: no cue probe may read
  "not detected" (its verdicts never vary: the status must say it is not measurable),
  and the position interval must cover 1.
- ``chance``: a judge at chance on gold (``accuracy=0.5``, arithmetic pairs with gold):
  no cue probe may read "not detected".

Per cell (configuration x estimator x planted value): the mean estimate and its bias
with a Monte Carlo standard error; coverage of the planted value by [ci_low, ci_high];
the false-positive rate at planted 0, where a run is a false positive when the
probe's ``severity`` reads detected (slight, moderate or strong, which is
``p_adjusted`` < 0.05) — ``p_adjusted``, then ``p_value``, where a summary has no
severity; for the chi-square row, ``chi2_p`` < 0.05; and for the constant and chance
judges, the share of runs in which the probe reads "not detected". Each rate has its
Monte Carlo standard error and Wilson interval. Targets per cell: false-positive rate
(and "not detected" rate) <= 0.05, coverage >= 0.93. A summary key that is absent is
reported as missing, never a crash; a null estimate or interval counts as not covered.

    python benchmarks/adversarial_study.py [--seeds 20] [--pairs 150] [--configs a,b]
    python benchmarks/adversarial_study.py --quick      # 2 seeds, 60 pairs: a smoke run
    python benchmarks/adversarial_study.py --json       # only the JSON line, every cell

The last line printed is one JSON object: ``targets_met`` (every cell meets both
targets at its point estimate), ``failing_cells`` (each with ``beyond_mc_error``: the
target lies outside the cell's 95 % Wilson interval over runs, so the miss is not
Monte Carlo noise; with 20 runs a cell whose true coverage is 0.95 reads below 0.93
a quarter of the time), ``failing_beyond_mc_error`` (how many) and, with ``--json``,
every cell's figures.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adversarial_data import write_lists, write_pairs
from probe_study import UNSEEN

TARGET_FPR = 0.05
TARGET_COVERAGE = 0.93
CUES = ("length", "bandwagon", "authority")
DETECTED = ("slight", "moderate", "strong")


@dataclass(frozen=True)
class Config:
    """One adversarial configuration: the judge ``sim:seed=S,<base>,<key>=<level>...`` for
    each planted key, audited on ``data`` (``per_item`` pairs per instruction, ``dominant``
    share for the first, ``kind`` of pairs), with ``probes`` read as ``estimators``."""

    base: str
    planted: tuple[str, ...]
    probes: tuple[str, ...]
    levels: tuple[float, ...] = (0.0, 0.2)
    per_item: int = 1
    dominant: float = 0.0
    kind: str = "words"
    candidates: int | None = None
    mode: str = "verdict"
    gold: str | None = None
    unseen: bool = False
    uninformative: tuple[str, ...] = ()
    """Probes that must not read "not detected" (the judge does not judge)."""


CONFIGS: dict[str, Config] = {
    "items-position": Config(
        "accuracy=0.85,item_position=0.6,bias_spread=1", ("position",), ("position",), per_item=5
    ),
    "items-cues": Config(
        "accuracy=0.85,bias_spread=1,accuracy_spread=1", CUES, CUES, per_item=5, unseen=True
    ),
    "dominant": Config(
        "accuracy=0.85,item_position=0.4,bias_spread=0.5",
        ("position", "length"),
        ("position", "length"),
        per_item=2,
        dominant=1 / 3,
    ),
    "self-gold-seed": Config(
        "accuracy=0.8,accuracy_spread=1",
        ("self",),
        ("self",),
        per_item=4,
        kind="self",
        gold="sim:accuracy=0.9,accuracy_spread=1,seed={gold_seed}",
    ),
    "list-items": Config(
        "accuracy=0.85,item_position=0.6,bias_spread=1",
        ("position",),
        ("position",),
        per_item=5,
        candidates=3,
    ),
    "list-unreadable": Config(
        "accuracy=0.85,garble_last=0.24", ("position",), ("position",), candidates=3
    ),
    "pair-unreadable": Config(
        "accuracy=0.85,garble_last=0.16",
        ("position", "length", "bandwagon"),
        ("position", "length", "bandwagon"),
    ),
    **{
        f"constant-{mode}": Config(
            "accuracy=0.85",
            ("position",),
            ("position", *CUES),
            levels=(1.0,),
            mode=mode,
            uninformative=CUES,
        )
        for mode in ("verdict", "logprob", "score")
    },
    "chance": Config("accuracy=0.5", (), CUES, levels=(0.0,), kind="gold", uninformative=CUES),
}


def _num(value: Any) -> float:
    """A float, NaN for None or anything that is not a number."""
    try:
        return float(value) if value is not None else math.nan
    except (TypeError, ValueError):
        return math.nan


def _get(fig: dict[str, Any] | None, key: str, missing: list[str]) -> Any:
    """``fig[key]``; None, the key listed in ``missing``, when a present probe lacks it."""
    if fig is None:
        return None
    if key not in fig:
        missing.append(key)
        return None
    return fig[key]


def _row(
    name: str, cfg: Config, planted: float, fig: dict[str, Any] | None, p_key: str | None = None
) -> dict[str, Any]:
    """One estimate: the figures read from summary.json, missing keys listed."""
    missing: list[str] = [] if fig is not None else ["probe"]
    effect, lo, hi = (_num(_get(fig, k, missing)) for k in ("effect", "ci_low", "ci_high"))
    severity = status = None
    if p_key is not None:  # a test without an interval (the listwise chi-square)
        p = _num(_get(fig, p_key, missing))
        rejected = bool(p < 0.05)
        effect = lo = hi = math.nan
    else:
        severity = _get(fig, "severity", missing)
        status = _get(fig, "status", missing)
        if severity is not None:
            rejected = severity in DETECTED
            p = _num((fig or {}).get("p_adjusted"))
        else:
            p = _num((fig or {}).get("p_adjusted", (fig or {}).get("p_value")))
            rejected = bool(p < 0.05)
    check = "uninformative" if name in cfg.uninformative else "recovery"
    return {
        "estimator": name + (" (chi2)" if p_key else ""),
        "planted": planted,
        "check": check,
        "interval": p_key is None and check == "recovery",
        "effect": effect,
        "ci_low": lo,
        "ci_high": hi,
        "p": p,
        "severity": severity if severity is not None else ("missing" if p_key is None else None),
        "status": status if status is not None else ("missing" if p_key is None else None),
        "rejected": rejected,
        "not_detected": severity == "not detected",
        "covered": bool(lo <= planted + 1e-12 and planted - 1e-12 <= hi),
        "missing": ",".join(sorted(set(missing))),
    }


def one(job: tuple[str, float, int, int, str | None]) -> list[dict[str, Any]]:
    """Audit one configuration at one planted level and seed; one row per estimate. With a
    ``save`` folder, the run's records and summary are copied to
    ``save/<config>/<level>-<seed>/`` (to re-read offline: ``interval_calibration.py``)."""
    import shutil

    from judgebias.audits.pipeline import AuditConfig, run_audit

    name, level, seed, n, save = job
    cfg = CONFIGS[name]
    data_seed = zlib.crc32(name.encode()) % 100_000 * 1000 + seed
    planted = ",".join(f"{k}={level:g}" for k in cfg.planted)
    judge = f"sim:seed={seed},{cfg.base}" + (f",{planted}" if planted else "")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.jsonl"
        if cfg.candidates:
            write_lists(data, n, cfg.candidates, data_seed, cfg.per_item)
        else:
            write_pairs(data, n, data_seed, cfg.per_item, cfg.dominant, cfg.kind)
        files = []
        if cfg.unseen:
            files.append(Path(tmp) / "unseen.yaml")
            files[0].write_text(UNSEEN)
        out = run_audit(
            AuditConfig(
                judge=judge,
                data=str(data),
                probes=list(cfg.probes),
                probe_files=[str(f) for f in files],
                gold_judge=cfg.gold.format(gold_seed=seed + 7919) if cfg.gold else None,
                candidates=cfg.candidates,
                mode=cfg.mode,
                seed=seed,
                out=str(Path(tmp) / "run"),
                quiet=True,
                write_report=False,
            )
        )
        if save:
            dest = Path(save) / name / f"{level:g}-{seed}"
            dest.mkdir(parents=True, exist_ok=True)
            for f in (Path(tmp) / "run").iterdir():
                if f.is_file() and f.name.startswith(("records.", "summary.json")):
                    shutil.copy(f, dest / f.name)
    probes = out.summary.get("probes") or {}
    rows = []
    for p in [*cfg.probes, *(["unseen"] if cfg.unseen else [])]:
        truth = level if p in cfg.planted else 0.0
        rows.append(_row(p, cfg, truth, probes.get(p)))
        if cfg.candidates and p == "position":
            rows.append(_row(p, cfg, truth, probes.get(p), p_key="chi2_p"))
    common = {"config": name, "level": level, "seed": seed, "n": n}
    return [{**common, **r} for r in rows]


def run(jobs: list[tuple[str, float, int, int, str | None]], workers: int, progress: bool) -> Any:
    """Every audit, in a process pool of ``workers``; a DataFrame of estimates."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(workers) as ex:
        for i, r in enumerate(ex.map(one, jobs), 1):
            rows.extend(r)
            if progress:
                print(f"\r{i}/{len(jobs)} audits", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    return pd.DataFrame(rows)


def _rate(hits: Any) -> dict[str, float]:
    """A rate over runs with its Monte Carlo standard error and Wilson interval."""
    from statsmodels.stats.proportion import proportion_confint

    k, m = int(hits.sum()), len(hits)
    rate = k / m
    lo, hi = proportion_confint(k, m, alpha=0.05, method="wilson")
    return {"rate": rate, "se": math.sqrt(rate * (1 - rate) / m), "lo": lo, "hi": hi}


def summarise(df: Any) -> list[dict[str, Any]]:
    """One dict per cell (configuration x estimator x planted value), with its targets."""
    out = []
    for (config, estimator, planted), g in df.groupby(
        ["config", "estimator", "planted"], sort=False
    ):
        runs = len(g)
        cell: dict[str, Any] = {
            "cell": f"{config} / {estimator} / planted {planted:g}",
            "config": config,
            "estimator": estimator,
            "planted": planted,
            "runs": runs,
            "missing": sorted({m for s in g["missing"] for m in s.split(",") if m}),
            "statuses": g["status"].fillna("none").value_counts().to_dict(),
        }
        failures = []
        check = g["check"].iloc[0]
        if g["interval"].iloc[0]:
            eff = g["effect"].astype(float)
            cell["mean_estimate"] = float(eff.mean()) if eff.notna().any() else None
            cell["bias"] = cell["mean_estimate"] - planted if eff.notna().any() else None
            sd = float(eff.std(ddof=1)) if eff.notna().sum() > 1 else math.nan
            cell["bias_se"] = sd / math.sqrt(eff.notna().sum()) if not math.isnan(sd) else None
            cov = _rate(g["covered"])
            cell.update(
                coverage=cov["rate"], coverage_se=cov["se"], coverage_ci=[cov["lo"], cov["hi"]]
            )
            if cov["rate"] < TARGET_COVERAGE:
                failures.append(("coverage", cov["hi"] < TARGET_COVERAGE))
        if check == "uninformative":
            nd = _rate(g["not_detected"])
            cell.update(not_detected_rate=nd["rate"], not_detected_se=nd["se"])
            if nd["rate"] > TARGET_FPR:
                failures.append(("reads 'not detected'", nd["lo"] > TARGET_FPR))
        elif planted == 0:
            fp = _rate(g["rejected"])
            cell.update(
                false_positive_rate=fp["rate"], fpr_se=fp["se"], fpr_ci=[fp["lo"], fp["hi"]]
            )
            if fp["rate"] > TARGET_FPR:
                failures.append(("false positives", fp["lo"] > TARGET_FPR))
        else:
            cell["power"] = float(g["rejected"].mean())
        if len(cell["missing"]) and g["missing"].astype(bool).all():
            failures.append(("missing: " + ",".join(cell["missing"]), True))
        cell["fails"] = [what for what, _ in failures]
        cell["beyond_mc_error"] = any(beyond for _, beyond in failures)
        out.append(cell)
    return out


def _fmt(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def print_table(cells: list[dict[str, Any]]) -> None:
    cols = [
        ("cell", 50),
        ("runs", 5),
        ("mean_estimate", 9),
        ("bias_se", 8),
        ("coverage", 9),
        ("false_positive_rate", 9),
        ("not_detected_rate", 9),
        ("power", 7),
    ]
    heads = ["cell", "runs", "estimate", "bias se", "coverage", "FPR", "not det.", "power"]
    print("  ".join(h.ljust(w) for h, (_, w) in zip(heads, cols, strict=True)) + "  fails")
    for c in cells:
        line = "  ".join(_fmt(c.get(k)).ljust(w) for k, w in cols)
        print(line + "  " + ("; ".join(c["fails"]) or "ok"))


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return None if math.isnan(obj) else round(obj, 4)
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v) for v in obj]
    return obj


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--pairs", type=int, default=150, help="pairs (lists) per audit")
    ap.add_argument(
        "--configs", default=",".join(CONFIGS), help="comma-separated, of: " + ", ".join(CONFIGS)
    )
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--save", default=None, help="copy each run's records and summary.json to this folder"
    )
    ap.add_argument("--first-seed", type=int, default=0, help="seeds from this one on")
    ap.add_argument("--quick", action="store_true", help="a smoke run: 2 seeds, 60 pairs")
    ap.add_argument(
        "--json", action="store_true", help="print only the JSON line, every cell in it"
    )
    args = ap.parse_args(argv)
    if args.quick:
        args.seeds, args.pairs = 2, 60
    names = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = [c for c in names if c not in CONFIGS]
    if unknown or args.seeds < 1 or args.pairs < 10:
        ap.error(
            f"--configs: unknown {', '.join(unknown)}"
            if unknown
            else "--seeds must be at least 1 and --pairs at least 10"
        )
    jobs = [
        (name, level, seed, args.pairs, args.save)
        for name in names
        for level in CONFIGS[name].levels
        for seed in range(args.first_seed, args.first_seed + args.seeds)
    ]
    df = run(jobs, args.workers, progress=not args.json)
    cells = summarise(df)
    if not args.json:
        print_table(cells)
    failing = [c for c in cells if c["fails"]]
    result: dict[str, Any] = {
        "benchmark": "adversarial_study",
        "seeds": args.seeds,
        "pairs": args.pairs,
        "runs": len(jobs),
        "cells": len(cells),
        "rejection": "severity detected (p_adjusted < 0.05); chi2: chi2_p < 0.05",
        "failing_cells": [
            {"cell": c["cell"], "fails": c["fails"], "beyond_mc_error": c["beyond_mc_error"]}
            for c in failing
        ],
        "failing_beyond_mc_error": sum(c["beyond_mc_error"] for c in failing),
        "targets_met": not failing,
    }
    if args.json:
        result["cell_figures"] = cells
    print(json.dumps(_round(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
