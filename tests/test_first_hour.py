"""The first hour with judgebias: run folders not overwritten, ``--probes all`` without a gold
judge, next steps after an audit, and the small things (``--version``, spelling hints,
``10pp``, every typo at once, ``analyze``'s console, the notebook displays). Real CLI runs of
the simulated judge; nothing mocked."""

from __future__ import annotations

import json
import re
import shlex
import warnings
from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_one_line_error, run_cli

import judgebias as jb
from judgebias.audits.gate import parse_fail_on
from judgebias.errors import UsageError
from judgebias.probes.catalog import PROBE_ORDER
from judgebias.report.next_steps import next_steps

SIM = "sim:accuracy=0.9,position=0.3"


def audit(out: Path, *more: str, judge: str = SIM, limit: str = "30"):  # type: ignore[no-untyped-def]
    return run_cli("audit", "--judge", judge, "--limit", limit, "--out", str(out), *more)


# ---------------------------------------------------------------- run folders and --force


def test_another_run_in_the_folder_is_refused_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "runs" / "t1"
    first = audit(out, "--quiet")
    assert first.returncode == 0, first.stderr
    report = (out / "report.html").read_text(encoding="utf-8")
    # the footer names the folder as given, not only its last part
    assert f"judgebias report {out}" in report

    again = audit(out, "--quiet")  # the same run: resumed, nothing sent
    assert again.returncode == 0, again.stderr
    assert json.loads((out / "summary.json").read_text())["calls"]["sent"] == 0

    other = audit(out, "--quiet", judge="sim:accuracy=0.7")
    line = assert_one_line_error(other, "--out", str(out), "sim:accuracy=0.7", "--force")
    assert "sim:accuracy=0.9,position=0.3" in line
    assert json.loads((out / "summary.json").read_text())["judge"] == SIM  # untouched

    forced = audit(out, "--quiet", "--force", judge="sim:accuracy=0.7")
    assert forced.returncode == 0, forced.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["judge"] == "sim:accuracy=0.7" and summary["calls"]["cached"] == 0


def test_notebook_views_name_the_real_folder(tmp_path: Path) -> None:
    out = tmp_path / "runs" / "t1"
    res = jb.audit(SIM, limit=20, out=str(out))
    assert f"path='{out}'" in repr(res)
    assert str(out) in res._repr_html_()
    written = res.to_html(tmp_path / "page.html")
    assert written == tmp_path / "page.html" and written.stat().st_size > 1000
    (gate,) = res.check("position>10pp")
    assert "position>0.1: FAILED" in repr(gate) and "95 % interval" in str(gate)
    with pytest.raises(UsageError, match="force=True"):
        jb.audit("sim:accuracy=0.6", limit=20, out=str(out))


# ---------------------------------------------------------------- --probes all


def test_probes_all_runs_what_it_can_and_says_what_self_needs(tmp_path: Path) -> None:
    out = tmp_path / "all"
    p = audit(out, "--probes", "all", "--quiet", limit="12")
    assert p.returncode == 0, p.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert "self" not in summary["probes"] and "position" in summary["probes"]
    assert "sentiment" not in summary["probes"]
    notes = " ".join(summary["notes"])
    assert "--gold-judge" in notes and "--rewriter" in notes and "sentiment" in notes
    assert "self was left out" in p.stderr
    named = audit(tmp_path / "self", "--probes", "self", limit="4")
    assert_one_line_error(named, "--probes self", "--gold-judge", "gold_judge=")


