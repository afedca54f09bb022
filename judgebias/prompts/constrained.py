"""Reading a constrained answer (``--constrain``): the strict reader of what the server allowed.

A ``json`` or ``grammar`` answer must be one JSON object and nothing else, holding the
verdict under its key (``verdict``; ``rating`` when grading) and at most a ``reasoning``
string besides; a ``choice`` or ``logit-bias`` answer must be one label and nothing else.
The value is returned as the label it names, checked against the scale by the caller.
Anything else is invalid with a reason of :data:`judgebias.prompts.answers.REASONS`:
``empty``, ``truncated`` (cut at the token limit: the object is unfinished),
``no_verdict`` (not the object, or no verdict in it). Nothing is searched for inside
prose: a server that enforces the constraint leaves none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["ConstrainedForm", "read_constrained"]


@dataclass(frozen=True)
class ConstrainedForm:
    """The form a constrained answer takes: ``json`` (an object, the verdict under ``key``)
    or ``label`` (the bare label)."""

    form: str
    key: str = "verdict"


def read_constrained(
    text: str, finish_reason: str | None, form: ConstrainedForm
) -> tuple[str | None, str | None]:
    """(the label the answer names, None) or (None, why it names none)."""
    text = text.strip()
    if not text:
        return None, "empty"
    if form.form == "label":
        if finish_reason == "length" and len(text) > 2:
            return None, "truncated"
        return (text, None) if text.isalnum() and len(text) <= 2 else (None, "no_verdict")
    try:
        obj = json.loads(text)
    except ValueError:
        return None, "truncated" if finish_reason == "length" else "no_verdict"
    if not isinstance(obj, dict) or not set(obj) <= {form.key, "reasoning"}:
        return None, "no_verdict"
    value = obj.get(form.key)
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None, "no_verdict"
    return str(value).strip(), None
