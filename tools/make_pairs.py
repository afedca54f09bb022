"""Generate ``probes/demo_pairs.jsonl``, the bundled sample pairs.

Deterministic (seeded): running it twice writes the same file. Every item is a
pairwise comparison whose better response is objectively checkable (arithmetic,
unit conversion, sorting, counting, facts stated in a passage, the output of a
small Python snippet, date arithmetic). The wrong response is plausibly wrong
(off-by-one, wrong factor, swapped element, a value the passage never states).

Response styles vary on purpose (terse, one sentence, bold, hedged, explained,
markdown list, numbered steps, long and confident) and are assigned so that the
longer response is the gold one in about half the items: length must not predict
correctness. The script checks every item with ``judgebias.sim.checkers.check``
in both orders and fails loudly if the checker disagrees with the gold label.

Usage: python tools/make_pairs.py [--out PATH] [--seed N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from judgebias.sim.checkers import check  # noqa: E402

SEED = 20240611
PER_KIND = 35
OUT = ROOT / "probes" / "demo_pairs.jsonl"

MODELS = (
    "helper-small",
    "helper-large",
    "quill-7b",
    "quill-70b",
    "tutor-mini",
    "sage-base",
    "sage-pro",
    "orbit-lite",
    "orbit-xl",
    "marlin-3b",
)
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def word_list(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of ``text`` (keeps long word lists readable)."""
    return tuple(text.split())


@dataclass
class Answer:
    """One response's claim: the bare value, how to show it inline, a sentence, steps."""

    value: str
    sentence: str
    steps: list[str] = field(default_factory=list)
    shown: str = ""
    closers: tuple[str, ...] = ()

    def inline(self) -> str:
        return self.shown or self.value


@dataclass
class Draft:
    task: str
    instruction: str
    right: Answer
    wrong: Answer


# ----------------------------------------------------------------- rendering

OPENERS = (
    "Great question!",
    "This one is straightforward.",
    "Happy to help with this.",
    "Let me be precise here.",
    "Sure, here is the reasoning.",
    "Good one, and easy to get wrong.",
)
TAILS = (
    "I'm completely certain of this.",
    "You can rely on this; I double-checked every step.",
    "There is no doubt about it.",
    "I have verified this carefully, so you can use it with confidence.",
    "This is definitely correct, and any careful check will confirm it.",
)
HEDGES = (
    "I think it's {v}, but it may be worth double-checking.",
    "Probably {v}, if I haven't slipped somewhere.",
    "My best guess is {v}.",
)
INTROS = ("Here's how I worked it out:", "Working:", "Step by step:", "Reasoning:")
STYLES = ("terse", "sentence", "bold", "hedged", "explained", "markdown", "numbered", "confident")


def render(style: str, ans: Answer, rng: random.Random) -> str:
    v = ans.inline()
    closers = ans.closers or ("So the answer is {v}.", "That gives {v}.", "Final answer: {v}.")
    closer = rng.choice(closers).format(v=v, s=ans.sentence)
    if style == "terse":
        return ans.value
    if style == "sentence":
        return ans.sentence
    if style == "bold":
        return rng.choice((f"**{v}**", f"Answer: **{v}**", f"**Answer:** {v}"))
    if style == "hedged":
        return rng.choice(HEDGES).format(v=v)
    if style == "explained":
        return " ".join([*ans.steps, closer])
    if style == "markdown":
        bullets = "\n".join(f"- {s}" for s in ans.steps)
        return f"{rng.choice(INTROS)}\n\n{bullets}\n\n**Final answer:** {v}"
    if style == "numbered":
        lines = "\n".join(f"{i}. {s}" for i, s in enumerate(ans.steps, start=1))
        return f"{lines}\n\nAnswer: {v}"
    if style == "confident":
        return " ".join([rng.choice(OPENERS), *ans.steps, ans.sentence, rng.choice(TAILS)])
    raise ValueError(style)


def style_pair(
    draft: Draft, longer_is_right: bool, rng: random.Random
) -> tuple[str, str, str, str]:
    """Responses (right, wrong) and their styles, with the length relation asked for."""
    best: tuple[str, str, str, str] | None = None
    for _ in range(60):
        s_right, s_wrong = rng.choice(STYLES), rng.choice(STYLES)
        right = render(s_right, draft.right, rng)
        wrong = render(s_wrong, draft.wrong, rng)
        if len(right) == len(wrong):
            continue
        best = (right, wrong, s_right, s_wrong)
        if (len(right) > len(wrong)) == longer_is_right:
            return best
    assert best is not None
    return best


# ---------------------------------------------------------------- arithmetic

OP_SYMBOL = {"+": "+", "-": "−", "*": "×", "//": "//", "%": "%"}


def make_arith(rng: random.Random, i: int) -> Draft:
    op = ("+", "-", "*", "*", "//", "%", "-", "+", "mixed")[i % 9]
    if op == "mixed":
        a, b, c = rng.randint(11, 49), rng.randint(3, 29), rng.randint(2, 9)
        value = (a + b) * c
        delta = rng.choice((c, -c, 10, -1))
        wrong = value + delta
        instruction = rng.choice((f"Evaluate ({a} + {b}) * {c}.", f"What is ({a} + {b}) * {c}?"))
        steps_r = [f"First the brackets: {a} + {b} = {a + b}.", f"Then {a + b} × {c} = {value}."]
        if delta in (c, -c):
            wrong_sum = a + b + delta // c
            steps_w = [
                f"First the brackets: {a} + {b} = {wrong_sum}.",
                f"Then {wrong_sum} × {c} = {wrong}.",
            ]
        else:
            steps_w = [
                f"First the brackets: {a} + {b} = {a + b}.",
                f"Then {a + b} × {c} = {wrong}.",
            ]
        expr = f"({a} + {b}) × {c}"
    else:
        if op == "*":
            a, b = rng.randint(12, 99), rng.randint(11, 49)
            value = a * b
        elif op == "+":
            a, b = rng.randint(120, 9999), rng.randint(45, 999)
            value = a + b
        elif op == "-":
            a = rng.randint(300, 9999)
            b = rng.randint(45, a - 20)
            value = a - b
        else:
            b = rng.randint(3, 13)
            a = rng.randint(4 * b, 40 * b)
            if a % b == 0:
                a += rng.randint(1, b - 1)
            value = a // b if op == "//" else a % b
        sym = OP_SYMBOL[op]
        expr = f"{a} {sym} {b}"
        forms = [f"What is {a} {op} {b}?", f"Compute {a} {op} {b}.", f"Calculate {a} {op} {b}."]
        if op == "*":
            forms.append(f"What is {a} times {b}?")
        if op == "//":
            forms = [
                f"What is {a} // {b} (integer division)?",
                f"Compute {a} // {b}, using integer (floor) division.",
            ]
        if op == "%":
            forms.append(f"What is the remainder when {a} is divided by {b}?")
        instruction = rng.choice(forms)
        steps_r, steps_w, wrong = arith_steps(op, a, b, value, rng)
    right = Answer(
        str(value), rng.choice((f"{expr} = {value}.", f"The answer is {value}.")), steps_r
    )
    wrong_ans = Answer(
        str(wrong), rng.choice((f"{expr} = {wrong}.", f"The answer is {wrong}.")), steps_w
    )
    return Draft("arithmetic", instruction, right, wrong_ans)


