"""The notebook API: judgebias.audit / load_run return an AuditResult that feels native."""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_pairs

import judgebias
from judgebias.audits.result import SUMMARY_COLUMNS, AuditResult, summary_frame
from judgebias.errors import UsageError


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> str:
    p = tmp_path_factory.mktemp("data") / "pairs.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in make_pairs(80, seed=11, gold=False)))
    return str(p)


@pytest.fixture(scope="module")
def result(data: str, tmp_path_factory: pytest.TempPathFactory) -> AuditResult:
    out = tmp_path_factory.mktemp("runs") / "sim"
    return judgebias.audit(
        "sim:position=0.4,bandwagon=0.3,seed=3", data, probes="position,bandwagon", out=str(out)
    )


def test_audit_returns_a_result(result: AuditResult) -> None:
    assert isinstance(result, AuditResult)
    s = result.summary
    assert isinstance(s, pd.DataFrame) and list(s.columns) == SUMMARY_COLUMNS
    assert list(s["probe"]) == ["position", "bandwagon"]
    pos = s.set_index("probe").loc["position"]
    assert pos["ci_low"] <= pos["effect"] <= pos["ci_high"] and pos["significant"]
    assert pos["planted"] == pytest.approx(0.4) and pos["metric"] == "primacy - recency"
    assert s.set_index("probe").loc["bandwagon", "flip_rate"] > 0
    assert result.summary_json["probes"]["position"]["effect"] == pytest.approx(pos["effect"])
    assert len(result.records) == result.summary_json["calls"]["records"]
    assert {"pair_id", "probe", "kind", "order", "verdict", "raw"} <= set(result.records.columns)
    assert len(result.pairs) == 80 and result.judge.startswith("sim:")
    # .summary is a copy: editing it does not change the result
    s.loc[0, "effect"] = 99.0
    assert result.summary.loc[0, "effect"] != 99.0


def test_views(result: AuditResult, tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    fig = result.plot()
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["position", "bandwagon"]
    html = result.to_html()
    assert html.startswith("<!DOCTYPE html>")
    written = result.to_html(tmp_path / "r.html")  # a notebook shows the path, not the page
    assert written == tmp_path / "r.html" and written.read_text() == html
    card = result._repr_html_()
    assert '<table class="scorecard">' in card and "<script" not in card and "<html" not in card
    assert 'data-probe="position"' in card
    assert "position +" in repr(result) and "AuditResult(judge='sim:" in repr(result)


def test_plot_on_given_axes(result: AuditResult) -> None:
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2)
    assert result.plot(ax=right) is fig
    assert len(right.lines) > 0 and len(left.lines) == 0
    plt.close(fig)


def test_load_run_is_the_same_object(result: AuditResult) -> None:
    again = judgebias.load_run(result.path)
    assert isinstance(again, AuditResult)
    pd.testing.assert_frame_equal(again.summary, result.summary)
    assert len(again.records) == len(result.records)
    with pytest.raises(judgebias.JudgebiasError, match=r"summary\.json"):
        judgebias.load_run(result.path.parent)


def test_check_is_the_ci_gate(result: AuditResult) -> None:
    got = result.check("position>0.1,bandwagon>0.9")
    assert [(g.condition.name, g.tripped) for g in got] == [
        ("position", True),
        ("bandwagon", False),
    ]
    with pytest.raises(UsageError, match="fail_on"):
        result.check("position>>1")
    with pytest.raises(UsageError, match="length"):
        result.check("length>0.1")


def test_audit_inside_a_running_event_loop(data: str, tmp_path: Path) -> None:
    async def notebook_cell() -> AuditResult:
        return judgebias.audit("sim:position=0.3", data, limit=30, out=str(tmp_path / "r"))

    res = asyncio.run(notebook_cell())
    assert 0.0 < res.summary.loc[0, "effect"] <= 1.0


def test_audit_in_a_plain_script(data: str, tmp_path: Path) -> None:
    code = (
        "import judgebias as jb\n"
        f"res = jb.audit('sim:position=0.3', {data!r}, limit=25, out={str(tmp_path / 's')!r})\n"
        "print(res.summary.loc[0, 'probe'], type(res).__name__)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["position", "AuditResult"]


def test_unknown_option_is_refused(data: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"unknown option.*colour"):
        judgebias.audit("sim", data, out=str(tmp_path / "x"), colour="red")
    with pytest.raises(UsageError, match=r"base_url \(did you mean 'base_urls'\?\)"):
        judgebias.audit("sim", data, out=str(tmp_path / "x"), base_url="http://h/v1")


def test_extra_options_reach_the_audit(data: str, tmp_path: Path) -> None:
    res = judgebias.audit("sim", data, limit=10, out=str(tmp_path / "m"), mode="logprob")
    assert res.summary_json["run"]["mode"] == "logprob"


def test_summary_frame_of_a_self_probe() -> None:
    s = summary_frame(
        {
            "probes": {
                "self": {
                    "dbg": 0.2,
                    "ci_low": 0.1,
                    "ci_high": 0.3,
                    "p_value": 0.01,
                    "p_adjusted": 0.01,
                    "n": 40,
                    "judge_win_rate": 0.6,
                    "gold_win_rate": 0.4,
                    "severity": "strong",
                }
            },
            "run": {"planted": {"self": 0.5}},
        }
    )
    row = s.iloc[0]
    assert row["metric"] == "DBG" and row["effect"] == 0.2 and row["judge_win_rate"] == 0.6
    assert math.isnan(row["planted"]) and row["n"] == 40 and bool(row["significant"])
    assert summary_frame({"probes": {}}).empty
