"""Candidate intervals for the perturbation probes, compared offline on saved runs.

The adversarial study saves each run's records with ``--save DIR``
(``DIR/<config>/<level>-<seed>/records.parquet`` and ``summary.json``). This script
re-reads them, rebuilds each perturbation probe's units (cue and placebo flips, with
their clusters: :func:`judgebias.stats.perturbation.perturbation_units`) and computes
the cue-minus-placebo interval with each candidate variance:

- ``current``: :func:`judgebias.stats.intervals.clustered_paired_diff` as it is;
- ``cr``: the cluster-robust (CR2) design effect, t on the effective clusters less one
  (the interval before the pooled variance);
- ``max``: the larger of the CR2 and pooled random-effects variances (the previous
  rule);
- ``pooled``: the random-effects variance pooled over clusters whenever it applies
  (Satterthwaite df), else CR2;
- ``cr-bm``: CR2 with Bell and McCaffrey's degrees of freedom (independence working
  model);
- ``cr-ik``: CR2 with Imbens and Kolesar's degrees of freedom (random-effects working
  model, its intra-cluster correlation estimated);
- ``avg``: the mean of the CR2 and pooled variances (df: the two estimates' df weighted
  by their variances, so ``k - 1`` for clusters of equal size);
- ``avg-mindf``: the same variance, the smaller of the two df;
- ``sm-cr1``: statsmodels' cluster-robust OLS of the unit differences on a constant
  (CR1), Wald interval with t on G - 1 df.

Per configuration x probe x planted level: coverage of the planted value, the share of
runs whose figure is detected (BH over the run's measured probes, as the audit does,
the others' p-values read from summary.json) and the median interval width.

    python benchmarks/adversarial_study.py --configs dominant --seeds 120 --save /tmp/rec
    python benchmarks/interval_calibration.py /tmp/rec [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from adversarial_study import CONFIGS
from scipy import stats as st

from judgebias.stats.intervals import (
    bh_adjust,
    cluster_df,
    clustered_paired_diff,
    design_effect,
    newcombe_paired_diff,
    newcombe_paired_p,
)
from judgebias.stats.perturbation import perturbation_units
from judgebias.stats.pooled import pooled_cluster_variance
from judgebias.tables.runfolder import read_records

Interval = tuple[float, float, float]  # low, high, p


def _table(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float]:
    a = float(np.sum((x == 1) & (y == 1)))
    b = float(np.sum((x == 1) & (y == 0)))
    c = float(np.sum((x == 0) & (y == 1)))
    return a, b, c, len(x) - a - b - c


def _newcombe(x: np.ndarray, y: np.ndarray, deff: float, df: float | None) -> Interval:
    a, b, c, d = (v / deff for v in _table(x, y))
    _, lo, hi = newcombe_paired_diff(a, b, c, d, 0.05, df)
    return float(lo), float(hi), float(newcombe_paired_p(a, b, c, d, df))


def _sizes(cl: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes = np.unique(cl, return_inverse=True)[1].ravel()
    return codes, np.bincount(codes).astype(float)


def _deff_of(variance: float, u: np.ndarray, sizes: np.ndarray) -> float:
    n = len(u)
    var_ind = n / (n - 1) * float(np.sum(u**2))
    return float(min(max(1.0, variance / var_ind), sizes.max())) if var_ind > 0 else 1.0


def _cr2_variance(u: np.ndarray, codes: np.ndarray, sizes: np.ndarray) -> float:
    s = np.bincount(codes, weights=u, minlength=len(sizes))
    return float(np.sum(s**2 / (1.0 - sizes / len(u))))


def _gram(codes: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """G = M A: column c is the residual-maker applied to cluster c's CR2 weight vector."""
    n, k = len(codes), len(sizes)
    a = np.zeros((n, k))
    a[np.arange(n), codes] = 1.0 / np.sqrt(1.0 - sizes[codes] / n)
    return a - a.mean(axis=0, keepdims=True)


def bm_df(codes: np.ndarray, sizes: np.ndarray, rho: float = 0.0) -> float:
    """Bell-McCaffrey df of the CR2 variance of a mean (working model: independence, or
    equicorrelation ``rho`` within clusters: Imbens-Kolesar)."""
    g = _gram(codes, sizes)
    if rho > 0:
        same = (codes[:, None] == codes[None, :]).astype(float)
        omega = (1 - rho) * np.eye(len(codes)) + rho * same
        m = g.T @ omega @ g
    else:
        m = g.T @ g
    lam = np.linalg.eigvalsh(m)
    return float(lam.sum() ** 2 / np.sum(lam**2))