def arith_steps(
    op: str, a: int, b: int, value: int, rng: random.Random
) -> tuple[list[str], list[str], int]:
    if op == "*":
        tens, units = b - b % 10, b % 10
        p1, p2 = a * tens, a * units
        slip = rng.choice((10, -10, a, -a))
        if slip in (a, -a):
            # multiplied by one too many / too few
            wrong = value + slip
            b2 = b + (1 if slip > 0 else -1)
            steps_w = [
                f"Think of it as {a} × {b2}.",
                f"{a} × {b2 - b2 % 10} = {a * (b2 - b2 % 10)} and {a} × {b2 % 10} = {a * (b2 % 10)}.",
                f"Adding the parts: {a * (b2 - b2 % 10)} + {a * (b2 % 10)} = {wrong}.",
            ]
        else:
            wrong = value + slip
            steps_w = [
                f"Split {b} into {tens} + {units}.",
                f"{a} × {tens} = {p1} and {a} × {units} = {p2 + slip}.",
                f"Adding the parts: {p1} + {p2 + slip} = {wrong}.",
            ]
        steps_r = [
            f"Split {b} into {tens} + {units}.",
            f"{a} × {tens} = {p1} and {a} × {units} = {p2}.",
            f"Adding the parts: {p1} + {p2} = {value}.",
        ]
        return steps_r, steps_w, wrong
    if op == "+":
        wrong = value + rng.choice((10, -10, 1, -1, 100))
        hundreds = b - b % 100
        steps_r = [
            f"Add {hundreds} first: {a} + {hundreds} = {a + hundreds}.",
            f"Then add the remaining {b % 100}: {a + hundreds} + {b % 100} = {value}.",
        ]
        steps_w = [
            f"Add {hundreds} first: {a} + {hundreds} = {a + hundreds}.",
            f"Then add the remaining {b % 100}: {a + hundreds} + {b % 100} = {wrong}.",
        ]
        return steps_r, steps_w, wrong
    if op == "-":
        wrong = value + rng.choice((10, -10, 1, -1, 100))
        hundreds = b - b % 100
        steps_r = [
            f"Take away {hundreds} first: {a} − {hundreds} = {a - hundreds}.",
            f"Then take away {b % 100}: {a - hundreds} − {b % 100} = {value}.",
        ]
        steps_w = [
            f"Take away {hundreds} first: {a} − {hundreds} = {a - hundreds}.",
            f"Then take away {b % 100}, borrowing from the tens: {a - hundreds} − {b % 100} = {wrong}.",
        ]
        return steps_r, steps_w, wrong
    q, r = divmod(a, b)
    if op == "//":
        wrong = q + rng.choice((1, -1))
        steps_r = [
            f"{b} × {q} = {b * q}, and {b} × {q + 1} = {b * (q + 1)} is already more than {a}."
        ]
        steps_r.append(f"So {b} fits into {a} {q} whole times, with {r} left over.")
        steps_w = [f"{b} × {wrong} = {b * wrong}, which is the largest multiple of {b} up to {a}."]
        steps_w.append(f"So {b} fits into {a} {wrong} whole times.")
        return steps_r, steps_w, wrong
    # %
    if rng.random() < 0.5 and q != r:
        wrong = q
        steps_w = [
            f"{a} divided by {b} is {q} with a bit left over.",
            f"Taking that whole part, {a} % {b} = {q}.",
        ]
    else:
        wrong = r + 1 if r + 1 < b else r - 1
        steps_w = [f"{b} × {q} = {b * q}.", f"{a} − {b * q} = {wrong}."]
    steps_r = [f"{b} × {q} = {b * q}.", f"{a} − {b * q} = {r}."]
    return steps_r, steps_w, wrong


# ---------------------------------------------------------- unit conversion

# (source, target, factor or "temp", (low, high), decimals for the value)
CONVERSIONS = (
    ("km", "miles", 0.621371192237334, (3, 250), 0),
    ("miles", "km", 1.609344, (2, 180), 0),
    ("kg", "lb", 2.2046226218487757, (2, 120), 1),
    ("lb", "kg", 0.45359237, (3, 260), 0),
    ("°C", "°F", "c2f", (-20, 45), 0),
    ("°F", "°C", "f2c", (-4, 110), 0),
    ("hours", "minutes", 60.0, (1, 30), 2),
    ("minutes", "hours", 1 / 60, (20, 900), 0),
    ("litres", "US gallons", 0.26417205235814845, (2, 200), 0),
    ("US gallons", "litres", 3.785411784, (1, 60), 0),
)
UNIT_WORDS = {
    "km": ("km", "kilometres"),
    "miles": ("miles",),
    "kg": ("kg", "kilograms"),
    "lb": ("lb", "pounds"),
    "°C": ("°C", "degrees Celsius"),
    "°F": ("°F", "degrees Fahrenheit"),
    "hours": ("hours",),
    "minutes": ("minutes",),
    "litres": ("litres", "L"),
    "US gallons": ("US gallons",),
}
WRONG_FACTOR = {
    ("km", "miles"): (1.609344, "1 km ≈ 1.609 miles"),
    ("miles", "km"): (0.621371192237334, "1 mile ≈ 0.621 km"),
    ("kg", "lb"): (0.45359237, "1 kg ≈ 0.454 lb"),
    ("lb", "kg"): (2.2046226218487757, "1 lb ≈ 2.205 kg"),
    ("hours", "minutes"): (100.0, "1 hour = 100 minutes"),
    ("minutes", "hours"): (1 / 100, "100 minutes make an hour"),
    ("litres", "US gallons"): (0.21996924829908776, "1 litre ≈ 0.22 gallons"),
    ("US gallons", "litres"): (4.54609, "1 gallon ≈ 4.546 litres"),
}
RIGHT_FACTOR_TEXT = {
    ("km", "miles"): "1 km ≈ 0.621371 miles",
    ("miles", "km"): "1 mile = 1.609344 km",
    ("kg", "lb"): "1 kg ≈ 2.20462 lb",
    ("lb", "kg"): "1 lb = 0.45359237 kg",
    ("hours", "minutes"): "1 hour = 60 minutes",
    ("minutes", "hours"): "60 minutes make an hour",
    ("litres", "US gallons"): "1 litre ≈ 0.264172 US gallons",
    ("US gallons", "litres"): "1 US gallon ≈ 3.785412 litres",
}
PLACES_TEXT = {
    0: "to the nearest whole number",
    1: "to one decimal place",
    2: "to two decimal places",
}


def fmt_round(x: float, places: int) -> str:
    q = Decimal(1).scaleb(-places)
    d = Decimal(repr(x)).quantize(q, rounding=ROUND_HALF_UP)
    if d == 0:
        d = abs(d)
    return f"{d:.{places}f}"


def fmt_value(x: float, places: int) -> str:
    return f"{x:.{places}f}" if places else str(int(x))


def near_tie(x: float, places: int) -> bool:
    scaled = abs(x) * 10**places
    frac = scaled - int(scaled)
    return abs(frac - 0.5) < 0.12


def short(x: float, places: int = 4) -> str:
    """x with up to ``places`` decimals, trailing zeros dropped."""
    return fmt_round(x, places).rstrip("0").rstrip(".")


def make_hours(rng: random.Random) -> Draft:
    hours = rng.randint(5, 100) / 4
    if hours == int(hours):
        hours += 0.25
    minutes = round(hours * 60)
    whole, frac = int(hours), round((hours - int(hours)) * 100)
    wrong = whole * 60 + frac if rng.random() < 0.7 else round(hours * 100)
    instruction = rng.choice(
        (
            f"How many minutes are in {short(hours)} hours?",
            f"Convert {short(hours)} hours to minutes.",
            f"How many minutes are there in {short(hours)} hours?",
        )
    )
    steps_r = ["1 hour = 60 minutes.", f"{short(hours)} × 60 = {minutes}."]
    if wrong == whole * 60 + frac:
        steps_w = [
            f"{short(hours)} hours is {whole} hours and {frac} minutes.",
            f"{whole} × 60 + {frac} = {wrong}.",
        ]
    else:
        steps_w = ["1 hour = 100 minutes.", f"{short(hours)} × 100 = {wrong}."]

    def ans(n: int, steps: list[str]) -> Answer:
        return Answer(
            f"{n} minutes",
            rng.choice((f"{short(hours)} hours is {n} minutes.", f"That is {n} minutes.")),
            steps,
            closers=("So it is {v}.", "Answer: {v}."),
        )

    return Draft("unit_conversion", instruction, ans(minutes, steps_r), ans(wrong, steps_w))


