"""Constrained verdicts (``--constrain``): the server restricts the judge's answer to a verdict.

Kinds and the request fields (*dialects*) that carry them:

- ``json``: a JSON object ``{"verdict": "A"}`` (``{"rating": "7"}`` when grading), with an
  optional ``reasoning`` string first when the template asks for its reasoning.
  Dialects: ``openai`` (``response_format`` ``json_schema`` with ``strict``: OpenAI, vLLM,
  llama.cpp's own server, Ollama's OpenAI endpoint, LM Studio), ``llamacpp``
  (``response_format`` ``json_object`` with a ``schema``: llama-cpp-python's server, whose
  ``response_format`` takes no other type) and ``ollama`` (Ollama's ``format``).
- ``choice``: the bare label. Dialects ``vllm`` (``structured_outputs: {"choice": [...]}``)
  and ``vllm-guided`` (``guided_choice``, vLLM before structured outputs).
- ``grammar``: the same JSON object, as a GBNF grammar. Dialects ``llamacpp``
  (``grammar``: both llama.cpp servers) and ``vllm`` (``structured_outputs.grammar``).
- ``logit-bias``: ``logit_bias`` of +100 on the labels' token ids (learnt from the server's
  ``/tokenize`` or ``/extras/tokenize``) and a budget of one token: the bare label.

A server may refuse a field (OpenAI: 400 "Unrecognized request argument"; llama-cpp-python:
a 500 for a ``response_format`` type it does not know) or ignore it silently (vLLM and
llama-cpp-python ignore fields they do not know). :func:`resolve_constraint` therefore tries
each dialect with a probe request whose prompt asks for something else entirely (a sentence
about the weather): only a server that enforces the constraint answers it with a verdict.
``auto`` tries every kind in :data:`AUTO_ORDER` and, when none is enforced, falls back to no
constraint with the reason recorded; an explicit kind that no dialect enforces is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from judgebias.errors import BackendError, UsageError
from judgebias.types import ChatRequest, Constraint

__all__ = [
    "AUTO_ORDER",
    "CONSTRAIN_CHOICES",
    "DIALECTS",
    "KINDS",
    "ConstraintChoice",
    "conforms",
    "constraint_fields",
    "constraint_grammar",
    "constraint_kinds",
    "constraint_schema",
    "resolve_constraint",
]

KINDS = ("json", "choice", "grammar", "logit-bias")
"""The constraint kinds, in the order ``auto`` tries them."""

CONSTRAIN_CHOICES = ("auto", *KINDS, "none")
"""The values of ``--constrain``."""

DIALECTS: dict[str, tuple[str, ...]] = {
    "json": ("openai", "llamacpp", "ollama"),
    "choice": ("vllm", "vllm-guided"),
    "grammar": ("llamacpp", "vllm"),
    "logit-bias": ("openai",),
}
"""Each kind's dialects, in the order they are tried."""

AUTO_ORDER: tuple[tuple[str, str], ...] = tuple((k, d) for k in KINDS for d in DIALECTS[k])
"""Every (kind, dialect) ``auto`` tries, in order."""

PROBE_LABELS = ("A", "B", "C")
PROBE_PROMPT = "Write one short sentence about the weather today."
"""The probe asks for prose: only a server that enforces the constraint answers a label."""


def constraint_kinds() -> tuple[str, ...]:
    """The values ``--constrain`` takes (``auto``, each kind, ``none``)."""
    return CONSTRAIN_CHOICES


def constraint_schema(c: Constraint) -> dict[str, Any]:
    """The JSON schema of a ``json`` answer: ``reasoning`` (when asked) first, then the verdict."""
    props: dict[str, Any] = {}
    if c.reasoning:
        props["reasoning"] = {"type": "string"}
    props[c.key] = {"type": "string", "enum": list(c.labels)}
    return {
        "type": "object",
        "properties": props,
        "required": list(props),
        "additionalProperties": False,
    }


def _quoted(label: str) -> str:
    """A label as a GBNF literal of its JSON string (labels are letters and digits)."""
    if not label.isalnum():
        raise ValueError(f"constraint label {label!r} is not letters and digits")
    return '"\\"' + label + '\\""'