def cand_cr(x: np.ndarray, y: np.ndarray, cl: np.ndarray) -> Interval:
    u = x - y - (x - y).mean()
    return _newcombe(x, y, design_effect(u, cl), cluster_df(cl))


def cand_current(x: np.ndarray, y: np.ndarray, cl: np.ndarray) -> Interval:
    r = clustered_paired_diff(x, y, cl)
    return r["ci_low"], r["ci_high"], r["p_value"]


def cand_max(x: np.ndarray, y: np.ndarray, cl: np.ndarray) -> Interval:
    u = x - y - (x - y).mean()
    _codes, sizes = _sizes(cl)
    deff, df = design_effect(u, cl), cluster_df(cl)
    pv = pooled_cluster_variance(u, cl)
    if pv is not None:
        d_pool = _deff_of(pv.variance, u, sizes)
        if d_pool > deff * (1 + 1e-9):
            deff, df = d_pool, max(df or 1.0, pv.df)
    return _newcombe(x, y, deff, df)


def cand_pooled(x: np.ndarray, y: np.ndarray, cl: np.ndarray) -> Interval:
    u = x - y - (x - y).mean()
    _codes, sizes = _sizes(cl)
    pv = pooled_cluster_variance(u, cl)
    if pv is None:
        return cand_cr(x, y, cl)
    return _newcombe(x, y, _deff_of(pv.variance, u, sizes), pv.df)


def _rho(u: np.ndarray, cl: np.ndarray) -> float:
    codes, sizes = _sizes(cl)
    n, k = len(u), len(sizes)
    if k < 2 or k >= n:
        return 0.0
    means = np.bincount(codes, weights=u) / sizes
    msb = float(np.sum(sizes * (means - u.mean()) ** 2)) / (k - 1)
    msw = float(np.sum((u - means[codes]) ** 2)) / (n - k)
    n0 = (n - float(np.sum(sizes**2)) / n) / (k - 1)
    tau2 = max(0.0, (msb - msw) / n0)
    return tau2 / (tau2 + msw) if tau2 + msw > 0 else 0.0


def cand_cr_bm(x: np.ndarray, y: np.ndarray, cl: np.ndarray) -> Interval:
    u = x - y - (x - y).mean()
    codes, sizes = _sizes(cl)
    df = bm_df(codes, sizes) if sizes.max() > 1 and len(sizes) > 1 else None
    return _newcombe(x, y, design_effect(u, cl), df)


def cand_cr_ik(x: np.ndarray, y: np.ndarray, cl: np.ndarray) -> Interval:
    u = x - y - (x - y).mean()
    codes, sizes = _sizes(cl)
    df = bm_df(codes, sizes, _rho(u, cl)) if sizes.max() > 1 and len(sizes) > 1 else None
    return _newcombe(x, y, design_effect(u, cl), df)


def cand_avg(x: np.ndarray, y: np.ndarray, cl: np.ndarray) -> Interval:
    u = x - y - (x - y).mean()
    codes, sizes = _sizes(cl)
    pv = pooled_cluster_variance(u, cl)
    if pv is None:
        return cand_cr(x, y, cl)
    v_cr, df_cr = _cr2_variance(u, codes, sizes), cluster_df(cl) or 1.0
    v = 0.5 * (v_cr + pv.variance)
    df = (v_cr * df_cr + pv.variance * pv.df) / (v_cr + pv.variance)
    return _newcombe(x, y, _deff_of(v, u, sizes), df)


def cand_avg_min(x: np.ndarray, y: np.ndarray, cl: np.ndarray) -> Interval:
    u = x - y - (x - y).mean()
    codes, sizes = _sizes(cl)
    pv = pooled_cluster_variance(u, cl)
    if pv is None:
        return cand_cr(x, y, cl)
    v_cr, df_cr = _cr2_variance(u, codes, sizes), cluster_df(cl) or 1.0
    return _newcombe(x, y, _deff_of(0.5 * (v_cr + pv.variance), u, sizes), min(df_cr, pv.df))


