"""The strict reader reads what a careful person reads unambiguously, and nothing more:
one comparative sentence naming both tags, a pattern of the user's prompt ("Choice: A"),
and a pointwise grade given before the rubric is quoted."""

from __future__ import annotations

import pytest

from judgebias.errors import UsageError
from judgebias.prompts.answers import REASONS, read_verdict
from judgebias.prompts.answers_formats import read_rating
from judgebias.prompts.answers_pattern import PatternReader, compile_answer_pattern
from judgebias.prompts.pointwise import SCALES, single_reader, single_template
from judgebias.prompts.templates import answer_reader, default_template
from judgebias.types import Completion


def _c(text: str, finish: str | None = "stop") -> Completion:
    return Completion(text=text, finish_reason=finish)


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("**[[A]]** is better than **[[B]]**", "first"),
        ("Therefore, [[A]] is more accurate than [[B]].", "first"),
        ("[[B]] is worse than [[A]]", "first"),
        ("[[B]] is clearly superior to [[A]].", "second"),
        ("Both answers try. After weighing them, [[B]] is much more helpful than [[A]].", "second"),
        ("[[A]] outperforms [[B]].", "first"),
        ("After comparing, [[B]] is preferable to [[A]].\nI choose [[B]].", "second"),
        ("[[A]] is less accurate than Assistant [[B]].", "second"),
    ],
)
def test_one_comparative_sentence_naming_both_tags_is_read(text: str, position: str) -> None:
    r = read_verdict(text)
    assert (r.position, r.reason) == (position, None)


@pytest.mark.parametrize(
    "text",
    [
        # negations say which is *not* better, never which is
        "[[A]] is not better than [[B]]",
        "[[A]] isn't better than [[B]].",
        "I do not think [[B]] is better than [[A]].",
        # neither / both / equally
        "Neither [[A]] nor [[B]] is better than the other.",
        "Both [[A]] and [[B]] are better than average.",
        "[[A]] is equally better than [[B]] and worse in places.",
        # two verdicts in one answer
        "[[A]] is better than [[B]] in style, but [[B]] is better than [[A]] in accuracy.",
        "[[A]] is better than [[B]]. [[B]] is better than [[A]].",
        "[[B]]\n[[A]] is better than [[B]]",
        "[[A]] is clearer, while [[B]] is more accurate.",
        # comparatives that are not verdicts, and questions
        "[[A]] is longer than [[B]]",
        "[[A]] is more detailed than [[B]]",
        "Is [[A]] better than [[B]]?",
        "[[A]] is better than [[C]]",
    ],
)
def test_negations_doubts_and_two_verdicts_stay_unreadable(text: str) -> None:
    r = read_verdict(text)
    assert not r.valid and r.reason == "ambiguous", (text, r)


def test_a_comparative_never_overrides_a_disagreeing_json_verdict() -> None:
    r = read_verdict('[[A]] is better than [[B]]\n{"verdict": "B"} and more')
    assert not r.valid and r.reason == "ambiguous"


def test_the_live_reader_reads_comparatives_and_still_catches_echoes() -> None:
    reader = answer_reader(default_template(), "verdict")
    assert reader.read(_c("Overall, [[B]] is more correct than [[A]].")).position == "second"
    # the template's own words with its example tags stay an echo
    assert reader.read(_c(default_template().user[:300], "length")).reason == "echo"
    # cut at the token limit before a final verdict line: truncated, even if comparative
    assert reader.read(_c("[[A]] is better than [[B]] because", "length")).reason == "truncated"


