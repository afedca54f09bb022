"""A Python function as the judge: real audits (CLI and notebook API), real store."""

from __future__ import annotations

import asyncio
import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import lists_file, run_cli

import judgebias
from judgebias.engine.store import STORE_NAME, Store
from judgebias.errors import SpecError
from judgebias.judges.base import JudgeOptions, make_judge
from judgebias.judges.python_returns import listwise_answer, pairwise_answer, pointwise_answer
from judgebias.prompts.answers import AnswerReader

JUDGES_MODULE = textwrap.dedent(
    '''
    import re

    CUE = re.compile(r"(?:preferred|rated|chose) Response ([AB])")

    def follows_notes(instruction, response_a, response_b):
        """Follows a bandwagon note when the instruction carries one, else the longer answer."""
        m = CUE.search(instruction)
        if m:
            return {"verdict": m.group(1), "raw": "the majority said so"}
        return "A" if len(response_a) >= len(response_b) else "B"

    def broken(instruction, response_a, response_b):
        raise KeyError("no such rubric")
    '''
)


def _write_module(tmp_path: Path) -> Path:
    (tmp_path / "my_judges.py").write_text(JUDGES_MODULE)
    return tmp_path


def test_cli_python_judge_measures_what_the_function_does(tmp_path: Path) -> None:
    mod = _write_module(tmp_path)
    out = tmp_path / "run"
    p = run_cli(
        "audit",
        "--judge",
        "python:my_judges:follows_notes",
        "--probes",
        "position,length,bandwagon",
        "--limit",
        "40",
        "--out",
        str(out),
        "--json",
        "--quiet",
        env={"PYTHONPATH": str(mod)},
    )
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)
    assert s["judge"] == "python:my_judges:follows_notes"
    # the function follows every bandwagon cue (note and system placements) and no placebo
    assert s["probes"]["bandwagon"]["effect"] > 0.9
    assert s["probes"]["length"]["effect"] > 0.5  # it picks the longer answer
    assert s["probes"]["position"]["status"] == "measured"
    assert s["calls"]["failed"] == 0
    # the store keeps what the function returned
    with Store(out / STORE_NAME) as store:
        kept = [r.completion.returned for r in store.get_many(store.ok_keys()).values()]
    assert {"verdict": "A", "raw": "the majority said so"} in kept
    assert "B" in kept


def test_cli_function_error_is_recorded_without_traceback(tmp_path: Path) -> None:
    mod = _write_module(tmp_path)
    p = run_cli(
        "audit",
        "--judge",
        "python:my_judges:broken",
        "--limit",
        "5",
        "--out",
        str(tmp_path / "run"),
        "--quiet",
        env={"PYTHONPATH": str(mod)},
    )
    assert p.returncode == 4  # every call failed: the status of failed calls, not a usage error
    assert "Traceback" not in p.stderr
    assert "my_judges.broken raised KeyError: 'no such rubric'" in p.stderr
    # recorded once, not retried: a bug does not go away on a second try
    import pandas as pd

    records = pd.read_parquet(tmp_path / "run" / "records.parquet")
    assert (records["status"] == "failed").all() and (records["attempts"] == 1).all()


def test_cli_unimportable_function_is_one_line(tmp_path: Path) -> None:
    mod = _write_module(tmp_path)
    p = run_cli("audit", "--judge", "python:my_judges:nope", env={"PYTHONPATH": str(mod)})
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "my_judges has no 'nope'" in p.stderr


