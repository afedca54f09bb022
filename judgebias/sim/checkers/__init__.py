"""The simulated judge's "knowledge": answer checkers for objectively checkable tasks.

The ``sim`` judge has no language model behind it. To make its *content* verdict
agree with the truth wherever the truth can be computed, it asks :func:`check`
which of two responses is correct. ``check`` recognises a handful of task kinds
from the instruction text alone (regular expressions, never a lookup of the
bundled sample pairs), computes the expected answer itself, extracts the final
answer each response states and compares:

* ``arithmetic`` -- "What is 37 * 12?", "Compute 845 - 379.", "the remainder when
  98 is divided by 7" (a whitelisted AST evaluator; no ``eval``);
* ``unit_conversion`` -- km/miles, kg/lb, Celsius/Fahrenheit, hours/minutes/seconds,
  litres/US or imperial gallons, with the rounding the instruction states;
* ``sorting`` -- a list of numbers or words, ascending or descending;
* ``counting`` -- a letter in a word, or the words of a quoted sentence;
* ``passage`` -- a question about a short passage (memo, invoice, schedule) given in
  the instruction; the expected value is read from the passage itself;
* ``code_output`` -- what a tiny Python snippet prints, or what an expression
  evaluates to, computed by a whitelisted AST interpreter over literals, arithmetic,
  comparisons, subscripts/slices and a few builtins and ``str`` methods (never
  ``eval``/``exec``);
* ``date`` -- the weekday of a date, the days between two dates, a date plus or
  minus N days.

``check`` is total: it never raises. Unrecognised tasks, inputs longer than
:data:`MAX_INPUT_CHARS`, expressions that would be too costly (huge powers or
repetitions) and cases where neither or both responses are right all give ``None``.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["KINDS", "MAX_INPUT_CHARS", "check", "task_kind"]

MAX_INPUT_CHARS = 20_000
"""Instructions or responses longer than this are not examined at all."""

KINDS = (
    "code_output",
    "passage",
    "date",
    "unit_conversion",
    "sorting",
    "counting",
    "arithmetic",
)
"""The task kinds :func:`check` recognises, in the order it tries them."""

Verifier = Callable[[str], "bool | None"]
"""Says whether one response states the expected answer (None: no answer found)."""


class _Unsupported(Exception):
    """Raised inside the checkers when an input is outside what they can handle."""


# --------------------------------------------------------------------------- API


def check(instruction: str, response_1: str, response_2: str) -> int | None:
    """Return 1 or 2 for the response that is correct, or None if undecidable.

    None when the task is not recognised, when the expected answer cannot be
    computed safely, or when neither or both responses state the expected answer.
    A response from which no answer can be extracted counts as not correct.
    """
    try:
        return _check(instruction, response_1, response_2)
    except Exception:
        return None


def task_kind(instruction: str) -> str | None:
    """The kind of checkable task ``instruction`` poses (one of :data:`KINDS`), or None."""
    try:
        found = _recognise(instruction) if _usable(instruction) else None
    except Exception:
        return None
    return found[0] if found else None


def _usable(text: object) -> bool:
    return isinstance(text, str) and len(text) <= MAX_INPUT_CHARS


def _check(instruction: str, response_1: str, response_2: str) -> int | None:
    if not (_usable(instruction) and _usable(response_1) and _usable(response_2)):
        return None
    if not instruction.strip():
        return None
    found = _recognise(instruction)
    if found is None:
        return None
    verify = found[1]
    ok_1 = verify(response_1) if response_1.strip() else None
    ok_2 = verify(response_2) if response_2.strip() else None
    if ok_1 is True and ok_2 is not True:
        return 1
    if ok_2 is True and ok_1 is not True:
        return 2
    return None


def _recognise(instruction: str) -> tuple[str, Verifier] | None:
    recognisers: tuple[tuple[str, Callable[[str], Verifier | None]], ...] = (
        ("code_output", _recognise_code),
        ("passage", _recognise_passage),
        ("date", _recognise_date),
        ("unit_conversion", _recognise_units),
        ("sorting", _recognise_sorting),
        ("counting", _recognise_counting),
        ("arithmetic", _recognise_arithmetic),
    )
    # A recogniser returns None when the instruction is not of its kind, and raises
    # when it is but the expected answer cannot be computed (check then gives None).
    for kind, recognise in recognisers:
        verify = recognise(instruction)
        if verify is not None:
            return kind, _guarded(verify)
    return None


def _guarded(verify: Verifier) -> Verifier:
    def run(response: str) -> bool | None:
        try:
            return verify(response)
        except Exception:
            return None

    return run


# ------------------------------------------------------------ numbers in answers

_NUM_PATTERN = r"[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_NUM_RE = re.compile(r"(?<![\w.,])" + _NUM_PATTERN + r"(?![\d])")
_ENUM_RE = re.compile(r"(?m)^[ \t]*(?:\d{1,3}[.)]|[-*•+])[ \t]+(?=\S)")
_ANSWER_MARKER_RE = re.compile(r"(?i)\b(?:final\s+answer|answer|result)\b")
_NUMBER_WORDS = {
    "zero": 0,
    "once": 1,
    "one": 1,
    "twice": 2,
    "two": 2,
    "thrice": 3,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
}
_NUMBER_WORD_RE = re.compile(r"(?i)\b(" + "|".join(_NUMBER_WORDS) + r")\b")


@dataclass(frozen=True)
class _Num:
    value: float
    decimals: int
    start: int
    end: int


def _parse_num(text: str) -> tuple[float, int]:
    clean = text.replace("−", "-").replace(",", "")
    decimals = len(clean.split(".", 1)[1]) if "." in clean else 0
    return float(clean), decimals


def _numbers(text: str) -> list[_Num]:
    out: list[_Num] = []
    for m in _NUM_RE.finditer(text):
        value, decimals = _parse_num(m.group(0))
        if math.isfinite(value):
            out.append(_Num(value, decimals, m.start(), m.end()))
    return out


def _number_words(text: str) -> list[_Num]:
    """Spelled-out small numbers ("three", "twice"), skipping pronoun uses of "one"."""
    out = []
    for m in _NUMBER_WORD_RE.finditer(text):
        word = m.group(1).lower()
        if word == "one" and (
            re.match(r"\s+of\b", text[m.end() :])
            or re.search(r"(?i)\b(?:the|this|that|each|any|every|no|which)\s+$", text[: m.start()])
        ):
            continue
        out.append(_Num(float(_NUMBER_WORDS[word]), 0, m.start(), m.end()))
    return out


def _final_number(text: str) -> _Num | None:
    """The answer a response states: the first number after its last answer marker
    ("answer", "final answer", "result"), else its last number (digits or a
    spelled-out small number)."""
    text = _ENUM_RE.sub(lambda m: " " * len(m.group(0)), text)  # list markers "1." are not answers
    nums = sorted(_numbers(text) + _number_words(text), key=lambda n: n.start)
    if not nums:
        return None
    markers = list(_ANSWER_MARKER_RE.finditer(text))
    if markers:
        after = [n for n in nums if n.start >= markers[-1].end()]
        if after:
            return after[0]
    return nums[-1]


def _close(x: float, y: float) -> bool:
    return abs(x - y) <= 1e-9 * max(1.0, abs(y))


def _matches_rounded(answer: _Num, exact: float, decimals: int | None) -> bool:
    """Whether ``answer`` is ``exact`` rounded to ``decimals`` places (or to the
    number of places the answer itself shows, when the instruction states none)."""
    if _close(answer.value, exact):
        return True
    places = decimals if decimals is not None else answer.decimals
    half = 0.5 * 10.0 ** (-places)
    return abs(answer.value - exact) <= half * (1 + 1e-9) + 1e-12


# ---------------------------------------------------------- safe AST evaluation

_MAX_SIZE = 10_000  # elements / characters / int bits a value may have
_MAX_NODES = 400
_MAX_CODE_CHARS = 3_000


class _Reversed:
    """What ``reversed(x)`` gives: only usable where real Python accepts an iterator."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items