def test_notebook_probes_all_warns_instead_of_failing(tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = jb.audit(SIM, probes="all", limit=8, out=str(tmp_path / "nb"))
    assert "self" not in res.summary_json["probes"]
    assert any("gold_judge=" in str(w.message) for w in caught)


def test_audit_help_lists_every_probe() -> None:
    p = run_cli("audit", "--help", env={"COLUMNS": "400"})
    text = " ".join(p.stdout.split())
    for name in PROBE_ORDER:
        assert name in text, name


# ---------------------------------------------------------------- next steps


def test_next_steps_mitigation_command_runs_and_compares(tmp_path: Path) -> None:
    out = tmp_path / "runs" / "t1"
    p = audit(out, "--probes", "position")
    assert p.returncode == 0, p.stderr
    assert "next steps:" in p.stdout and "--mitigation swap" in p.stdout
    summary = json.loads((out / "summary.json").read_text())
    (step,) = [s for s in next_steps(summary, str(out)) if s["kind"] == "mitigate"]
    mitigated, compare = step["commands"]
    assert compare == f"judgebias compare {out} {out}-swap"
    assert 'id="next-steps"' in (out / "report.html").read_text(encoding="utf-8")
    # the advised commands are real: run them as printed
    words = shlex.split(mitigated)
    assert words[:2] == ["judgebias", "audit"]
    done = run_cli(*words[1:], "--quiet")
    assert done.returncode == 0, done.stderr
    swapped = json.loads(Path(f"{out}-swap/summary.json").read_text())
    assert swapped["run"]["mitigations"] == ["swap"]
    cmp = run_cli(*shlex.split(compare)[1:])
    assert cmp.returncode == 0, cmp.stderr


def test_next_steps_plan_and_check(tmp_path: Path) -> None:
    out = tmp_path / "small"
    p = audit(out, "--probes", "position,length", judge="sim:accuracy=0.9,garble=0.3", limit="12")
    assert p.returncode == 3, p.stderr  # too many unreadable answers: fails closed
    summary = json.loads((out / "summary.json").read_text())
    steps = {s["kind"]: s for s in next_steps(summary, str(out))}
    assert steps["check"]["commands"] == ["judgebias check --judge sim:accuracy=0.9,garble=0.3"]
    plan = steps["plan"]
    (command,) = plan["commands"]
    needed = int(re.search(r"about (\d+) pairs", plan["text"]).group(1))  # type: ignore[union-attr]
    planned = run_cli(*shlex.split(command)[1:])
    assert planned.returncode == 0 and planned.stdout.startswith(f"{needed} pairs")
    assert "judgebias check --judge" in p.stdout and "judgebias plan --effect 0.1" in p.stdout


# ---------------------------------------------------------------- small things


def test_version_and_top_level_help() -> None:
    p = run_cli("--version")
    assert p.returncode == 0 and p.stdout.strip() == f"judgebias {jb.__version__}"
    text = " ".join(run_cli("--help", env={"COLUMNS": "400"}).stdout.split())
    assert "3 the audit failed closed" in text and "4 the judge could not be reached" in text


@pytest.mark.parametrize(
    ("spec", "hint"),
    [
        ("openai/gpt-4o-mini", "did you mean 'openai:gpt-4o-mini'?"),
        ("anthropic/claude-3-5-haiku", "did you mean 'litellm:anthropic/claude-3-5-haiku'?"),
    ],
)
def test_slash_specs_get_the_judgebias_spelling(spec: str, hint: str) -> None:
    assert_one_line_error(run_cli("audit", "--judge", spec, "--dry-run"), "--judge", hint)


def test_fail_on_in_points_and_every_probe_typo_at_once() -> None:
    assert [c.value for c in parse_fail_on("position>10pp,|length|>2.5 pp,accuracy<60%")] == [
        0.1,
        0.025,
        0.6,
    ]
    p = run_cli("audit", "--judge", "sim", "--probes", "postion,lenght,bandwagon", "--dry-run")
    assert_one_line_error(
        p, "'postion' (did you mean 'position'?)", "'lenght' (did you mean 'length'?)"
    )


def verdicts(path: Path, n: int = 120) -> Path:
    """Recorded verdicts in both orders that lean to the first-shown answer (no gold)."""
    rows = []
    for i in range(n):
        first = "1" if i % 3 else "2"  # 2 of 3 pick the first-shown answer...
        second = "2" if i % 4 else "1"  # ...and, swapped, the first-shown again 3 of 4 times
        rows.append({"id": i, "judge": "J1" if i % 2 else "J2", "v_ab": first, "v_ba": second})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_analyze_console_and_report_without_gold(tmp_path: Path) -> None:
    data = verdicts(tmp_path / "v.csv")
    out = tmp_path / "an"
    p = run_cli(
        "analyze", str(data), "--first", "v_ab", "--second", "v_ba", "--group", "judge",
        "--out", str(out),
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    header = p.stdout.splitlines()[0].split()
    assert header[:6] == ["judge", "n", "consistency", "primacy", "recency", "fairness"]
    assert "accuracy" not in header  # no gold: no empty column
    assert re.search(r"\d+\.\d% \[\d+, \d+\]", p.stdout)  # figures come with intervals
    assert "position_effect is the same figure with the opposite sign" in p.stdout
    table = pd.read_csv(out / "summary.csv")
    assert (table["preference_fairness"] == -table["position_effect"]).all()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "preference fairness: recency - primacy" in html and "accuracy (%" not in html


def test_notebook_analyze_displays(tmp_path: Path) -> None:
    res = jb.analyze(pd.read_csv(verdicts(tmp_path / "v.csv")), first="v_ab", second="v_ba")
    text = repr(res)
    assert text.startswith("AnalyzeResult: 1 group") and "primacy" in text and "[" in text
    html = res._repr_html_()
    assert "<table" in html and "recency - primacy" in html
