"""Do a paired difference's p-value and its interval agree about 0?

Every 2x2 table of paired outcomes with ``n <= --max-n`` pairs (all discordant counts
``b``, ``c`` with ``b + c <= n``; the concordant pairs all in ``a``, split evenly, or all in
``d``), at alpha = 0.05:

- **before**: Newcombe's method-10 interval with the exact McNemar p-value (the probes'
  p-value until this release); share of tables where ``p < 0.05`` but the interval
  includes 0, or the interval excludes 0 but ``p >= 0.05``;
- **after**: the same interval with :func:`judgebias.stats.intervals.newcombe_paired_p`
  (the interval inverted);
- **monotone**: whether every table's interval, once it includes 0 at some level,
  includes it at every higher confidence level (checked on a grid of 200 levels); the
  inversion is exact only then.

Also the type I error of the inverted test, exactly (sum over the binomial distribution
of tables), at a few null configurations.

    python benchmarks/paired_agreement.py [--max-n 150]

Prints a table and, as the last line, one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from scipy.stats import binom, multinomial, norm

from judgebias.stats.intervals import newcombe_paired_diff, newcombe_paired_p

bounds = newcombe_paired_diff


def tables(max_n: int) -> np.ndarray:
    rows = []
    for n in range(1, max_n + 1):
        b, c = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
        keep = b + c <= n
        b, c = b[keep], c[keep]
        rest = n - b - c
        for a in (rest, rest // 2, np.zeros_like(rest)):
            rows.append(np.column_stack([a, b, c, rest - a]))
    return np.concatenate(rows).astype(float)


def exact_mcnemar(b: np.ndarray, c: np.ndarray) -> np.ndarray:
    m = b + c
    p = np.minimum(1.0, 2.0 * binom.cdf(np.minimum(b, c), m, 0.5))
    return np.where(m == 0, 1.0, p)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-n", type=int, default=150)
    args = ap.parse_args()
    t0 = time.perf_counter()
    tab = tables(args.max_n)
    a, b, c, d = tab.T
    _, lo, hi = bounds(a, b, c, d, 0.05)
    excludes = (lo > 0) | (hi < 0)
    old = exact_mcnemar(b, c)
    new = newcombe_paired_p(a, b, c, d)
    before = float(np.mean(excludes != (old < 0.05)))
    after = float(np.mean(excludes != (new < 0.05)))
    # monotone in the level: once 0 is inside, it stays inside
    theta = (b - c) / (a + b + c + d)
    inside_before = np.zeros(len(tab), dtype=bool)
    broken = np.zeros(len(tab), dtype=bool)
    for z in np.linspace(0.01, 6.0, 200):
        _, lo_z, hi_z = bounds(a, b, c, d, 2.0 * norm.sf(z))
        inside = ~(((lo_z > 0) & (theta > 0)) | ((hi_z < 0) & (theta < 0)))
        broken |= inside_before & ~inside
        inside_before |= inside
    seconds = time.perf_counter() - t0
    example = newcombe_paired_diff(8, 0, 4, 8)
    # exact type I error of the inverted test at p10 = p01
    size = {}
    for n, q in ((20, 0.1), (50, 0.05), (100, 0.1), (150, 0.02)):
        cells = [
            (x, y, z) for x in range(n + 1) for y in range(n + 1 - x) for z in range(n + 1 - x - y)
        ]
        arr = np.array([(x, y, z, n - x - y - z) for x, y, z in cells], dtype=float)
        prob = multinomial.pmf(arr, n, [0.5 - q, q, q, 0.5 - q])
        pv = newcombe_paired_p(*arr.T)
        size[f"n={n},p10=p01={q}"] = float(np.sum(prob[pv < 0.05]))
    out = {
        "tables": len(tab),
        "max_n": args.max_n,
        "disagree_before": before,
        "disagree_after": after,
        "non_monotone_tables": int(broken.sum()),
        "example_n20_b0_c4": {
            "interval": [example[1], example[2]],
            "mcnemar_p": float(exact_mcnemar(np.array([0.0]), np.array([4.0]))[0]),
            "inverted_p": float(newcombe_paired_p(8, 0, 4, 8)),
        },
        "type_i_error": size,
        "seconds": round(seconds, 1),
    }
    print(f"tables with n <= {args.max_n}: {len(tab)}")
    print(
        f"p and interval disagree about 0: before {100 * before:.2f} %, after {100 * after:.2f} %"
    )
    print(f"tables whose interval is not monotone in the level: {int(broken.sum())}")
    for k, v in size.items():
        print(f"type I error of the inverted test at alpha 0.05, {k}: {v:.4f}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