def _size(value: Any, budget: int = _MAX_SIZE) -> int:
    """A bounded measure of how big a value is (stops counting past ``budget``)."""
    if isinstance(value, (bool, float, _Builtin)) or value is None:
        return 1
    if isinstance(value, int):
        return max(1, value.bit_length() // 8)
    if isinstance(value, str):
        return max(1, len(value))
    if isinstance(value, _Reversed):
        value = value.items
    if isinstance(value, (list, tuple)):
        total = 1 + len(value)
        for item in value:
            if total > budget:
                break
            total += _size(item, budget - total)
        return total
    if isinstance(value, dict):
        total = 1 + len(value)
        for k, v in value.items():
            if total > budget:
                break
            total += _size(k, budget - total) + _size(v, budget - total)
        return total
    raise _Unsupported(type(value).__name__)


def _bounded(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > _MAX_SIZE:
            raise _Unsupported("integer too large")
    elif _size(value) > _MAX_SIZE:
        raise _Unsupported("value too large")
    return value


def _iter_items(value: Any) -> list[Any]:
    if isinstance(value, _Reversed):
        return list(value.items)
    if isinstance(value, (list, tuple, str)):
        return list(value)
    if isinstance(value, dict):
        return list(value)
    raise _Unsupported("not iterable")


def _plain(value: Any) -> Any:
    """Reject values real Python would show as an object address (iterators)."""
    if isinstance(value, _Reversed):
        raise _Unsupported("iterator used as a value")
    return value


def _safe_pow(base: Any, exp: Any) -> Any:
    if not isinstance(base, (int, float)) or not isinstance(exp, (int, float)):
        raise _Unsupported("pow on non-numbers")
    if isinstance(base, int) and isinstance(exp, int) and exp >= 0:
        if abs(base) > 1 and exp * max(1, abs(base).bit_length()) > _MAX_SIZE:
            raise _Unsupported("power too large")
        return base**exp
    if abs(exp) > 10_000:
        raise _Unsupported("exponent too large")
    result = base**exp  # a float here; OverflowError / ZeroDivisionError mean None
    if isinstance(result, complex):
        raise _Unsupported("complex result")
    return result


def _safe_mult(left: Any, right: Any) -> Any:
    if isinstance(left, int) and isinstance(right, (str, list, tuple)):
        left, right = right, left
    if isinstance(left, (str, list, tuple)) and isinstance(right, int):
        if max(right, 0) * _size(left) > _MAX_SIZE:
            raise _Unsupported("repetition too large")
        return left * right
    if (
        isinstance(left, int)
        and isinstance(right, int)
        and left.bit_length() + right.bit_length() > _MAX_SIZE
    ):
        raise _Unsupported("product too large")
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left * right
    raise _Unsupported("unsupported *")


def _binop(op: ast.operator, left: Any, right: Any) -> Any:
    left, right = _plain(left), _plain(right)
    numeric = isinstance(left, (int, float)) and isinstance(right, (int, float))
    if isinstance(op, ast.Add):
        if numeric or (type(left) is type(right) and isinstance(left, (str, list, tuple))):
            if not numeric and _size(left) + _size(right) > _MAX_SIZE:
                raise _Unsupported("concatenation too large")
            return left + right
        raise TypeError("unsupported +")
    if isinstance(op, ast.Mult):
        return _safe_mult(left, right)
    if isinstance(op, ast.Pow):
        return _safe_pow(left, right)
    if not numeric:
        raise TypeError("arithmetic on non-numbers")
    if isinstance(op, ast.Sub):
        return left - right
    if isinstance(op, ast.Div):
        return left / right
    if isinstance(op, ast.FloorDiv):
        return left // right
    if isinstance(op, ast.Mod):
        return left % right
    raise _Unsupported(type(op).__name__)


def _compare(op: ast.cmpop, left: Any, right: Any) -> bool:
    left, right = _plain(left), _plain(right)
    if isinstance(op, ast.Eq):
        return bool(left == right)
    if isinstance(op, ast.NotEq):
        return bool(left != right)
    if isinstance(op, ast.Lt):
        return bool(left < right)
    if isinstance(op, ast.LtE):
        return bool(left <= right)
    if isinstance(op, ast.Gt):
        return bool(left > right)
    if isinstance(op, ast.GtE):
        return bool(left >= right)
    if isinstance(op, (ast.In, ast.NotIn)):
        if not isinstance(right, (str, list, tuple, dict)):
            raise TypeError("'in' needs a container")
        found = left in right
        return found if isinstance(op, ast.In) else not found
    raise _Unsupported(type(op).__name__)


def _key_function(value: Any) -> Callable[[Any], Any] | None:
    if value is None:
        return None
    if isinstance(value, _Builtin):
        return lambda item: value.call([item], {})
    raise _Unsupported("unsupported key function")


@dataclass(frozen=True)
class _Builtin:
    name: str

    def call(self, args: list[Any], kwargs: dict[str, Any]) -> Any:
        name = self.name
        if name == "reversed" and len(args) == 1 and not kwargs:
            items = args[0]
            if isinstance(items, (list, tuple, str)):
                return _Reversed(list(items)[::-1])
            raise TypeError("reversed() needs a sequence")
        if name in ("list", "tuple") and not kwargs:
            if not args:
                return [] if name == "list" else ()
            items = _iter_items(args[0])
            return items if name == "list" else tuple(items)
        if name in ("sorted", "min", "max"):
            allowed = {"key", "reverse"} if name == "sorted" else {"key", "default"}
            if set(kwargs) - allowed:
                raise _Unsupported("keyword")
            key = _key_function(kwargs.get("key"))
            items = _iter_items(args[0]) if len(args) == 1 else list(args)
            if name == "sorted":
                if len(args) != 1:
                    raise TypeError("sorted() takes one argument")
                return sorted(items, key=key, reverse=bool(kwargs.get("reverse", False)))
            if not items and "default" in kwargs:
                return kwargs["default"]
            return (min if name == "min" else max)(items, key=key)
        if kwargs:
            raise _Unsupported("keyword")
        args = [_plain(a) for a in args]
        if name == "len" and len(args) == 1:
            return len(args[0])
        if name == "sum" and 1 <= len(args) <= 2:
            total = args[1] if len(args) == 2 else 0
            for item in _iter_items(args[0]):
                total = _binop(ast.Add(), total, item)
            return total
        if name == "abs" and len(args) == 1:
            return abs(args[0])
        if name == "str" and len(args) <= 1:
            return str(args[0]) if args else ""
        if name == "int" and len(args) <= 1:
            if args and isinstance(args[0], str) and len(args[0]) > 100:
                raise _Unsupported("int() of a long string")
            return int(args[0]) if args else 0
        if name == "float" and len(args) <= 1:
            return float(args[0]) if args else 0.0
        if name == "round" and 1 <= len(args) <= 2:
            if len(args) == 2 and not (isinstance(args[1], int) and abs(args[1]) <= 100):
                raise _Unsupported("round() to too many places")
            return round(*args)
        if name == "bool" and len(args) <= 1:
            return bool(args[0]) if args else False
        raise TypeError(f"bad call to {name}")


_BUILTINS = {
    name: _Builtin(name)
    for name in (
        "len",
        "sorted",
        "sum",
        "min",
        "max",
        "abs",
        "str",
        "int",
        "float",
        "round",
        "bool",
        "list",
        "tuple",
        "reversed",
    )
}

_STR_METHODS = frozenset(
    {
        "upper",
        "lower",
        "title",
        "capitalize",
        "strip",
        "lstrip",
        "rstrip",
        "replace",
        "split",
        "join",
        "count",
        "startswith",
        "endswith",
        "find",
        "index",
        "isdigit",
        "isalpha",
    }
)
_LIST_METHODS = frozenset({"count", "index"})


def _call_method(obj: Any, method: str, args: list[Any]) -> Any:
    obj = _plain(obj)
    if isinstance(obj, str) and method in _STR_METHODS:
        if method == "join":
            if len(args) != 1:
                raise TypeError("join() takes one argument")
            parts = _iter_items(args[0])
            if not all(isinstance(p, str) for p in parts):
                raise TypeError("join() needs strings")
            if sum(len(p) for p in parts) + len(obj) * len(parts) > _MAX_SIZE:
                raise _Unsupported("join too large")
            return obj.join(parts)
        args = [_plain(a) for a in args]
        if method == "replace" and len(args) >= 2:
            old, new = args[0], args[1]
            if isinstance(old, str) and isinstance(new, str):
                worst = (len(obj) + 1) * max(1, len(new))
                if worst > _MAX_SIZE and len(obj) + obj.count(old) * len(new) > _MAX_SIZE:
                    raise _Unsupported("replace too large")
        return getattr(obj, method)(*args)
    if isinstance(obj, (list, tuple)) and method in _LIST_METHODS:
        return getattr(obj, method)(*[_plain(a) for a in args])
    raise _Unsupported(f"method {method}")


class _Interpreter:
    """Evaluates a tiny, loop-free subset of Python: assignments, prints, expressions."""

    def __init__(self) -> None:
        self.env: dict[str, Any] = {}
        self.output: list[str] = []

    def run(self, module: ast.Module) -> Any:
        """Run the statements; return the value of a final bare expression (or None)."""
        last: Any = None
        for stmt in module.body:
            last = None
            if isinstance(stmt, ast.Assign):
                value = self.evaluate(stmt.value)
                for target in stmt.targets:
                    self.assign(target, value)
            elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
                current = self.lookup(stmt.target.id)
                self.env[stmt.target.id] = _bounded(
                    _binop(stmt.op, current, self.evaluate(stmt.value))
                )
            elif isinstance(stmt, ast.Expr):
                call = stmt.value
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Name)
                    and call.func.id == "print"
                ):
                    self.print(call)
                else:
                    last = self.evaluate(call)
            elif isinstance(stmt, ast.Pass):
                continue
            else:
                raise _Unsupported(type(stmt).__name__)
        return last

    def assign(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = _iter_items(value)
            if len(items) != len(target.elts):
                raise ValueError("unpacking mismatch")
            for sub, item in zip(target.elts, items, strict=True):
                self.assign(sub, item)
        else:
            raise _Unsupported("assignment target")

    def lookup(self, name: str) -> Any:
        if name in self.env:
            return self.env[name]
        if name in _BUILTINS:
            return _BUILTINS[name]
        raise NameError(name)

    def print(self, call: ast.Call) -> None:
        sep, end = " ", "\n"
        for kw in call.keywords:
            value = self.evaluate(kw.value)
            if kw.arg == "sep" and isinstance(value, str):
                sep = value
            elif kw.arg == "end" and isinstance(value, str):
                end = value
            else:
                raise _Unsupported("print keyword")
        parts: list[str] = []
        for arg in call.args:
            if isinstance(arg, ast.Starred):
                parts.extend(str(_plain(v)) for v in _iter_items(self.evaluate(arg.value)))
            else:
                parts.append(str(_plain(self.evaluate(arg))))
        self.output.append(sep.join(parts) + end)
        if sum(len(o) for o in self.output) > _MAX_SIZE:
            raise _Unsupported("too much output")

    def evaluate(self, node: ast.expr) -> Any:
        return _bounded(self._evaluate(node))

    def _evaluate(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (int, float, str, bool)) or node.value is None:
                return node.value
            raise _Unsupported("constant type")
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.List):
            return [self.evaluate(e) for e in node.elts]
        if isinstance(node, ast.Tuple):
            return tuple(self.evaluate(e) for e in node.elts)
        if isinstance(node, ast.Dict):
            out: dict[Any, Any] = {}
            for k, v in zip(node.keys, node.values, strict=True):
                if k is None:
                    raise _Unsupported("dict unpacking")
                out[self.evaluate(k)] = self.evaluate(v)
            return out
        if isinstance(node, ast.BinOp):
            return _binop(node.op, self.evaluate(node.left), self.evaluate(node.right))
        if isinstance(node, ast.UnaryOp):
            operand = _plain(self.evaluate(node.operand))
            if isinstance(node.op, ast.Not):
                return not operand
            if not isinstance(operand, (int, float)):
                raise TypeError("unary op on non-number")
            if isinstance(node.op, ast.USub):
                return -operand
            if isinstance(node.op, ast.UAdd):
                return +operand
            raise _Unsupported("unary op")
        if isinstance(node, ast.BoolOp):
            result: Any = None
            for value_node in node.values:
                result = self.evaluate(value_node)
                if isinstance(node.op, ast.And) and not result:
                    return result
                if isinstance(node.op, ast.Or) and result:
                    return result
            return result
        if isinstance(node, ast.Compare):
            left = self.evaluate(node.left)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = self.evaluate(right_node)
                if not _compare(op, left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            return (
                self.evaluate(node.body) if self.evaluate(node.test) else self.evaluate(node.orelse)
            )
        if isinstance(node, ast.Subscript):
            container = _plain(self.evaluate(node.value))
            if not isinstance(container, (str, list, tuple, dict)):
                raise TypeError("not subscriptable")
            if isinstance(node.slice, ast.Slice):
                if isinstance(container, dict):
                    raise TypeError("slice of dict")
                bounds = [
                    None if part is None else self.evaluate(part)
                    for part in (node.slice.lower, node.slice.upper, node.slice.step)
                ]
                if not all(b is None or isinstance(b, int) for b in bounds):
                    raise TypeError("slice bounds must be integers")
                return container[slice(*bounds)]
            index = self.evaluate(node.slice)
            return container[index]
        if isinstance(node, ast.Call):
            return self.call(node)
        raise _Unsupported(type(node).__name__)

    def call(self, node: ast.Call) -> Any:
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise _Unsupported("starred call")
        if any(kw.arg is None for kw in node.keywords):
            raise _Unsupported("** call")
        args = [self.evaluate(a) for a in node.args]
        kwargs = {str(kw.arg): self.evaluate(kw.value) for kw in node.keywords}
        if isinstance(node.func, ast.Name):
            func = self.lookup(node.func.id)
            if not isinstance(func, _Builtin):
                raise TypeError("not callable")
            return func.call(args, kwargs)
        if isinstance(node.func, ast.Attribute):
            if kwargs:
                raise _Unsupported("method keywords")
            return _call_method(self.evaluate(node.func.value), node.func.attr, args)
        raise _Unsupported("call target")


def _parse_code(source: str, mode: str = "exec") -> ast.AST:
    if len(source) > _MAX_CODE_CHARS:
        raise _Unsupported("code too long")
    tree = ast.parse(source, mode=mode)
    for count, _ in enumerate(ast.walk(tree), start=1):
        if count > _MAX_NODES:
            raise _Unsupported("code too big")
    return tree


def _eval_arithmetic(expr: str) -> float | int:
    tree = _parse_code(expr, mode="eval")
    assert isinstance(tree, ast.Expression)
    for node in ast.walk(tree.body):
        if not isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Constant, ast.operator, ast.unaryop)):
            raise _Unsupported("not plain arithmetic")
        if isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, (int, float))
        ):
            raise _Unsupported("not a number")
    value = _Interpreter().evaluate(tree.body)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise _Unsupported("not a number")
    return value


