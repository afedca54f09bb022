"""``code_output``: what a tiny Python snippet prints, or what an expression evaluates
to, computed by :mod:`.interpreter`.
"""

from __future__ import annotations

import ast
import re

from judgebias.sim.checkers.base import Verifier
from judgebias.sim.checkers.interpreter import Interpreter, parse_code, plain

__all__ = ["recognise_code"]

_FENCE_RE = re.compile(r"```[ \t]*(?:python3?|py|pycon|text|console)?[ \t]*\n(.*?)```", re.S | re.I)
_INLINE_CODE_RE = re.compile(r"`([^`\n]{1,500})`")
_CODE_TASK_RE = re.compile(
    r"(?i)\b(?:python|code|snippet|program|script|expression)\b[^\n]{0,200}?"
    r"\b(?:print|prints|printed|output|outputs|evaluate|evaluates|return|returns|result|value)\b"
    r"|\b(?:print|prints|printed|output|outputs|evaluate|evaluates|return|returns|result|value)\b"
    r"[^\n]{0,200}?\b(?:python|code|snippet|program|script|expression)\b"
)
_OUTPUT_WORD_RE = re.compile(
    r"(?i)\b(?:print|prints|printed|output|outputs|evaluate|evaluates|return|returns|result|value"
    r"|display|displays|show|shows)\b"
)
_OUTPUT_MARKER_RE = re.compile(
    r"(?i)(?<![`\w])(?:final\s+answer|answer|output|outputs|prints|printed|print\s+out|"
    r"will\s+print|would\s+print|evaluates\s+to|returns|result)"
    r"(?:\s+(?:is|will\s+be|would\s+be|should\s+be|shows?))?\s*(?::|=|-|—|is)?[ \t]*"
)


def recognise_code(instruction: str) -> Verifier | None:
    fence = _FENCE_RE.search(instruction)
    if fence:
        asked = instruction[: fence.start()] + instruction[fence.end() :]
        if not _OUTPUT_WORD_RE.search(asked):
            return None
        source = fence.group(1)
    else:
        if not _CODE_TASK_RE.search(instruction):
            return None
        inline = _INLINE_CODE_RE.findall(instruction)
        if len(inline) != 1:
            return None
        source = inline[0]
    source = _dedent(source)
    try:
        tree = parse_code(source)
    except SyntaxError:
        return None
    assert isinstance(tree, ast.Module)
    if not tree.body:
        return None
    interpreter = Interpreter()
    last = interpreter.run(tree)
    if interpreter.output:
        printed = "".join(interpreter.output).rstrip("\n")
        expected = [printed]
    elif isinstance(tree.body[-1], ast.Expr):
        value = plain(last)
        expected = [repr(value), str(value)]
    else:
        return None

    def verify(response: str) -> bool | None:
        candidates = _code_answers(response)
        if not candidates:
            return None
        return any(_same_output(c, e) for c in candidates for e in expected)

    return verify


def _dedent(source: str) -> str:
    lines = [line.rstrip() for line in source.strip("\n").splitlines()]
    lines = [re.sub(r"^(?:>>>|\.\.\.) ?", "", line) for line in lines]
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents) if indents else 0
    return "\n".join(line[cut:] for line in lines)


def _code_answers(response: str) -> list[str]:
    """What a response gives as the output: the content of its last code block or of
    the line after its last "prints"/"output"/"answer" marker, else its last inline
    code span, else the bare response (whole, or its first line)."""
    markers = list(_OUTPUT_MARKER_RE.finditer(response))
    fences = list(_FENCE_RE.finditer(response)) or list(
        re.finditer(r"```[^\n`]*\n(.*?)```", response, re.S)
    )
    last_marker = markers[-1] if markers else None
    last_fence = fences[-1] if fences else None
    if last_fence is not None and (
        last_marker is None or last_fence.start() >= last_marker.start()
    ):
        return [last_fence.group(1)]
    if last_marker is not None:
        rest = response[last_marker.end() :]
        line = rest.split("\n", 1)[0].strip()
        if not line:
            following = rest.strip().split("\n", 1)[0].strip()
            line = following
        inline = _INLINE_CODE_RE.search(line)
        if inline:
            return [inline.group(1)]
        if line:
            return [line]
    spans = _INLINE_CODE_RE.findall(response)
    if spans:
        return [spans[-1]]
    # A bare answer, possibly followed by a remark on later lines.
    text = response.strip()
    if not text:
        return []
    first_line = text.split("\n", 1)[0].strip()
    return [text, first_line] if first_line != text else [text]


def _same_output(candidate: str, expected: str) -> bool:
    def norm(text: str) -> str:
        lines = [line.rstrip() for line in text.strip().splitlines()]
        return "\n".join(lines)

    got, want = norm(candidate), norm(expected)
    if got == want:
        return True
    for _ in range(2):
        if got.endswith(".") and not want.endswith("."):
            got = got[:-1].rstrip()
        if got.startswith("**") and got.endswith("**") and len(got) > 4:
            got = got[2:-2].strip()
        if len(got) >= 2 and got[0] == got[-1] and got[0] in "'\"`" and want[:1] != got[0]:
            got = got[1:-1]
        if got == want:
            return True
    return False