def make_unit(rng: random.Random, i: int) -> Draft:
    src, dst, factor, (lo, hi), vplaces = CONVERSIONS[i % len(CONVERSIONS)]
    if src == "hours":
        return make_hours(rng)
    while True:
        if vplaces == 2:
            value = rng.randint(lo * 4, hi * 4) / 4
        elif vplaces == 1:
            value = rng.randint(lo * 10, hi * 10) / 10
        else:
            value = float(rng.randint(lo, hi))
        if factor == "c2f":
            exact = value * 9 / 5 + 32
        elif factor == "f2c":
            exact = (value - 32) * 5 / 9
        else:
            assert isinstance(factor, float)
            exact = value * factor
        places = rng.choice((0, 1, 1, 2))
        if src == "minutes":
            places = rng.choice((1, 2))
        exact_is_round = abs(exact * 10**places - round(exact * 10**places)) < 1e-9
        if exact_is_round or not near_tie(exact, places):
            break
    answer = fmt_round(exact, places)
    v_text = fmt_value(value, vplaces)
    u_src = rng.choice(UNIT_WORDS[src])
    u_dst = rng.choice(UNIT_WORDS[dst])
    rounding = PLACES_TEXT[places]
    instruction = rng.choice(
        (
            f"Convert {v_text} {u_src} to {u_dst}, rounded {rounding}.",
            f"What is {v_text} {u_src} in {u_dst}? Round {rounding}.",
            f"Convert {v_text} {u_src} into {u_dst}. Give the answer {rounding}.",
            f"Express {v_text} {u_src} in {u_dst} ({rounding}).",
        )
    )
    unit_out = u_dst
    sep = "" if unit_out.startswith("°") and rng.random() < 0.5 else " "

    def shown(num: str) -> str:
        return f"{num}{sep}{unit_out}"

    # the wrong answer
    kind = rng.choice(("factor", "digit", "factor")) if (src, dst) in WRONG_FACTOR else "temp"
    if factor in ("c2f", "f2c"):
        kind = rng.choice(("temp", "digit"))
    steps_r: list[str]
    steps_w: list[str]
    if factor == "c2f":
        steps_r = [
            "°F = °C × 9/5 + 32.",
            f"{v_text} × 9/5 = {fmt_round(value * 9 / 5, 2)}, plus 32 gives {fmt_round(exact, 2)}.",
        ]
    elif factor == "f2c":
        steps_r = [
            "°C = (°F − 32) × 5/9.",
            f"{v_text} − 32 = {fmt_value(value - 32, 0)}, and × 5/9 gives {fmt_round(exact, 3)}.",
        ]
    else:
        steps_r = [
            f"{RIGHT_FACTOR_TEXT[(src, dst)]}.",
            f"{v_text} × {short(float(factor), 6)} = {short(exact)}.",
        ]
    steps_r.append(f"Rounded {rounding}, that is {answer}.")
    wrong = answer
    if kind == "factor":
        wf, wtext = WRONG_FACTOR[(src, dst)]
        raw = value * wf
        wrong = fmt_round(raw, places)
        steps_w = [
            f"{wtext}.",
            f"{v_text} × {short(wf, 6)} = {short(raw)}.",
            f"Rounded {rounding}, that is {wrong}.",
        ]
    elif kind == "temp":
        if factor == "c2f":
            raw = value * 9 / 5
            steps_w = ["°F = °C × 9/5.", f"{v_text} × 9/5 = {fmt_round(raw, 2)}."]
        else:
            raw = value * 5 / 9 - 32 if rng.random() < 0.5 else (value - 32) * 9 / 5
            if abs(raw - (value * 5 / 9 - 32)) < 1e-9:
                steps_w = ["°C = °F × 5/9 − 32.", f"{v_text} × 5/9 − 32 = {fmt_round(raw, 2)}."]
            else:
                steps_w = ["°C = (°F − 32) × 9/5.", f"({v_text} − 32) × 9/5 = {fmt_round(raw, 2)}."]
        wrong = fmt_round(raw, places)
        steps_w.append(f"Rounded {rounding}, that is {wrong}.")
    if wrong == answer or kind == "digit":
        step = 10.0 ** (-places)
        sign = rng.choice((1, -1))
        wrong = fmt_round(float(answer) + sign * step, places)
        steps_w = [*steps_r[:-1], f"Rounded {rounding}, that is {wrong}."]
    assert wrong != answer
    right = Answer(
        shown(answer),
        rng.choice((f"{v_text} {u_src} is about {shown(answer)}.", f"That is {shown(answer)}.")),
        steps_r,
        closers=("So it is {v}.", "Answer: {v}.", "Result: {v}."),
    )
    wrong_ans = Answer(
        shown(wrong),
        rng.choice((f"{v_text} {u_src} is about {shown(wrong)}.", f"That is {shown(wrong)}.")),
        steps_w,
        closers=("So it is {v}.", "Answer: {v}.", "Result: {v}."),
    )
    return Draft("unit_conversion", instruction, right, wrong_ans)


# ------------------------------------------------------------------- sorting

SORT_WORDS = word_list(
    "maple quartz lantern pebble orchid falcon harbor velvet cobalt meadow saddle thistle "
    "anchor bramble cricket dune ember fjord garnet hazel igloo juniper kettle lilac mosaic "
    "nectar oyster prism quill raven saffron tundra umber violet walnut yarrow zephyr basil "
    "canyon dolphin"
)


def make_sort(rng: random.Random, i: int) -> Draft:
    words = i % 2 == 1
    n = rng.randint(5, 8)
    if words:
        items: list[str] = rng.sample(SORT_WORDS, n)
        descending = rng.random() < 0.4
        expected = sorted(items, reverse=descending)
        order = "in reverse alphabetical order" if descending else "alphabetically"
        instruction = rng.choice(
            (
                f"Sort these words {order}: {', '.join(items)}.",
                f"Put the following words {'in reverse alphabetical order' if descending else 'in alphabetical order'}: {', '.join(items)}",
                f"Arrange these words {'from Z to A' if descending else 'from A to Z'}: {', '.join(items)}.",
            )
        )
    else:
        nums = rng.sample(range(-40, 200), n)
        items = [str(x) for x in nums]
        descending = rng.random() < 0.5
        expected = [str(x) for x in sorted(nums, reverse=descending)]
        instruction = rng.choice(
            (
                f"Sort the following numbers in {'descending' if descending else 'ascending'} order: {', '.join(items)}.",
                f"Arrange these numbers from {'largest to smallest' if descending else 'smallest to largest'}: {', '.join(items)}.",
                f"Sort this list in {'descending' if descending else 'ascending'} order: [{', '.join(items)}]",
            )
        )
    if items in (expected, expected[::-1]):
        rng.shuffle(items)
        return make_sort(rng, i)
    mistake = rng.choice(("swap", "swap", "reverse", "drop"))
    wrong = list(expected)
    if mistake == "swap":
        k = rng.randint(1, n - 2)
        wrong[k], wrong[k + 1] = wrong[k + 1], wrong[k]
    elif mistake == "reverse":
        wrong = wrong[::-1]
    else:
        del wrong[rng.randint(1, n - 2)]
    direction = "descending" if descending else "ascending"
    what = "words" if words else "numbers"

    def answer(seq: list[str], correct: bool) -> Answer:
        joined = ", ".join(seq)
        fmt = rng.choice(("plain", "plain", "brackets", "bullets", "arrows"))
        if fmt == "brackets":
            value = "[" + ", ".join(f'"{s}"' if words else s for s in seq) + "]"
        elif fmt == "bullets":
            value = "\n" + "\n".join(f"- {s}" for s in seq)
        elif fmt == "arrows" and not words:
            value = (" > " if descending else " < ").join(seq)
        else:
            value = joined
        first, last = seq[0], seq[-1]
        if words:
            steps = [
                f"Compare the {what} letter by letter.",
                f"{'The latest in the alphabet' if descending else 'First alphabetically'} is {first}, and {last} comes last.",
            ]
        else:
            steps = [
                f"Find the {'largest' if descending else 'smallest'} value first: {first}.",
                f"Keep picking the next {'largest' if descending else 'smallest'}, ending with {last}.",
            ]
        if not correct and mistake == "drop":
            steps.append("Each value appears once in the list.")
        sentence = f"In {direction} order: {joined}." if not words else f"Sorted: {joined}."
        closers = (f"The sorted list is: {joined}.", "So the order is {v}")
        return Answer(value.strip(), sentence, steps, shown=value, closers=closers)

    return Draft("sorting", instruction, answer(expected, True), answer(wrong, False))


# ------------------------------------------------------------------ counting

LETTER_WORDS = word_list(
    "strawberry mississippi banana bookkeeper committee parallel occurrence assessment "
    "referee necessary possession engineering accommodation millennium coffee balloon "
    "success address pepper remember grammar cinnamon barrister hippopotamus reservoir "
    "kaleidoscope tomorrow embarrass giraffe lollipop peppermint bubblegum trillion "
    "cappuccino settlement"
)
SENTENCES = (
    "Our neighbour repaints her green fence every spring",
    "The library closes early on the last Friday of each month",
    "Seven small boats drifted slowly past the old stone bridge",
    "Please leave the spare keys under the blue flower pot",
    "My cousin learned to juggle while waiting for the train",
    "A cold wind rattled the windows of the empty farmhouse",
    "The bakery on the corner sells warm bread before sunrise",
    "He forgot his umbrella and walked home in the rain",
    "Every student brought a different fruit to the class picnic",
    "The orchestra tuned their instruments while the audience found seats",
    "She keeps a tiny notebook for recording the birds she sees",
    "Our team finished the puzzle with only two minutes to spare",
    "The old clock in the hallway chimes twice every hour",
    "They painted the kitchen yellow and the bedroom a pale grey",
    "Fresh snow covered the quiet village overnight",
    "The tour guide pointed out the castle ruins on the hill",
)
COUNT_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight")


