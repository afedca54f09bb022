"""Judge prompt templates and verdict parsers.

A template is a YAML file with ``system`` and ``user`` strings (and optionally
``user_logprob`` for ``--mode logprob``). In ``user``, ``{instruction}``,
``{response_a}`` and ``{response_b}`` are each replaced in one pass, so text
inside a response can never be mistaken for a placeholder. ``response_a`` is the
answer shown *first*, whichever original response that is.

Verdicts are parsed into positions (``first``, ``second``, ``tie``) and then,
knowing the order shown, into the pair's own labels (``a``, ``b``, ``tie``).
An answer that cannot be parsed is ``None``: recorded as invalid, never guessed.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from .errors import InputError
from .types import Label, Order, Variant
from .yamlfile import read_yaml

__all__ = [
    "BUNDLED_TEMPLATES",
    "Position",
    "Template",
    "default_template",
    "extract_pair",
    "load_template",
    "parse_logprob_preference",
    "parse_scores",
    "parse_verdict",
    "position_to_label",
    "render",
    "resolve_template",
    "scores_to_preference",
]

Position = Literal["first", "second", "tie"]

_PLACEHOLDER = re.compile(r"\{(instruction|response_a|response_b)\}")


@dataclass(frozen=True)
class Template:
    name: str
    system: str
    user: str
    user_logprob: str | None = None
    user_score: str | None = None


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
    )
    _check_template(t, str(p))
    for extra in (t.user_logprob, t.user_score):
        if extra is not None:
            _check_template(Template(t.name, t.system, extra), str(p))
    return t


def default_template() -> Template:
    """The bundled pairwise template (``judgebias/assets/template_pairwise.yaml``)."""
    return bundled_template("default")


BUNDLED_TEMPLATES = {
    "default": "template_pairwise.yaml",
    "cot": "template_cot.yaml",
    "direct": "template_direct.yaml",
}
"""``--template NAME`` for the bundled prompts: ``cot`` asks for step-by-step reasoning
before the verdict, ``direct`` for the verdict alone (CALM's CoT condition)."""


def bundled_template(name: str) -> Template:
    ref = resources.files("judgebias.assets").joinpath(BUNDLED_TEMPLATES[name])
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
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


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


_PAIR_RE = re.compile(
    r"\[Instruction\]\n(?P<instruction>.*?)\n\n\[Response A\]\n(?P<first>.*)\n\[End of Response A\]"
    r"\s*\[Response B\]\n(?P<second>.*)\n\[End of Response B\]",
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


_TAG_RE = re.compile(r"\[\[\s*(A|B|C|tie)\s*\]\]", re.IGNORECASE)
_JSON_RE = re.compile(r"\{[^{}]*\}")
_JSON_KEYS = ("verdict", "winner", "better", "choice", "preference", "answer")
_BARE_RE = re.compile(
    r"^\s*(?:(?:final\s+)?(?:verdict|answer|winner|output|response)\s*[:\-]?\s*)?"
    r"(?:response\s+|output\s+|assistant\s+)?\(?\s*(A|B|C|tie|1|2)\s*\)?\s*[.!]?\s*$",
    re.IGNORECASE,
)


def _token_to_position(tok: str) -> Position | None:
    t = tok.strip().strip("()[]\"'.").lower()
    t = re.sub(r"^(response|output|assistant|answer)\s*", "", t)
    if t in ("a", "1", "first"):
        return "first"
    if t in ("b", "2", "second"):
        return "second"
    if t in ("c", "tie", "draw", "equal", "both"):
        return "tie"
    return None


def parse_verdict(text: str | None) -> Position | None:
    """Parse a judge's answer: ``[[A]]`` tags (the last one wins), a JSON object with a
    ``verdict``/``winner``/... key, or a bare label (``A``, ``Response B``, ``tie``).
    Returns ``None`` when the answer is not one of those forms.
    """
    if not text:
        return None
    tags = _TAG_RE.findall(text)
    if tags:
        return _token_to_position(tags[-1])
    for blob in reversed(_JSON_RE.findall(text)):
        try:
            obj = json.loads(blob)
        except ValueError:
            continue
        if isinstance(obj, dict):
            for k in _JSON_KEYS:
                if k in obj and isinstance(obj[k], str | int):
                    pos = _token_to_position(str(obj[k]))
                    if pos is not None:
                        return pos
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if lines:
        m = _BARE_RE.match(lines[-1])
        if m:
            return _token_to_position(m.group(1))
    return None


def parse_logprob_preference(top: tuple[tuple[str, float], ...] | None) -> float | None:
    """P(first shown is better) from the first token's top logprobs: p(A) / (p(A) + p(B)).

    Tokens are compared after stripping spaces and case; ``None`` when neither label
    is among the alternatives.
    """
    if not top:
        return None
    pa = pb = 0.0
    for tok, lp in top:
        t = tok.strip().lower()
        if t == "a":
            pa += math.exp(lp)
        elif t == "b":
            pb += math.exp(lp)
    if pa + pb <= 0.0:
        return None
    return pa / (pa + pb)


_SCORE_RE = re.compile(r"score\s*([AB])\s*[:=]\s*(\d+(?:\.\d+)?)", re.IGNORECASE)


def parse_scores(text: str | None) -> tuple[float, float] | None:
    """Pointwise scores ``Score A: x`` / ``Score B: y`` (the last of each wins); ``None``
    unless both are present and within 1..10."""
    if not text:
        return None
    found: dict[str, float] = {}
    for label, value in _SCORE_RE.findall(text):
        found[label.upper()] = float(value)
    if set(found) != {"A", "B"} or not all(1.0 <= v <= 10.0 for v in found.values()):
        return None
    return found["A"], found["B"]


def scores_to_preference(
    scores: tuple[float, float] | None,
) -> tuple[Position | None, float | None]:
    """(verdict, P(first is better)) from two 1-10 scores: the higher wins; the soft
    preference is 0.5 + (first - second) / 18, in [0, 1]."""
    if scores is None:
        return None, None
    a, b = scores
    pos: Position = "first" if a > b else "second" if b > a else "tie"
    return pos, 0.5 + (a - b) / 18.0


def position_to_label(pos: Position | None, order: Order) -> Label | None:
    """Map a verdict in positions to the pair's own labels, undoing the swap."""
    if pos is None:
        return None
    if pos == "tie":
        return "tie"
    if order == "ab":
        return "a" if pos == "first" else "b"
    return "b" if pos == "first" else "a"