def constraint_grammar(c: Constraint) -> str:
    """A GBNF grammar for the same JSON object as :func:`constraint_schema`."""
    head = '"{" ws '
    if c.reasoning:
        head += '"\\"reasoning\\"" ws ":" ws string ws "," ws '
    lines = [
        f'root ::= {head}"\\"{c.key}\\"" ws ":" ws label ws "}}"',
        "label ::= " + " | ".join(_quoted(x) for x in c.labels),
        "ws ::= [ \\t\\n]?",
    ]
    if c.reasoning:
        lines.append('string ::= "\\"" ( [^"\\\\\\x7F\\x00-\\x1F] | "\\\\" ["\\\\/bfnrt] )* "\\""')
    return "\n".join(lines) + "\n"


def constraint_fields(c: Constraint) -> dict[str, Any]:
    """The request fields that carry a constraint in its dialect."""
    if c.kind == "json":
        schema = constraint_schema(c)
        if c.dialect == "openai":
            return {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": c.key, "strict": True, "schema": schema},
                }
            }
        if c.dialect == "llamacpp":
            return {"response_format": {"type": "json_object", "schema": schema}}
        if c.dialect == "ollama":
            return {"format": schema}
    if c.kind == "choice":
        if c.dialect == "vllm":
            return {"structured_outputs": {"choice": list(c.labels)}}
        if c.dialect == "vllm-guided":
            return {"guided_choice": list(c.labels)}
    if c.kind == "grammar":
        if c.dialect == "llamacpp":
            return {"grammar": constraint_grammar(c)}
        if c.dialect == "vllm":
            return {"structured_outputs": {"grammar": constraint_grammar(c)}}
    if c.kind == "logit-bias":
        return {"logit_bias": {str(t): 100 for t in c.token_ids}}
    raise ValueError(f"unknown constraint {c.kind}/{c.dialect}")


def conforms(c: Constraint, text: str) -> bool:
    """The answer is exactly what the constraint allows (JSON kinds: the object and nothing
    else; ``choice`` and ``logit-bias``: one label)."""
    if c.kind in ("choice", "logit-bias"):
        return text.strip() in c.labels
    try:
        obj = json.loads(text)
    except ValueError:
        return False
    if not isinstance(obj, dict) or str(obj.get(c.key)) not in c.labels:
        return False
    allowed = {c.key, "reasoning"} if c.reasoning else {c.key}
    return set(obj) <= allowed


@dataclass
class ConstraintChoice:
    """The constraint an audit uses: what was asked for, what is used, and why."""

    requested: str
    kind: str = "none"
    dialect: str | None = None
    token_ids: dict[str, int] = field(default_factory=dict)
    tried: list[dict[str, str]] = field(default_factory=list)
    reason: str | None = None

    def constraint(
        self, labels: tuple[str, ...], key: str = "verdict", reasoning: bool = False
    ) -> Constraint | None:
        """The constraint of one request whose answer is one of ``labels`` (None: unconstrained)."""
        if self.kind == "none" or self.dialect is None:
            return None
        if self.kind == "logit-bias":
            ids = tuple(self.token_ids[x] for x in labels if x in self.token_ids)
            return Constraint(self.kind, self.dialect, labels, key, False, ids)
        return Constraint(self.kind, self.dialect, labels, key, reasoning and self.kind != "choice")

    def as_dict(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "kind": self.kind,
            "dialect": self.dialect,
            "tried": list(self.tried),
            "reason": self.reason,
        }


def _tokenize_urls(base_url: str) -> list[tuple[str, str]]:
    """Where servers tokenize: llama-cpp-python's ``/extras/tokenize`` (field ``input``),
    vLLM's and llama.cpp's ``/tokenize`` (fields ``prompt`` and ``content``)."""
    root = base_url.rstrip("/")
    root = root[: -len("/v1")] if root.endswith("/v1") else root
    return [
        (root + "/extras/tokenize", "input"),
        (root + "/tokenize", "prompt"),
        (base_url.rstrip("/") + "/tokenize", "prompt"),
    ]