# ------------------------------------------------------------------ arithmetic

_ARITH_VERB_RE = re.compile(
    r"(?i)(?:\bwhat\s+is|\bwhat's|\bwhat\s+does|\bcompute|\bcalculate|\bevaluate|"
    r"\bwork\s+out|\bsolve|\bfind)\s+(?:the\s+value\s+of\s+)?(?P<rest>[^?\n]{1,200})"
)
_ARITH_WORDS = (
    (re.compile(r"(?i)\bmultiplied\s+by\b"), "*"),
    (re.compile(r"(?i)\btimes\b"), "*"),
    (re.compile(r"(?i)\bdivided\s+by\b"), "/"),
    (re.compile(r"(?i)\bplus\b"), "+"),
    (re.compile(r"(?i)\bminus\b"), "-"),
    (re.compile(r"(?i)\bmod(?:ulo)?\b"), "%"),
    (re.compile(r"(?<=\d)\s*[x×·]\s*(?=\d)"), " * "),
    (re.compile(r"÷"), "/"),
    (re.compile(r"−"), "-"),
)
_ARITH_CHARS_RE = re.compile(r"^[\d\s+\-*/%().]+$")
_REMAINDER_RE = re.compile(
    r"(?i)\bremainder\s+(?:when|of|after)\s+(-?\d+)\s+(?:is\s+)?divided\s+by\s+(-?\d+)"
)
_QUOTIENT_RE = re.compile(
    r"(?i)\b(?:integer|whole[- ]number|floor)\s+(?:quotient|division|part)\s+(?:of|when|for)\s+"
    r"(-?\d+)\s+(?:is\s+)?divided\s+by\s+(-?\d+)"
)


