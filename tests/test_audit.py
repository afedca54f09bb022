"""End-to-end audits of the in-process simulated judge: planted position bias recovered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from judgebias.audits.pipeline import AuditConfig, run_audit

CONTRACT_POSITION_KEYS = {
    "effect",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "n",
    "consistency",
    "primacy",
    "recency",
}


@pytest.mark.parametrize("planted", [0.3, -0.2])
def test_planted_position_bias_is_recovered(pairs_file, tmp_path: Path, planted: float) -> None:  # type: ignore[no-untyped-def]
    data = pairs_file(300, seed=7)
    o = run_audit(
        AuditConfig(
            judge=f"sim:accuracy=0.9,position={planted},seed=3",
            data=str(data),
            out=str(tmp_path / "run"),
            quiet=True,
        )
    )
    pos = o.summary["probes"]["position"]
    assert pos["ci_low"] <= planted <= pos["ci_high"]
    assert pos["p_adjusted"] < 0.001
    assert abs(pos["effect"] - planted) < 0.07
    # the inconsistent share is |planted| in expectation, all on one side
    side = "primacy" if planted > 0 else "recency"
    assert pos[side] == pytest.approx(1 - pos["consistency"])


def test_zero_position_bias_is_not_flagged(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = pairs_file(300, seed=8)
    o = run_audit(
        AuditConfig(
            judge="sim:accuracy=0.9,position=0",
            data=str(data),
            out=str(tmp_path / "run"),
            quiet=True,
        )
    )
    pos = o.summary["probes"]["position"]
    assert pos["ci_low"] <= 0 <= pos["ci_high"]
    assert pos["p_adjusted"] >= 0.05
    assert pos["consistency"] == 1.0
    assert pos["severity"] == "not detected"


def test_run_folder_contract_and_resume(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = pairs_file(40, seed=9)
    out = tmp_path / "run"
    cfg = AuditConfig(
        judge="sim:accuracy=0.8,position=0.1", data=str(data), out=str(out), quiet=True
    )
    first = run_audit(cfg)
    s = json.loads((out / "summary.json").read_text())
    assert s == first.summary
    assert {"judge", "n_pairs", "accuracy", "probes", "calls", "tokens", "cost_usd"} <= set(s)
    assert set(s["probes"]["position"]) >= CONTRACT_POSITION_KEYS
    assert s["n_pairs"] == 40 and s["judge"] == "sim:accuracy=0.8,position=0.1"
    assert s["calls"] == {**s["calls"], "total": 80, "sent": 80, "cached": 0, "failed": 0}
    assert s["tokens"]["prompt"] > 0
    rec = pd.read_parquet(out / "records.parquet")
    assert len(rec) == 80 and set(rec["order"]) == {"ab", "ba"}
    assert {"pair_id", "order", "verdict", "raw", "gold", "latency_s"} <= set(rec.columns)
    html = (out / "report.html").read_text()
    assert "This judge is simulated" in html and "position" in html
    again = run_audit(cfg)
    assert again.summary["calls"]["sent"] == 0 and again.summary["calls"]["cached"] == 80
    assert again.summary["probes"] == first.summary["probes"]


def test_same_request_same_answer_and_order_free_content(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """With no position bias, the content verdict is the same in both orders on any data."""
    data = pairs_file(100, seed=10)
    o = run_audit(
        AuditConfig(judge="sim:accuracy=0.7", data=str(data), out=str(tmp_path / "r"), quiet=True)
    )
    wide = o.records.pivot(index="pair_id", columns="order", values="verdict")
    assert (wide["ab"] == wide["ba"]).all()


def test_bundled_pairs_and_checkable_accuracy(tmp_path: Path) -> None:
    """Without --data the bundled pairs are used; where the task is checkable the sim's
    accuracy against gold is its planted accuracy."""
    o = run_audit(AuditConfig(judge="sim:accuracy=0.9,seed=1", out=str(tmp_path / "r"), quiet=True))
    s = o.summary
    assert s["n_pairs"] >= 200
    lo, hi = s["accuracy_ci"]
    assert lo <= 0.9 <= hi
    assert s["probes"]["position"]["consistency"] == 1.0


def test_chunked_phases_give_the_same_audit(
    pairs_file, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Asking in chunks (to keep memory flat) changes nothing in the results."""
    import judgebias.audits.calls as calls
    import judgebias.audits.formats.pairwise as pairwise

    data = str(pairs_file(60, seed=21))
    cfg = dict(
        judge="sim:accuracy=0.9,position=0.2,bandwagon=0.3,self=0.3",
        data=data,
        probes=["all"],
        gold_judge="sim:accuracy=1",
        quiet=True,
    )
    whole = run_audit(AuditConfig(out=str(tmp_path / "whole"), **cfg))  # type: ignore[arg-type]
    sizes: list[int] = []

    def counted(items, size=None):  # type: ignore[no-untyped-def]
        for batch in calls.chunked(items, size):
            sizes.append(len(batch))
            yield batch

    monkeypatch.setattr(calls, "CHUNK", 7)
    monkeypatch.setattr(pairwise, "chunked", counted)
    parts = run_audit(AuditConfig(out=str(tmp_path / "parts"), **cfg))  # type: ignore[arg-type]
    assert max(sizes) == 7 and len(sizes) > 10  # it was asked in chunks
    assert parts.summary["probes"] == whole.summary["probes"]
    assert parts.summary["calls"]["total"] == whole.summary["calls"]["total"]
    cols = ["pair_id", "probe", "kind", "variant", "order", "verdict", "request_key"]
    a = whole.records[cols].sort_values(cols).reset_index(drop=True)
    b = parts.records[cols].sort_values(cols).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def _piped_and_phased(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The records of one audit asked pipelined (in blocks of pairs when ``chunk`` is
    given) and of the same audit asked in two phases."""
    import judgebias as jb
    import judgebias.audits.formats.pairwise as pairwise

    judge = "sim:accuracy=0.8,position=0.2,length=0.2,bandwagon=0.3,echo=0.05"
    kw: dict[str, Any] = {"probes": "position,length,bandwagon,authority", "limit": 60, "seed": 5}
    with monkeypatch.context() as m:
        if chunk is not None:
            m.setattr(pairwise, "CHUNK", chunk)
        piped = jb.audit(judge, out=str(tmp_path / "piped"), **kw)
    monkeypatch.setattr(pairwise, "_pipelined", lambda *a: False)
    phased = jb.audit(judge, out=str(tmp_path / "phased"), **kw).records
    timing = ["latency_s", "attempts"]
    return piped.records.drop(columns=timing), phased.drop(columns=timing)


def test_pipelined_probes_give_the_phased_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Probes asked as their controls are answered (one runner call) give exactly the
    records of the phased audit (controls, then probes), row for row."""
    piped, phased = _piped_and_phased(tmp_path, monkeypatch)
    assert len(piped) > 60 * 2
    pd.testing.assert_frame_equal(piped, phased)


def test_pipelined_audit_larger_than_a_chunk_runs_in_blocks_with_the_phased_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An audit whose probe calls do not fit in one chunk is pipelined block of pairs by
    block (each block's calls fit): one runner call per block, and still the phased
    audit's records, row for row (the blocks' probes interleaved back into probe order)."""
    import judgebias.corrections.mitigations as mitigations

    calls: list[str] = []
    real = mitigations.run_requests

    async def counted(*a: Any, **kw: Any) -> Any:
        calls.append(kw["label"])
        return await real(*a, **kw)

    monkeypatch.setattr(mitigations, "run_requests", counted)
    # a chunk of 100 calls: 100 // (4 calls a pair and cued probe) pairs a block
    piped, phased = _piped_and_phased(tmp_path, monkeypatch, chunk=100)
    blocks = [c for c in calls if c.startswith("judging")]
    per_block = 100 // (4 * piped.loc[piped["kind"] == "cue", "probe"].nunique())
    n_pairs = piped["pair_id"].nunique()
    assert n_pairs > 3 * per_block
    assert len(blocks) == -(-n_pairs // per_block)
    assert blocks[1] == "judging (2)"
    pd.testing.assert_frame_equal(piped, phased)
