"""Failing closed: answers that cannot be read are counted, never read as a verdict.

The simulated judge misbehaves on purpose (echo, truncate, garble, ambiguous; in logprob
mode nolabel, onelabel, lowmass) with planted probabilities, so the strict reader, the
invalid shares, the fail-closed figures, exit status 3 and the gate are tested here
without a model. tests/test_real_model.py does the same against a real small model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli, stderr_lines

from judgebias.audits.pipeline import AuditConfig, run_audit


def _audit(data: Path, out: Path, judge: str, **kw):  # type: ignore[no-untyped-def]
    cfg = AuditConfig(judge=judge, data=str(data), out=str(out), quiet=True, **kw)
    return run_audit(cfg)


def test_planted_invalid_shares_are_counted_and_biases_still_recovered(
    pairs_file, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    planted = {"echo": 0.10, "truncate": 0.05, "garble": 0.05, "ambiguous": 0.05}
    judge = "sim:accuracy=0.9,position=0.2,length=0.2," + ",".join(
        f"{k}={v}" for k, v in planted.items()
    )
    res = _audit(
        pairs_file(300, gold=False), tmp_path / "run", judge, probes=["position", "length"]
    )
    inv = res.summary["invalid"]
    n = inv["n"]
    assert inv["share"] == pytest.approx(sum(planted.values()), abs=0.035)
    expected = {"echo": "echo", "truncate": "truncated", "garble": "no_verdict"}
    expected["ambiguous"] = "ambiguous"
    for key, reason in expected.items():
        assert inv["reasons"][reason] / n == pytest.approx(planted[key], abs=0.025), reason
    assert inv["exceeded"] is True  # 25 % > the default 10 %
    # nothing invalid is counted as a verdict: the echoed template's [[C]] is no tie
    rec = res.records
    bad = rec[~rec["valid"]]
    assert bad["verdict"].isna().all() and bad["invalid_reason"].notna().all()
    assert (rec["verdict"] == "tie").sum() == 0
    # the biases are recovered from the answers that could be read
    for probe in ("position", "length"):
        fig = res.summary["probes"][probe]
        assert fig["status"] == "measured"
        assert fig["ci_low"] <= 0.2 <= fig["ci_high"], (probe, fig)
    # position loses a pair when either order is unreadable: 1 - 0.75^2
    assert res.summary["probes"]["position"]["invalid_share"] == pytest.approx(0.4375, abs=0.07)


def test_a_judge_that_only_echoes_is_not_measured_and_fails_closed(
    pairs_file, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    data, out = pairs_file(40), tmp_path / "echo"
    args = ["audit", "--judge", "sim:position=0.3,echo=1", "--data", str(data), "--out", str(out)]
    args += ["--probes", "position,length,bandwagon", "--fail-on", "position>0.1"]
    p = run_cli(*args)
    assert p.returncode == 3, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr
    lines = stderr_lines(p)
    closing = [ln for ln in lines if "could not be read" in ln]
    assert len(closing) == 1 and "--max-invalid" in closing[0] and "echo" in closing[0]
    assert any("position>0.1: FAILED" in ln and "not measured" in ln for ln in lines)
    s = json.loads((out / "summary.json").read_text())
    assert s["accuracy"] is None
    assert s["invalid"]["share"] == 1.0 and s["invalid"]["reasons"] == {"echo": 80}
    assert s["invalid"]["examples"] and "[Instruction]" in s["invalid"]["examples"][0]["raw"]
    for name in ("position", "length", "bandwagon"):
        fig = s["probes"][name]
        assert fig["status"] == "not_measured" and fig["effect"] is None
        assert fig["severity"] == "not measured" and fig["n_invalid"] > 0
    html = (out / "report.html").read_text()
    assert "This audit failed closed" in html and "not measured" in html
    assert "not detected" not in html.split('id="scorecard"')[1].split("</table>")[0]
    # the run is complete and resumable: a re-run sends nothing and fails closed again
    again = run_cli(*args, "--json")
    assert again.returncode == 3
    assert json.loads(again.stdout)["calls"]["sent"] == 0
    # and the stored run fails the gate too
    rep = run_cli("report", str(out), "--fail-on", "position>0.1,accuracy<0.5")
    assert rep.returncode == 1
    assert "not measured" in rep.stderr and "accuracy was not measured" in rep.stderr


def test_inconclusive_instead_of_not_detected_when_many_answers_are_unreadable(
    pairs_file, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    res = _audit(pairs_file(200), tmp_path / "g", "sim:accuracy=0.9,garble=0.3", max_invalid=0.35)
    fig = res.summary["probes"]["position"]
    assert fig["status"] == "measured" and fig["invalid_share"] > 0.4
    assert fig["severity"] == "inconclusive"
    assert res.summary["invalid"]["exceeded"] is False  # 30 % of answers, limit 35 %
    clean = _audit(pairs_file(200), tmp_path / "c", "sim:accuracy=0.9")
    assert clean.summary["probes"]["position"]["severity"] == "not detected"
    assert clean.summary["invalid"]["share"] == 0.0


def test_logprob_misbehaviour_over_http(pairs_file, sim_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    srv = sim_server("--judge", "sim:position=0.2,nolabel=0.2,onelabel=0.2,lowmass=0.1")
    out = tmp_path / "lp"
    p = run_cli(
        "audit", "--judge", "openai:sim", "--base-url", srv.base_url, "--mode", "logprob",
        "--data", str(pairs_file(300)), "--out", str(out), "--max-invalid", "0.5", "--quiet",
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    s = json.loads((out / "summary.json").read_text())
    inv = s["invalid"]
    assert inv["share"] == pytest.approx(0.3, abs=0.05)
    assert set(inv["reasons"]) == {"labels_missing", "low_label_mass"}
    assert inv["reasons"]["labels_missing"] / inv["n"] == pytest.approx(0.2, abs=0.04)
    import pandas as pd

    rec = pd.read_parquet(out / "records.parquet")
    valid = rec[rec["valid"]]
    # a label missing from the alternatives is bounded, never probability 0
    assert valid["p_first"].between(0.0, 1.0, inclusive="neither").all()
    assert ((valid["p_first"] < 0.99) & (valid["p_first"] > 0.01)).any()
    pos = s["probes"]["position"]
    assert pos["ci_low"] <= 0.2 <= pos["ci_high"]


def test_score_mode_needs_both_scores_once(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = _audit(pairs_file(150), tmp_path / "s", "sim:truncate=0.1,ambiguous=0.1", mode="score")
    inv = res.summary["invalid"]
    assert set(inv["reasons"]) == {"truncated", "ambiguous"}
    assert inv["share"] == pytest.approx(0.2, abs=0.05)


def test_max_invalid_must_be_a_share(pairs_file) -> None:  # type: ignore[no-untyped-def]
    p = run_cli("audit", "--judge", "sim", "--data", str(pairs_file(5)), "--max-invalid", "1.5")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert len(stderr_lines(p)) == 1 and "--max-invalid" in p.stderr


def test_misbehaviour_probabilities_are_checked(pairs_file) -> None:  # type: ignore[no-untyped-def]
    p = run_cli("audit", "--judge", "sim:echo=0.7,garble=0.6", "--data", str(pairs_file(5)))
    assert p.returncode == 2 and "add up to" in p.stderr and "Traceback" not in p.stderr