def _arith_expression(instruction: str) -> str | None:
    m = _REMAINDER_RE.search(instruction)
    if m:
        return f"({m.group(1)}) % ({m.group(2)})"
    m = _QUOTIENT_RE.search(instruction)
    if m:
        return f"({m.group(1)}) // ({m.group(2)})"
    for m in _ARITH_VERB_RE.finditer(instruction):
        rest = m.group("rest")
        rest = re.sub(r"\([^()\d]*[A-Za-z][^()]*\)", " ", rest)  # "(integer division)"
        rest = re.split(r"(?i)[,;:]|\b(?:rounded|round|give|answer|using|in\s+python)\b", rest)[0]
        for pattern, repl in _ARITH_WORDS:
            rest = pattern.sub(repl, rest)
        rest = rest.strip().rstrip(".= ").strip()
        if (
            rest
            and _ARITH_CHARS_RE.match(rest)
            and re.search(r"\d", rest)
            and re.search(r"\d\s*(?:\*\*|//|[-+*/%])\s*[-(\d]", rest)
        ):
            return rest
    return None


def _recognise_arithmetic(instruction: str) -> Verifier | None:
    expr = _arith_expression(instruction)
    if expr is None:
        return None
    expected = _eval_arithmetic(expr)
    exact = float(expected)
    if not math.isfinite(exact):
        return None
    is_int = isinstance(expected, int)

    def verify(response: str) -> bool | None:
        answer = _final_number(response)
        if answer is None:
            return None
        if is_int:
            return answer.value == exact
        return _matches_rounded(answer, exact, None) and answer.decimals >= min(
            2, _decimals_needed(exact)
        )

    return verify


def _decimals_needed(value: float) -> int:
    for places in range(0, 7):
        if _close(round(value, places), value):
            return places
    return 6


# ------------------------------------------------------------- unit conversion

_UNIT_ALIASES: dict[str, tuple[str, ...]] = {
    "km": ("kilometres", "kilometers", "kilometre", "kilometer", "km"),
    "mi": ("miles", "mile", "mi"),
    "m": ("metres", "meters", "metre", "meter", "m"),
    "ft": ("feet", "foot", "ft"),
    "kg": ("kilograms", "kilogram", "kilos", "kilo", "kg"),
    "lb": ("pounds", "pound", "lbs", "lb"),
    "g": ("grams", "gram", "g"),
    "oz": ("ounces", "ounce", "oz"),
    "C": (
        "degrees celsius",
        "degrees centigrade",
        "degrees c",
        "celsius",
        "centigrade",
        "°c",
        "º c",
        "° c",
        "ºc",
        "c",
    ),
    "F": ("degrees fahrenheit", "degrees f", "fahrenheit", "°f", "° f", "ºf", "º f", "f"),
    "h": ("hours", "hour", "hrs", "hr", "h"),
    "min": ("minutes", "minute", "mins", "min"),
    "s": ("seconds", "second", "secs", "sec", "s"),
    "L": ("litres", "liters", "litre", "liter", "l"),
    "gal": ("us gallons", "u.s. gallons", "us gallon", "gallons", "gallon", "gal"),
    "impgal": ("imperial gallons", "imperial gallon", "uk gallons", "uk gallon"),
}
_UNIT_FACTORS: dict[str, tuple[str, float]] = {
    "km": ("length", 1000.0),
    "mi": ("length", 1609.344),
    "m": ("length", 1.0),
    "ft": ("length", 0.3048),
    "kg": ("mass", 1.0),
    "lb": ("mass", 0.45359237),
    "g": ("mass", 0.001),
    "oz": ("mass", 0.028349523125),
    "h": ("time", 3600.0),
    "min": ("time", 60.0),
    "s": ("time", 1.0),
    "L": ("volume", 1.0),
    "gal": ("volume", 3.785411784),
    "impgal": ("volume", 4.54609),
}
_ALIAS_TO_UNIT = {alias: unit for unit, aliases in _UNIT_ALIASES.items() for alias in aliases}
_UNIT_ALT = "|".join(
    re.escape(a).replace(r"\ ", r"\s+") for a in sorted(_ALIAS_TO_UNIT, key=len, reverse=True)
)
_UNIT_TAIL = r"(?![a-z])"
_VALUE = r"(?<![\w.])(?P<val>[-−]?\d+(?:,\d{3})*(?:\.\d+)?)"
_CONVERT_RE = re.compile(
    _VALUE
    + r"\s*(?P<u1>"
    + _UNIT_ALT
    + r")"
    + _UNIT_TAIL
    + r"\s+(?:(?:to|into|in|as)\s+)(?:(?:the\s+)?(?:number\s+of\s+)?)(?P<u2>"
    + _UNIT_ALT
    + r")"
    + _UNIT_TAIL,
    re.I,
)
_HOW_MANY_UNITS_RE = re.compile(
    r"\bhow\s+many\s+(?P<u2>"
    + _UNIT_ALT
    + r")"
    + _UNIT_TAIL
    + r"\s+(?:are\s+there\s+in|are\s+in|is\s+in|are|is|in|make\s+up|equals?|make)\s+"
    + _VALUE
    + r"\s*(?P<u1>"
    + _UNIT_ALT
    + r")"
    + _UNIT_TAIL,
    re.I,
)
_PLACES_WORDS = {"zero": 0, "no": 0, "one": 1, "two": 2, "three": 3, "four": 4}
_DECIMAL_PLACES_RE = re.compile(r"(?i)\b(zero|no|one|two|three|four|\d)\s+decimal\s+places?\b")
_NEAREST_RE = re.compile(r"(?i)\bnearest\s+(?:whole\s+)?(\w+)")


