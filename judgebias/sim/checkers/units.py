"""``unit_conversion``: km/miles, kg/lb, Celsius/Fahrenheit, hours/minutes/seconds,
litres/US or imperial gallons, with the rounding the instruction states.
"""

from __future__ import annotations

import math
import re

from judgebias.sim.checkers.base import Verifier
from judgebias.sim.checkers.numbers import (
    ANSWER_MARKER_RE,
    NUM_PATTERN,
    Num,
    final_number,
    matches_rounded,
    parse_num,
)

__all__ = ["recognise_units"]

_UNIT_ALIASES: dict[str, tuple[str, ...]] = {
    "km": ("kilometres", "kilometers", "kilometre", "kilometer", "km"),
    "mi": ("miles", "mile", "mi"),
    "m": ("metres", "meters", "metre", "meter", "m"),
    "ft": ("feet", "foot", "ft"),
    "kg": ("kilograms", "kilogram", "kilos", "kilo", "kg"),
    "lb": ("pounds", "pound", "lbs", "lb"),
    "g": ("grams", "gram", "g"),
    "oz": ("ounces", "ounce", "oz"),
    "C": (
        "degrees celsius",
        "degrees centigrade",
        "degrees c",
        "celsius",
        "centigrade",
        "°c",
        "º c",
        "° c",
        "ºc",
        "c",
    ),
    "F": ("degrees fahrenheit", "degrees f", "fahrenheit", "°f", "° f", "ºf", "º f", "f"),
    "h": ("hours", "hour", "hrs", "hr", "h"),
    "min": ("minutes", "minute", "mins", "min"),
    "s": ("seconds", "second", "secs", "sec", "s"),
    "L": ("litres", "liters", "litre", "liter", "l"),
    "gal": ("us gallons", "u.s. gallons", "us gallon", "gallons", "gallon", "gal"),
    "impgal": ("imperial gallons", "imperial gallon", "uk gallons", "uk gallon"),
}
_UNIT_FACTORS: dict[str, tuple[str, float]] = {
    "km": ("length", 1000.0),
    "mi": ("length", 1609.344),
    "m": ("length", 1.0),
    "ft": ("length", 0.3048),
    "kg": ("mass", 1.0),
    "lb": ("mass", 0.45359237),
    "g": ("mass", 0.001),
    "oz": ("mass", 0.028349523125),
    "h": ("time", 3600.0),
    "min": ("time", 60.0),
    "s": ("time", 1.0),
    "L": ("volume", 1.0),
    "gal": ("volume", 3.785411784),
    "impgal": ("volume", 4.54609),
}
_ALIAS_TO_UNIT = {alias: unit for unit, aliases in _UNIT_ALIASES.items() for alias in aliases}
_UNIT_ALT = "|".join(
    re.escape(a).replace(r"\ ", r"\s+") for a in sorted(_ALIAS_TO_UNIT, key=len, reverse=True)
)
_UNIT_TAIL = r"(?![a-z])"
_VALUE = r"(?<![\w.])(?P<val>[-−]?\d+(?:,\d{3})*(?:\.\d+)?)"
_CONVERT_RE = re.compile(
    _VALUE
    + r"\s*(?P<u1>"
    + _UNIT_ALT
    + r")"
    + _UNIT_TAIL
    + r"\s+(?:(?:to|into|in|as)\s+)(?:(?:the\s+)?(?:number\s+of\s+)?)(?P<u2>"
    + _UNIT_ALT
    + r")"
    + _UNIT_TAIL,
    re.I,
)
_HOW_MANY_UNITS_RE = re.compile(
    r"\bhow\s+many\s+(?P<u2>"
    + _UNIT_ALT
    + r")"
    + _UNIT_TAIL
    + r"\s+(?:are\s+there\s+in|are\s+in|is\s+in|are|is|in|make\s+up|equals?|make)\s+"
    + _VALUE
    + r"\s*(?P<u1>"
    + _UNIT_ALT
    + r")"
    + _UNIT_TAIL,
    re.I,
)
_PLACES_WORDS = {"zero": 0, "no": 0, "one": 1, "two": 2, "three": 3, "four": 4}
_DECIMAL_PLACES_RE = re.compile(r"(?i)\b(zero|no|one|two|three|four|\d)\s+decimal\s+places?\b")
_NEAREST_RE = re.compile(r"(?i)\bnearest\s+(?:whole\s+)?(\w+)")


def _norm_unit(alias: str) -> str | None:
    return _ALIAS_TO_UNIT.get(re.sub(r"\s+", " ", alias.lower()))


def _convert(value: float, source: str, target: str) -> float | None:
    if source == target:
        return None
    if {source, target} <= {"C", "F"}:
        return value * 9 / 5 + 32 if source == "C" else (value - 32) * 5 / 9
    if source in ("C", "F") or target in ("C", "F"):
        return None
    dim_1, f_1 = _UNIT_FACTORS[source]
    dim_2, f_2 = _UNIT_FACTORS[target]
    if dim_1 != dim_2:
        return None
    return value * f_1 / f_2


def _rounding_places(instruction: str) -> int | None:
    m = _DECIMAL_PLACES_RE.search(instruction)
    if m:
        word = m.group(1).lower()
        return int(word) if word.isdigit() else _PLACES_WORDS[word]
    m = _NEAREST_RE.search(instruction)
    if m:
        word = m.group(1).lower()
        for prefix, places in (("tenth", 1), ("hundredth", 2), ("thousandth", 3)):
            if word.startswith(prefix):
                return places
        return 0
    if re.search(r"(?i)\bwhole\s+number\b|\binteger\b", instruction):
        return 0
    return None


def recognise_units(instruction: str) -> Verifier | None:
    m = _CONVERT_RE.search(instruction) or _HOW_MANY_UNITS_RE.search(instruction)
    if m is None:
        return None
    source, target = _norm_unit(m.group("u1")), _norm_unit(m.group("u2"))
    if source is None or target is None:
        return None
    value, _ = parse_num(m.group("val"))
    exact = _convert(value, source, target)
    if exact is None or not math.isfinite(exact):
        return None
    places = _rounding_places(instruction)
    target_alt = "|".join(
        re.escape(a).replace(r"\ ", r"\s+")
        for a in sorted(_UNIT_ALIASES[target], key=len, reverse=True)
    )
    with_unit = re.compile(
        r"(?<![\w.,])(?P<num>" + NUM_PATTERN + r")\s*(?:" + target_alt + r")" + _UNIT_TAIL,
        re.I,
    )

    def verify(response: str) -> bool | None:
        answer = _unit_answer(response, with_unit)
        if answer is None:
            return None
        return matches_rounded(answer, exact, places)

    return verify


def _unit_answer(response: str, with_unit: re.Pattern[str]) -> Num | None:
    found = []
    for m in with_unit.finditer(response):
        value, decimals = parse_num(m.group("num"))
        found.append(Num(value, decimals, m.start(), m.end()))
    markers = list(ANSWER_MARKER_RE.finditer(response))
    if found:
        if markers:
            after = [n for n in found if n.start >= markers[-1].end()]
            if after:
                return after[0]
        return found[-1]
    return final_number(response)
