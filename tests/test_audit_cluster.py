"""``--cluster COL``: an audit's intervals clustered by instruction (the default), by pair, or
by a column of the pairs file, over real HTTP to serve-sim.

The pairs break the assumption of pair-clustered intervals: 240 pairs ask only 30
instructions, and each instruction's 8 pairs are the same comparison asked again, so the
judge's verdict (its bias included) is the same on all of them: an instruction-level effect
in the extreme. Counting the 8 as independent narrows the interval about threefold.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import assert_one_line_error, make_pairs, run_cli

JUDGE = "sim:accuracy=0.8,position=0.15,bandwagon=0.2,seed=3"


def shared_pairs(path: Path, n_instructions: int = 30, per: int = 8) -> Path:
    rows = []
    for i, base in enumerate(make_pairs(n_instructions, 71)):
        for j in range(per):
            rows.append(
                {
                    **base,
                    "id": f"q{i}-{j}",
                    "question_id": i,
                    "topic": f"t{i % 6}",
                }
            )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def audit(srv: Any, data: Path, out: Path, *extra: str) -> dict[str, Any]:
    p = run_cli(
        "audit",
        "--judge",
        "openai:sim",
        "--base-url",
        srv.base_url,
        "--data",
        str(data),
        "--probes",
        "position,bandwagon",
        "--out",
        str(out),
        "--quiet",
        *extra,
    )
    assert p.returncode == 0, p.stderr
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text())
    return summary


def width(fig: dict[str, Any]) -> float:
    return float(fig["ci_high"] - fig["ci_low"])


@pytest.mark.slow
def test_cluster_flag_over_http(sim_server: Any, tmp_path: Path) -> None:
    srv = sim_server("--judge", JUDGE)
    data = shared_pairs(tmp_path / "pairs.jsonl")
    out = tmp_path / "run"
    inst = audit(srv, data, out)
    assert inst["cluster"] == {
        "column": "instruction",
        "unit": "instruction",
        "n_clusters": 30,
        "n_pairs": 240,
        "largest": 8,
    }
    assert inst["run"]["cluster"] == "instruction"
    records = pd.read_parquet(out / "records.parquet")
    assert records.groupby("pair_id")["cluster"].nunique().max() == 1
    assert records["cluster"].nunique() == 30
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "intervals clustered by instruction (30 clusters of 240 pairs)" in html
    # the same run re-read with --cluster pair: nothing is sent again, the intervals narrow
    pair = audit(srv, data, out, "--cluster", "pair")
    assert pair["calls"]["sent"] == 0 and pair["cluster"]["unit"] == "pair"
    assert pair["cluster"]["n_clusters"] == 240
    for probe in ("position", "bandwagon"):
        a, b = pair["probes"][probe], inst["probes"][probe]
        assert a["effect"] == b["effect"]
        assert width(b) > 2.0 * width(a), (probe, width(a), width(b))
    assert inst["probes"]["bandwagon"]["deff"] > 4.0
    assert "intervals clustered by pair" in (out / "report.html").read_text(encoding="utf-8")
    # a column of the pairs file: question_id gives the instruction's clusters, topic fewer
    q = audit(srv, data, out, "--cluster", "question_id")
    assert q["cluster"]["unit"] == "question_id" and q["cluster"]["n_clusters"] == 30
    for probe in ("position", "bandwagon"):
        assert q["probes"][probe]["ci_low"] == pytest.approx(inst["probes"][probe]["ci_low"])
    topic = audit(srv, data, out, "--cluster", "topic")
    assert topic["cluster"]["n_clusters"] == 6
    # an unknown column: one line, exit 2, with the closest name
    bad = run_cli(
        "audit", "--judge", JUDGE, "--data", str(data), "--out", str(tmp_path / "x"),
        "--cluster", "questoin_id",
    )  # fmt: skip
    line = assert_one_line_error(bad, "--cluster", "questoin_id", "did you mean 'question_id'")
    assert str(data) in line


def test_cluster_flag_in_a_notebook_and_its_refusals(tmp_path: Path) -> None:
    import judgebias as jb
    from judgebias.errors import UsageError

    data = shared_pairs(tmp_path / "pairs.jsonl", n_instructions=6, per=3)
    res = jb.audit(JUDGE, str(data), probes="position", out=str(tmp_path / "nb"), cluster="topic")
    assert res.summary_json["cluster"]["n_clusters"] == 6
    with pytest.raises(UsageError, match="listwise"):
        jb.audit(JUDGE, str(data), out=str(tmp_path / "l"), candidates=3, cluster="topic")