def _norm_unit(alias: str) -> str | None:
    return _ALIAS_TO_UNIT.get(re.sub(r"\s+", " ", alias.lower()))


def _convert(value: float, source: str, target: str) -> float | None:
    if source == target:
        return None
    if {source, target} <= {"C", "F"}:
        return value * 9 / 5 + 32 if source == "C" else (value - 32) * 5 / 9
    if source in ("C", "F") or target in ("C", "F"):
        return None
    dim_1, f_1 = _UNIT_FACTORS[source]
    dim_2, f_2 = _UNIT_FACTORS[target]
    if dim_1 != dim_2:
        return None
    return value * f_1 / f_2


def _rounding_places(instruction: str) -> int | None:
    m = _DECIMAL_PLACES_RE.search(instruction)
    if m:
        word = m.group(1).lower()
        return int(word) if word.isdigit() else _PLACES_WORDS[word]
    m = _NEAREST_RE.search(instruction)
    if m:
        word = m.group(1).lower()
        for prefix, places in (("tenth", 1), ("hundredth", 2), ("thousandth", 3)):
            if word.startswith(prefix):
                return places
        return 0
    if re.search(r"(?i)\bwhole\s+number\b|\binteger\b", instruction):
        return 0
    return None


def _recognise_units(instruction: str) -> Verifier | None:
    m = _CONVERT_RE.search(instruction) or _HOW_MANY_UNITS_RE.search(instruction)
    if m is None:
        return None
    source, target = _norm_unit(m.group("u1")), _norm_unit(m.group("u2"))
    if source is None or target is None:
        return None
    value, _ = _parse_num(m.group("val"))
    exact = _convert(value, source, target)
    if exact is None or not math.isfinite(exact):
        return None
    places = _rounding_places(instruction)
    target_alt = "|".join(
        re.escape(a).replace(r"\ ", r"\s+")
        for a in sorted(_UNIT_ALIASES[target], key=len, reverse=True)
    )
    with_unit = re.compile(
        r"(?<![\w.,])(?P<num>" + _NUM_PATTERN + r")\s*(?:" + target_alt + r")" + _UNIT_TAIL,
        re.I,
    )

    def verify(response: str) -> bool | None:
        answer = _unit_answer(response, with_unit)
        if answer is None:
            return None
        return _matches_rounded(answer, exact, places)

    return verify


def _unit_answer(response: str, with_unit: re.Pattern[str]) -> _Num | None:
    found = []
    for m in with_unit.finditer(response):
        value, decimals = _parse_num(m.group("num"))
        found.append(_Num(value, decimals, m.start(), m.end()))
    markers = list(_ANSWER_MARKER_RE.finditer(response))
    if found:
        if markers:
            after = [n for n in found if n.start >= markers[-1].end()]
            if after:
                return after[0]
        return found[-1]
    return _final_number(response)


# --------------------------------------------------------------------- sorting

_DESCENDING_RE = re.compile(
    r"(?i)\b(?:descending|decreasing|largest\s+to\s+smallest|highest\s+to\s+lowest|"
    r"biggest\s+to\s+smallest|greatest\s+to\s+least|reverse\s+alphabetical|z\s*(?:to|-)\s*a)\b"
)
_SORT_RE = re.compile(
    r"(?i)\b(?:sort|order|arrange|rank|put|list|rearrange)\b[^\n]{0,120}?"
    r"\b(?:ascending|descending|increasing|decreasing|alphabetical(?:ly)?|order|"
    r"smallest|largest|lowest|highest|a\s*(?:to|-)\s*z|z\s*(?:to|-)\s*a)\b"
)
_LIST_NUM_RE = re.compile(r"(?<![\w.])[-−]?\d+(?:\.\d+)?(?![\d])")

_RUN_GAP_RE = re.compile(
    r"^[\s,;<≤>≥\[\](){}*`'\"|/]*(?:(?:and|then|&)[\s,;<≤>≥\[\](){}*`'\"|/]*){0,2}$", re.I
)


def _sort_items(instruction: str) -> list[str] | None:
    bracket = re.search(r"\[([^\[\]]{1,4000})\]", instruction)
    if bracket:
        body = bracket.group(1)
    elif ":" in instruction:
        body = instruction.rsplit(":", 1)[1]
    else:
        return None
    body = body.strip().rstrip(".!?").strip()
    parts = [p.strip().strip("'\"`") for p in re.split(r",|\band\b|\n", body)]
    items = [p for p in parts if p]
    if len(items) < 2 or len(items) > 500:
        return None
    return items


def _recognise_sorting(instruction: str) -> Verifier | None:
    if not _SORT_RE.search(instruction):
        return None
    items = _sort_items(instruction)
    if items is None:
        return None
    descending = bool(_DESCENDING_RE.search(instruction))
    if all(_LIST_NUM_RE.fullmatch(i) for i in items):
        values = [_parse_num(i)[0] for i in items]
        expected_num = sorted(values, reverse=descending)
        wanted = set(values)

        def tokens_num(text: str) -> list[tuple[int, int, Any]]:
            out = []
            for m in _LIST_NUM_RE.finditer(text):
                value = _parse_num(m.group(0))[0]
                if value in wanted:
                    out.append((m.start(), m.end(), value))
            return out

        return _list_verifier(tokens_num, expected_num)
    if not all(re.fullmatch(r"[A-Za-z][A-Za-z' -]{0,60}", i) for i in items):
        return None
    expected_words = sorted((i.lower() for i in items), reverse=descending)
    alternation = "|".join(
        re.escape(i).replace(r"\ ", r"\s+") for i in sorted(set(items), key=len, reverse=True)
    )
    word_re = re.compile(r"(?<![A-Za-z0-9])(?:" + alternation + r")(?![A-Za-z0-9])", re.I)

    def tokens_word(text: str) -> list[tuple[int, int, Any]]:
        return [
            (m.start(), m.end(), re.sub(r"\s+", " ", m.group(0).lower()))
            for m in word_re.finditer(text)
        ]

    return _list_verifier(tokens_word, expected_words)