# -- --answer-pattern ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("Choice: B\nReason: Response 2 is more complete.", "second", None),
        ("**Choice**: A\n**Reason**: ...", "first", None),
        ("**Choice:** A.\nReason", "first", None),
        ("After evaluating, I choose:\n\nChoice: A\nReason: ...", "first", None),
        ("Choice: A at first.\nThinking again...\nChoice: B", "second", None),  # final line
        ("Choice: A, or maybe Choice: B, hard to say.", None, "ambiguous"),
        ("Choice: Both are fine.", None, "no_verdict"),  # 'Both' is no B
        ("Choice: Response 2 is better than Response 1.", None, "no_verdict"),
        ("", None, "empty"),
    ],
)
def test_answer_pattern_reads_the_form_the_prompt_asked_for(
    text: str, position: str | None, reason: str | None
) -> None:
    r = PatternReader("Choice: ([AB])").read(_c(text))
    assert (r.position, r.reason) == (position, reason)


def test_a_wider_pattern_reads_response_numbers_and_flags_labels_naming_no_answer() -> None:
    wide = PatternReader(r"Choice: (A|B|Response [12])")
    assert wide.read(_c("Choice: Response 2 is better than Response 1.")).position == "second"
    loose = PatternReader(r"Choice: (\w+)")
    r = loose.read(_c("Choice: Neither"))
    assert r.reason == "unknown_label" and "unknown_label" in REASONS
    assert loose.read(_c("Choice: tie")).position == "tie"


def test_answer_pattern_with_a_template_keeps_the_echo_check() -> None:
    reader = PatternReader("Choice: ([AB])", answer_reader(default_template()))
    assert reader.read(_c("[Instruction]\nWrite a poem\nChoice: A")).reason == "echo"
    assert reader.read(_c("Choice: A")).position == "first"


@pytest.mark.parametrize(
    ("pattern", "needle"),
    [("Choice: ([AB]", "not a valid regular expression"), ("Choice: [AB]", "0 capture groups")],
)
def test_a_bad_answer_pattern_is_a_usage_error(pattern: str, needle: str) -> None:
    with pytest.raises(UsageError, match=needle):
        compile_answer_pattern(pattern)
    with pytest.raises(UsageError, match="2 capture groups"):
        compile_answer_pattern("(Choice): ([AB])")


# -- pointwise: the grade first, then the rubric ---------------------------------------


def _rubric() -> str:
    t = single_template(None)
    return "\n".join(f"{i}: {text}" for i, text in enumerate(t.levels_10, 1))


@pytest.mark.parametrize(
    ("text", "finish", "index"),
    [
        ("Rating: 5\nAccording to the rubric:\n{rubric}", "stop", 4),
        ("Score: 7/10\n{rubric}", "stop", 6),
        ("**Rating: [[8]]**\nThe rubric says:\n{rubric}", "length", 7),
    ],
)
def test_a_grade_given_first_then_the_rubric_quoted_is_read(
    text: str, finish: str, index: int
) -> None:
    reader = single_reader(single_template(None))
    got = read_rating(_c(text.format(rubric=_rubric()), finish), SCALES["10"], reader)
    assert (got.index, got.reason) == (index, None)


def test_real_echoes_of_the_rubric_or_prompt_stay_echoes() -> None:
    t = single_template(None)
    reader = single_reader(t)
    for finish in ("stop", "length"):
        assert read_rating(_c(_rubric(), finish), SCALES["10"], reader).reason == "echo"
    prompt = t.user.split("{rubric}")[0] + _rubric()
    assert read_rating(_c(prompt, "length"), SCALES["10"], reader).reason == "echo"
    # a grade mentioned inside the quoted rubric is not given first: still an echo
    quoted = prompt + "\nRating: [[x]]"
    assert read_rating(_c(quoted, "stop"), SCALES["10"], reader).reason == "echo"


def test_score_forms_off_the_scale_and_words_are_no_grades() -> None:
    reader = single_reader(single_template(None))
    assert read_rating(_c("Score: 4/5"), SCALES["10"], reader).reason == "out_of_range"
    assert read_rating(_c("Score: 8"), SCALES["10"], reader).index == 7
    # 'excellent' is a word, not the letter grade E
    assert read_rating(_c("Rating: excellent"), SCALES["AE"], reader).reason == "no_verdict"