async def label_token_ids(base_url: str, model: str, labels: tuple[str, ...]) -> dict[str, int]:
    """Each label's token id from the server's tokenizer; a label that is not exactly one
    token is left out. Raises :class:`LookupError` when the server tokenizes nothing."""
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http:
        for url, name in _tokenize_urls(base_url):

            async def tokens_of(text: str, url: str = url, name: str = name) -> list[int]:
                body = {name: text, "content": text, "model": model, "add_special": False}
                async with http.post(url, json=body) as resp:
                    if resp.status != 200:
                        raise LookupError(f"{url}: HTTP {resp.status}")
                    tokens = (await resp.json()).get("tokens")
                if not isinstance(tokens, list):
                    raise LookupError(f"{url}: no tokens")
                return [int(t) for t in tokens]

            ids: dict[str, int] = {}
            try:
                prefix = await tokens_of("")  # a BOS token some servers always add
                for label in labels:
                    tokens = await tokens_of(label)
                    if tokens[: len(prefix)] == prefix:
                        tokens = tokens[len(prefix) :]
                    if len(tokens) == 1:
                        ids[label] = tokens[0]
            except (LookupError, aiohttp.ClientError, ValueError, TypeError):
                continue
            return ids
    raise LookupError("the server has no tokenize endpoint (/tokenize, /extras/tokenize)")


async def _probe(judge: Any, c: Constraint) -> tuple[bool, str]:
    """Send the probe with ``c``; (enforced, what happened)."""
    req = ChatRequest(
        model=judge.model,
        messages=(("user", PROBE_PROMPT),),
        temperature=0.0,
        max_tokens=1 if c.kind == "logit-bias" else 64,
        constraint=c,
    )
    try:
        comp = await judge.complete(req)
    except BackendError as exc:
        return False, f"refused: {str(exc)[:400]}"
    except Exception as exc:  # the SDK transport's own errors, mapped as the runner does
        from judgebias.judges.errors import map_exception

        return False, f"refused: {str(map_exception(exc))[:400]}"
    if conforms(c, comp.text or ""):
        return True, "enforced"
    return False, f"ignored (answered {(comp.text or '')[:60]!r})"


async def resolve_constraint(
    judge: Any,
    requested: str,
    base_urls: list[str],
    labels: tuple[str, ...] = PROBE_LABELS,
) -> ConstraintChoice:
    """The constraint ``requested`` resolves to for this judge (``auto``: the first that is
    enforced, else none with the reasons; a kind: its first enforced dialect, else
    :class:`UsageError`). Sends one probe request per dialect tried; ``labels`` are every
    label the audit's answers may take (``logit-bias`` needs each to be one token)."""
    if requested not in CONSTRAIN_CHOICES:
        raise UsageError(f"--constrain: '{requested}' is not one of {', '.join(CONSTRAIN_CHOICES)}")
    choice = ConstraintChoice(requested=requested)
    if requested == "none":
        return choice
    spec = str(getattr(judge, "spec", ""))
    if spec.startswith("replay:"):
        if requested == "auto":
            choice.reason = "a replay judge's answers are recorded: nothing to constrain"
            return choice
        raise UsageError(f"--constrain {requested}: a replay judge's answers are recorded")
    order = (
        AUTO_ORDER if requested == "auto" else tuple((requested, d) for d in DIALECTS[requested])
    )
    for kind, dialect in order:
        c = Constraint(kind, dialect, PROBE_LABELS)
        if kind == "logit-bias":
            if not base_urls:
                choice.tried.append({"kind": kind, "dialect": dialect, "outcome": "no base URL"})
                continue
            try:
                wanted = tuple(dict.fromkeys((*PROBE_LABELS, *labels)))
                ids = await label_token_ids(base_urls[0], judge.model, wanted)
            except LookupError as exc:
                choice.tried.append({"kind": kind, "dialect": dialect, "outcome": str(exc)})
                continue
            if len(ids) < len(wanted):
                outcome = "the labels are not single tokens of this model"
                choice.tried.append({"kind": kind, "dialect": dialect, "outcome": outcome})
                continue
            choice.token_ids = ids
            c = replace(c, token_ids=tuple(ids[x] for x in PROBE_LABELS))
        ok, outcome = await _probe(judge, c)
        choice.tried.append({"kind": kind, "dialect": dialect, "outcome": outcome})
        if ok:
            choice.kind, choice.dialect = kind, dialect
            return choice
    tried = "; ".join(f"{t['kind']}/{t['dialect']}: {t['outcome']}" for t in choice.tried)
    if requested != "auto":
        raise UsageError(
            f"--constrain {requested}: the endpoint enforces none of its forms ({tried}); "
            "try --constrain auto"
        )
    choice.reason = f"no constraint is enforced by this endpoint ({tried})"
    return choice
