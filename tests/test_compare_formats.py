"""`judgebias compare` and the multi-run report with listwise and pointwise runs: the
differences of the simulated judge's planted biases are recovered (paired by unit when
both runs judged the same items), and runs of different formats are one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import lists_file, make_pairs, run_cli, stderr_lines

from judgebias.audits.pipeline import AuditConfig, run_audit
from judgebias.report.compare import compare_runs


def _audit(tmp_path: Path, name: str, judge: str, **kw) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path / name
    run_audit(AuditConfig(judge=judge, out=str(out), quiet=True, **kw))
    return out


def _pairs(tmp_path: Path, n: int, seed: int) -> Path:
    p = tmp_path / f"pairs{seed}.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in make_pairs(n, seed)))
    return p


def _row(result: dict, figure: str) -> dict:  # type: ignore[type-arg]
    t = result["table"]
    return t[t["figure"] == figure].iloc[0].to_dict()


def _near(row: dict, expected: float, k: float = 3.0) -> bool:  # type: ignore[type-arg]
    """The difference is within k standard errors (from its 95 % interval) of ``expected``."""
    se = (row["diff_ci_high"] - row["diff_ci_low"]) / 3.92
    return abs(row["difference"] - expected) <= k * max(se, 1e-9)


@pytest.fixture(scope="module")
def single_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("single")
    data = str(_pairs(tmp, 80, 1))
    kw = {"format": "single", "probes": ["length", "anchor"], "data": data}
    return {
        "before": _audit(tmp, "before", "sim:length=0.6,anchor=0.3", **kw),
        "after": _audit(tmp, "after", "sim:length=0.0,anchor=0.3", **kw),
        "other": _audit(
            tmp, "other", "sim:length=0.0,anchor=0.3", **{**kw, "data": str(_pairs(tmp, 80, 2))}
        ),
    }


def test_two_pointwise_runs_are_compared_paired_by_answer(single_runs: dict[str, Path]) -> None:
    res = compare_runs(single_runs["before"], single_runs["after"], n_boot=500)
    assert res["format"] == "single" and res["paired"] and res["n_shared"] == 80
    length = _row(res, "length")
    assert length["method"] == "paired bootstrap"
    assert _near(length, -0.6) and length["diff_ci_high"] < 0 and length["p_value"] < 0.01
    a = json.loads((single_runs["before"] / "summary.json").read_text())["probes"]["length"]
    assert length["effect_a"] == pytest.approx(a["effect"])  # the run's own figure
    anchor = _row(res, "anchor")  # the same planted pull, the same answers: no difference
    assert anchor["method"] == "paired bootstrap"
    assert anchor["diff_ci_low"] <= 0 <= anchor["diff_ci_high"]
    assert "grade points" in res["unit_note"]
    # runs of different pairs: from the two intervals
    ind = compare_runs(single_runs["before"], single_runs["other"], n_boot=500)
    il = _row(ind, "length")
    assert not ind["paired"] and il["method"] == "newcombe" and _near(il, -0.6)


def test_two_listwise_runs_compare_the_shares_by_position(tmp_path: Path) -> None:
    data = str(lists_file(tmp_path, 80, 4))
    kw = {"candidates": 4, "data": data}
    a = _audit(tmp_path, "a", "sim:accuracy=0.8,position=0.4", **kw)
    b = _audit(tmp_path, "b", "sim:accuracy=0.8,position=0.0", **kw)
    res = compare_runs(a, b, n_boot=500)
    assert res["format"] == "list" and res["paired"]
    pos = _row(res, "position")
    assert pos["method"] == "paired bootstrap" and _near(pos, -0.4) and pos["p_value"] < 0.01
    # the first position's share: 0.4 + 0.6 / 4 = 0.55 against 0.25
    first = _row(res, "position: shown 1")
    assert first["method"] == "paired bootstrap" and _near(first, -0.3)
    assert {f"position: shown {j}" for j in range(1, 5)} <= set(res["table"]["figure"])
    p = run_cli("compare", str(a), str(b), "--n-boot", "200")
    assert p.returncode == 0, p.stderr
    assert "position: shown 1" in p.stdout and "shares of wins" in p.stdout


def test_runs_of_different_formats_are_one_line(
    single_runs: dict[str, Path], tmp_path: Path
) -> None:
    lists3 = _audit(tmp_path, "l3", "sim", candidates=3, data=str(lists_file(tmp_path, 8, 3)))
    lists4 = _audit(tmp_path, "l4", "sim", candidates=4, data=str(lists_file(tmp_path, 8, 4)))
    pairs = _audit(tmp_path, "pw", "sim", data=str(_pairs(tmp_path, 8, 3)), probes=["position"])
    for x, y, words in (
        (single_runs["before"], lists4, ("pointwise", "listwise")),
        (pairs, single_runs["after"], ("pairwise", "pointwise")),
        (lists3, lists4, ("--candidates 3", "--candidates 4")),
    ):
        p = run_cli("compare", str(x), str(y))
        assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
        lines = stderr_lines(p)
        assert len(lines) == 1 and all(w in lines[0] for w in words), lines
        assert x.name in lines[0] and y.name in lines[0] and "cannot be compared" in lines[0]
        r = run_cli("report", str(x), str(y), "--out", str(tmp_path / "mix.html"))
        assert r.returncode == 2 and len(stderr_lines(r)) == 1 and "Traceback" not in r.stderr


def test_multi_run_report_of_pointwise_and_of_listwise_runs(
    single_runs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "single.html"
    p = run_cli("report", str(single_runs["before"]), str(single_runs["after"]), "--out", str(out))
    assert p.returncode == 0, p.stderr
    html = out.read_text()
    assert 'data-probe="length"' in html and "points" in html and 'id="single-note"' in html
    data = str(lists_file(tmp_path, 20, 3))
    runs = [
        _audit(tmp_path, f"l{v}", f"sim:position={v}", candidates=3, data=data) for v in (0, 0.5)
    ]
    out = tmp_path / "list.html"
    p = run_cli("report", *map(str, runs), "--out", str(out))
    assert p.returncode == 0, p.stderr
    html = out.read_text()
    assert 'id="shares-table"' in html and html.count("<tr><td>") >= 3
