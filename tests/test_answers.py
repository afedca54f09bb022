"""The strict answer reader: a verdict counts only when it is unambiguous."""

from __future__ import annotations

import math

import pytest

from judgebias.prompts.answers import (
    MIN_LABEL_MASS,
    REASONS,
    read_logprobs,
    read_scores,
    read_verdict,
)
from judgebias.prompts.templates import answer_reader, default_template
from judgebias.types import Completion


def _c(text: str, finish: str | None = "stop", **kw) -> Completion:  # type: ignore[no-untyped-def]
    return Completion(text=text, finish_reason=finish, **kw)


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("Reasoning...\n[[A]]", "first", None),
        ("[[C]]", "tie", None),
        ("[[tie]]", "tie", None),
        ('{"verdict": "B", "reason": "x"}', "second", None),
        ('Here: {"winner": "A"}', "first", None),
        ("A", "first", None),
        ("Response B.", "second", None),
        ("Output (a)", "first", None),
        ("Final verdict: B", "second", None),
        ("Final verdict: [[B]]", "second", None),
        ("tie", "tie", None),
        # one tag named several times is one verdict
        ("[[A]] is right; the answer is [[A]] because", "first", None),
        # several different tags: invalid unless the last line settles it
        ("[[A]] at first, but on reflection [[B]]", None, "ambiguous"),
        ("[[A]] looked good, [[B]] too.\n[[B]]", "second", None),
        ("[[A]] is clearer, while [[B]] is more accurate.", None, "ambiguous"),
        ('{"verdict": "A"} or {"verdict": "B"}', None, "ambiguous"),
        ("Both are fine, I cannot decide between them.", None, "no_verdict"),
        ("The answer is 42.", None, "no_verdict"),
        ("", None, "empty"),
        ("   \n ", None, "empty"),
    ],
)
def test_verdict_forms(text: str, position: str | None, reason: str | None) -> None:
    r = read_verdict(text)
    assert (r.position, r.reason) == (position, reason)


def test_truncated_answer_counts_only_when_a_complete_verdict_line_ends_it() -> None:
    assert read_verdict("At first sight [[B]] looks stronger, but", "length").reason == "truncated"
    assert read_verdict("Both", "length").reason == "truncated"
    done = read_verdict("Response A is right.\n[[A]]", "length")
    assert done.position == "first" and done.reason is None


def test_echo_of_the_template_is_invalid_even_when_it_holds_tags() -> None:
    reader = answer_reader(default_template(), "verdict")
    t = default_template()
    echo = t.user[:300]  # instructions with the example tags [[A]], [[B]], [[C]]
    assert "[[C]]" in echo
    r = reader.read(_c(echo, "length"))
    assert r.reason == "echo" and not r.valid
    # the prompt's markers alone are an echo
    assert reader.read(_c("[Response A]\nsome text\n[[A]]")).reason == "echo"
    # a judge that speaks of the responses in its own words is not an echo
    ok = reader.read(_c("Response A computes the product correctly; B does not.\n[[A]]"))
    assert ok.position == "first" and ok.reason is None
    # nor one that restates the template's criteria and ends with its verdict line
    restated = (
        "Decide which of the two responses below better answers the instruction: "
        "A is right, B is not.\n[[A]]"
    )
    assert reader.read(_c(restated)).position == "first"
    # but the same words without a final verdict line are an echo
    assert reader.read(_c(restated.replace("\n[[A]]", " [[A]] or [[B]]"))).reason == "echo"


def test_scores_need_both_once_within_range() -> None:
    assert read_scores("Score A: 7\nScore B: 4").position == "first"
    r = read_scores("Score A: 3\nScore B: 8")
    assert r.position == "second" and r.p_first == pytest.approx(0.5 - 5 / 18)
    assert read_scores("Score A: 5\nScore B: 5").position == "tie"
    assert read_scores("Score A: 7").reason == "no_verdict"
    assert read_scores("Score A: 7\nScore B: 5\nScore A: 4").reason == "ambiguous"
    assert read_scores("Score A: 0\nScore B: 11").reason == "out_of_range"
    assert read_scores("Score A: 7\nScore", "length").reason == "truncated"
    assert read_scores("Score A: 7\nScore B: 2", "length").position == "first"
    echo = default_template().user_score or ""
    reader = answer_reader(default_template(), "score")
    assert reader.read(_c(echo[:200], "length")).reason == "echo"


def _step(tok: str, alts: dict[str, float]) -> tuple[str, float, tuple[tuple[str, float], ...]]:
    return (tok, math.log(alts[tok]), tuple((t, math.log(p)) for t, p in alts.items()))


def test_logprob_reads_the_first_label_token() -> None:
    steps = (_step("[[", {"[[": 0.9}), _step("A", {"A": 0.7, "B": 0.25, "C": 0.05}))
    r = read_logprobs(_c("[[A", logprob_steps=steps))
    assert r.position == "first" and r.p_first == pytest.approx(0.7 / 0.95)
    assert r.label_mass == pytest.approx(0.95)


def test_logprob_first_token_not_a_label_is_invalid_even_if_a_label_is_an_alternative() -> None:
    # the Gemma case: "Dec..." generated, "A" among the alternatives, "B" not
    steps = (_step("Dec", {"Dec": 0.6, "A": 0.08, "The": 0.05}), _step("ide", {"ide": 0.9}))
    r = read_logprobs(_c("Decide", logprob_steps=steps))
    assert not r.valid and r.reason == "labels_missing"


def test_logprob_missing_label_is_bounded_by_the_smallest_returned_probability() -> None:
    steps = (_step("A", {"A": 0.9, "The": 0.04, "Response": 0.02}),)
    r = read_logprobs(_c("A", logprob_steps=steps))
    # P(B) <= 0.02, so P(first) >= 0.9 / 0.92: never 1.0
    assert r.position == "first" and r.p_first == pytest.approx(0.9 / 0.92)
    assert r.p_first < 1.0


def test_logprob_low_label_mass_is_invalid() -> None:
    alts = {"A": 0.2, "B": 0.1, "Both": 0.19, "The": 0.18, "Neither": 0.17}
    r = read_logprobs(_c("A", logprob_steps=(_step("A", alts),)))
    assert r.reason == "low_label_mass" and r.label_mass == pytest.approx(0.3 / 0.84)
    assert r.label_mass < MIN_LABEL_MASS


def test_logprob_without_logprobs_and_old_stores() -> None:
    assert read_logprobs(_c("A")).reason == "no_logprobs"
    # a store written before every step was kept: the first token's alternatives only
    old = _c("A", top_logprobs=(("A", math.log(0.75)), ("B", math.log(0.25))))
    assert read_logprobs(old).p_first == pytest.approx(0.75)


def test_reasoning_that_ran_out_of_tokens_and_failed_calls() -> None:
    reader = answer_reader(default_template(), "verdict")
    r = reader.read(_c("", "length", reasoning="Let me think about both responses..."))
    assert r.reason == "reasoning_truncated"
    assert reader.read(None).reason == "call_failed"


def test_every_reason_is_documented() -> None:
    reasons = {"empty", "echo", "no_verdict", "ambiguous", "truncated", "out_of_range"}
    reasons |= {"no_logprobs", "labels_missing", "low_label_mass", "reasoning_truncated"}
    reasons |= {"unknown_label"}  # --answer-pattern caught a label naming no answer
    assert reasons | {"call_failed"} == set(REASONS)
