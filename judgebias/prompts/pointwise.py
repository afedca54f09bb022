"""The pointwise prompt (``--format single``): one answer and a rubric, graded alone.

Its template, the :class:`Grading` a prompt presents, how it is rendered, how a prompt
is read back (the simulated judge reads it) and the echo check of its answers."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from judgebias.errors import InputError
from judgebias.prompts.answers import AnswerReader
from judgebias.prompts.answers_formats import format_reader
from judgebias.yamlfile import read_yaml

__all__ = [
    "SCALES",
    "Grading",
    "SingleTemplate",
    "anchor_grade",
    "extract_single",
    "render_single",
    "single_reader",
    "single_template",
]

SCALES: dict[str, tuple[str, ...]] = {
    "10": tuple(str(i) for i in range(1, 11)),
    "5": tuple(str(i) for i in range(1, 6)),
    "AE": ("E", "D", "C", "B", "A"),
}
"""Each scale's grades from worst to best."""


@dataclass(frozen=True)
class SingleTemplate:
    name: str
    system: str
    user: str
    levels_10: tuple[str, ...]
    levels_5: tuple[str, ...]
    anchor: str
    anchor_placebo: str


@dataclass(frozen=True)
class Grading:
    """One answer as one condition presents it to the judge."""

    pair_id: str
    probe: str
    kind: str
    target: Literal["a", "b"]
    instruction: str
    response: str
    variant: str = ""
    scale: str = "10"
    descending: bool = False
    note: str | None = None
    system_note: str | None = None
    anchor: int | None = None


def single_template(path: str | None) -> SingleTemplate:
    """The bundled pointwise prompt, or ``--template FILE`` with a ``user_single`` key."""
    if path and Path(path).exists():
        raw = read_yaml(path, "template")
        source = path
    else:
        ref = resources.files("judgebias.probe_data").joinpath("templates", "single.yaml")
        with resources.as_file(ref) as p:
            raw = read_yaml(p, "template")
        source = "templates/single.yaml"
    if not isinstance(raw, dict) or not isinstance(raw.get("user_single"), str):
        raise InputError(source, "--format single needs a template with a 'user_single' prompt")
    bundled = single_template(None) if source == path else None
    user = raw["user_single"]
    for ph in ("{instruction}", "{response}", "{rubric}", "{scale}"):
        if ph not in user:
            raise InputError(source, f"template 'user_single' lacks the placeholder {ph}")

    def levels(key: str, n: int) -> tuple[str, ...]:
        got = raw.get(key)
        if got is None and bundled is not None:
            return bundled.levels_10 if n == 10 else bundled.levels_5
        if not isinstance(got, list) or len(got) != n or not all(isinstance(x, str) for x in got):
            raise InputError(source, f"template '{key}' must list {n} grade descriptions")
        return tuple(got)

    def text(key: str) -> str:
        got = raw.get(key)
        if got is None and bundled is not None:
            return str(getattr(bundled, key))
        if not isinstance(got, str):
            raise InputError(source, f"template '{key}' must be a string")
        return got

    return SingleTemplate(
        name=str(raw.get("name", Path(source).stem)),
        system=str(raw.get("system") or ""),
        user=user,
        levels_10=levels("levels_10", 10),
        levels_5=levels("levels_5", 5),
        anchor=text("anchor"),
        anchor_placebo=text("anchor_placebo"),
    )


@functools.cache
def _bundled() -> SingleTemplate:
    return single_template(None)


def anchor_grade(note: str, t: SingleTemplate | None = None) -> str | None:
    """The grade an anchoring note quotes (the ``anchor`` text of ``t``, the bundled
    template by default, with ``{score}`` filled in); None when ``note`` holds no anchor."""
    t = t or _bundled()
    head, _, tail = t.anchor.partition("{score}")
    m = re.search(re.escape(head) + r"(\S+?)" + re.escape(tail), note)
    return m.group(1) if m else None


_FILL = re.compile(r"\{(instruction|response|rubric|scale)\}")


def render_single(t: SingleTemplate, g: Grading) -> tuple[tuple[str, str], ...]:
    values = SCALES[g.scale]
    levels = t.levels_10 if g.scale == "10" else t.levels_5
    lines = [f"{v}: {d}" for v, d in zip(values, levels, strict=True)]
    shown = list(values)
    if g.descending:
        lines, shown = lines[::-1], shown[::-1]
    fill = {
        "instruction": g.instruction,
        "response": g.response,
        "rubric": "\n".join(lines),
        "scale": ", ".join(shown),
    }
    user = _FILL.sub(lambda m: fill[m.group(1)], t.user)
    if g.note:
        user = f"{user}\n\n{g.note}"
    system = t.system
    if g.system_note:
        system = f"{system}\n\n{g.system_note}" if system else g.system_note
    return ((("system", system),) if system else ()) + (("user", user),)


_SINGLE = re.compile(
    r"\[Instruction\]\n(?P<instruction>.*?)\n\n\[Response\]\n(?P<response>.*)\n\[End of Response\]",
    re.DOTALL,
)
_LEVEL = re.compile(r"^(10|[1-9]|[A-E]): ", re.MULTILINE)


def extract_single(user: str) -> tuple[str, str, list[str], str] | None:
    """(instruction, response, the grades as the rubric lists them, the note after the
    response) from a pointwise prompt; ``None`` for anything else."""
    # the regex's lazy instruction scans the whole prompt before it fails: a pairwise or
    # listwise prompt (which the sim reads far more often) is ruled out by its marker first
    if "\n\n[Response]\n" not in user:
        return None
    m = _SINGLE.search(user)
    if not m:
        return None
    head = user[: m.start()]
    listed = _LEVEL.findall(head)
    note = user[m.end() :].strip()
    return m.group("instruction"), m.group("response"), listed, note


def single_reader(t: SingleTemplate) -> AnswerReader:
    """The echo check of a pointwise template: its words (the rubrics and anchor notes
    included, which the prompts show) and its prompts' markers."""
    shown = "\n".join([t.user, *t.levels_10, *t.levels_5, t.anchor, t.anchor_placebo])
    return format_reader(t.system, shown, ("[Instruction]", "[Response]", "[End of Response]"))