def cand_sm(x: np.ndarray, y: np.ndarray, cl: np.ndarray) -> Interval:
    import statsmodels.api as sm

    d = x - y
    codes, sizes = _sizes(cl)
    if len(sizes) < 2 or np.all(d == d[0]):
        return (float(d.mean()),) * 2 + (1.0 if d.mean() == 0 else 0.0,)  # type: ignore[return-value]
    fit = sm.OLS(d, np.ones_like(d)).fit(
        cov_type="cluster",
        cov_kwds={"groups": codes, "use_correction": True, "df_correction": True},
    )
    se, df = float(fit.bse[0]), len(sizes) - 1
    q = float(st.t.ppf(0.975, df))
    m = float(d.mean())
    p = float(2 * st.t.sf(abs(m) / se, df)) if se > 0 else (1.0 if m == 0 else 0.0)
    return m - q * se, m + q * se, p


CANDIDATES: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], Interval]] = {
    "current": cand_current,
    "cr": cand_cr,
    "max": cand_max,
    "pooled": cand_pooled,
    "cr-bm": cand_cr_bm,
    "cr-ik": cand_cr_ik,
    "avg": cand_avg,
    "avg-mindf": cand_avg_min,
    "sm-cr1": cand_sm,
}


def read_run(folder: Path, names: list[str]) -> list[dict[str, Any]]:
    """One row per (perturbation probe, candidate) of a saved run."""
    config = folder.parent.name
    level = float(folder.name.split("-")[0])
    cfg = CONFIGS[config]
    summary = json.loads((folder / "summary.json").read_text())
    probes = summary.get("probes") or {}
    records = read_records(folder)
    pert = [p for p, f in probes.items() if isinstance(f, dict) and "placebo_flip_rate" in f]
    per_probe: dict[str, dict[str, Interval]] = {}
    for p in pert:
        u = perturbation_units(records, p, probes[p].get("direction", "toward"))
        v = u[u["valid"]]
        x = v["flip"].to_numpy(dtype=float)
        y = v["placebo_flip"].to_numpy(dtype=float)
        cl = v["cluster"].astype(str).to_numpy()
        per_probe[p] = {c: CANDIDATES[c](x, y, cl) for c in names} if len(x) > 1 else {}
    rows = []
    order = [p for p, f in probes.items() if isinstance(f, dict) and not p.startswith("_")]
    for c in names:
        ps = []
        for p in order:
            f = probes[p]
            if f.get("status") != "measured":
                ps.append(math.nan)
            elif p in per_probe and c in per_probe[p]:
                ps.append(per_probe[p][c][2])
            else:
                ps.append(float(f.get("p_value") if f.get("p_value") is not None else math.nan))
        q = dict(zip(order, bh_adjust(ps), strict=True))
        for p in pert:
            if c not in per_probe.get(p, {}):
                continue
            lo, hi, _pv = per_probe[p][c]
            truth = level if p in cfg.planted else 0.0
            rows.append(
                {
                    "config": config,
                    "probe": p,
                    "planted": truth,
                    "candidate": c,
                    "covered": bool(lo <= truth + 1e-12 and truth - 1e-12 <= hi),
                    "detected": bool(q[p] < 0.05),
                    "width": hi - lo,
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("saved", help="the folder given to adversarial_study.py --save")
    ap.add_argument("--candidates", default=",".join(CANDIDATES))
    ap.add_argument("--configs", default=None, help="comma-separated; default every one saved")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    names = args.candidates.split(",")
    base = Path(args.saved)
    configs = args.configs.split(",") if args.configs else sorted(p.name for p in base.iterdir())
    rows: list[dict[str, Any]] = []
    for config in configs:
        for folder in sorted((base / config).iterdir()):
            if (folder / "summary.json").exists():
                rows.extend(read_run(folder, names))
    df = pd.DataFrame(rows)
    table = (
        df.groupby(["config", "probe", "planted", "candidate"], sort=False)
        .agg(
            runs=("covered", "size"),
            coverage=("covered", "mean"),
            detected=("detected", "mean"),
            median_width=("width", "median"),
        )
        .reset_index()
    )
    if args.json:
        print(table.to_json(orient="records"))
    else:
        with pd.option_context("display.width", 200, "display.max_rows", 500):
            print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
