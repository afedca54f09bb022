"""Tests for judgebias.sim.checkers: the simulated judge's answer checker."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from judgebias.sim import checkers
from judgebias.sim.checkers import KINDS, MAX_INPUT_CHARS, check, task_kind
from judgebias.tables.pairs import bundled_pairs_path

PAIRS_FILE = bundled_pairs_path()


def _bundled() -> list[dict[str, Any]]:
    text = PAIRS_FILE.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


PAIRS = _bundled()


# ------------------------------------------------------------- bundled pairs


def test_bundled_file_shape() -> None:
    assert len(PAIRS) >= 240
    keys = {"id", "instruction", "response_a", "response_b", "gold", "model_a", "model_b", "task"}
    for item in PAIRS:
        assert set(item) == keys
        assert item["gold"] in ("a", "b")
        assert item["response_a"] != item["response_b"]
        assert item["model_a"] != item["model_b"]
    assert len({item["id"] for item in PAIRS}) == len(PAIRS)
    per_task = Counter(item["task"] for item in PAIRS)
    assert set(per_task) == set(KINDS)
    assert all(30 <= n <= 40 for n in per_task.values()), per_task
    gold = Counter(item["gold"] for item in PAIRS)
    assert abs(gold["a"] - gold["b"]) <= len(PAIRS) * 0.05


def test_bundled_length_does_not_predict_gold() -> None:
    longer_is_gold = sum(
        (len(item["response_a"]) > len(item["response_b"])) == (item["gold"] == "a")
        for item in PAIRS
    )
    assert 0.4 <= longer_is_gold / len(PAIRS) <= 0.6


def test_bundled_agreement_with_gold_in_both_orders() -> None:
    wrong = []
    for item in PAIRS:
        want = 1 if item["gold"] == "a" else 2
        got = check(item["instruction"], item["response_a"], item["response_b"])
        swapped = check(item["instruction"], item["response_b"], item["response_a"])
        if got != want or swapped != 3 - want:
            wrong.append((item["id"], want, got, swapped))
    assert wrong == []


def test_bundled_task_kind_matches_label() -> None:
    mismatched = [
        (item["id"], item["task"], task_kind(item["instruction"]))
        for item in PAIRS
        if task_kind(item["instruction"]) != item["task"]
    ]
    assert mismatched == []


# ------------------------------------------- hand-written items (generality)

LAB = """Lab booking confirmation
Booked by: Dr. Amara Osei
Lab: Lab 7
Date: 3 March 2025
Time slot: 13:00 to 15:30
Equipment: spectrometer, centrifuge
Cost: $240.00
"""
EMAIL = """Hi team,
The printer on the second floor is broken. A technician from Fixit Services will visit on Thursday at 10:00.
Please use the printer in Room 12 until then.
Thanks,
Sam Lee
"""
BUS = """Bus timetable, route 7
Depart Central Station 08:10
Arrive Museum 08:32
Arrive Harbour 08:51
"""

# (kind, instruction, correct response, wrong response)
HAND_WRITTEN: list[tuple[str, str, str, str]] = [
    ("arithmetic", "What is 15 plus 27?", "42", "The sum is 41."),
    ("arithmetic", "What's 1234 - 567?", "667", "677"),
    ("arithmetic", "Evaluate 3 * (4 + 5) - 2.", "25", "It equals 27."),
    ("arithmetic", "What is 2 ** 10?", "2 ** 10 = 1024", "1000"),
    ("arithmetic", "Calculate 100 / 8.", "12.5", "12"),
    ("arithmetic", "What is 17 mod 5?", "2", "3"),
    ("arithmetic", "What is -8 * 7?", "-56", "56"),
    ("arithmetic", "Work out 48 ÷ 6.", "8", "The result is 9."),
    ("arithmetic", "What is the remainder when 50 is divided by 6?", "It is 2.", "8"),
    (
        "unit_conversion",
        "Convert 5 kilometers to miles to two decimal places.",
        "3.11 miles",
        "8.05 miles",
    ),
    (
        "unit_conversion",
        "How many pounds is 3 kg? Round to one decimal place.",
        "About 6.6 lb.",
        "1.4 lb",
    ),
    ("unit_conversion", "Convert 100 °C to Fahrenheit.", "212 °F", "180 °F"),
    ("unit_conversion", "How many seconds are in 2.5 minutes?", "150 seconds", "250 seconds"),
    (
        "unit_conversion",
        "Convert 10 litres to imperial gallons, to two decimal places.",
        "2.20 gallons",
        "2.64 gallons",
    ),
    ("unit_conversion", "What is 6 feet in metres, to two decimal places?", "1.83 m", "1.98 m"),
    ("unit_conversion", "Convert -40 degrees Celsius to Fahrenheit.", "-40 °F", "-72 °F"),
    (
        "sorting",
        "Sort in descending order: 3.5, 1.2, 9.9, 4.0",
        "9.9, 4.0, 3.5, 1.2",
        "9.9, 3.5, 4.0, 1.2",
    ),
    (
        "sorting",
        "Please order these from highest to lowest: [12, -3, 45, 0, 7]",
        "[45, 12, 7, 0, -3]",
        "[45, 12, 7, -3, 0]",
    ),
    (
        "sorting",
        "Arrange alphabetically: kiwi, apple, mango, banana",
        "apple, banana, kiwi, mango",
        "apple, kiwi, banana, mango",
    ),
    (
        "sorting",
        "Sort these names from Z to A: Olga, Bruno, Zane, Mira",
        "Zane, Olga, Mira, Bruno",
        "Bruno, Mira, Olga, Zane",
    ),
    (
        "sorting",
        "Sort the following in ascending order: 5, 2, 8, 1",
        "1\n2\n5\n8",
        "Ascending: 1, 2, 8, 5",
    ),
    ("counting", "How many times does the letter 's' occur in 'possessions'?", "5", "4"),
    ("counting", "How many 'a's are in 'abracadabra'?", "There are 5.", "4"),
    (
        "counting",
        'How many words are in this sentence: "I like green tea with lemon."',
        "6",
        "seven",
    ),
    (
        "counting",
        "Count the words in the sentence below: Rain fell all night long",
        "5 words",
        "4 words",
    ),
    ("passage", LAB + "\nQuestion: Which lab has been booked?", "Lab 7", "Lab 4"),
    (
        "passage",
        LAB + "\nQuestion: How much does the booking cost?",
        "It costs $240.00.",
        "$420.00",
    ),
    ("passage", LAB + "\nQuestion: When does the time slot end?", "At 3:30 pm.", "4:30 pm"),
    ("passage", LAB + "\nQuestion: Who booked the lab?", "Dr. Amara Osei", "Dr. Kofi Mensah"),
    (
        "passage",
        LAB + "\nQuestion: On what date is the lab booked?",
        "3 March 2025",
        "March 4, 2025",
    ),
    ("passage", EMAIL + "\nQuestion: Which room has a working printer?", "Room 12", "Room 21"),
    ("passage", EMAIL + "\nQuestion: What time will the technician visit?", "10 am", "11:00"),
    (
        "passage",
        BUS + "\nQuestion: What time does the bus arrive at the Harbour?",
        "08:51",
        "08:15",
    ),
    (
        "code_output",
        "What does this Python program output?\n```python\nword = 'banana'\n"
        "print(word.count('an'), len(word))\n```",
        "`2 6`",
        "`3 6`",
    ),
    ("code_output", "What does `max([3, 9, 2]) * 2` evaluate to in Python?", "18", "6"),
    (
        "code_output",
        "What does this print?\n```python\nprint('-'.join(sorted('cab')))\n```",
        "It prints a-b-c",
        "c-a-b",
    ),
    (
        "code_output",
        "What does the following Python code print?\n```python\ns = 'Hello World'\n"
        "print(s.lower().split())\n```",
        "['hello', 'world']",
        "['Hello', 'World']",
    ),
    (
        "code_output",
        "What is the output of this Python code?\n```python\nx = 7\nx += 5\n"
        "print(x % 5, x // 5)\n```",
        "Output:\n```\n2 2\n```",
        "Output: `2 3`",
    ),
    (
        "code_output",
        "What does this Python code print?\n```python\nprint(list(reversed([1, 2, 3]))[0])\n```",
        "3",
        "1",
    ),
    (
        "code_output",
        "What does this Python code print?\n```python\n"
        'words = ["pear", "fig", "apple"]\nprint(sorted(words, key=len))\n```',
        "It prints `['fig', 'pear', 'apple']`.",
        "['apple', 'fig', 'pear']",
    ),
    (
        "code_output",
        "What is printed?\n```python\na, b = 3, 4\nprint(a * b if a < b else a + b)\n```",
        "12",
        "7",
    ),
    ("date", "What day of the week was 1 January 2000?", "Saturday", "Friday"),
    (
        "date",
        "How many days are there between 2023-12-25 and 2024-01-01?",
        "7",
        "6 days",
    ),
    (
        "date",
        "What date is 30 days after January 15, 2024?",
        "February 14, 2024",
        "February 15, 2024",
    ),
    ("date", "What day of the week is 10 days after 2024-02-25?", "Wednesday", "Tuesday"),
    ("date", "How many days from 2024-02-01 to 2024-03-01, inclusive?", "30", "29"),
]


@pytest.mark.parametrize(
    ("kind", "instruction", "right", "wrong"),
    HAND_WRITTEN,
    ids=[f"{k}-{i}" for i, (k, *_) in enumerate(HAND_WRITTEN)],
)
def test_hand_written_items(kind: str, instruction: str, right: str, wrong: str) -> None:
    assert task_kind(instruction) == kind
    assert check(instruction, right, wrong) == 1
    assert check(instruction, wrong, right) == 2


def test_every_kind_has_hand_written_items() -> None:
    counts = Counter(kind for kind, *_ in HAND_WRITTEN)
    assert all(counts[kind] >= 4 for kind in KINDS), counts


# ------------------------------------------------------------ undecidable


@pytest.mark.parametrize(
    "instruction",
    [
        "Write a poem about cats",
        "Who won the 1998 World Cup?",
        "Summarise the following article in two sentences.",
        "Translate 'good morning' into French.",
        "What is the meaning of life?",
    ],
)
def test_unrecognised_tasks_give_none(instruction: str) -> None:
    assert task_kind(instruction) is None
    assert check(instruction, "Cats are soft and sleepy.", "Meow.") is None


def test_both_or_neither_correct_give_none() -> None:
    assert check("What is 2 + 2?", "4", "The answer is 4.") is None
    assert check("What is 2 + 2?", "5", "6") is None
    assert check("What day of the week is 2024-03-15?", "Friday", "It is a Friday.") is None


def test_unextractable_response_counts_as_not_correct() -> None:
    assert check("What is 2 + 2?", "4", "I am not sure.") == 1
    assert check("What is 2 + 2?", "", "4") == 2


# ---------------------------------------------------------------- hostile

HOSTILE: list[tuple[str, str, str]] = [
    ("What is 9**9**9**9?", "1", "2"),
    ("What is 10**100000?", "0", "1"),
    ("What is 9.5 ** 999999?", "0", "1"),
    ("x" * 50_000, "a", "b"),
    ("What is 2+2?", "4" * 50_000, "5"),
    ("<script>alert('x')</script>", "<b>4</b>", "<img src=x onerror=alert(1)>"),
    ("", "", ""),
    ("What is 2+2?", "", ""),
    ("   \n\t ", "4", "5"),
    ("(" * 19_000, ")", "("),
    ("What is " + "(" * 5000 + "1" + ")" * 5000 + "?", "1", "2"),
    ("What does this Python code print?\n```python\nprint('a' * 10**9)\n```", "a", "b"),
    (
        "What does this Python code print?\n```python\nx = [[0] * 10000] * 10000\nprint(x)\n```",
        "[]",
        "x",
    ),
    (
        "What does this Python code print?\n```python\nprint(__import__('os').system('ls'))\n```",
        "0",
        "1",
    ),
    (
        "What does this Python code print?\n```python\n"
        "print(().__class__.__bases__[0].__subclasses__())\n```",
        "[]",
        "1",
    ),
    ("What does this Python code print?\n```python\nwhile True:\n    pass\n```", "", "x"),
    ("What does this Python code print?\n```python\nprint(10 ** 5000 * 10 ** 5000)\n```", "1", "2"),
    ("What does the Python expression `[x for x in range(10**9)]` evaluate to?", "[]", "x"),
    ("What does the Python expression `(lambda: 1)()` evaluate to?", "1", "2"),
    ("What date is 99999 days after 9999-12-01?", "x", "y"),
    ("What day of the week is 2023-02-30?", "Monday", "Tuesday"),
    ("Convert " + "9" * 400 + " km to miles.", "1", "2"),
    ("How many words are in the following sentence: " + "a " * 9000, "9000", "1"),
    ("Memo\nFrom: A B\nTo: " + "Xx Yy " * 3000 + "\nQuestion: Who sent it?", "A B", "C D"),
]


@pytest.mark.parametrize(("instruction", "r1", "r2"), HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_inputs_give_none_quickly(instruction: str, r1: str, r2: str) -> None:
    start = time.perf_counter()
    assert check(instruction, r1, r2) is None
    assert check(instruction, r2, r1) is None
    assert time.perf_counter() - start < 2.0


def test_checker_source_never_calls_eval_or_exec() -> None:
    files = sorted(Path(checkers.__file__).parent.glob("*.py"))
    assert len(files) > 1  # the package: one module per task kind
    for path in files:
        source = path.read_text(encoding="utf-8")
        assert re.search(r"(?<![\w.])(?:eval|exec|compile|__import__)\(", source) is None, path


def test_non_string_inputs_give_none() -> None:
    assert check(None, "4", "5") is None  # type: ignore[arg-type]
    assert check("What is 2 + 2?", 4, "5") is None  # type: ignore[arg-type]
    assert task_kind(None) is None  # type: ignore[arg-type]


def test_oversized_inputs_are_not_examined() -> None:
    padding = " " * MAX_INPUT_CHARS
    assert check("What is 2 + 2?" + padding, "4", "5") is None
    assert check("What is 2 + 2?", "4" + padding, "5") is None


def test_random_garbage_never_raises() -> None:
    import random
    import string

    rng = random.Random(1234)
    alphabet = string.printable + "×÷−°’“”`"
    fragments = ["What is ", "Convert ", " km to miles", "Sort ", "```python\n", "print(", "?"]
    for _ in range(500):
        parts = [
            rng.choice(fragments) if rng.random() < 0.3 else rng.choice(alphabet)
            for _ in range(rng.randint(0, 120))
        ]
        text = "".join(parts)
        result = check(text, text[::-1], text[:7])
        assert result in (None, 1, 2)
