"""The simulated judge under a constraint (``--constrain``), in process and behind ``serve-sim``.

:func:`constrained_answer` turns the sim's answer into what a server enforcing the
constraint returns: the label the sim chose (its last verdict tag), or, when its answer
held none (a misbehaving sim writes prose or echoes the prompt), a label drawn from the
allowed ones, as a constrained model must still pick one; as JSON (``{"verdict": "A"}``,
its explanation first under ``reasoning`` when asked) or as the bare label.

:func:`wire_constraint` reads a request body's constraint fields as a server of a given
kind (:data:`SERVER_KINDS`) does: it honours the fields that server knows, refuses what it
refuses (OpenAI: 400 "Unrecognized request argument supplied"; llama-cpp-python 0.3: a 500
whose message is its validation error for a ``response_format`` type other than ``text``
or ``json_object``) and ignores the rest, as
vLLM and llama-cpp-python do, unless ``reject_unknown`` (then 400, as OpenAI).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from judgebias.sim.common import draw, tokens
from judgebias.types import Completion, Constraint

__all__ = [
    "SERVER_KINDS",
    "STANDARD_FIELDS",
    "WireRefusal",
    "constrained_answer",
    "tokenize",
    "wire_constraint",
]

SERVER_KINDS: dict[str, frozenset[str]] = {
    "all": frozenset(
        {"json_schema", "json_object", "format", "structured_outputs", "guided_choice"}
        | {"grammar", "logit_bias"}
    ),
    "openai": frozenset({"json_schema", "logit_bias"}),
    "vllm": frozenset({"json_schema", "structured_outputs", "guided_choice", "logit_bias"}),
    "llamacpp": frozenset({"json_object", "grammar", "logit_bias"}),
    "ollama": frozenset({"json_schema", "format"}),
    "plain": frozenset(),
}
"""Which constraint fields each kind of server honours (``plain``: none, silently)."""

STANDARD_FIELDS = frozenset(
    {
        "model", "messages", "temperature", "max_tokens", "max_completion_tokens", "logprobs",
        "top_logprobs", "seed", "reasoning_effort", "n", "stream", "top_p", "stop", "user",
    }
)  # fmt: skip
"""The chat-completions fields every server takes."""

_TAG = re.compile(r"\[\[\s*([^\[\]]{1,12}?)\s*\]\]")


class WireRefusal(Exception):
    """A request the server refuses: ``status`` and its error ``body``."""

    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(str(body))
        self.status = status
        self.body = body


def tokenize(text: str) -> list[int]:
    """The sim's tokenizer: one token per character, its code point."""
    return [ord(ch) for ch in text]


def _openai_unknown(name: str) -> WireRefusal:
    return WireRefusal(
        400,
        {
            "error": {
                "message": f"Unrecognized request argument supplied: {name}",
                "type": "invalid_request_error",
                "param": name,
                "code": None,
            }
        },
    )


def _schema_constraint(kind: str, dialect: str, schema: Any) -> Constraint | None:
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return None
    props: dict[str, Any] = schema["properties"]
    for key, prop in props.items():
        if isinstance(prop, dict) and isinstance(prop.get("enum"), list):
            labels = tuple(str(x) for x in prop["enum"])
            return Constraint(kind, dialect, labels, key, reasoning="reasoning" in props)
    return None


def _grammar_constraint(dialect: str, grammar: Any) -> Constraint | None:
    """The labels and key of a grammar of :func:`judgebias.judges.constraints.constraint_grammar`'s
    form (the sim recognises that form only, and ignores any other grammar)."""
    if not isinstance(grammar, str):
        return None
    label_rule = re.search(r"^label ::= (.*)$", grammar, re.MULTILINE)
    key = re.search(r'"\\"(\w+)\\"" ws ":" ws label', grammar)
    if label_rule is None or key is None:
        return None
    labels = tuple(re.findall(r'"\\"(\w+)\\""', label_rule.group(1)))
    return Constraint("grammar", dialect, labels, key.group(1), '"\\"reasoning\\""' in grammar)


def wire_constraint(
    body: dict[str, Any], server: str = "all", reject_unknown: bool = False
) -> Constraint | None:
    """The constraint a server of kind ``server`` enforces for this body (None: none);
    raises :class:`WireRefusal` for what it refuses."""
    honours = SERVER_KINDS[server]
    strict = reject_unknown or server == "openai"
    found: Constraint | None = None
    for name in body:
        if name in STANDARD_FIELDS or name == "response_format":
            continue
        known = name in honours or (name == "grammar" and "grammar" in honours)
        if not known and strict:
            raise _openai_unknown(name)
    rf = body.get("response_format")
    if isinstance(rf, dict):
        kind = rf.get("type")
        if server == "llamacpp" and kind not in ("text", "json_object"):
            # llama-cpp-python 0.3 answers its own validation error with a 500
            detail = {
                "type": "literal_error",
                "loc": ("body", "response_format", "type"),
                "msg": "Input should be 'text' or 'json_object'",
                "input": kind,
            }
            message = f"1 validation error:\n  {detail}\n"
            raise WireRefusal(500, {"error": {"message": message, "type": "internal_server_error"}})
        if kind == "json_schema" and "json_schema" in honours:
            schema = (rf.get("json_schema") or {}).get("schema")
            found = _schema_constraint("json", "openai", schema)
        elif kind == "json_object" and "json_object" in honours and "schema" in rf:
            found = _schema_constraint("json", "llamacpp", rf.get("schema"))
    if found is None and "format" in honours and isinstance(body.get("format"), dict):
        found = _schema_constraint("json", "ollama", body["format"])
    so = body.get("structured_outputs")
    if found is None and "structured_outputs" in honours and isinstance(so, dict):
        if isinstance(so.get("choice"), list):
            found = Constraint("choice", "vllm", tuple(str(x) for x in so["choice"]))
        elif "grammar" in so:
            found = _grammar_constraint("vllm", so["grammar"])
    gc = body.get("guided_choice")
    if found is None and "guided_choice" in honours and isinstance(gc, list):
        found = Constraint("choice", "vllm-guided", tuple(str(x) for x in gc))
    if found is None and "grammar" in honours and "grammar" in body:
        found = _grammar_constraint("llamacpp", body["grammar"])
    lb = body.get("logit_bias")
    if found is None and "logit_bias" in honours and isinstance(lb, dict):
        ids = [int(k) for k, v in lb.items() if float(v) >= 50]
        labels = tuple(chr(i) for i in ids if 0 < i < 0x110000)
        if labels:
            found = Constraint("logit-bias", "openai", labels, token_ids=tuple(ids))
    return found


def constrained_answer(completion: Completion, c: Constraint, seed: object) -> Completion:
    """What a server enforcing ``c`` returns where the sim answered ``completion``."""
    text = completion.text or ""
    tags = [t.strip() for t in _TAG.findall(text)]
    chosen = next((t for t in reversed(tags) if t in c.labels), None)
    if chosen is None and text.strip() in c.labels:
        chosen = text.strip()
    if chosen is None:
        chosen = c.labels[int(draw(seed, "constrained", text) * len(c.labels))]
    if c.kind in ("choice", "logit-bias"):
        out = chosen
    else:
        obj: dict[str, str] = {}
        if c.reasoning:
            obj["reasoning"] = " ".join(_TAG.sub("", text).split()) or "No reasoning given."
        obj[c.key] = chosen
        out = json.dumps(obj)
    return replace(completion, text=out, finish_reason="stop", completion_tokens=tokens(out))