def _list_verifier(
    tokenise: Callable[[str], list[tuple[int, int, Any]]], expected: Sequence[Any]
) -> Verifier:
    def verify(response: str) -> bool | None:
        text = _ENUM_RE.sub(" ", response)
        runs: list[list[Any]] = []
        previous_end = -1
        for start, end, value in tokenise(text):
            if runs and _RUN_GAP_RE.match(text[previous_end:start]):
                runs[-1].append(value)
            else:
                runs.append([value])
            previous_end = end
        runs = [r for r in runs if len(r) >= 2]
        if not runs:
            return None
        longest = max(len(r) for r in runs)
        final = [r for r in runs if len(r) == longest][-1]
        return final == list(expected)

    return verify


# -------------------------------------------------------------------- counting

_Q = r"['\"‘’“”`]?"
_LETTER_COUNT_RES = (
    re.compile(
        r"(?i)\bhow\s+many\s+times\s+(?:does|do|is|will)\s+(?:the\s+)?(?:letter|character)?\s*"
        + _Q
        + r"(?P<letter>[a-z])"
        + _Q
        + r"\s+(?:appear|occur|show\s+up|come\s+up|used)\w*\s+in\s+(?:the\s+)?(?:word\s+|name\s+|string\s+)?"
        + _Q
        + r"(?P<word>[a-z][a-z'-]{0,80})"
    ),
    re.compile(
        r"(?i)\bhow\s+many\s+(?:times\s+)?(?:letter\s+|of\s+the\s+letter\s+)?"
        + _Q
        + r"(?P<letter>[a-z])"
        + _Q
        + r"(?:'?s)?"
        + _Q
        + r"\s+(?:are|is|appear|occur)\w*\s+(?:there\s+)?in\s+(?:the\s+)?(?:word\s+|string\s+)?"
        + _Q
        + r"(?P<word>[a-z][a-z'-]{0,80})"
    ),
    re.compile(
        r"(?i)\bcount\s+(?:the\s+)?(?:number\s+of\s+)?(?:times\s+)?(?:the\s+)?(?:letter\s+)?"
        + _Q
        + r"(?P<letter>[a-z])"
        + _Q
        + r"(?:'s|s)?\s+(?:appears\s+)?in\s+(?:the\s+)?(?:word\s+)?"
        + _Q
        + r"(?P<word>[a-z][a-z'-]{0,80})"
    ),
)
_WORD_COUNT_RE = re.compile(
    r"(?i)\b(?:how\s+many\s+words\s+(?:are\s+)?(?:there\s+)?(?:in|does)|count\s+(?:the\s+)?words\s+in)"
    r"\s+(?:the|this)\s+(?:following\s+)?sentence(?:\s+(?:below|contain|have))?\s*[:?,.-]?\s*"
    r"(?:[\"“](?P<quoted>[^\"“”\n]{1,2000})[\"”]|(?P<bare>[^\n]{1,2000}))"
)
_WORD_TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")


def _recognise_counting(instruction: str) -> Verifier | None:
    expected: int | None = None
    for pattern in _LETTER_COUNT_RES:
        m = pattern.search(instruction)
        if m:
            letter, word = m.group("letter").lower(), m.group("word").lower()
            expected = word.count(letter)
            break
    if expected is None:
        m = _WORD_COUNT_RE.search(instruction)
        if m:
            sentence = m.group("quoted") or m.group("bare") or ""
            sentence = sentence.strip()
            if m.group("bare") is not None:
                sentence = sentence.strip("\"“”'")
            if not sentence:
                return None
            expected = len(_WORD_TOKEN_RE.findall(sentence))
    if expected is None:
        return None
    target = float(expected)

    def verify(response: str) -> bool | None:
        answer = _final_number(response)
        if answer is None:
            return None
        return answer.value == target

    return verify


# ------------------------------------------------------------------------ dates

_MONTHS = {
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
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
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
class _DateMention:
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

    def same_as(self, other: _DateMention) -> bool:
        if (self.month, self.day) != (other.month, other.day):
            return False
        return self.year is None or other.year is None or self.year == other.year


def _dates(text: str) -> list[_DateMention]:
    found: list[_DateMention] = []
    taken: set[int] = set()
    for pattern in _DATE_RES:
        for m in pattern.finditer(text):
            if not taken.isdisjoint(range(m.start(), m.end())):
                continue
            month = int(m.group("m")) if "m" in m.groupdict() else _MONTHS[m.group("mon")]
            day = int(m.group("d"))
            year = int(m.group("y")) if m.group("y") else None
            if not (1 <= month <= 12 and 1 <= day <= 31):
                continue
            found.append(_DateMention(m.start(), m.end(), year, month, day))
            taken.update(range(m.start(), m.end()))
    found.sort(key=lambda d: d.start)
    return found


def _without_dates(text: str) -> str:
    pieces = []
    last = 0
    for d in _dates(text):
        pieces.append(text[last : d.start])
        pieces.append(" ")
        last = d.end
    pieces.append(text[last:])
    return "".join(pieces)


_OFFSET_RE = re.compile(
    r"(?i)\b(?P<n>\d{1,5})\s+days?\s+(?P<dir>after|from|later\s+than|past|before|"
    r"earlier\s+than|prior\s+to|ahead\s+of)\s+"
)
_WEEKDAY_RE = re.compile(r"(?i)\b(" + "|".join(_WEEKDAYS) + r")\b")


def _full_dates(text: str) -> list[dt.date]:
    out = []
    for mention in _dates(text):
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


def _recognise_date(instruction: str) -> Verifier | None:
    dates = _full_dates(instruction)
    if not dates:
        return None
    if re.search(
        r"(?i)\bday\s+of\s+the\s+week\b|\bwhich\s+weekday\b|\bwhat\s+weekday\b", instruction
    ):
        if len(dates) != 1:
            return None
        weekday = _WEEKDAYS[_shifted(instruction, dates[0]).weekday()]

        def verify_weekday(response: str) -> bool | None:
            names = _WEEKDAY_RE.findall(response)
            if not names:
                return None
            markers = list(_ANSWER_MARKER_RE.finditer(response))
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
            answer = _final_number(_without_dates(response))
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
            mentions = _dates(response)
            if not mentions:
                return None
            markers = list(_ANSWER_MARKER_RE.finditer(response))
            chosen = mentions[-1]
            if markers:
                tail = [d for d in mentions if d.start >= markers[-1].end()]
                if tail:
                    chosen = tail[0]
            return chosen.full() == expected

        return verify_date
    return None


# ----------------------------------------------------------------- code output

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


def _recognise_code(instruction: str) -> Verifier | None:
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
        tree = _parse_code(source)
    except SyntaxError:
        return None
    assert isinstance(tree, ast.Module)
    if not tree.body:
        return None
    interpreter = _Interpreter()
    last = interpreter.run(tree)
    if interpreter.output:
        printed = "".join(interpreter.output).rstrip("\n")
        expected = [printed]
    elif isinstance(tree.body[-1], ast.Expr):
        value = _plain(last)
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


# --------------------------------------------------------------------- passages

_STOPWORDS = frozenset(
    re.findall(
        r"\S+",
        """
        a an the of to in on at for by with is are was were be been being does do did what which
        who whom whose when where how much many according memo invoice schedule passage notice
        text document above below this that it its there their they per please answer
        following read based given use using stated state say says said email letter note
        receipt timetable agenda reply and or as from into about
        """,
    )
)
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "sent": ("from", "sender", "author"),
    "send": ("from", "sender", "author"),
    "sender": ("from", "sender", "author"),
    "wrote": ("from", "author", "sender"),
    "written": ("from", "author", "sender"),
    "author": ("from", "author"),
    "signed": ("from", "signed"),
    "issued": ("from", "issued", "vendor", "issuer"),
    "recipient": ("to", "recipient"),
    "addressed": ("to", "recipient"),
    "where": ("location", "venue", "room", "place", "address", "hall", "building", "where"),
    "held": ("location", "venue", "room", "place", "where"),
    "located": ("location", "address", "where"),
    "venue": ("location", "venue", "place"),
    "when": ("date", "day", "time", "when", "start"),
    "date": ("date", "day"),
    "day": ("date", "day"),
    "time": ("time", "start", "begins", "starts"),
    "start": ("start", "starts", "begins", "time", "from"),
    "begin": ("start", "starts", "begins", "time"),
    "end": ("end", "ends", "finish", "until", "close"),
    "finish": ("end", "ends", "finish", "until"),
    "cost": ("total", "amount", "price", "cost", "fee", "charge"),
    "price": ("price", "cost", "each", "unit"),
    "pay": ("total", "amount", "due", "fee", "payment"),
    "paid": ("total", "amount", "paid", "payment"),
    "owe": ("total", "amount", "due", "balance"),
    "charged": ("total", "amount", "charge", "fee"),
    "total": ("total", "amount"),
    "deadline": ("due", "deadline", "by"),
    "due": ("due", "deadline"),
    "contact": ("contact", "phone", "ext", "call", "extension"),
    "call": ("contact", "phone", "call", "extension", "ext"),
    "phone": ("phone", "contact", "tel", "extension", "ext"),
    "lead": ("led", "lead", "by", "host", "instructor", "presenter", "speaker"),
    "leads": ("led", "lead", "by", "host", "instructor", "presenter", "speaker"),
    "teach": ("led", "by", "instructor", "teacher", "tutor"),
    "teaches": ("led", "by", "instructor", "teacher", "tutor"),
    "present": ("by", "presenter", "speaker", "led"),
    "presents": ("by", "presenter", "speaker", "led"),
    "host": ("host", "hosted", "by"),
    "hosts": ("host", "hosted", "by"),
    "run": ("led", "by", "run", "host"),
    "runs": ("led", "by", "run", "host"),
    "driver": ("driver", "driven", "by"),
    "approved": ("approved", "by", "approver"),
    "ordered": ("quantity", "qty", "ordered"),
    "quantity": ("quantity", "qty"),
}

