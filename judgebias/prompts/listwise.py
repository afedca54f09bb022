"""The listwise prompt (``--candidates 3|4``): its template, how it is rendered, how a
prompt is read back (the simulated judge reads it) and the echo check of its answers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from judgebias.errors import InputError
from judgebias.prompts.answers import AnswerReader
from judgebias.prompts.answers_formats import LETTERS, format_reader
from judgebias.prompts.templates import INSTRUCTION_MARKER, end_marker, response_marker
from judgebias.yamlfile import read_yaml

__all__ = ["ListTemplate", "extract_list", "list_reader", "list_template", "render_list"]


@dataclass(frozen=True)
class ListTemplate:
    name: str
    system: str
    user: str


def list_template(path: str | None) -> ListTemplate:
    """The bundled listwise prompt, or ``--template FILE`` when it has a ``user_list`` key."""
    if path and Path(path).exists():
        raw = read_yaml(path, "template")
        if isinstance(raw, dict) and isinstance(raw.get("user_list"), str):
            user = raw["user_list"]
            for ph in ("{instruction}", "{responses}"):
                if ph not in user:
                    raise InputError(path, f"template 'user_list' lacks the placeholder {ph}")
            return ListTemplate(
                str(raw.get("name", Path(path).stem)), str(raw.get("system") or ""), user
            )
        raise InputError(path, "--candidates needs a template with a 'user_list' prompt")
    ref = resources.files("judgebias.probe_data").joinpath("templates", "listwise.yaml")
    with resources.as_file(ref) as p:
        raw = read_yaml(p, "template")
    return ListTemplate(str(raw["name"]), str(raw.get("system") or ""), str(raw["user_list"]))


_FILL = re.compile(r"\{(instruction|responses|letters)\}")


def render_list(t: ListTemplate, instruction: str, shown: list[str]) -> tuple[tuple[str, str], ...]:
    """The chat messages for one presentation order (placeholders filled in one pass)."""
    block = "\n\n".join(
        f"{response_marker(LETTERS[i])}\n{text}\n{end_marker(LETTERS[i])}"
        for i, text in enumerate(shown)
    )
    values = {
        "instruction": instruction,
        "responses": block,
        "letters": ", ".join(LETTERS[: len(shown)]),
    }
    user = _FILL.sub(lambda m: values[m.group(1)], t.user)
    return ((("system", t.system),) if t.system else ()) + (("user", user),)


_LIST_HEAD = re.compile(
    re.escape(INSTRUCTION_MARKER)
    + r"\n(?P<instruction>.*?)\n\n"
    + re.escape(response_marker("A"))
    + r"\n",
    re.DOTALL,
)


def extract_list(user: str) -> tuple[str, list[str]] | None:
    """(instruction, responses in the order shown) from a listwise prompt with at least
    three responses; ``None`` for anything else (a pairwise prompt included)."""
    if response_marker("C") not in user:
        return None
    m = _LIST_HEAD.search(user)
    if not m:
        return None
    rest = user[m.end() - len(response_marker("A") + "\n") :]
    shown: list[str] = []
    for letter in LETTERS:
        mm = re.match(
            re.escape(response_marker(letter))
            + r"\n(?P<t>.*?)\n"
            + re.escape(end_marker(letter))
            + r"(?:\n\n|\s*\Z)",
            rest,
            re.DOTALL,
        )
        if not mm:
            break
        shown.append(mm.group("t"))
        rest = rest[mm.end() :]
    return (m.group("instruction"), shown) if len(shown) >= 3 else None


def list_reader(t: ListTemplate, k: int) -> AnswerReader:
    """The echo check of a listwise template: its words and the markers its prompts show."""
    marks = [
        INSTRUCTION_MARKER,
        *(m(x) for x in LETTERS[:k] for m in (response_marker, end_marker)),
    ]
    return format_reader(t.system, t.user, marks)
