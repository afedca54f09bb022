"""Judge prompt templates and verdict parsers.

A template is a YAML file with ``system`` and ``user`` strings (and optionally
``user_logprob`` for ``--mode logprob``, and ``reasoning_first: true`` to keep the
judge's reasoning before its verdict within a ``--constrain`` JSON object). In ``user``, ``{instruction}``,
``{response_a}`` and ``{response_b}`` are each replaced in one pass, so text
inside a response can never be mistaken for a placeholder. ``response_a`` is the
answer shown *first*, whichever original response that is.

Answers are read strictly by :mod:`judgebias.prompts.answers` into positions (``first``,
``second``, ``tie``) and then, knowing the order shown, into the pair's own labels
(``a``, ``b``, ``tie``). An answer that cannot be read is invalid, with a reason:
never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from judgebias.errors import InputError
from judgebias.prompts.answers import AnswerReader, Position
from judgebias.prompts.fill import fill
from judgebias.types import Label, Order, Variant
from judgebias.yamlfile import read_yaml

__all__ = [
    "BUNDLED_TEMPLATES",
    "COT_MARKER",
    "INSTRUCTION_MARKER",
    "PAIR_MARKERS",
    "Position",
    "Template",
    "answer_reader",
    "default_template",
    "end_marker",
    "extract_note",
    "extract_pair",
    "load_template",
    "position_to_label",
    "render",
    "resolve_template",
    "response_marker",
]

_PLACEHOLDER = re.compile(r"\{(instruction|response_a|response_b)\}")


@dataclass(frozen=True)
class Template:
    name: str
    system: str
    user: str
    user_logprob: str | None = None
    user_score: str | None = None
    reasoning_first: bool = False
    """YAML ``reasoning_first: true``: under a JSON constraint (``--constrain``) the judge
    writes a ``reasoning`` string before its verdict (``{"reasoning": ..., "verdict": ...}``)."""


def _check_template(t: Template, source: str) -> None:
    for field in ("instruction", "response_a", "response_b"):
        if "{" + field + "}" not in t.user:
            raise InputError(source, f"template 'user' lacks the placeholder {{{field}}}")


def load_template(path: str | Path) -> Template:
    """Read a judge template from a YAML file (see the module docstring)."""
    p = Path(path)
    raw = read_yaml(p, "template")
    if not isinstance(raw, dict) or not isinstance(raw.get("user"), str):
        raise InputError(str(p), "a template needs a 'user' string (and optionally 'system')")
    t = Template(
        name=str(raw.get("name", p.stem)),
        system=str(raw.get("system") or ""),
        user=raw["user"],
        user_logprob=raw.get("user_logprob"),
        user_score=raw.get("user_score"),
        reasoning_first=bool(raw.get("reasoning_first", False)),
    )
    _check_template(t, str(p))
    for extra in (t.user_logprob, t.user_score):
        if extra is not None:
            _check_template(Template(t.name, t.system, extra), str(p))
    return t


def default_template() -> Template:
    """The bundled pairwise template (``probes/templates/pairwise.yaml``)."""
    return bundled_template("default")


COT_MARKER = "reason step by step before"
"""A template whose instructions contain this phrase asks for chain-of-thought: the
bundled ``--template cot`` does, and the simulated judge then reasons before its verdict."""

BUNDLED_TEMPLATES = {
    "default": "pairwise.yaml",
    "cot": "cot.yaml",
    "direct": "direct.yaml",
}
"""``--template NAME`` for the bundled prompts: ``cot`` asks for step-by-step reasoning
before the verdict, ``direct`` for the verdict alone (CALM's CoT condition)."""


def bundled_template(name: str) -> Template:
    ref = resources.files("judgebias.probe_data").joinpath("templates", BUNDLED_TEMPLATES[name])
    with resources.as_file(ref) as p:
        return load_template(p)


def resolve_template(spec: str | None) -> Template:
    """``--template``: a YAML file, or the name of a bundled template when no such file exists."""
    if not spec:
        return default_template()
    if spec in BUNDLED_TEMPLATES and not Path(spec).exists():
        return bundled_template(spec)
    return load_template(spec)


def _fill(text: str, values: dict[str, str]) -> str:
    return fill(text, _PLACEHOLDER, values)


def render(
    template: Template, variant: Variant, order: Order, mode: str = "verdict"
) -> tuple[tuple[str, str], ...]:
    """Build the chat messages for one variant shown in one order."""
    first, second = (
        (variant.response_a, variant.response_b)
        if order == "ab"
        else (variant.response_b, variant.response_a)
    )
    user_t = template.user
    if mode == "logprob" and template.user_logprob:
        user_t = template.user_logprob
    elif mode == "score":
        if not template.user_score:
            raise InputError(
                template.name, "--mode score needs a 'user_score' prompt in the template"
            )
        user_t = template.user_score
    user = _fill(
        user_t, {"instruction": variant.instruction, "response_a": first, "response_b": second}
    )
    user_note, system_note = variant.user_note, variant.system_note
    if variant.target is not None:
        # {label} names the targeted answer by the letter it has in this order
        shown_first = "a" if order == "ab" else "b"
        letter = "A" if variant.target == shown_first else "B"
        user_note = user_note.replace("{label}", letter) if user_note else user_note
        system_note = system_note.replace("{label}", letter) if system_note else system_note
    if user_note:
        user = f"{user}\n\n{user_note}"
    system = template.system
    if system_note:
        system = f"{system}\n\n{system_note}" if system else system_note
    msgs: list[tuple[str, str]] = []
    if system:
        msgs.append(("system", system))
    msgs.append(("user", user))
    return tuple(msgs)


INSTRUCTION_MARKER = "[Instruction]"
"""The marker before the instruction in the bundled templates (and the sim's reading)."""


def response_marker(label: str) -> str:
    """The marker before a response: ``[Response A]``."""
    return f"[Response {label}]"


def end_marker(label: str) -> str:
    """The marker after a response: ``[End of Response A]``."""
    return f"[End of Response {label}]"


PAIR_MARKERS = (
    INSTRUCTION_MARKER,
    response_marker("A"),
    response_marker("B"),
    end_marker("A"),
    end_marker("B"),
)
"""The bracketed markers of a pairwise prompt, through which :func:`extract_pair` reads it."""

_PAIR_RE = re.compile(
    re.escape(INSTRUCTION_MARKER)
    + r"\n(?P<instruction>.*?)\n\n"
    + re.escape(response_marker("A"))
    + r"\n(?P<first>.*)\n"
    + re.escape(end_marker("A"))
    + r"\s*"
    + re.escape(response_marker("B"))
    + r"\n(?P<second>.*)\n"
    + re.escape(end_marker("B")),
    re.DOTALL,
)


def extract_pair(user_text: str) -> tuple[str, str, str] | None:
    """Read (instruction, first-shown, second-shown) back out of a rendered prompt.

    Works for any template that keeps the bundled markers; ``None`` otherwise.
    """
    m = _PAIR_RE.search(user_text)
    if not m:
        return None
    return m.group("instruction"), m.group("first"), m.group("second")


def extract_note(user_text: str) -> str:
    """The text after the last ``[End of Response B]`` of a rendered prompt (a probe's note
    goes there), stripped; empty when there is no such marker."""
    end = user_text.rfind(end_marker("B"))
    return user_text[end + len(end_marker("B")) :].strip() if end >= 0 else ""


def answer_reader(template: Template, mode: str = "verdict") -> AnswerReader:
    """The strict reader of answers to this template in this mode (see :mod:`judgebias.prompts.answers`)."""
    user = template.user
    if mode == "logprob" and template.user_logprob:
        user = template.user_logprob
    elif mode == "score" and template.user_score:
        user = template.user_score
    return AnswerReader(mode, (template.system, user))


def position_to_label(pos: Position | None, order: Order) -> Label | None:
    """Map a verdict in positions to the pair's own labels, undoing the swap."""
    if pos is None:
        return None
    if pos == "tie":
        return "tie"
    if order == "ab":
        return "a" if pos == "first" else "b"
    return "b" if pos == "first" else "a"