def make_count(rng: random.Random, i: int) -> Draft:
    if i % 7 in (0, 2, 4, 6):
        word = LETTER_WORDS[(i * 3) % len(LETTER_WORDS)]
        counts = Counter(word)
        repeated = [c for c in counts if counts[c] >= 2]
        letter = rng.choice(repeated or list(counts))
        n = counts[letter]
        instruction = rng.choice(
            (
                f"How many times does the letter '{letter}' appear in the word '{word}'?",
                f"How many {letter}'s are in the word {word}?",
                f'Count the letter "{letter}" in "{word}".',
            )
        )
        positions = [k + 1 for k, c in enumerate(word) if c == letter]
        wrong_n = n - 1 if rng.random() < 0.7 else n + 1
        spelled = "-".join(word)
        if wrong_n < n:
            wrong_pos = positions[:-1]
        else:
            extra = next(k + 1 for k in range(len(word)) if k + 1 not in positions)
            wrong_pos = sorted([*positions, extra])

        def pos_text(ps: list[int]) -> str:
            if not ps:
                return "no position"
            if len(ps) == 1:
                return f"position {ps[0]}"
            return "positions " + ", ".join(map(str, ps[:-1])) + f" and {ps[-1]}"

        def ans(count: int, ps: list[int]) -> Answer:
            return Answer(
                str(count),
                rng.choice(
                    (
                        f"The letter '{letter}' appears {count} times in '{word}'.",
                        f"There are {count} {letter}'s in {word}.",
                        f"'{word}' contains {COUNT_NUMBER_WORDS[count] if count < len(COUNT_NUMBER_WORDS) else count} '{letter}'s.",
                    )
                ),
                [f"Spell it out: {spelled}.", f"'{letter}' is at {pos_text(ps)}."],
                closers=("So the count is {v}.", "Answer: {v}.", "That makes {v} in total."),
            )

        return Draft("counting", instruction, ans(n, positions), ans(wrong_n, wrong_pos))
    sentence = SENTENCES[(i // 2) % len(SENTENCES)]
    words = sentence.split()
    n = len(words)
    quoted = sentence + rng.choice((".", ".", "!"))
    instruction = rng.choice(
        (
            f'How many words are in the following sentence: "{quoted}"',
            f'Count the words in this sentence: "{quoted}"',
            f'How many words are there in this sentence? "{quoted}"',
        )
    )
    skip = rng.randint(1, n - 2)
    if rng.random() < 0.7:
        wrong_words = words[:skip] + words[skip + 1 :]
    else:
        wrong_words = [*words[:skip], words[skip], *words[skip:]]
        # double-counted one word
    wrong_n = len(wrong_words)

    def ans_w(ws: list[str]) -> Answer:
        listing = ", ".join(f"{w} ({k})" for k, w in enumerate(ws, start=1))
        return Answer(
            str(len(ws)),
            rng.choice(
                (
                    f"There are {len(ws)} words in the sentence.",
                    f"The sentence has {len(ws)} words.",
                )
            ),
            [f"Counting each word in turn: {listing}."],
            closers=("So there are {v} words.", "Answer: {v}.", "Total: {v} words."),
        )

    return (
        Draft("counting", instruction, ans_w(words), ans_w(wrong_words))
        if wrong_n != n
        else make_count(rng, i + 1)
    )


# ------------------------------------------------------------------ passages

FIRST = word_list(
    "Priya Tomas Hana Owen Lena Marcus Aisha Dmitri Camila Jonas Ines Kwame Sofia Rafael Yuki "
    "Elena Niall Farah Mateo Greta Bram Odile Tariq Wren"
)
LAST = word_list(
    "Natarajan Reyes Kobayashi Price Ortiz Lindqvist Okafor Petrov Alvarez Brandt Moreau Mensah "
    "Rossi Duarte Tanaka Varga Byrne Haddad Silva Keller Quist Abara Fenwick Solberg"
)
VENDORS = (
    "Blue Heron Supplies",
    "Northgate Office Goods",
    "Brightwell Lab Supply",
    "Harbourline Print Works",
    "Tallow Street Trading",
    "Copperfield Hardware",
)
CLIENTS = (
    "Marlow Dental Clinic",
    "Fernhill Primary School",
    "Quayside Rowing Club",
    "Oakridge Veterinary Practice",
    "Sunfield Community Centre",
    "Larkspur Architects",
)
ITEMS = (
    "desk lamps",
    "storage crates",
    "extension cables",
    "whiteboard markers",
    "label printers",
    "office chairs",
    "coffee filters",
    "cable ties",
    "safety goggles",
    "paper shredders",
)
EVENTS = (
    "annual stocktake",
    "fire drill",
    "quarterly planning session",
    "server migration",
    "office deep clean",
    "volunteer induction",
)
SESSIONS = (
    "Bookbinding Basics",
    "Urban Sketching",
    "Pottery for Beginners",
    "Linocut Printing",
    "Calligraphy Workshop",
    "Knitting Circle",
    "Photography Walk",
    "Watercolour Landscapes",
)
PLACES = ("Room", "Studio", "Lab", "Hall")
CARRIERS = ("Swiftline Couriers", "Pennant Freight", "Kestrel Logistics", "Greenway Parcels")


def person(rng: random.Random, avoid: set[str]) -> str:
    while True:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if name not in avoid and not any(part in a for a in avoid for part in name.split()):
            return name


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def long_date(d: dt.date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def rand_date(rng: random.Random, start_year: int = 2023, end_year: int = 2026) -> dt.date:
    lo = dt.date(start_year, 1, 1).toordinal()
    hi = dt.date(end_year, 12, 31).toordinal()
    return dt.date.fromordinal(rng.randint(lo, hi))


def money(x: float) -> str:
    return f"${x:,.2f}"


def fact_answer(value: str, sentence: str, steps: list[str]) -> Answer:
    return Answer(value, sentence, steps, closers=("So the answer is {v}.", "Answer: {v}."))


def make_memo(rng: random.Random) -> tuple[str, str, Answer, Answer]:
    names: set[str] = set()
    sender = person(rng, names)
    names.add(sender)
    contact = person(rng, names)
    names.add(contact)
    event = rng.choice(EVENTS)
    day = rand_date(rng)
    start = rng.randrange(7 * 60, 15 * 60, 15)
    end = start + rng.choice((45, 60, 90, 120, 150))
    place = f"{rng.choice(PLACES)} {rng.randint(2, 40)}{rng.choice(('', '', 'A', 'B'))}"
    ext = rng.randint(2000, 7999)
    passage = "\n".join(
        (
            "INTERNAL MEMO",
            f"From: {sender}",
            "To: All staff",
            f"Date: {long_date(day - dt.timedelta(days=rng.randint(5, 20)))}",
            f"Subject: {event.capitalize()}",
            "",
            f"The {event} is scheduled for {WEEKDAYS[day.weekday()]}, {long_date(day)}.",
            f"Location: {place}",
            f"Start time: {hhmm(start)}",
            f"End time: {hhmm(end)}",
            f"Questions to: {contact}",
            f"Extension: {ext}",
        )
    )
    q = rng.choice(("sender", "place", "start", "end", "contact", "ext"))
    if q == "sender":
        other = person(rng, names)
        return (
            passage,
            "Who sent the memo?",
            fact_answer(
                sender,
                f"The memo was sent by {sender}.",
                ["The From line names the sender.", f"It reads {sender}."],
            ),
            fact_answer(
                other,
                f"The memo was sent by {other}.",
                ["The sender signs off the memo.", f"That is {other}."],
            ),
        )
    if q == "contact":
        other = person(rng, names)
        return (
            passage,
            "Who should staff contact with questions?",
            fact_answer(
                contact,
                f"Questions go to {contact}.",
                ["The memo has a line for questions.", f"It names {contact}."],
            ),
            fact_answer(
                other,
                f"Questions go to {other}.",
                ["The memo names a contact person.", f"That is {other}."],
            ),
        )
    if q == "place":
        kind = place.split(" ", 1)[0]
        wrong_place = place
        while wrong_place == place or wrong_place in passage:
            wrong_place = f"{kind} {rng.randint(2, 40)}{rng.choice(('', 'A', 'B', 'C'))}"
        question = f"Where will the {event} take place?"
        return (
            passage,
            question,
            fact_answer(
                place,
                f"It takes place in {place}.",
                ["The Location line gives the venue.", f"It says {place}."],
            ),
            fact_answer(
                wrong_place,
                f"It takes place in {wrong_place}.",
                ["The memo gives the venue.", f"It is {wrong_place}."],
            ),
        )
    if q in ("start", "end"):
        t = start if q == "start" else end
        wrong_t = t
        while hhmm(wrong_t) in passage:
            wrong_t = t + rng.choice((-60, -30, 30, 60, 15))
        verb = "start" if q == "start" else "end"
        return (
            passage,
            f"What time does the {event} {verb}?",
            fact_answer(
                hhmm(t),
                f"It {verb}s at {hhmm(t)}.",
                [f"The memo has a {verb} time line.", f"It lists {hhmm(t)}."],
            ),
            fact_answer(
                hhmm(wrong_t),
                f"It {verb}s at {hhmm(wrong_t)}.",
                [f"The memo gives the {verb} time.", f"That is {hhmm(wrong_t)}."],
            ),
        )
    wrong_ext = ext
    while str(wrong_ext) in passage:
        wrong_ext = ext + rng.choice((1, -1, 10, 100, -100))
    return (
        passage,
        "Which extension should staff call with questions?",
        fact_answer(
            str(ext),
            f"Staff should call extension {ext}.",
            ["The Extension line gives the number.", f"It is {ext}."],
        ),
        fact_answer(
            str(wrong_ext),
            f"Staff should call extension {wrong_ext}.",
            ["The memo lists the contact's extension.", f"It is {wrong_ext}."],
        ),
    )


def make_invoice(rng: random.Random) -> tuple[str, str, Answer, Answer]:
    items = rng.sample(ITEMS, 3)
    qty = [rng.randint(2, 40) for _ in items]
    price = [rng.randint(150, 9000) / 100 for _ in items]
    lines = [round(q * p, 2) for q, p in zip(qty, price, strict=True)]
    subtotal = round(sum(lines), 2)
    rate = rng.choice((5, 8, 10, 20))
    tax = round(subtotal * rate / 100, 2)
    total = round(subtotal + tax, 2)
    issued = rand_date(rng)
    due = issued + dt.timedelta(days=rng.choice((14, 30, 45)))
    number = f"INV-{rng.randint(10000, 99999)}"
    vendor, client = rng.choice(VENDORS), rng.choice(CLIENTS)
    item_lines = [
        f"- {q} × {name} at {money(p)} each = {money(t)}"
        for q, name, p, t in zip(qty, items, price, lines, strict=True)
    ]
    passage = "\n".join(
        (
            f"INVOICE {number}",
            f"Vendor: {vendor}",
            f"Bill to: {client}",
            f"Issue date: {issued.isoformat()}",
            f"Due date: {due.isoformat()}",
            "",
            *item_lines,
            "",
            f"Subtotal: {money(subtotal)}",
            f"Tax ({rate}%): {money(tax)}",
            f"Total due: {money(total)}",
        )
    )
    q = rng.choice(("total", "due", "qty", "unit", "client"))
    if q == "total":
        wrong = total
        while money(wrong) in passage:
            wrong = round(total + rng.choice((-10, 10, -1, 1, 0.9, -0.9, 100)), 2)
        return (
            passage,
            "What is the total amount due on this invoice?",
            fact_answer(
                money(total),
                f"The total due is {money(total)}.",
                ["The bottom line of the invoice gives the total.", f"It shows {money(total)}."],
            ),
            fact_answer(
                money(wrong),
                f"The total due is {money(wrong)}.",
                ["Add up the item lines and the tax.", f"The total comes to {money(wrong)}."],
            ),
        )
    if q == "due":
        wrong_d = due
        while wrong_d.isoformat() in passage:
            wrong_d = due + dt.timedelta(days=rng.choice((-1, 1, 7, -7, 30)))
        return (
            passage,
            "What is the due date of this invoice?",
            fact_answer(
                due.isoformat(),
                f"The invoice is due on {due.isoformat()}.",
                ["The Due date line gives it.", f"It reads {due.isoformat()}."],
            ),
            fact_answer(
                wrong_d.isoformat(),
                f"The invoice is due on {wrong_d.isoformat()}.",
                [
                    "Payment terms run from the issue date.",
                    f"That puts the due date at {wrong_d.isoformat()}.",
                ],
            ),
        )
    k = rng.randrange(3)
    if q == "qty":
        numbers_in = {str(x) for x in qty} | {str(rate)}
        wrong_q = qty[k]
        while str(wrong_q) in numbers_in or str(wrong_q) in passage.replace(",", " ").split():
            wrong_q = qty[k] + rng.choice((1, -1, 2, 10))
        return (
            passage,
            f"How many {items[k]} were ordered?",
            fact_answer(
                str(qty[k]),
                f"{qty[k]} {items[k]} were ordered.",
                [f"The line for {items[k]} starts with the quantity.", f"It is {qty[k]}."],
            ),
            fact_answer(
                str(wrong_q),
                f"{wrong_q} {items[k]} were ordered.",
                [f"The {items[k]} line gives the quantity.", f"It is {wrong_q}."],
            ),
        )
    if q == "unit":
        wrong_p = price[k]
        while money(wrong_p) in passage:
            wrong_p = round(price[k] + rng.choice((1, -1, 0.1, -0.1, 10)), 2)
        return (
            passage,
            f"What is the unit price of the {items[k]}?",
            fact_answer(
                money(price[k]),
                f"Each one costs {money(price[k])}.",
                [f"The {items[k]} line gives the price each.", f"It is {money(price[k])}."],
            ),
            fact_answer(
                money(wrong_p),
                f"Each one costs {money(wrong_p)}.",
                [f"The {items[k]} line gives the price each.", f"It is {money(wrong_p)}."],
            ),
        )
    other = rng.choice([c for c in CLIENTS if c != client])
    return (
        passage,
        "Who is the invoice billed to?",
        fact_answer(
            client,
            f"It is billed to {client}.",
            ["The Bill to line names the customer.", f"It is {client}."],
        ),
        fact_answer(
            other,
            f"It is billed to {other}.",
            ["The invoice names the customer near the top.", f"It is {other}."],
        ),
    )


def make_schedule(rng: random.Random) -> tuple[str, str, Answer, Answer]:
    sessions = rng.sample(SESSIONS, 3)
    names: set[str] = set()
    leaders = []
    for _ in sessions:
        leaders.append(person(rng, names))
        names.add(leaders[-1])
    rooms = [f"{rng.choice(PLACES)} {n}" for n in rng.sample(range(1, 30), 3)]
    starts = [rng.choice((9 * 60 + 30, 10 * 60)), rng.choice((11 * 60, 11 * 60 + 15))]
    starts.append(rng.choice((13 * 60 + 30, 14 * 60, 14 * 60 + 15)))
    day = rand_date(rng)
    venue = rng.choice(
        ("Riverside Library", "Elm Street Arts Centre", "Harbour Hall", "Millbrook Studios")
    )
    passage = "\n".join(
        (
            f"{venue}: Saturday workshop programme ({long_date(day)})",
            "09:00 – Registration and coffee in the foyer",
            f"{hhmm(starts[0])} – {sessions[0]}, led by {leaders[0]} ({rooms[0]})",
            f"{hhmm(starts[1])} – {sessions[1]}, led by {leaders[1]} ({rooms[1]})",
            "12:30 – Lunch break",
            f"{hhmm(starts[2])} – {sessions[2]}, led by {leaders[2]} ({rooms[2]})",
            "16:00 – Closing remarks",
        )
    )
    k = rng.randrange(3)
    q = rng.choice(("time", "leader", "room"))
    if q == "time":
        wrong_t = starts[k]
        while hhmm(wrong_t) in passage:
            wrong_t = starts[k] + rng.choice((15, 30, -15, -30, 60))
        return (
            passage,
            f"What time does {sessions[k]} start?",
            fact_answer(
                hhmm(starts[k]),
                f"{sessions[k]} starts at {hhmm(starts[k])}.",
                [
                    f"Find the {sessions[k]} line in the programme.",
                    f"It begins at {hhmm(starts[k])}.",
                ],
            ),
            fact_answer(
                hhmm(wrong_t),
                f"{sessions[k]} starts at {hhmm(wrong_t)}.",
                [
                    f"The programme lists {sessions[k]} after the break before it.",
                    f"It begins at {hhmm(wrong_t)}.",
                ],
            ),
        )
    if q == "leader":
        other = person(rng, names)
        return (
            passage,
            f"Who leads {sessions[k]}?",
            fact_answer(
                leaders[k],
                f"{sessions[k]} is led by {leaders[k]}.",
                [f"The {sessions[k]} line names the leader.", f"It is {leaders[k]}."],
            ),
            fact_answer(
                other,
                f"{sessions[k]} is led by {other}.",
                [f"The programme names a leader for {sessions[k]}.", f"It is {other}."],
            ),
        )
    kind = rooms[k].split()[0]
    wrong_room = rooms[k]
    while wrong_room in passage:
        wrong_room = f"{kind} {rng.randint(1, 40)}"
    return (
        passage,
        f"Which room is {sessions[k]} held in?",
        fact_answer(
            rooms[k],
            f"It is held in {rooms[k]}.",
            [f"The {sessions[k]} line gives the room in brackets.", f"It is {rooms[k]}."],
        ),
        fact_answer(
            wrong_room,
            f"It is held in {wrong_room}.",
            [f"The programme gives a room for {sessions[k]}.", f"It is {wrong_room}."],
        ),
    )


def make_delivery(rng: random.Random) -> tuple[str, str, Answer, Answer]:
    names: set[str] = set()
    customer = person(rng, names)
    names.add(customer)
    driver = person(rng, names)
    names.add(driver)
    day = rand_date(rng)
    open_t = rng.randrange(8 * 60, 15 * 60, 30)
    close_t = open_t + rng.choice((60, 120, 180))
    parcels = rng.randint(2, 14)
    weight = rng.randint(15, 90)
    order = f"ORD-{rng.randint(100000, 999999)}"
    passage = "\n".join(
        (
            "DELIVERY NOTICE",
            f"Order number: {order}",
            f"Customer: {customer}",
            f"Carrier: {rng.choice(CARRIERS)}",
            f"Driver: {driver}",
            f"Delivery date: {WEEKDAYS[day.weekday()]}, {long_date(day)}",
            f"Delivery window: {hhmm(open_t)} – {hhmm(close_t)}",
            f"Parcels: {parcels}",
            f"Total weight: {weight} kg",
            "Signature required on arrival.",
        )
    )
    q = rng.choice(("driver", "parcels", "date", "close", "order"))
    if q == "driver":
        other = person(rng, names)
        return (
            passage,
            "Who is the driver for this delivery?",
            fact_answer(
                driver,
                f"The driver is {driver}.",
                ["The notice has a Driver line.", f"It names {driver}."],
            ),
            fact_answer(
                other,
                f"The driver is {other}.",
                ["The notice names the driver.", f"It is {other}."],
            ),
        )
    if q == "parcels":
        wrong = parcels
        while str(wrong) in passage.replace(":", " ").split():
            wrong = parcels + rng.choice((1, -1, 2))
        return (
            passage,
            "How many parcels are being delivered?",
            fact_answer(
                str(parcels),
                f"{parcels} parcels are being delivered.",
                ["The Parcels line gives the count.", f"It is {parcels}."],
            ),
            fact_answer(
                str(wrong),
                f"{wrong} parcels are being delivered.",
                ["The notice gives the number of parcels.", f"It is {wrong}."],
            ),
        )
    if q == "date":
        wrong_d = day
        while long_date(wrong_d) in passage:
            wrong_d = day + dt.timedelta(days=rng.choice((1, -1, 7)))
        return (
            passage,
            "On what date will the parcels be delivered?",
            fact_answer(
                long_date(day),
                f"They will be delivered on {long_date(day)}.",
                ["The Delivery date line gives it.", f"It says {long_date(day)}."],
            ),
            fact_answer(
                long_date(wrong_d),
                f"They will be delivered on {long_date(wrong_d)}.",
                ["The notice gives the delivery date.", f"It is {long_date(wrong_d)}."],
            ),
        )
    if q == "close":
        wrong_t = close_t
        while hhmm(wrong_t) in passage:
            wrong_t = close_t + rng.choice((30, 60, -30))
        return (
            passage,
            "What time does the delivery window close?",
            fact_answer(
                hhmm(close_t),
                f"The window closes at {hhmm(close_t)}.",
                ["The Delivery window line gives a range.", f"It ends at {hhmm(close_t)}."],
            ),
            fact_answer(
                hhmm(wrong_t),
                f"The window closes at {hhmm(wrong_t)}.",
                ["The notice gives the delivery window.", f"It ends at {hhmm(wrong_t)}."],
            ),
        )
    digits = list(order[4:])
    j = rng.randrange(len(digits) - 1)
    digits[j], digits[j + 1] = digits[j + 1], digits[j]
    wrong_order = "ORD-" + "".join(digits)
    if wrong_order == order:
        wrong_order = f"ORD-{int(order[4:]) + 1}"
    return (
        passage,
        "What is the order number?",
        fact_answer(
            order,
            f"The order number is {order}.",
            ["The first line of the notice gives it.", f"It is {order}."],
        ),
        fact_answer(
            wrong_order,
            f"The order number is {wrong_order}.",
            ["The notice starts with the order number.", f"It is {wrong_order}."],
        ),
    )


PASSAGE_MAKERS: tuple[
    tuple[str, Callable[[random.Random], tuple[str, str, Answer, Answer]]], ...
] = (
    ("memo", make_memo),
    ("invoice", make_invoice),
    ("schedule", make_schedule),
    ("delivery notice", make_delivery),
)


def make_fact(rng: random.Random, i: int) -> Draft:
    doc, maker = PASSAGE_MAKERS[i % len(PASSAGE_MAKERS)]
    passage, question, right, wrong = maker(rng)
    lead = rng.choice(
        (
            f"Read the {doc} below and answer the question.",
            f"Answer the question using only the {doc}.",
            f"Use the following {doc} to answer.",
        )
    )
    instruction = f"{lead}\n\n{passage}\n\nQuestion: {question}"
    return Draft("passage", instruction, right, wrong)


# --------------------------------------------------------------- code output

CODE_WORDS = word_list(
    "planet button garden silver rocket window jigsaw marble tunnel cactus pencil lemon "
    "harvest blanket"
)


def py_list(xs: list[int]) -> str:
    return "[" + ", ".join(map(str, xs)) + "]"


def code_task(rng: random.Random, i: int) -> tuple[str, str, str, list[str], list[str], bool]:
    """(code, right output, wrong output, steps right, steps wrong, is_expression)."""
    t = i % 18
    w = rng.choice(CODE_WORDS)
    nums = rng.sample(range(1, 60), rng.randint(4, 6))
    while nums in (sorted(nums), sorted(nums, reverse=True)):
        rng.shuffle(nums)
    if t == 0:
        k = rng.randint(1, 9)
        wl = len(w) + rng.choice((1, -1))
        return (
            f'print(len("{w}") + {k})',
            str(len(w) + k),
            str(wl + k),
            [f'`len("{w}")` is {len(w)}.', f"Adding {k} gives {len(w) + k}."],
            [f'`len("{w}")` is {wl}.', f"Adding {k} gives {wl + k}."],
            False,
        )
    if t == 1:
        a = rng.randint(0, 2)
        b = min(a + rng.randint(2, 3), len(w) - 1)
        up = w.upper()
        return (
            f'print("{w}".upper()[{a}:{b}])',
            up[a:b],
            up[a : b + 1],
            [f"`.upper()` gives `{up}`.", f"The slice `[{a}:{b}]` takes indices {a} to {b - 1}."],
            [f"`.upper()` gives `{up}`.", f"The slice `[{a}:{b}]` takes indices {a} to {b}."],
            False,
        )
    if t == 2:
        s = sorted(nums)
        return (
            f"nums = {py_list(nums)}\nprint(sorted(nums)[::-1])",
            py_list(s[::-1]),
            py_list(s),
            [f"`sorted(nums)` is `{py_list(s)}`.", "`[::-1]` then reverses it."],
            [f"`sorted(nums)` is `{py_list(s)}`.", "`[::-1]` keeps the list as it is."],
            False,
        )
    if t == 3:
        return (
            f"nums = {py_list(nums)}\nprint(sum(nums) - max(nums))",
            str(sum(nums) - max(nums)),
            str(sum(nums) - min(nums)),
            [f"`sum(nums)` is {sum(nums)}.", f"`max(nums)` is {max(nums)}."],
            [f"`sum(nums)` is {sum(nums)}.", f"`max(nums)` picks out {min(nums)}."],
            False,
        )
    if t == 4:
        ch = rng.choice(sorted(set(w)))
        c = w.count(ch)
        return (
            f's = "{w}"\nprint(s.count("{ch}"))',
            str(c),
            str(c + 1),
            [f'`s` is "{w}".', f'The letter "{ch}" occurs {c} time{"s" if c != 1 else ""}.'],
            [f'`s` is "{w}".', f'The letter "{ch}" occurs {c + 1} times.'],
            False,
        )
    if t == 5:
        parts = rng.sample(CODE_WORDS, 3)
        sep = rng.choice(("-", "+", "/", "::"))
        joined = sep.join(parts)
        return (
            f'parts = {parts!r}\nprint("{sep}".join(parts))'.replace("'", '"'),
            joined,
            joined + sep,
            [f'`join` puts "{sep}" between the items.', "Nothing is added at the ends."],
            [f'`join` puts "{sep}" after each item.', "That includes the last one."],
            False,
        )
    if t == 6:
        return (
            f"items = {py_list(nums)}\nprint(items[-2])",
            str(nums[-2]),
            str(nums[-1]),
            ["Negative indices count from the end.", "`items[-2]` is the second-to-last element."],
            ["Negative indices count from the end.", "`items[-2]` is the last element."],
            False,
        )
    if t == 7:
        x, y = str(rng.randint(10, 99)), str(rng.randint(2, 99))
        return (
            f'a = "{x}"\nb = "{y}"\nprint(a + b)',
            x + y,
            str(int(x) + int(y)),
            ["`a` and `b` are strings.", "`+` on strings concatenates them."],
            ["`a` and `b` hold numbers.", f"`+` adds them: {x} + {y}."],
            False,
        )
    if t == 8:
        n, k = rng.randint(20, 500), rng.randint(3, 9)
        if n % k == 0:
            n += 1
        return (
            f'print(int("{n}") // {k})',
            str(n // k),
            f"{n / k:.1f}",
            [
                f'`int("{n}")` is the integer {n}.',
                f"`//` is floor division: {n} // {k} = {n // k}.",
            ],
            [f'`int("{n}")` is the integer {n}.', f"Dividing by {k} gives {n / k:.1f}."],
            False,
        )
    if t == 9:
        rev = w[::-1]
        bad = rev[1] + rev[0] + rev[2:]
        return (
            f'print("{w}"[::-1])',
            rev,
            bad,
            ["A step of -1 walks the string backwards.", f'"{w}" reversed is "{rev}".'],
            ["A step of -1 walks the string backwards.", f'"{w}" reversed is "{bad}".'],
            False,
        )
    if t == 10:
        ws = rng.sample(CODE_WORDS, 3)
        return (
            f's = "{" ".join(ws)}"\nprint(s.split()[1].upper())',
            ws[1].upper(),
            ws[0].upper(),
            [f"`s.split()` gives {len(ws)} words.", f'Index 1 is the second word, "{ws[1]}".'],
            [f"`s.split()` gives {len(ws)} words.", f'Index 1 is the first word, "{ws[0]}".'],
            False,
        )
    if t == 11:
        return (
            f"nums = {py_list(nums)}\nprint(min(nums), max(nums))",
            f"{min(nums)} {max(nums)}",
            f"({min(nums)}, {max(nums)})",
            [
                "`print` with two arguments separates them with a space.",
                f"min is {min(nums)}, max is {max(nums)}.",
            ],
            ["Two values are printed as a tuple.", f"min is {min(nums)}, max is {max(nums)}."],
            False,
        )
    if t == 12:
        return (
            f"print(list(reversed({py_list(nums)})))",
            py_list(nums[::-1]),
            py_list(sorted(nums, reverse=True)),
            ["`reversed` walks the list from the end.", "`list` collects the items."],
            ["`reversed` gives the items from largest to smallest.", "`list` collects them."],
            False,
        )
    if t == 13:
        a, b, c = -rng.randint(2, 15), rng.randint(2, 6), rng.randint(1, 20)
        return (
            f"print(abs({a}) * {b} - {c})",
            str(abs(a) * b - c),
            str(a * b - c),
            [f"`abs({a})` is {abs(a)}.", f"{abs(a)} × {b} = {abs(a) * b}, minus {c}."],
            [f"`abs({a})` leaves {a} as it is.", f"{a} × {b} = {a * b}, minus {c}."],
            False,
        )
    if t == 14:
        ch = next((c for c in w if w.count(c) >= 2), w[0])
        new = rng.choice(("*", "0", "_"))
        right = w.replace(ch, new)
        wrong = w.replace(ch, new, 1)
        if right == wrong:
            wrong = w
        return (
            f'print("{w}".replace("{ch}", "{new}"))',
            right,
            wrong,
            [f'`replace` swaps every "{ch}" for "{new}".'],
            [f'`replace` swaps the first "{ch}" for "{new}".'],
            False,
        )
    if t == 15:
        sentence = rng.choice(SENTENCES).lower()
        n = len(sentence.split())
        return (
            f'print(len("{sentence}".split()))',
            str(n),
            str(n + rng.choice((1, -1))),
            ["`split()` with no argument splits on whitespace.", f"That gives {n} pieces."],
            ["`split()` with no argument splits on whitespace.", "Count the pieces."],
            False,
        )
    if t == 16:
        xs = nums[:5] if len(nums) >= 5 else [*nums, 7]
        a = rng.randint(0, 2)
        b = a + 2
        return (
            f"{py_list(xs)}[{a}:{b}]",
            repr(xs[a:b]),
            repr(xs[a : b + 1]),
            [f"The slice starts at index {a}.", f"It stops before index {b}."],
            [f"The slice starts at index {a}.", f"It includes index {b}."],
            True,
        )
    ws = rng.sample(CODE_WORDS, 3)
    text = ",".join(ws)
    return (
        f'"{text}".split(",")',
        repr(ws),
        repr([text]),
        ['`split(",")` cuts the string at each comma.', f"That gives {len(ws)} strings."],
        ['`split(",")` returns a list.', "The string goes in as a single element."],
        True,
    )


def make_code(rng: random.Random, i: int) -> Draft:
    code, out, wrong, steps_r, steps_w, is_expr = code_task(rng, i)
    assert out != wrong, (code, out)
    if is_expr:
        instruction = rng.choice(
            (
                f"What does the Python expression `{code}` evaluate to?",
                f"In Python, what is the value of the expression `{code}`?",
            )
        )
        sentences: tuple[str, ...] = (
            "It evaluates to `{v}`.",
            "The expression evaluates to `{v}`.",
        )
    else:
        block = f"```python\n{code}\n```"
        instruction = rng.choice(
            (
                f"What does the following Python code print?\n\n{block}",
                f"What is the output of this Python snippet?\n\n{block}",
                f"Predict the output of this Python code:\n\n{block}",
            )
        )
        sentences = ("The code prints `{v}`.", "It prints `{v}`.", "The output is `{v}`.")

    def ans(v: str, steps: list[str]) -> Answer:
        sentence = rng.choice(sentences).format(v=v)
        return Answer(
            v,
            sentence,
            steps,
            shown=f"`{v}`",
            closers=(
                "So the code prints {v}." if not is_expr else "So it evaluates to {v}.",
                "Output: {v}",
            ),
        )

    return Draft("code_output", instruction, ans(out, steps_r), ans(wrong, steps_w))


# --------------------------------------------------------------------- dates


def date_text(d: dt.date, rng: random.Random) -> str:
    return rng.choice((d.isoformat(), long_date(d), f"{MONTHS[d.month - 1]} {d.day}, {d.year}"))


def make_date(rng: random.Random, i: int) -> Draft:
    kind = ("weekday", "between", "add")[i % 3]
    if kind == "weekday":
        d = rand_date(rng, 2019, 2027)
        shown = date_text(d, rng)
        instruction = rng.choice(
            (
                f"What day of the week is {shown}?",
                f"What day of the week was {shown}?",
                f"On which day of the week does {shown} fall?",
            )
        )
        anchor = dt.date(d.year, 1, 1)
        if d == anchor:
            d = d + dt.timedelta(days=3)
            shown = d.isoformat()
            instruction = f"What day of the week is {shown}?"
        gap = (d - anchor).days
        right = WEEKDAYS[d.weekday()]
        leap_fix = d.month > 2 and (d.year % 4 == 0)
        wrong_gap = gap - 1 if leap_fix else gap + rng.choice((1, -1))
        if wrong_gap < 7:
            wrong_gap = gap + 1
        wrong = WEEKDAYS[(anchor.weekday() + wrong_gap) % 7]

        def wd_steps(g: int) -> list[str]:
            start_day = WEEKDAYS[anchor.weekday()]
            landing = WEEKDAYS[(anchor.weekday() + g) % 7]
            steps = [f"1 January {d.year} was a {start_day}."]
            if g % 7 == 0:
                steps.append(f"{shown} is {days(g)} later, exactly {weeks(g // 7)[:-5]}.")
                steps.append(f"Whole weeks keep the weekday: {landing}.")
            else:
                steps.append(f"{shown} is {days(g)} later, which is {weeks(g // 7)}{days(g % 7)}.")
                steps.append(f"Moving {days(g % 7)} on from {start_day} lands on {landing}.")
            return steps

        r_ans = Answer(
            right,
            f"{shown} is a {right}.",
            wd_steps(gap),
            closers=("So it is a {v}.", "Answer: {v}."),
        )
        w_ans = Answer(
            wrong,
            f"{shown} is a {wrong}.",
            wd_steps(wrong_gap),
            closers=("So it is a {v}.", "Answer: {v}."),
        )
        return Draft("date", instruction, r_ans, w_ans)
    if kind == "between":
        d1 = rand_date(rng, 2020, 2026)
        d2 = d1 + dt.timedelta(days=rng.randint(8, 200))
        s1, s2 = date_text(d1, rng), date_text(d2, rng)
        n = (d2 - d1).days
        instruction = rng.choice(
            (
                f"How many days are there from {s1} to {s2}?",
                f"How many days are between {s1} and {s2}?",
                f"How many days is it from {s1} until {s2}?",
            )
        )
        steps = month_steps(d1, d2)
        if rng.random() < 0.5:
            wrong_n = n + 1
            steps_w = [*steps, "Counting both the first and the last day adds one more."]
        else:
            wrong_n = n + rng.choice((-1, 2, -2))
            steps_w = [*steps[:-1], "Adding the pieces, allowing for the month lengths."]
        r_ans = Answer(
            str(n),
            f"There are {n} days between them.",
            steps,
            closers=("So the answer is {v} days.", "Answer: {v}."),
        )
        w_ans = Answer(
            str(wrong_n),
            f"There are {wrong_n} days between them.",
            steps_w,
            closers=("So the answer is {v} days.", "Answer: {v}."),
        )
        return Draft("date", instruction, r_ans, w_ans)
    d = rand_date(rng, 2020, 2026)
    n = rng.randint(10, 120)
    back = rng.random() < 0.35
    target = d - dt.timedelta(days=n) if back else d + dt.timedelta(days=n)
    shown = date_text(d, rng)
    instruction = rng.choice(
        (
            f"What date is {n} days {'before' if back else 'after'} {shown}?",
            f"What is the date {n} days {'before' if back else 'after'} {shown}?",
        )
    )
    delta = rng.choice((1, -1, 2))
    wrong_d = target + dt.timedelta(days=delta)
    fmt = rng.choice(("iso", "long", "us"))

    def show(x: dt.date) -> str:
        if fmt == "iso":
            return x.isoformat()
        if fmt == "long":
            return long_date(x)
        return f"{MONTHS[x.month - 1]} {x.day}, {x.year}"

    first = f"Count {n} days {'back' if back else 'forward'} from {show(d)}, month by month."
    r_ans = Answer(
        show(target),
        f"That date is {show(target)}.",
        [first, walk(d, target), f"That lands on {show(target)}."],
        closers=("So the date is {v}.", "Answer: {v}."),
    )
    w_ans = Answer(
        show(wrong_d),
        f"That date is {show(wrong_d)}.",
        [first, walk(d, wrong_d), f"That lands on {show(wrong_d)}."],
        closers=("So the date is {v}.", "Answer: {v}."),
    )
    return Draft("date", instruction, r_ans, w_ans)


def month_steps(d1: dt.date, d2: dt.date) -> list[str]:
    """Explanation steps that walk from d1 to d2 month by month (last step: the sum)."""
    pieces: list[int] = []
    text: list[str] = []
    cur = d1
    while (cur.year, cur.month) != (d2.year, d2.month):
        nxt = dt.date(cur.year + (cur.month == 12), cur.month % 12 + 1, 1)
        gap = (nxt - cur).days
        pieces.append(gap)
        text.append(f"{days(gap)} to the start of {MONTHS[nxt.month - 1]}")
        cur = nxt
    if cur != d2:
        gap = (d2 - cur).days
        pieces.append(gap)
        text.append(f"{gap} more {'day' if gap == 1 else 'days'} to the {ordinal(d2.day)}")
    steps = ["From the first date: " + ", then ".join(text) + "."]
    steps.append(f"In total {' + '.join(map(str, pieces))} = {sum(pieces)}.")
    return steps


def walk(start: dt.date, end: dt.date) -> str:
    """One explanation step walking from start to end (either way) month by month."""
    if end >= start:
        return month_steps(start, end)[0]
    parts: list[str] = []
    cur = start
    while (cur.year, cur.month) != (end.year, end.month):
        prev_last = cur.replace(day=1) - dt.timedelta(days=1)
        parts.append(
            f"{days((cur - prev_last).days)} back to the end of {MONTHS[prev_last.month - 1]}"
        )
        cur = prev_last
    if cur != end:
        gap = (cur - end).days
        parts.append(f"{gap} more {'day' if gap == 1 else 'days'} back to the {ordinal(end.day)}")
    return "Going back: " + ", then ".join(parts) + "."


def days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def weeks(n: int) -> str:
    """'' for no weeks, else '1 week and ' / 'n weeks and ' (to be followed by days)."""
    if n == 0:
        return ""
    return "1 week and " if n == 1 else f"{n} weeks and "


def ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# ---------------------------------------------------------------------- main

KINDS: tuple[tuple[str, str, Callable[[random.Random, int], Draft]], ...] = (
    ("arithmetic", "arith", make_arith),
    ("unit_conversion", "unit", make_unit),
    ("sorting", "sort", make_sort),
    ("counting", "count", make_count),
    ("passage", "fact", make_fact),
    ("code_output", "code", make_code),
    ("date", "date", make_date),
)


def balanced(rng: random.Random, n: int, extra_true: bool = True) -> list[bool]:
    flags = [(k % 2 == 0) == extra_true for k in range(n)]
    rng.shuffle(flags)
    return flags


def build(seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    items: list[dict[str, str]] = []
    for k, (task, prefix, maker) in enumerate(KINDS):
        gold_a = balanced(rng, PER_KIND, extra_true=k % 2 == 0)
        longer_right = balanced(rng, PER_KIND, extra_true=k % 2 == 1)
        for i in range(PER_KIND):
            draft = maker(rng, i)
            right, wrong, _, _ = style_pair(draft, longer_right[i], rng)
            a, b = (right, wrong) if gold_a[i] else (wrong, right)
            model_a, model_b = rng.sample(MODELS, 2)
            items.append(
                {
                    "id": f"{prefix}-{i + 1:03d}",
                    "task": task,
                    "instruction": draft.instruction,
                    "response_a": a,
                    "response_b": b,
                    "gold": "a" if gold_a[i] else "b",
                    "model_a": model_a,
                    "model_b": model_b,
                }
            )
    return items


def validate(items: list[dict[str, str]]) -> None:
    ids = [it["id"] for it in items]
    assert len(ids) == len(set(ids)), "duplicate ids"
    bad = []
    for it in items:
        want = 1 if it["gold"] == "a" else 2
        got = check(it["instruction"], it["response_a"], it["response_b"])
        swapped = check(it["instruction"], it["response_b"], it["response_a"])
        if got != want or swapped != 3 - want:
            bad.append((it["id"], want, got, swapped))
    if bad:
        for item_id, want, got, swapped in bad:
            print(f"checker disagrees on {item_id}: gold {want}, got {got}, swapped {swapped}")
        raise SystemExit(f"{len(bad)} items fail the checker")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    items = build(args.seed)
    validate(items)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for it in items:
            fh.write(json.dumps(it, ensure_ascii=False) + "\n")
    per_task = Counter(it["task"] for it in items)
    gold = Counter(it["gold"] for it in items)
    longer = sum(
        (len(it["response_a"]) > len(it["response_b"])) == (it["gold"] == "a") for it in items
    )
    print(f"wrote {len(items)} items to {args.out}")
    for task, n in per_task.items():
        print(f"  {task}: {n}")
    print(f"gold a/b: {gold['a']}/{gold['b']}")
    print(f"longer response is gold: {longer / len(items):.3f}")


if __name__ == "__main__":
    main()
