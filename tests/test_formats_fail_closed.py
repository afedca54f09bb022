"""Failing closed in the listwise (--candidates) and pointwise (--format single) formats.

The simulated judge, served over real HTTP by serve-sim, misbehaves with planted
probabilities (echo, garble, truncate, ambiguous) in these formats too; the strict
readers give every unreadable answer a reason, the figures use readable answers only,
the run gets the same ``invalid`` block as a pairwise audit, and the audit exits 3
when the unreadable share is over --max-invalid.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import lists_file, run_cli, stderr_lines

from judgebias.prompts.answers_formats import (
    FORMAT_REASONS,
    format_reader,
    read_choice,
    read_rating,
)
from judgebias.prompts.listwise import list_reader, list_template
from judgebias.prompts.pointwise import SCALES, single_reader, single_template
from judgebias.types import Completion

PLANTED = {"echo": 0.1, "garble": 0.1, "truncate": 0.05, "ambiguous": 0.05}
REASON_OF = {"echo": "echo", "garble": "no_verdict", "truncate": "truncated"}
REASON_OF["ambiguous"] = "ambiguous"
INVALID_KEYS = {"share", "n", "n_invalid", "reasons", "meanings", "examples"}
INVALID_KEYS |= {"max_invalid", "exceeded", "advice"}


def _c(text: str, finish: str | None = "stop") -> Completion:
    return Completion(text=text, finish_reason=finish)


@pytest.mark.parametrize(
    ("completion", "index", "reason"),
    [
        (_c("C is the most complete.\n[[C]]"), 2, None),
        (_c("B"), 1, None),
        (None, None, "call_failed"),
        (_c("  "), None, "empty"),
        (_c("[[A]] is clearer but [[D]] is right."), None, "ambiguous"),
        (_c("The best one is [[E]]."), None, "out_of_range"),  # k = 4
        (_c("They are all fine."), None, "no_verdict"),
        (_c("At first [[B]] looks better, but then", "length"), None, "truncated"),
        (_c("Looking again: [[B]]", "length"), 1, None),  # a complete final line
        (_c("[Instruction]\nExplain photosynthesis\n\n[Response A]\n..."), None, "echo"),
    ],
)
def test_read_choice_gives_every_unreadable_answer_a_reason(
    completion: Completion | None, index: int | None, reason: str | None
) -> None:
    got = read_choice(completion, 4, list_reader(list_template(None), 4))
    assert (got.index, got.reason) == (index, reason)
    assert reason is None or reason in FORMAT_REASONS


@pytest.mark.parametrize(
    ("completion", "scale", "index", "reason"),
    [
        (_c("Fine.\nRating: [[7]]"), "10", 6, None),
        (_c("Rating: [[B]]"), "AE", 3, None),
        (_c("Rating: [[12]]"), "10", None, "out_of_range"),
        (_c("Rating: [[6]] for clarity, Rating: [[3]] for accuracy."), "10", None, "ambiguous"),
        (_c("It is a fair answer."), "10", None, "no_verdict"),
        (_c("I would say Rating: [[4]] at first, but", "length"), "10", None, "truncated"),
    ],
)
def test_read_rating_gives_every_unreadable_answer_a_reason(
    completion: Completion, scale: str, index: int | None, reason: str | None
) -> None:
    got = read_rating(completion, SCALES[scale], single_reader(single_template(None)))
    assert (got.index, got.reason) == (index, reason)


def test_an_echo_of_the_template_words_is_no_grade() -> None:
    t = single_template(None)
    echo = t.user.split("{rubric}")[0] + "1: none\n... give it on the last line exactly as"
    assert read_rating(_c(echo, "length"), SCALES["10"], single_reader(t)).reason == "echo"
    # without the template the reader cannot tell, and the answer is only truncated
    plain = format_reader("", "")
    assert read_rating(_c(echo, "length"), SCALES["10"], plain).reason == "truncated"


def test_a_repeated_rubric_cut_at_the_token_limit_is_an_echo() -> None:
    """What Gemma 3 270M answered through llama.cpp: the rubric the prompt shows, cut off."""
    t = single_template(None)
    rubric = "[Grade]\n" + "\n".join(f"{i}: {text}" for i, text in enumerate(t.levels_10[:5], 1))
    reader = single_reader(t)
    assert read_rating(_c(rubric, "length"), SCALES["10"], reader).reason == "echo"
    # a grade that quotes a few words of the rubric is still read
    quoted = f"It {t.levels_10[6][:30].lower()}.\nRating: [[7]]"
    assert read_rating(_c(quoted, "stop"), SCALES["10"], reader).index == 6


def _sim_spec(extra: str) -> str:
    return extra + "," + ",".join(f"{k}={v}" for k, v in PLANTED.items())


def _check_invalid_block(inv: dict, n_expected: int) -> None:  # type: ignore[type-arg]
    assert set(inv) >= INVALID_KEYS
    assert inv["n"] == n_expected
    planted = sum(PLANTED.values())
    # binomial: 4 standard errors of the share
    tol = 4 * (planted * (1 - planted) / n_expected) ** 0.5
    assert inv["share"] == pytest.approx(planted, abs=tol)
    for key, reason in REASON_OF.items():
        p = PLANTED[key]
        assert inv["reasons"][reason] / inv["n"] == pytest.approx(p, abs=4 * (p / inv["n"]) ** 0.5)
    assert set(inv["meanings"]) == set(inv["reasons"]) and inv["examples"] and inv["advice"]
    assert inv["exceeded"] is True  # 30 % > the default 10 %


def test_listwise_misbehaviour_over_http_fails_closed(sim_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    srv = sim_server("--judge", _sim_spec("sim:accuracy=0.9,position=0.3"))
    data, out = lists_file(tmp_path, 100, 4), tmp_path / "list"
    args = ["audit", "--judge", "openai:sim", "--base-url", srv.base_url, "--data", str(data)]
    args += ["--candidates", "4", "--probes", "position", "--out", str(out)]
    p = run_cli(*args, "--quiet")
    assert p.returncode == 3, p.stderr
    closing = [ln for ln in stderr_lines(p) if "could not be read" in ln]
    assert len(closing) == 1 and "--max-invalid" in closing[0] and "Traceback" not in p.stderr
    s = json.loads((out / "summary.json").read_text())
    _check_invalid_block(s["invalid"], 400)
    pos = s["probes"]["position"]
    assert pos["status"] == "measured" and pos["n_unreadable"] == s["invalid"]["n_invalid"]
    # the units are items: those without a complete rotation (all 4 orders read) are invalid
    assert pos["n"] + pos["n_invalid"] == 100 and pos["invalid_share"] == pos["n_invalid"] / 100
    assert pos["invalid_share"] > s["invalid"]["share"]  # 1 - 0.7^4 of the items, expected
    assert pos["severity"] == "strong" and pos["ci_low"] <= 0.3 <= pos["ci_high"]
    import pandas as pd

    rec = pd.read_parquet(out / "records.parquet")
    bad = rec[~rec["valid"]]
    assert bad["verdict"].isna().all() and bad["shown"].isna().all()
    assert bad["invalid_reason"].notna().all() and rec[rec["valid"]]["invalid_reason"].isna().all()
    html = (out / "report.html").read_text()
    assert 'id="invalid"' in html and "This audit failed closed" in html
    assert html.index('id="invalid"') < html.index('id="scorecard"')
    # the same run read with a higher limit: complete, nothing sent again, exit 0
    again = run_cli(*args, "--max-invalid", "0.5", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["calls"]["sent"] == 0


def test_pointwise_misbehaviour_over_http_fails_closed(
    sim_server, pairs_file, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    srv = sim_server("--judge", _sim_spec("sim:length=0.5,anchor=0.5"))
    out = tmp_path / "single"
    args = ["audit", "--judge", "openai:sim", "--base-url", srv.base_url, "--format", "single"]
    args += ["--data", str(pairs_file(60)), "--probes", "length,anchor", "--out", str(out)]
    p = run_cli(*args, "--quiet")
    assert p.returncode == 3, p.stderr
    assert len([ln for ln in stderr_lines(p) if "could not be read" in ln]) == 1
    s = json.loads((out / "summary.json").read_text())
    # control + length cue and placebo + anchor cue and placebo, for 120 answers
    _check_invalid_block(s["invalid"], 600)
    for name, planted in (("length", 0.5), ("anchor", 0.5)):
        fig = s["probes"][name]
        assert fig["status"] == "measured" and fig["n_invalid"] > 0
        # recovered from the readable grades: within 3 standard errors (from the 95 % interval)
        se = (fig["ci_high"] - fig["ci_low"]) / 3.92
        assert abs(fig["effect"] - planted) < 3 * se, (name, fig)
    html = (out / "report.html").read_text()
    assert "This audit failed closed" in html and "no_verdict" in html


def test_only_echoes_are_not_measured_and_fail_the_gate(
    sim_server, pairs_file, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    srv = sim_server("--judge", "sim:position=0.3,length=0.3,echo=1")
    base = ["audit", "--judge", "openai:sim", "--base-url", srv.base_url, "--quiet"]
    single = [*base, "--format", "single", "--data", str(pairs_file(10)), "--probes", "length"]
    p = run_cli(*single, "--out", str(tmp_path / "s"), "--fail-on", "length>0.5")
    assert p.returncode == 3, p.stderr
    lines = stderr_lines(p)
    assert any("length>0.5: FAILED" in ln and "not measured" in ln for ln in lines), lines
    s = json.loads((tmp_path / "s" / "summary.json").read_text())
    assert s["invalid"]["reasons"] == {"echo": s["invalid"]["n"]} and s["accuracy"] is None
    fig = s["probes"]["length"]
    assert fig["status"] == "not_measured" and fig["effect"] is None
    assert fig["severity"] == "not measured"
    lists = [*base, "--candidates", "3", "--data", str(lists_file(tmp_path, 10, 3))]
    p = run_cli(*lists, "--out", str(tmp_path / "l"), "--fail-on", "position>0.1")
    assert p.returncode == 3, p.stderr
    assert any("position>0.1: FAILED" in ln and "not measured" in ln for ln in stderr_lines(p))
    pos = json.loads((tmp_path / "l" / "summary.json").read_text())["probes"]["position"]
    assert pos["status"] == "not_measured" and pos["effect"] is None and pos["chi2_p"] is None
    assert pos["severity"] == "not measured" and pos["invalid_share"] == 1.0
    # the stored runs fail the gate too
    rep = run_cli("report", str(tmp_path / "l"), "--fail-on", "position>0.1")
    assert rep.returncode == 1 and "not measured" in rep.stderr


def test_the_advice_fits_formats_with_one_mode() -> None:
    import pandas as pd

    from judgebias.prompts.answers_formats import FORMAT_ADVICE
    from judgebias.stats.validity import run_invalid

    rows = [
        {"request_key": f"k{i}", "valid": i < 6, "invalid_reason": None if i < 6 else "no_verdict"}
        for i in range(10)
    ]
    rec = pd.DataFrame(rows).assign(pair_id="p", probe="length", kind="cue", order="single")
    rec = rec.assign(raw="It is fine.", error=None)
    inv = run_invalid(rec, 0.1, meanings=FORMAT_REASONS, advice_for=FORMAT_ADVICE)
    assert inv["share"] == 0.4 and inv["exceeded"] and inv["reasons"] == {"no_verdict": 4}
    assert "Rating: [[x]]" in inv["advice"] and "--mode" not in inv["advice"]
    assert "--mode" in run_invalid(rec, 0.1)["advice"]  # the pairwise advice names the modes
