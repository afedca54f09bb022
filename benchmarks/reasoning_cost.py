"""What does a reasoning judge cost, and does the audit recover an effort-dependent bias?

Measured on the simulated judge served over HTTP by ``judgebias serve-sim``, on the
bundled pairs with every perturbation probe and position:

* **plain**: the sim without reasoning (the baseline of calls and tokens);
* **o4-mini, effort low / medium / high**: ``openai:o4-mini`` against a sim that reasons
  like OpenAI's reasoning models (``reasoning=hidden``: no text, the token count in
  ``usage``; serve-sim refuses ``max_tokens`` and temperature for that model name as
  OpenAI does), with the planted biases scaled by the effort (``effort_bias``): the
  effect at each effort is checked against planted × (1 - effort_bias × w);
* **think, 512 / 4000 tokens**: a Qwen3/R1-style judge that writes ``<think>`` inline,
  once at the non-reasoning default budget of 512 tokens and once with
  ``--max-tokens 4000``: how many verdicts the budget costs, and that a cut answer is
  asked once (attempts = calls).

    python benchmarks/reasoning_cost.py [--limit N]

The last line printed is one JSON object with every number.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from judgebias.audits.pipeline import AuditConfig, run_audit

PROBES = ["position", "length", "bandwagon", "authority", "reflection", "distraction"]
PLANTED = {
    "position": 0.2,
    "length": 0.2,
    "bandwagon": 0.3,
    "authority": 0.25,
    "reflection": 0.15,
    "distraction": 0.1,
}
EFFORT_BIAS = 0.6
THINK = 400
WEIGHT = {"low": 0.0, "medium": 0.5, "high": 1.0}


def _spec(extra: str = "") -> str:
    base = "sim:accuracy=0.8," + ",".join(f"{k}={v:g}" for k, v in PLANTED.items())
    return base + (f",{extra}" if extra else "")


def _serve(spec: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "judgebias.cli", "serve-sim", "--judge", spec, "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    return proc, str(info["listening"])


def _row(name: str, summary: dict[str, Any], out: Path, factor: float) -> dict[str, Any]:
    rec = pd.read_parquet(out / "records.parquet")
    uniq = rec.drop_duplicates("request_key")
    calls, tokens = summary["calls"], summary["tokens"]
    cut = int((uniq["verdict"].isna() & (uniq["reasoning"].fillna("") != "")).sum())
    think = uniq["reasoning"].fillna("").str.len() / 4.0
    reasoning_tokens = tokens.get("reasoning")
    effects = {}
    for probe in PROBES:
        f = summary["probes"][probe]
        planted = PLANTED[probe] * factor
        effects[probe] = {
            "effect": f["effect"],
            "ci": [f["ci_low"], f["ci_high"]],
            "planted": planted,
            "covered": f["ci_low"] is not None and f["ci_low"] <= planted <= f["ci_high"],
        }
    return {
        "run": name,
        "calls": calls["total"],
        "sent": calls["sent"],
        "attempts": calls["attempts"],
        "unreadable_after_reasoning": cut,
        "completion_tokens": tokens["completion"],
        "reasoning_tokens": reasoning_tokens
        if reasoning_tokens is not None
        else round(float(think.sum())),
        "reasoning_tokens_reported": reasoning_tokens is not None,
        "completion_per_call": tokens["completion"] / max(1, calls["total"]),
        "effects": effects,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=None, help="use only the first N bundled pairs")
    args = ap.parse_args()
    rows: list[dict[str, Any]] = []
    openai_like, openai_url = _serve(
        _spec(f"reasoning=hidden,think_tokens={THINK},effort_bias={EFFORT_BIAS}")
    )
    inline, inline_url = _serve(_spec(f"reasoning=inline,think_tokens={THINK}"))
    try:
        with tempfile.TemporaryDirectory() as tmp:

            def audit(name: str, judge: str, factor: float = 1.0, **kw: Any) -> None:
                out = Path(tmp) / name.replace(" ", "_").replace("/", "_")
                cfg = AuditConfig(
                    judge=judge, probes=PROBES, out=str(out), quiet=True, limit=args.limit,
                    concurrency=16, write_report=False, **kw,
                )  # fmt: skip
                rows.append(_row(name, run_audit(cfg).summary, out, factor))

            audit("plain", _spec())
            for effort in ("low", "medium", "high"):
                audit(
                    f"o4-mini, effort {effort}",
                    "openai:o4-mini",
                    1.0 - EFFORT_BIAS * WEIGHT[effort],
                    base_urls=[openai_url],
                    reasoning_effort=effort,
                )
            audit("think, 512 tokens", "openai:qwen3", base_urls=[inline_url])
            audit("think, 4000 tokens", "openai:qwen3", base_urls=[inline_url], max_tokens=4000)
    finally:
        for proc in (openai_like, inline):
            proc.kill()
            proc.wait(timeout=10)

    head = f"{'run':<22}{'calls':>7}{'attempts':>9}{'cut':>6}{'completion tok':>16}{'reasoning tok':>15}{'per call':>10}"
    print(head)
    for r in rows:
        print(
            f"{r['run']:<22}{r['calls']:>7}{r['attempts']:>9}{r['unreadable_after_reasoning']:>6}"
            f"{r['completion_tokens']:>16,}{r['reasoning_tokens']:>15,}{r['completion_per_call']:>10.0f}"
        )
    print()
    print(f"{'effects (pp) [95% CI]; planted':<22}" + "".join(f"{p:>22}" for p in PROBES))
    for r in rows:
        cells = []
        for p in PROBES:
            e = r["effects"][p]
            if e["effect"] is None:
                cells.append(f"{'–':>22}")
                continue
            mark = "" if e["covered"] else "!"
            cells.append(
                f"{100 * e['effect']:>6.1f} [{100 * e['ci'][0]:.0f},{100 * e['ci'][1]:.0f}] {100 * e['planted']:.0f}{mark}".rjust(
                    22
                )
            )
        print(f"{r['run']:<22}" + "".join(cells))
    print(
        json.dumps(
            {"planted": PLANTED, "effort_bias": EFFORT_BIAS, "think_tokens": THINK, "runs": rows}
        )
    )


if __name__ == "__main__":
    main()