_MONEY_RE = re.compile(
    r"(?:[$€£]\s?(?P<a>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?))"
    r"|(?<![\w.,])(?P<b>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?(?:USD|EUR|GBP|dollars|euros)\b"
)
_TIME_RE = re.compile(
    r"(?<![\d:])(?P<h>\d{1,2}):(?P<m>\d{2})(?![\d:])(?:\s*(?P<ap>[ap])\.?\s?m\b\.?)?"
    r"|(?<![\d:.])(?P<h2>\d{1,2})\s*(?P<ap2>[ap])\.?\s?m\b\.?",
    re.I,
)
_TITLE = r"(?:(?:Dr|Mr|Mrs|Ms|Mx|Prof)\.?\s+)?"
_NAME_WORD = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"
_PERSON_RE = re.compile(_TITLE + _NAME_WORD + r"(?:\s+(?:[A-Z]\.\s+)?" + _NAME_WORD + r"){1,2}")
_BY_PERSON_RE = re.compile(
    r"\b(?:by|with|from|contact|host(?:ed)?\s+by|led\s+by|presented\s+by)\s+(?P<name>"
    + _TITLE
    + _NAME_WORD
    + r"(?:\s+(?:[A-Z]\.\s+)?"
    + _NAME_WORD
    + r"){1,2})"
)
_PLACE_RE = re.compile(
    r"\b(?:Room|Hall|Building|Studio|Lab|Bay|Gate|Floor|Suite|Platform|Dock|Wing|Court|"
    r"Classroom|Auditorium|Theatre|Theater|Office|Desk|Pier|Field)\s+[A-Z0-9][\w-]*"
)
_KV_RE = re.compile(r"^\s*(?:[-*•]\s*)?(?P<key>[A-Za-z][^:\n]{0,60}?)\s*:\s+(?P<val>\S[^\n]*)$")
_NOT_NAMES = frozenset(
    {"room", "hall", "building", "the", "please", "note", "invoice", "memo", "total", "item"}
    | {m.lower() for m in _MONTHS}
    | set(_WEEKDAYS)
)


@dataclass(frozen=True)
class _Span:
    """A typed value found in text: its text and a comparable normal form."""

    text: str
    key: Any
    start: int
    end: int


