"""How large is the HTML report, and how long does it take to render? (target: < 2 MB at 1,000 pairs)

Audits the simulated judge with every probe (the self probe against a simulated
gold judge) on ``--pairs`` generated pairs whose answers run from a few words to
``--max-words`` words (long answers make the examples section as large as it
gets: every prompt and raw answer shown is capped), then renders the report from
the stored run, ``--repeat`` times, and measures the page and its parts.

    python benchmarks/report_size.py [--pairs 1000 --max-words 1200 --repeat 3]

Prints a table, then, as the last line, one JSON object with every figure. Exits 1
when the report is larger than ``--limit-mib`` (2 by default).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from judgebias.audits.pipeline import AuditConfig, run_audit
from judgebias.report.render import render_html

WORDS = [
    "river",
    "stone",
    "lamp",
    "orbit",
    "cedar",
    "violet",
    "engine",
    "harbor",
    "quartz",
    "meadow",
    "signal",
    "copper",
    "lattice",
    "ember",
    "tundra",
    "falcon",
    "prism",
    "velvet",
    "canyon",
    "beacon",
    "mosaic",
    "thistle",
    "glacier",
    "saffron",
    "anchor",
]


def make_pairs(n: int, max_words: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)

    def text(k: int) -> str:
        words = [rng.choice(WORDS) for _ in range(k)]
        out, line = [], []
        for i, w in enumerate(words, 1):
            line.append(w)
            if i % 12 == 0:
                out.append(" ".join(line).capitalize() + ".")
                line = []
        if line:
            out.append(" ".join(line).capitalize() + ".")
        return " ".join(out)

    def length() -> int:
        return min(max_words, max(3, int(rng.lognormvariate(4.0, 1.0))))

    return [
        {
            "id": f"p{i:05d}",
            "instruction": "Describe " + text(rng.randint(4, 20)),
            "response_a": text(length()),
            "response_b": text(length()),
            "gold": rng.choice(["a", "b"]),
        }
        for i in range(n)
    ]


def parts(html: str) -> dict[str, int]:
    """Bytes of the inline SVG figures and of the examples section."""
    svg = sum(len(m.encode("utf-8")) for m in re.findall(r"<svg.*?</svg>", html, flags=re.S))
    start, end = html.find('<h2 id="examples">'), html.find('<h2 id="run">')
    examples = len(html[start:end].encode("utf-8")) if 0 <= start < end else 0
    return {"svg_bytes": svg, "examples_bytes": examples}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--max-words", type=int, default=1200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit-mib", type=float, default=2.0)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="judgebias-report-size-") as tmp:
        data = Path(tmp) / "pairs.jsonl"
        data.write_text(
            "".join(
                json.dumps(r) + "\n" for r in make_pairs(args.pairs, args.max_words, args.seed)
            ),
            encoding="utf-8",
        )
        out = Path(tmp) / "run"
        t0 = time.perf_counter()
        run_audit(
            AuditConfig(
                judge="sim:accuracy=0.85,position=0.25,length=0.2,bandwagon=0.3,authority=0.15,"
                "reflection=0.1,distraction=0.05,self=0.3,seed=7",
                gold_judge="sim:accuracy=1,seed=7",
                data=str(data),
                probes=["all"],
                out=str(out),
                quiet=True,
                write_report=False,
                concurrency=64,
            )
        )
        audit_s = time.perf_counter() - t0
        times, html = [], ""
        for _ in range(max(1, args.repeat)):
            t0 = time.perf_counter()
            html = render_html(out)
            times.append(time.perf_counter() - t0)
    size = len(html.encode("utf-8"))
    result = {
        "benchmark": "report_size",
        "pairs": args.pairs,
        "max_words": args.max_words,
        "bytes": size,
        "mib": round(size / 2**20, 3),
        "limit_mib": args.limit_mib,
        "within_limit": size < args.limit_mib * 2**20,
        "render_seconds_best": round(min(times), 3),
        "render_seconds_all": [round(t, 3) for t in times],
        "audit_seconds": round(audit_s, 2),
        **parts(html),
    }
    print(f"{'pairs':>24}  {args.pairs}")
    print(f"{'report size':>24}  {size:,} bytes ({result['mib']} MiB; limit {args.limit_mib} MiB)")
    print(f"{'of which inline SVG':>24}  {result['svg_bytes']:,} bytes")
    print(f"{'of which examples':>24}  {result['examples_bytes']:,} bytes")
    print(f"{'render (best of ' + str(len(times)) + ')':>24}  {result['render_seconds_best']} s")
    print(f"{'audit (sim, all probes)':>24}  {result['audit_seconds']} s")
    print(json.dumps(result))
    return 0 if result["within_limit"] else 1


if __name__ == "__main__":
    sys.exit(main())
