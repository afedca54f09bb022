"""Audits of pairs that carry human labels: the summary's agreement block, the report's
section, and the `agreement<x` / `kappa<x` gate conditions."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from judgebias.audits.gate import check_gate, parse_fail_on
from judgebias.tables.pairs import bundled_pairs_path, load_pairs


def _pairs_with_humans(path: Path, n: int = 120) -> Path:
    rng = np.random.default_rng(0)
    rows = []
    for p in load_pairs(bundled_pairs_path())[:n]:
        row = dataclasses.asdict(p)
        for h in ("human_1", "human_2", "human_3"):
            row[h] = p.gold if rng.random() < 0.85 else ("b" if p.gold == "a" else "a")
        rows.append(row)
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def audit(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("audit", *args)


def test_audit_reports_agreement_and_gates_on_it(tmp_path: Path) -> None:
    data = _pairs_with_humans(tmp_path / "pairs.jsonl")
    out = tmp_path / "run"
    p = audit(
        "--judge",
        "sim:accuracy=0.8",
        "--data",
        str(data),
        "--out",
        str(out),
        "--fail-on",
        "agreement<0.95,kappa<0.05",
    )
    assert p.returncode == 1, p.stderr  # agreement is far below 95 %; kappa well above 0.05
    assert "agreement<0.95: FAILED" in p.stderr and "kappa<0.05: passed" in p.stderr
    s = json.loads((out / "summary.json").read_text())
    ag = s["agreement"]
    assert ag["n_items"] == 120 and ag["n_humans"] == 3
    assert ag["human_columns"] == ["human_1", "human_2", "human_3"]
    # the sim's content verdict is right 80 % of the time, each human 85 %:
    # they agree about 0.8 * 0.85 + 0.2 * 0.15 = 71 % of the time
    assert ag["agreement"]["with_ties"] == pytest.approx(0.71, abs=0.08)
    # two humans agree 0.85 ** 2 + 0.15 ** 2 = 74.5 % of the time
    assert ag["human_human"]["with_ties"] == pytest.approx(0.745, abs=0.08)
    html = (out / "report.html").read_text()
    assert 'id="agreement"' in html and "Agreement with humans" in html


def test_without_human_labels_the_conditions_fail_closed(tmp_path: Path) -> None:
    p = audit(
        "--judge",
        "sim",
        "--limit",
        "20",
        "--out",
        str(tmp_path / "r"),
        "--fail-on",
        "agreement<0.9",
    )
    assert p.returncode == 1, p.stderr  # a gate that cannot see the agreement does not pass
    assert "agreement<0.9: FAILED: the pairs carry no human label columns" in p.stderr
    assert "agreement" not in json.loads((tmp_path / "r" / "summary.json").read_text())


def test_gate_reads_the_agreement_intervals() -> None:
    summary = {
        "probes": {},
        "agreement": {
            "agreement": {"with_ties": 0.6, "with_ties_ci": [0.55, 0.65]},
            "kappa": 0.4,
            "kappa_ci": [0.3, 0.5],
        },
    }
    res = check_gate(summary, parse_fail_on("agreement<0.7,agreement<0.6,kappa<0.6,kappa<0.45"))
    assert [r.tripped for r in res] == [True, False, True, False]
    assert "kappa against humans 0.400" in res[2].message
    with pytest.raises(Exception, match=r"\|kappa\|"):
        parse_fail_on("|kappa|>0.1")


def test_an_unreadable_human_column_does_not_lose_the_audit(tmp_path: Path) -> None:
    rows = [
        dataclasses.asdict(p) | {"human_note": "looks fine"}
        for p in load_pairs(bundled_pairs_path())[:15]
    ]
    data = tmp_path / "pairs.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    p = audit("--judge", "sim", "--data", str(data), "--out", str(tmp_path / "r"), "--quiet")
    assert p.returncode == 0, p.stderr
    ag = json.loads((tmp_path / "r" / "summary.json").read_text())["agreement"]
    assert "human_note" in ag["error"] and ag["human_columns"] == ["human_note"]
    assert 'id="agreement-error"' in (tmp_path / "r" / "report.html").read_text()
