"""Prompt mitigations: their YAML data (``probes/mitigations/*.yaml``) and how they
transform a request's chat messages (see :mod:`judgebias.corrections.mitigations`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from judgebias.errors import InputError
from judgebias.prompts.templates import PAIR_MARKERS
from judgebias.yamlfile import read_yaml

__all__ = [
    "PROMPT_NAMES",
    "Messages",
    "PromptMitigation",
    "apply_prompts",
    "builtin_prompt_mitigation",
    "load_prompt_mitigation",
    "parse_prompt_mitigation",
]

PROMPT_NAMES = ("system-prompt", "few-shot", "reflect")

Messages = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PromptMitigation:
    """A prompt mitigation read from YAML (see the module docstring)."""

    name: str
    description: str = ""
    system: str = ""
    user_prefix: str = ""
    examples: tuple[tuple[str, str], ...] = ()
    source: str = ""


def _text(raw: dict[str, Any], key: str, source: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(source, f"'{key}' must be a string")
    return value.strip()


def parse_prompt_mitigation(raw: Any, source: str) -> PromptMitigation:
    """Validate one mitigation file's content."""
    if not isinstance(raw, dict):
        raise InputError(
            source,
            "a mitigation file must be a YAML mapping with name and "
            "system, user_prefix or examples",
        )
    name = raw.get("name", Path(source).stem)
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise InputError(source, "'name' must be a lower-case identifier")
    unknown = sorted(set(raw) - {"name", "description", "system", "user_prefix", "examples"})
    if unknown:
        raise InputError(
            source,
            f"unknown key '{unknown[0]}'; a mitigation file has name, "
            "description, system, user_prefix, examples",
        )
    examples: list[tuple[str, str]] = []
    raw_ex = raw.get("examples")
    if raw_ex is not None:
        if not isinstance(raw_ex, list) or not raw_ex:
            raise InputError(source, "'examples' must be a non-empty list of {user, assistant}")
        for i, ex in enumerate(raw_ex, 1):
            if not (
                isinstance(ex, dict)
                and isinstance(ex.get("user"), str)
                and isinstance(ex.get("assistant"), str)
                and ex["user"].strip()
                and ex["assistant"].strip()
            ):
                raise InputError(
                    source, f"example {i} needs non-empty 'user' and 'assistant' strings"
                )
            for marker in PAIR_MARKERS:
                if marker in ex["user"] or marker in ex["assistant"]:
                    raise InputError(
                        source,
                        f"example {i} contains the template marker "
                        f"'{marker}'; write examples without the bracketed "
                        "markers so they cannot be mistaken for the real request",
                    )
            examples.append((ex["user"].strip(), ex["assistant"].strip()))
    out = PromptMitigation(
        name=name,
        description=_text(raw, "description", source),
        system=_text(raw, "system", source),
        user_prefix=_text(raw, "user_prefix", source),
        examples=tuple(examples),
        source=source,
    )
    if not (out.system or out.user_prefix or out.examples):
        raise InputError(
            source, "a mitigation file needs at least one of system, user_prefix, examples"
        )
    return out


def load_prompt_mitigation(path: str | Path) -> PromptMitigation:
    return parse_prompt_mitigation(read_yaml(path, "mitigation"), str(path))


def builtin_prompt_mitigation(name: str) -> PromptMitigation:
    """The shipped prompt mitigation ``name`` (``probes/mitigations/NAME.yaml``)."""
    ref = resources.files("judgebias.probe_data").joinpath("mitigations", f"{name}.yaml")
    with resources.as_file(ref) as p:
        return load_prompt_mitigation(p)


def apply_prompts(messages: Messages, prompts: Sequence[PromptMitigation]) -> Messages:
    """The messages with every prompt mitigation applied (see the module docstring)."""
    if not prompts:
        return messages
    ordered = sorted(prompts, key=lambda m: m.name != "system-prompt")  # stable
    msgs = list(messages)
    systems = [m.system for m in ordered if m.system]
    if systems:
        head = "\n\n".join(systems)
        if msgs and msgs[0][0] == "system":
            msgs[0] = ("system", f"{head}\n\n{msgs[0][1]}" if msgs[0][1] else head)
        else:
            msgs.insert(0, ("system", head))
    last_user = max((i for i, (r, _) in enumerate(msgs) if r == "user"), default=None)
    if last_user is None:
        return tuple(msgs)
    prefixes = [m.user_prefix for m in ordered if m.user_prefix]
    if prefixes:
        role, content = msgs[last_user]
        msgs[last_user] = (role, "\n\n".join([*prefixes, content]))
    turns: list[tuple[str, str]] = []
    for m in ordered:
        for user, assistant in m.examples:
            turns += [("user", user), ("assistant", assistant)]
    if turns:
        msgs[last_user:last_user] = turns
    return tuple(msgs)