def test_async_function_in_notebook_api_cached_by_version(tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []

    async def first_shown(instruction: str, response_a: str, response_b: str) -> float:
        await asyncio.sleep(0)
        seen.append((response_a, response_b))
        return 0.9  # P(first answer better): a judge that always prefers the first shown

    r = judgebias.audit(judge=first_shown, limit=20, out=str(tmp_path / "r"))
    pos = r.summary_json["probes"]["position"]
    assert pos["primacy"] == pytest.approx(1.0)
    assert len(seen) == 40  # both orders of 20 pairs
    # response_a is the answer shown first: every pair reached it once in each order
    firsts = {a for a, _ in seen}
    seconds = {b for _, b in seen}
    assert firsts == seconds
    # the same function again: answered from the cache
    judgebias.audit(judge=first_shown, limit=20, out=str(tmp_path / "r"))
    assert len(seen) == 40
    # a new version is a new judge: asked again (in the same folder, whose run it replaces:
    # force=True; the store stays, so this shows the version is part of the cache key)
    first_shown.version = "2"  # type: ignore[attr-defined]
    r2 = judgebias.audit(judge=first_shown, limit=20, out=str(tmp_path / "r"), force=True)
    assert len(seen) == 80
    assert r2.summary_json["judge"].endswith(",version=2")


def test_listwise_and_pointwise_functions(tmp_path: Path) -> None:
    def pick_longest(instruction: str, responses: list[str]) -> int:
        return max(range(len(responses)), key=lambda i: (len(responses[i]), -i))

    r = judgebias.audit(
        judge=pick_longest,
        data=str(lists_file(tmp_path, 12, 4)),
        candidates=4,
        out=str(tmp_path / "list"),
    )
    assert r.summary_json["calls"]["failed"] == 0
    assert r.records["valid"].all()

    def grade(instruction: str, response: str, scale: tuple[str, ...]) -> str:
        # the middle grade, whatever the scale; one step up when a note praises the answer
        up = "rated it 9 or 10" in instruction
        return scale[len(scale) // 2 + (1 if up else 0)]

    s = judgebias.audit(
        judge=grade,
        limit=10,
        format="single",
        probes="bandwagon,score_labels",
        out=str(tmp_path / "single"),
    )
    assert s.records["valid"].all(), s.records["invalid_reason"].value_counts()
    assert s.summary_json["probes"]["bandwagon"]["effect"] > 0

    def grade_without_scale(instruction: str, response: str) -> int:
        return 7

    with pytest.warns(UserWarning, match="could not be read"):
        n = judgebias.audit(
            judge=grade_without_scale,
            limit=5,
            format="single",
            probes="score_labels",
            out=str(tmp_path / "noscale"),
        )
    recs = n.records
    # graded 1-10 only; the 5-point and letter conditions are never guessed
    assert recs[recs["scale"] == "10"]["valid"].all()
    assert not recs[recs["scale"] != "10"]["valid"].any()


@pytest.mark.parametrize(
    ("value", "position", "p_first"),
    [
        ("A", "first", None),
        ("Response B is clearer.\n[[B]]", "second", None),
        ("tie", "tie", None),
        (0.8, "first", 0.8),
        ([3, 9], "second", 0.5 + (3 - 9) / 18),
        ({"verdict": "B", "p_first": 0.3, "raw": "because"}, "second", 0.3),
        ({"scores": [5, 5]}, "tie", 0.5),
        (1.5, None, None),
        (None, None, None),
        ("[[A]] or [[B]]", None, None),
        (True, None, None),
    ],
)
def test_pairwise_returns_are_read_strictly(value: Any, position: str, p_first: Any) -> None:
    comp = pairwise_answer(value)
    reading = AnswerReader().read(comp)
    assert reading.position == position
    assert reading.p_first == (pytest.approx(p_first) if p_first is not None else None)
    assert comp.returned == value or value is None


def test_listwise_and_pointwise_returns() -> None:
    from judgebias.prompts.answers_formats import read_choice, read_rating

    assert read_choice(listwise_answer("C", 4), 4).index == 2
    assert read_choice(listwise_answer(3, 4), 4).index == 3
    assert read_choice(listwise_answer([1, 5, 2], 3), 3).index == 1
    assert read_choice(listwise_answer([5, 5, 2], 3), 3).reason == "ambiguous"
    assert read_choice(listwise_answer(5, 4), 4).reason == "out_of_range"
    scale = tuple(str(i) for i in range(1, 11))
    assert read_rating(pointwise_answer(7, scale), scale).index == 6
    assert read_rating(pointwise_answer({"score": 3, "raw": "weak"}, scale), scale).index == 2
    assert read_rating(pointwise_answer(12, scale), scale).reason == "out_of_range"
    assert read_rating(pointwise_answer(7.5, scale), scale).valid is False


def test_spec_errors() -> None:
    with pytest.raises(SpecError, match="python:MODULE:FUNC"):
        make_judge("python:justamodule", JudgeOptions())
    with pytest.raises(SpecError, match="version=V"):
        make_judge("python:json:dumps,colour=red", JudgeOptions())
    judge = make_judge("python:json:dumps,version=3", JudgeOptions())
    assert judge.model == "python:json.dumps@3"


def test_timeout_is_retryable_and_named(tmp_path: Path) -> None:
    async def slow(instruction: str, response_a: str, response_b: str) -> str:
        await asyncio.sleep(5)
        return "A"

    with pytest.warns(UserWarning, match="could not be read"):
        r = judgebias.audit(
            judge=slow, limit=1, timeout=0.2, max_attempts=2, out=str(tmp_path / "slow")
        )
    errors = [e for e in r.records["error"].dropna()]
    assert errors and all(re.search(r"did not return within 0.2 s", e) for e in errors)
