"""`judgebias analyze --raw`: recorded raw answers read by the live audits' strict reader.

A live audit of the simulated judge (which misbehaves on purpose: echoes, garbled and
ambiguous answers) records each raw answer with the reading the audit made of it; analyze
--raw on those raw texts must read every answer the same way, count the same reasons, and
compute the position figures over the same readable pairs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_one_line_error, run_cli

import judgebias as jb
from judgebias.audits.pipeline import AuditConfig, run_audit
from judgebias.errors import UsageError

PLANTED = "echo=0.1,garble=0.05,ambiguous=0.05"


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, pd.DataFrame]:  # type: ignore[type-arg]
    from conftest import make_pairs

    tmp = tmp_path_factory.mktemp("raw")
    data = tmp / "pairs.jsonl"
    data.write_text("".join(json.dumps(p) + "\n" for p in make_pairs(120, 3)))
    judge = f"sim:accuracy=0.85,position=0.3,{PLANTED}"
    res = run_audit(
        AuditConfig(
            judge=judge, data=str(data), out=str(tmp / "run"), quiet=True, probes=["position"]
        )
    )
    rec = res.records
    assert set(rec["probe"]) == {"control"}
    table = tmp / "answers.csv"
    rec[["pair_id", "order", "raw", "gold"]].to_csv(table, index=False)
    return table, res.summary, rec


def test_raw_answers_are_read_as_the_live_audit_read_them(
    audited: tuple[Path, dict, pd.DataFrame],  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    table, summary, rec = audited
    out = tmp_path / "an"
    args = ["analyze", str(table), "--raw", "--order", "order", "--verdict", "raw"]
    args += ["--pair", "pair_id", "--gold", "gold", "--cluster", "pair", "--out", str(out)]
    p = run_cli(*args)
    assert p.returncode == 3, p.stderr  # ~20 % unreadable, over the default 10 %
    assert "raw answers could not be read" in p.stderr and "--max-invalid" in p.stderr
    s = json.loads((out / "summary.json").read_text())
    inv = s["invalid"]
    # the same reasons, answer for answer
    assert inv["reasons"] == summary["invalid"]["reasons"]
    assert inv["n"] == summary["invalid"]["n"] and inv["exceeded"] is True
    assert set(inv["reasons"]) >= {"echo", "no_verdict", "ambiguous"}
    readings = pd.read_csv(out / "readings.csv").set_index("pair_id")
    for order, col in (("ab", "first"), ("ba", "second")):
        live = rec[rec["order"] == order].set_index("pair_id")
        ours = readings.loc[live.index]
        assert (ours[f"read_{col}"].fillna("-") == live["verdict"].fillna("-")).all()
        assert (ours[f"reason_{col}"].fillna("-") == live["invalid_reason"].fillna("-")).all()
    # the position figures over the pairs read in both orders, as the audit computes them
    (g,) = s["groups"]
    pos = summary["probes"]["position"]
    assert g["n_valid"] == pos["n"] < g["n"]
    assert g["position_consistency"]["value"] == pytest.approx(pos["consistency"])
    assert g["primacy"]["value"] == pytest.approx(pos["primacy"])
    assert g["invalid_answers"]["n_invalid"] == inv["n_invalid"]
    html = (out / "report.html").read_text()
    assert 'id="raw-answers"' in html and "no figure below may be read" in html
    assert "echo" in html.split('id="raw-reasons"')[1]


def test_raw_answers_read_below_the_limit_exit_0_and_say_so(
    audited: tuple[Path, dict, pd.DataFrame],  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    table, summary, _ = audited
    out = tmp_path / "an"
    args = ["analyze", str(table), "--raw", "--order", "order", "--verdict", "raw"]
    p = run_cli(*args, "--pair", "pair_id", "--max-invalid", "0.5", "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert "raw answers could not be read" in p.stderr and "invalid_share" in p.stdout
    csv = pd.read_csv(out / "summary.csv")
    assert csv.loc[0, "n_invalid_answers"] == summary["invalid"]["n_invalid"]
    assert "echo" in csv.loc[0, "invalid_reasons"]


def _choice_table(path: Path) -> Path:
    rows = [
        # answer 1 shown first (A) / answer 2 shown first (B is answer 1)
        ("p1", "Choice: A\nReason: more complete.", "Choice: B\nReason: Response 2 is better."),
        ("p2", "**Choice:** B.\nReason: ...", "Choice: A\nReason: ..."),
        ("p3", "Choice: A\nReason: ...", "Choice: A\nReason: ..."),
        ("p4", "I cannot choose; both are fine.", "Choice: A"),
        ("p5", "Choice: A, no, Choice: B.", "Choice: B"),
        ("p6", "Choice: B", "Choice: A"),
    ]
    pd.DataFrame(rows, columns=["id", "raw_ab", "raw_ba"]).to_csv(path, index=False)
    return path


def test_answer_pattern_reads_a_prompt_of_the_users_own_form(tmp_path: Path) -> None:
    table = _choice_table(tmp_path / "choice.csv")
    out = tmp_path / "an"
    args = ["analyze", str(table), "--raw", "--answer-pattern", "Choice: ([AB])"]
    args += ["--first", "raw_ab", "--second", "raw_ba", "--max-invalid", "0.3", "--out", str(out)]
    p = run_cli(*args)
    assert p.returncode == 0, p.stderr
    s = json.loads((out / "summary.json").read_text())
    assert s["reader"]["answer_pattern"] == "Choice: ([AB])"
    assert s["invalid"]["reasons"] == {"no_verdict": 1, "ambiguous": 1}
    readings = pd.read_csv(out / "readings.csv").set_index("id")
    assert list(readings["read_first"].fillna("-")) == ["a", "b", "a", "-", "-", "b"]
    assert list(readings["read_second"].fillna("-")) == ["a", "b", "b", "b", "a", "b"]
    (g,) = s["groups"]
    # p1, p2, p6 consistent; p3 names the first-shown answer both times; p4, p5 unread
    assert g["n_valid"] == 4 and g["position_consistency"]["value"] == pytest.approx(0.75)
    assert g["primacy"]["value"] == pytest.approx(0.25)
    assert "raw_ab" not in readings.columns  # the answers' texts are not copied


def test_python_api_mirrors_the_flags(tmp_path: Path) -> None:
    df = pd.read_csv(_choice_table(tmp_path / "choice.csv"))
    res = jb.analyze(df, first="raw_ab", second="raw_ba", raw=True, answer_pattern="Choice: ([AB])")
    assert res.summary["invalid"]["n_invalid"] == 2 and res.table.loc[0, "n_valid"] == 4
    with pytest.raises(UsageError, match="only with --raw"):
        jb.analyze(df, first="raw_ab", second="raw_ba", answer_pattern="Choice: ([AB])")


@pytest.mark.parametrize(
    ("flags", "needles"),
    [
        (["--raw", "--answer-pattern", "Choice: ([AB]"], ("--answer-pattern", "not a valid")),
        (["--raw", "--answer-pattern", "(Choice): ([AB])"], ("--answer-pattern", "2 capture")),
        (["--raw", "--answer-pattern", "Choice: [AB]"], ("--answer-pattern", "0 capture")),
        (["--answer-pattern", "Choice: ([AB])"], ("--answer-pattern", "only with --raw")),
        (["--raw", "--max-invalid", "2"], ("--max-invalid",)),
    ],
)
def test_bad_raw_flags_are_one_line_and_exit_2(
    tmp_path: Path, flags: list[str], needles: tuple[str, ...]
) -> None:
    table = _choice_table(tmp_path / "choice.csv")
    p = run_cli("analyze", str(table), "--first", "raw_ab", "--second", "raw_ba", *flags)
    assert_one_line_error(p, *needles)
