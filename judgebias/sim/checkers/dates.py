"""``date``: the weekday of a date, the days between two dates, a date plus or minus N
days; and the dates mentioned in a text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from judgebias.sim.checkers.base import Verifier
from judgebias.sim.checkers.numbers import ANSWER_MARKER_RE, final_number

__all__ = ["MONTHS", "WEEKDAYS", "DateMention", "find_dates", "recognise_date"]

MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("January", "Jan"),
            ("February", "Feb"),
            ("March", "Mar"),
            ("April", "Apr"),
            ("May",),
            ("June", "Jun"),
            ("July", "Jul"),
            ("August", "Aug"),
            ("September", "Sep", "Sept"),
            ("October", "Oct"),
            ("November", "Nov"),
            ("December", "Dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DATE_RES = (
    re.compile(r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)"),
    re.compile(
        r"(?<!\d)(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>"
        + _MONTH_ALT
        + r")\.?(?:,?\s+(?P<y>\d{4}))?(?!\d)"
    ),
    re.compile(
        r"\b(?P<mon>"
        + _MONTH_ALT
        + r")\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{4}))?(?!\d)"
    ),
)


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    year: int | None
    month: int
    day: int

    def full(self) -> dt.date | None:
        if self.year is None:
            return None
        try:
            return dt.date(self.year, self.month, self.day)
        except ValueError:
            return None

    def same_as(self, other: DateMention) -> bool:
        if (self.month, self.day) != (other.month, other.day):
            return False
        return self.year is None or other.year is None or self.year == other.year


def find_dates(text: str) -> list[DateMention]:
    found: list[DateMention] = []
    taken: set[int] = set()
    for pattern in _DATE_RES:
        for m in pattern.finditer(text):
            if not taken.isdisjoint(range(m.start(), m.end())):
                continue
            month = int(m.group("m")) if "m" in m.groupdict() else MONTHS[m.group("mon")]
            day = int(m.group("d"))
            year = int(m.group("y")) if m.group("y") else None
            if not (1 <= month <= 12 and 1 <= day <= 31):
                continue
            found.append(DateMention(m.start(), m.end(), year, month, day))
            taken.update(range(m.start(), m.end()))
    found.sort(key=lambda d: d.start)
    return found


def _without_dates(text: str) -> str:
    pieces = []
    last = 0
    for d in find_dates(text):
        pieces.append(text[last : d.start])
        pieces.append(" ")
        last = d.end
    pieces.append(text[last:])
    return "".join(pieces)


_OFFSET_RE = re.compile(
    r"(?i)\b(?P<n>\d{1,5})\s+days?\s+(?P<dir>after|from|later\s+than|past|before|"
    r"earlier\s+than|prior\s+to|ahead\s+of)\s+"
)
_WEEKDAY_RE = re.compile(r"(?i)\b(" + "|".join(WEEKDAYS) + r")\b")


def _full_dates(text: str) -> list[dt.date]:
    out = []
    for mention in find_dates(text):
        full = mention.full()
        if full is not None:
            out.append(full)
    return out


def _shifted(instruction: str, base: dt.date) -> dt.date:
    m = _OFFSET_RE.search(instruction)
    if m is None:
        return base
    days = int(m.group("n"))
    backwards = m.group("dir").lower().split()[0] in ("before", "earlier", "prior")
    return base - dt.timedelta(days=days) if backwards else base + dt.timedelta(days=days)


def recognise_date(instruction: str) -> Verifier | None:
    dates = _full_dates(instruction)
    if not dates:
        return None
    if re.search(
        r"(?i)\bday\s+of\s+the\s+week\b|\bwhich\s+weekday\b|\bwhat\s+weekday\b", instruction
    ):
        if len(dates) != 1:
            return None
        weekday = WEEKDAYS[_shifted(instruction, dates[0]).weekday()]

        def verify_weekday(response: str) -> bool | None:
            names = _WEEKDAY_RE.findall(response)
            if not names:
                return None
            markers = list(ANSWER_MARKER_RE.finditer(response))
            if markers:
                tail = _WEEKDAY_RE.findall(response[markers[-1].end() :])
                if tail:
                    return tail[0].lower() == weekday
            return names[-1].lower() == weekday

        return verify_weekday
    if re.search(r"(?i)\bhow\s+many\s+days\b", instruction) and len(dates) == 2:
        days = abs((dates[1] - dates[0]).days)
        if re.search(r"(?i)\binclusive\b|\bincluding\s+both\b|\bcounting\s+both\b", instruction):
            days += 1
        target = float(days)

        def verify_days(response: str) -> bool | None:
            answer = final_number(_without_dates(response))
            if answer is None:
                return None
            return answer.value == target

        return verify_days
    if (
        re.search(r"(?i)\bwhat\s+(?:date|day)\b|\bwhich\s+date\b|\bthe\s+date\b", instruction)
        and _OFFSET_RE.search(instruction)
        and len(dates) == 1
    ):
        expected = _shifted(instruction, dates[0])

        def verify_date(response: str) -> bool | None:
            mentions = find_dates(response)
            if not mentions:
                return None
            markers = list(ANSWER_MARKER_RE.finditer(response))
            chosen = mentions[-1]
            if markers:
                tail = [d for d in mentions if d.start >= markers[-1].end()]
                if tail:
                    chosen = tail[0]
            return chosen.full() == expected

        return verify_date
    return None
