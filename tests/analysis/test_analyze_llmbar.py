"""`judgebias analyze` reproduces the LLMBar source's own statistics (real GPT-4 / ChatGPT verdicts).

The data lives outside the repository, in ``../shared/data/llmbar`` (or under
``$JUDGEBIAS_SHARED_DATA``); the tests skip, saying so, when it is absent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import SHARED_DATA, run_cli

from judgebias.analysis import items_to_pairs, run_analyze
from judgebias.tables.pairs import read_table

pytestmark = pytest.mark.external

SHARED = SHARED_DATA
LLMBAR = SHARED / "llmbar"
FILES = ("judgments.csv.gz", "items.jsonl.gz", "statistics.csv")
GROUP = ["subset", "judge", "strategy"]

# The Swap strategies keep the judge's synthesis of both orders only where its two
# verdicts disagreed; elsewhere the agreed verdict stands: synthesis first, else the verdict.
FIRST = "synth_noswap|winner_noswap"
SECOND = "synth_swap|winner_swap"


def _need_data() -> None:
    missing = [f for f in FILES if not (LLMBAR / f).exists()]
    if missing:
        pytest.skip(
            f"LLMBar data not found in {LLMBAR} (missing {', '.join(missing)}); "
            "set JUDGEBIAS_SHARED_DATA to the folder holding llmbar/"
        )


def _percent(cell: object) -> float:
    """The p of the source's "x / n = p%" (or "p%") cells."""
    m = re.search(r"(-?[\d.]+(?:e-?\d+)?)%\s*$", str(cell))
    assert m, cell
    return float(m.group(1))


def test_reproduces_source_statistics_on_every_complete_group(tmp_path: Path) -> None:
    _need_data()
    run_analyze(
        LLMBAR / "judgments.csv.gz",
        FIRST,
        SECOND,
        "label",
        GROUP,
        LLMBAR / "items.jsonl.gz",
        tmp_path / "out",
    )
    ours = pd.read_csv(tmp_path / "out" / "summary.csv")
    source = pd.read_csv(LLMBAR / "statistics.csv")
    merged = ours.merge(source, on=GROUP, how="inner", validate="one_to_one")
    assert len(merged) == len(source), "every group of statistics.csv has a row in summary.csv"
    complete = merged[merged["n_unparseable"] == 0]
    assert len(complete) > 0
    bad = []
    for r in complete.to_dict("records"):
        pc, acc = 100 * r["position_consistency"], 100 * r["accuracy"]
        if (
            abs(pc - _percent(r["equal"])) >= 0.01
            or abs(acc - _percent(r["correct_average"])) >= 0.01
        ):
            bad.append(
                (r["subset"], r["judge"], r["strategy"], pc, r["equal"], acc, r["correct_average"])
            )
    print(
        f"\nLLMBar: {len(complete)} of {len(merged)} (subset, judge, strategy) groups have complete "
        f"verdicts; all {len(complete) - len(bad)} reproduced to 0.01 pp"
    )
    assert not bad, bad


def test_strategy_comparison_on_llmbar(tmp_path: Path) -> None:
    _need_data()
    res = run_analyze(
        LLMBAR / "judgments.csv.gz",
        FIRST,
        SECOND,
        "label",
        GROUP,
        LLMBAR / "items.jsonl.gz",
        tmp_path / "out",
        compare_to="Vanilla",
    )
    comp = res.comparison
    assert comp is not None and comp.within == ["judge"]
    assert set(comp.differences["judge"]) == set(res.table["judge"])
    assert comp.differences["n"].gt(0).all()
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    items = read_table(LLMBAR / "items.jsonl.gz")
    for text in items["output_1"].head(50):  # no item text reaches the report
        if len(text) > 40:
            assert text[:40] not in html


def test_replay_audit_equals_analyze_on_one_llmbar_group(tmp_path: Path) -> None:
    _need_data()
    where = {"judge": "GPT-4", "strategy": "Vanilla", "subset": "LLMBar/Natural"}
    items = read_table(LLMBAR / "items.jsonl.gz")
    items = items[items["subset"] == where["subset"]]
    pairs = items_to_pairs(items, id_columns="subset,idx", gold="label")
    pairs_path = tmp_path / "pairs.jsonl"
    pairs.to_json(pairs_path, orient="records", lines=True)
    spec = (
        f"replay:{LLMBAR / 'judgments.csv.gz'},first=winner_noswap,second=winner_swap,"
        f"items={LLMBAR / 'items.jsonl.gz'}," + ",".join(f"{k}={v}" for k, v in where.items())
    )
    p = run_cli(
        "audit",
        "--judge",
        spec,
        "--data",
        str(pairs_path),
        "--probes",
        "position",
        "--out",
        str(tmp_path / "run"),
        "--quiet",
        "--json",
    )
    assert p.returncode == 0, p.stderr
    audit = json.loads(p.stdout)
    res = run_analyze(
        LLMBAR / "judgments.csv.gz",
        "winner_noswap",
        "winner_swap",
        "label",
        out=tmp_path / "an",
        where=where,
    )
    ref = res.summary["groups"][0]
    pos = audit["probes"]["position"]
    assert audit["calls"]["failed"] == 0 and audit["n_pairs"] == ref["n"]
    assert pos["consistency"] == pytest.approx(ref["position_consistency"]["value"])
    assert pos["primacy"] == pytest.approx(ref["primacy"]["value"])
    assert pos["recency"] == pytest.approx(ref["recency"]["value"])
    assert audit["accuracy"] == pytest.approx(ref["accuracy"]["value"])
