"""The self probe end to end: real audits (in process, over HTTP to serve-sim, and the CLI)
of simulated judges, against gold judges that err on other items than the judge.

Before the controlled figure, the headline was the error asymmetry against the gold:
over judge seeds 1-10 at ``self=0`` on the bundled pairs it read "strong" in 10 of 10
runs against ``sim:accuracy=1`` and 10 of 10 against ``sim:accuracy=0.9,seed=99``
(-16 to -40 points), and a planted ``self=0.2`` read -0.12 to +0.06 (measured on the
code before this change).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import assert_one_line_error, run_cli

from judgebias.audits.gate import check_gate, parse_fail_on
from judgebias.audits.pipeline import AuditConfig, run_audit


def audit(out: Path, judge: str, gold: str | None, **kw: object) -> dict:
    run_audit(
        AuditConfig(
            judge=judge,
            gold_judge=gold,
            probes=["self"],
            out=str(out),
            quiet=True,
            write_report=False,
            **kw,  # type: ignore[arg-type]
        )
    )
    return json.loads((out / "summary.json").read_text())


@pytest.mark.parametrize("gold", ["sim:accuracy=1", "sim:accuracy=0.9,seed=99"])
@pytest.mark.parametrize("seed", [1, 2])
def test_no_self_preference_is_not_flagged_whatever_the_gold(
    tmp_path: Path, gold: str, seed: int
) -> None:
    s = audit(tmp_path / "r", f"sim:accuracy=0.85,self=0,seed={seed}", gold)
    f = s["probes"]["self"]
    assert f["measure"] == "controlled" and f["severity"] == "not detected"
    assert f["ci_low"] <= 0.0 <= f["ci_high"] and f["p_adjusted"] >= 0.05
    assert f["n"] > 900 and f["n_invalid"] == 0
    (gate,) = check_gate(s, parse_fail_on("self>0"))
    assert not gate.tripped
    # the error asymmetry, the old headline, is still reported and still fooled: it
    # reads about -0.2 to -0.3 here with p < 0.05, but gives no severity
    assert f["error_asymmetry_ci_high"] < -0.1 and f["error_asymmetry_p_value"] < 0.05
    assert {"dbg", "dbg_ci_low", "dbg_ci_high", "judge_win_rate", "gold_win_rate"} <= set(f)
    assert s["rewriter"]["spec"] == gold  # the rewriter defaults to the gold judge


def test_planted_self_preference_is_recovered_over_http(sim_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    srv = sim_server("--judge", "sim:accuracy=0.85,self=0.2,seed=3")
    out = tmp_path / "http"
    p = run_cli(
        *("audit", "--judge", "openai:sim", "--base-url", srv.base_url),
        *("--probes", "self", "--gold-judge", "sim:accuracy=0.9,seed=99"),
        *("--out", str(out), "--quiet", "--fail-on", "self>0.1"),
        env={"OPENAI_API_KEY": "test"},
    )
    assert p.returncode == 1, p.stderr  # the gate reads the controlled figure
    s = json.loads((out / "summary.json").read_text())
    f = s["probes"]["self"]
    assert f["ci_low"] <= 0.2 <= f["ci_high"] and f["severity"] == "strong"
    assert f["placebo_flip_rate"] == 0.0 and f["flip_rate"] == pytest.approx(0.2, abs=0.04)
    # the asymmetry against this gold misses it (measured -0.05)
    assert f["error_asymmetry"] < 0.1
    html_run = run_cli("report", str(out), "--out", str(tmp_path / "r.html"))
    assert html_run.returncode == 0, html_run.stderr
    html = (tmp_path / "r.html").read_text()
    assert 'id="self-headline"' in html and 'id="self-descriptive"' in html
    assert "judge, as written" in html  # an example of a verdict the own wording moved


def test_a_rewriter_alone_measures_the_controlled_figure(tmp_path: Path) -> None:
    out = tmp_path / "cli"
    p = run_cli(
        *("audit", "--judge", "sim:accuracy=0.8,self=0.3", "--rewriter", "sim"),
        *("--probes", "self", "--limit", "80", "--out", str(out), "--json"),
    )
    assert p.returncode == 0, p.stderr
    f = json.loads(p.stdout)["probes"]["self"]
    assert f["ci_low"] <= 0.3 <= f["ci_high"] and f["ci_low"] > 0.1
    assert f["dbg"] is None and f["error_asymmetry"] is None  # no gold: not reported
    html = (out / "report.html").read_text()
    assert "no gold judge" in html
    # neither a rewriter nor a gold judge: one line naming both flags
    bad = run_cli("audit", "--judge", "sim", "--probes", "self", "--out", str(tmp_path / "x"))
    assert_one_line_error(bad, "--rewriter", "--gold-judge")


def test_the_judge_cannot_be_its_own_rewriter(tmp_path: Path) -> None:
    p = run_cli(
        *("audit", "--judge", "openai:m", "--base-url", "http://127.0.0.1:9/v1"),
        *("--probes", "self", "--rewriter", "openai:m", "--out", str(tmp_path / "r")),
        env={"OPENAI_API_KEY": "test"},
    )
    assert_one_line_error(p, "--rewriter", "is the judge itself")


def test_pointwise_self_is_controlled_too(tmp_path: Path) -> None:
    """--format single: the own answer's grade as written against its paraphrase, net of
    the pair's answers', with only a rewriter; the sim plants one grade point per firing."""
    p = run_cli(
        *("audit", "--judge", "sim:self=0.4", "--rewriter", "sim", "--format", "single"),
        *("--probes", "self", "--limit", "60", "--out", str(tmp_path / "s"), "--json"),
    )
    assert p.returncode == 0, p.stderr
    f = json.loads(p.stdout)["probes"]["self"]
    assert f["measure"] == "controlled" and f["unit"] == "points"
    assert f["ci_low"] <= 0.4 <= f["ci_high"] and f["placebo_shift"] == 0.0
    assert f["gold_difference"] is None  # no gold judge: the descriptive figure is absent
