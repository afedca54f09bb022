"""Pointwise grading (--format single): strict rating parser, planted shifts recovered
(probe cues, rubric order, score labels, anchor, self), report and CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

from judgebias.audits.pipeline import AuditConfig, run_audit
from judgebias.prompts.answers_formats import parse_rating
from judgebias.prompts.pointwise import (
    SCALES,
    Grading,
    extract_single,
    render_single,
    single_template,
)

TEN = SCALES["10"]


@pytest.mark.parametrize(
    ("text", "scale", "expected"),
    [
        ("Clear and correct.\nRating: [[7]]", TEN, 6),
        ("Rating: [[10]]", TEN, 9),
        ("[[3]]", TEN, 2),
        ("Rating: 8", TEN, 7),
        ("Rating: [[7.0]]", TEN, 6),
        ("I first thought [[6]], but Rating: [[8]]", TEN, None),  # two grades: never guessed
        ("Rating: [[11]]", TEN, None),
        ("Rating: [[7.5]]", TEN, None),
        ("Rating: [[B]]", SCALES["AE"], 3),
        ("Rating: [[B]]", TEN, None),
        ("It is good.", TEN, None),
        (None, TEN, None),
    ],
)
def test_parse_rating_is_strict(
    text: str | None, scale: tuple[str, ...], expected: int | None
) -> None:
    assert parse_rating(text, scale) == expected


def test_single_prompt_round_trips_and_lists_the_rubric_in_either_order() -> None:
    t = single_template(None)
    g = Grading("p", "control", "control", "a", "Say hi.", "Hi there.\nBye.")
    for descending, scale in ((False, "10"), (True, "10"), (False, "AE")):
        user = dict(
            render_single(t, Grading(**{**g.__dict__, "descending": descending, "scale": scale}))
        )["user"]
        instruction, response, listed, note = extract_single(user)  # type: ignore[misc]
        assert (instruction, response, note) == ("Say hi.", "Hi there.\nBye.", "")
        expected = list(SCALES[scale])
        assert listed == (expected[::-1] if descending else expected)
        assert "Rating: [[x]]" in user


PLANTS = {
    "length": 0.3,
    "bandwagon": 0.4,
    "authority": 0.2,
    "reflection": 0.0,
    "rubric_order": 0.3,
    "score_labels": 0.35,
    "anchor": 0.4,
    "self": 0.3,
}


@pytest.fixture(scope="module")
def single_run(tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    from conftest import make_pairs

    tmp = tmp_path_factory.mktemp("single")
    data = tmp / "pairs.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in make_pairs(200, 21, gold=False)))
    spec = "sim:" + ",".join(f"{k}={v}" for k, v in PLANTS.items()) + ",seed=0"
    o = run_audit(
        AuditConfig(
            judge=spec,
            gold_judge="sim:accuracy=1",
            data=str(data),
            format="single",
            probes=["all"],
            out=str(tmp / "run"),
            quiet=True,
        )
    )
    return {"summary": o.summary, "records": o.records, "out": tmp / "run"}


@pytest.mark.parametrize("name", list(PLANTS))
def test_planted_grading_shift_recovered(name: str, single_run: dict) -> None:  # type: ignore[type-arg]
    f = single_run["summary"]["probes"][name]
    planted = PLANTS[name]
    assert abs(f["effect"] - planted) < 0.07, (name, f["effect"])
    if planted:
        assert f["p_adjusted"] < 0.001 and f["ci_low"] > 0
    else:  # zero plant: exactly no shift, nothing flagged
        assert f["effect"] == 0 and f["p_adjusted"] >= 0.05 and f["severity"] == "not detected"
    assert f["n"] > 0 and f["unit"] in ("points", "steps of 5", "pull")


def test_pointwise_summary_has_distributions_robustness_and_variants(single_run: dict) -> None:  # type: ignore[type-arg]
    s = single_run["summary"]
    assert s["format"] == "single"
    length = s["probes"]["length"]
    assert set(length["distribution"]) == {"cue", "placebo", "control"}
    assert length["robustness_rate"] == pytest.approx(1 - length["effect"], abs=1e-9)  # +1 moves
    assert length["placebo_robustness_rate"] == 1.0
    assert len(length["variants"]) >= 2
    r = single_run["records"]
    assert r["valid"].all() and set(r["order"]) == {"single"}
    html = (single_run["out"] / "report.html").read_text()
    for probe in ("length", "rubric_order", "score_labels", "anchor"):
        assert f'id="dist-{probe}"' in html
    assert "points" in html and "<script" not in html


def test_cli_single_format_gate_and_errors(tmp_path: Path, pairs_file) -> None:  # type: ignore[no-untyped-def]
    data = str(pairs_file(60, seed=5, gold=False))  # coin-flip gold: any judge is at chance
    p = run_cli(
        "audit",
        "--judge",
        "sim:bandwagon=0.6",
        "--data",
        data,
        "--format",
        "single",
        "--probes",
        "bandwagon,anchor",
        "--out",
        str(tmp_path / "r"),
        "--quiet",
        "--fail-on",
        "bandwagon>0.2",
    )
    assert p.returncode == 1, p.stderr
    assert "bandwagon>0.2: FAILED: bandwagon effect" in p.stderr and "points" in p.stderr
    for args, words in (
        (["--probes", "distraction"], "'distraction' is not measured in --format single"),
        (["--format", "triple"], "--format: 'triple' is not one of pair, single"),
        (["--candidates", "3"], "cannot be used with --candidates"),
    ):
        base = ["audit", "--judge", "sim", "--data", data, "--out", str(tmp_path / "x")]
        if "--format" not in args:
            base += ["--format", "single"]
        p = run_cli(*base, *args)
        assert p.returncode == 2 and words in p.stderr, p.stderr
        assert len(p.stderr.strip().splitlines()) == 1