def _stem(word: str) -> str:
    w = word.lower().strip("'’")
    if w.endswith(("'s", "’s")):
        w = w[:-2]
    for suffix, min_len in (("ing", 6), ("ies", 5), ("es", 5), ("ed", 5), ("s", 4)):
        if w.endswith(suffix) and len(w) >= min_len:
            return w[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return w


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?", text)


def _money_spans(text: str) -> list[_Span]:
    out = []
    for m in _MONEY_RE.finditer(text):
        raw = m.group("a") or m.group("b")
        out.append(_Span(m.group(0), round(float(raw.replace(",", "")), 2), m.start(), m.end()))
    return out


def _time_spans(text: str) -> list[_Span]:
    out = []
    for m in _TIME_RE.finditer(text):
        if m.group("h") is not None:
            hour, minute, ampm = int(m.group("h")), int(m.group("m")), m.group("ap")
        else:
            hour, minute, ampm = int(m.group("h2")), 0, m.group("ap2")
        if ampm:
            if not 1 <= hour <= 12:
                continue
            hour = hour % 12 + (12 if ampm.lower() == "p" else 0)
        if hour > 23 or minute > 59:
            continue
        out.append(_Span(m.group(0), (hour, minute), m.start(), m.end()))
    return out


def _date_spans(text: str) -> list[_Span]:
    return [_Span(text[d.start : d.end], d, d.start, d.end) for d in _dates(text)]


def _number_spans(text: str) -> list[_Span]:
    blocked = {
        i
        for s in _money_spans(text) + _time_spans(text) + _date_spans(text)
        for i in range(s.start, s.end)
    }
    out = []
    for n in _numbers(text):
        if not blocked.isdisjoint(range(n.start, n.end)):
            continue
        out.append(_Span(text[n.start : n.end], n.value, n.start, n.end))
    return out


def _person_spans(text: str) -> list[_Span]:
    out = [
        _Span(m.group("name"), _norm_text(m.group("name")), m.start("name"), m.end("name"))
        for m in _BY_PERSON_RE.finditer(text)
    ]
    covered = {i for s in out for i in range(s.start, s.end)}
    for m in _PERSON_RE.finditer(text):
        first = _words(m.group(0))[0].lower()
        if first in _NOT_NAMES or m.start() in covered:
            continue
        out.append(_Span(m.group(0), _norm_text(m.group(0)), m.start(), m.end()))
    return out


def _place_spans(text: str) -> list[_Span]:
    return [
        _Span(m.group(0), _norm_text(m.group(0)), m.start(), m.end())
        for m in _PLACE_RE.finditer(text)
    ]


def _norm_text(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


_SPAN_FINDERS: dict[str, Callable[[str], list[_Span]]] = {
    "money": _money_spans,
    "time": _time_spans,
    "date": _date_spans,
    "number": _number_spans,
    "person": _person_spans,
    "place": _place_spans,
}


_ANSWER_TYPES = (
    (
        "money",
        re.compile(
            r"\bhow\s+much\b|\b(?:cost|price|fee|charge[ds]?|subtotal|tax|total|amount|"
            r"balance|owe[ds]?|paid|pay)\b"
        ),
    ),
    ("number", re.compile(r"\bhow\s+many\b")),
    ("time", re.compile(r"\bwhat\s+time\b|\bat\s+what\s+time\b|\bwhich\s+time\b")),
    ("when", re.compile(r"\bdate\b|\bwhich\s+day\b|\bwhat\s+day\b|\bdeadline\b|\bwhen\b")),
    (
        "person",
        re.compile(
            r"\bwho\b|\bwhom\b|\bwhose\b|\bwhich\s+person\b|"
            r"\bname\s+of\s+the\s+(?:person|contact|sender|driver|host)\b"
        ),
    ),
    (
        "place",
        re.compile(
            r"\bwhere\b|\bwhich\s+(?:room|venue|building|hall|gate|platform|location|floor)\b|"
            r"\bwhat\s+(?:room|venue|location)\b"
        ),
    ),
)


def _answer_type(question: str) -> str:
    """What kind of value the question asks for (money, number, time, when, person, place)."""
    q = question.lower()
    for kind, pattern in _ANSWER_TYPES:
        if pattern.search(q):
            return kind
    return "generic"


def _split_kv(line: str) -> tuple[str, str] | None:
    m = _KV_RE.match(line)
    if m is None:
        return None
    return m.group("key"), m.group("val").strip()


def _question_and_passage(instruction: str) -> tuple[str, list[str]] | None:
    lines = [line.strip() for line in instruction.splitlines()]
    q_index = None
    for i, line in enumerate(lines):
        if re.match(r"(?i)^(?:question|q)\s*[:.)-]\s*\S", line):
            q_index = i
    if q_index is None:
        for i, line in enumerate(lines):
            if line.endswith("?") or "?" in line:
                q_index = i
    if q_index is None:
        return None
    question = re.sub(r"(?i)^(?:question|q)\s*[:.)-]\s*", "", lines[q_index])
    passage = [line for i, line in enumerate(lines) if i != q_index and line]
    if len(passage) < 2:
        return None
    return question, passage


def _find_typed(kind: str, text: str, question: str) -> list[_Span]:
    if kind == "when":
        spans = _date_spans(text) or _time_spans(text)
    elif kind == "generic":
        return []
    else:
        spans = _SPAN_FINDERS[kind](text)
    q_norm = f" {_norm_text(question)} "
    return [s for s in spans if f" {_norm_text(s.text)} " not in q_norm]


_HEAD_NOUN_RE = re.compile(
    r"(?i)^\s*(?:which|what)\s+(?:(?:is|are|was|were)\s+(?:the|its|their)\s+)?([A-Za-z]+)"
)


def _score_line(
    line: str, question_stems: set[str], synonym_stems: set[str], kind: str, question: str
) -> float:
    """How well a passage line matches the question: shared words (doubly so in a
    ``key:`` label, more again for the noun a which/what question asks about),
    synonyms of the question words, and holding a value of the type asked for."""
    kv = _split_kv(line)
    key_stems = {_stem(w) for w in _words(kv[0])} if kv else set()
    line_stems = {_stem(w) for w in _words(line)} - _STEM_STOPS
    score = 0.0
    score += len(question_stems & line_stems)
    score += 1.0 * len(question_stems & key_stems)
    score += 0.5 * len(synonym_stems & (line_stems | key_stems))
    head = _HEAD_NOUN_RE.match(question)
    if head and _stem(head.group(1)) in key_stems - _STEM_STOPS:
        score += 1.5
    if kind != "generic" and _find_typed(kind, kv[1] if kv else line, question):
        score += 1.0
    return score


_STEM_STOPS = frozenset(_stem(w) for w in _STOPWORDS)


def _recognise_passage(instruction: str) -> Verifier | None:
    if instruction.count("\n") < 2:
        return None
    split = _question_and_passage(instruction)
    if split is None:
        return None
    question, passage = split
    if not re.search(
        r"(?i)^\s*(?:what|which|who|whom|whose|when|where|how|on\s+what|at\s+what|according|in\s+which|by\s+when)\b",
        question,
    ):
        return None
    kind = _answer_type(question)
    q_words = [w.lower() for w in _words(question)]
    question_stems = {_stem(w) for w in q_words} - _STEM_STOPS
    synonym_stems = {_stem(s) for w in q_words for s in _SYNONYMS.get(w, ())}
    if "who" in q_words or "whom" in q_words:
        synonym_stems |= {_stem(s) for s in _SYNONYMS["lead"]}
    # A question asking for a time, a sum, a name... is answered by a line holding one.
    candidates = list(enumerate(passage))
    if kind != "generic":
        typed = [(i, line) for i, line in candidates if _find_typed(kind, line, question)]
        candidates = typed or candidates
    scored = [
        (_score_line(line, question_stems, synonym_stems, kind, question), -i, line)
        for i, line in candidates
    ]
    best_score, _, best = max(scored)
    if best_score <= 0:
        return None
    expected = _expected_from_line(best, kind, question)
    if expected is None:
        return None
    return _passage_verifier(expected, question)


def _expected_from_line(line: str, kind: str, question: str) -> tuple[str, Any] | None:
    """(answer kind, comparable value) that the best line gives for the question."""
    kv = _split_kv(line)
    value_text = kv[1] if kv else line
    q = question.lower()
    if kind != "generic":
        spans = _find_typed(kind, value_text, question) or (
            _find_typed(kind, line, question) if kv else []
        )
        if spans:
            later = re.search(
                r"\b(?:end|ends|finish|finishes|close|closes|until|total|last|return)\b", q
            )
            if kind == "money":
                first = re.search(r"\b(?:unit|each|per|price\s+of\s+one|single)\b", q)
                span = spans[0] if first else spans[-1]
            elif kind in ("time", "when") and later:
                span = spans[-1]
            else:
                span = spans[0]
            if kind in ("person", "place"):
                return "text", _norm_text(span.text)
            if kind == "when":
                return ("date" if isinstance(span.key, _DateMention) else "time"), span.key
            return kind, span.key
    if kv:
        value = re.split(r"\s+[(—–-]\s*|[;(]", kv[1])[0].strip().rstrip(".,;")
        if kind == "person":
            value = value.split(",")[0].strip()
        if value:
            return "text", _norm_text(value)
    return None


def _passage_verifier(expected: tuple[str, Any], question: str) -> Verifier:
    key_kind, want = expected

    def verify(response: str) -> bool | None:
        if key_kind == "text":
            got = _norm_text(response)
            if not got:
                return None
            return bool(want) and f" {want} " in f" {got} "
        if key_kind == "number":
            answer = _final_number(response)
            return None if answer is None else answer.value == want
        spans = _SPAN_FINDERS[key_kind](response)
        if not spans:
            return None
        if key_kind == "date":
            return any(s.key.same_as(want) for s in spans)
        if key_kind == "money":
            return any(abs(s.key - want) < 0.005 for s in spans)
        return any(s.key == want for s in spans)

    return verify
