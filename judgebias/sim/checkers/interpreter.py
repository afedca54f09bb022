"""A safe interpreter for tiny Python snippets and arithmetic: a whitelisted walk over
the AST (literals, arithmetic, comparisons, subscripts and slices, a few builtins and
``str`` methods) with every value's size bounded; never ``eval`` or ``exec``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from judgebias.sim.checkers.base import Unsupported

__all__ = ["Interpreter", "eval_arithmetic", "parse_code", "plain"]

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
    raise Unsupported(type(value).__name__)


def _bounded(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > _MAX_SIZE:
            raise Unsupported("integer too large")
    elif _size(value) > _MAX_SIZE:
        raise Unsupported("value too large")
    return value


def _iter_items(value: Any) -> list[Any]:
    if isinstance(value, _Reversed):
        return list(value.items)
    if isinstance(value, (list, tuple, str)):
        return list(value)
    if isinstance(value, dict):
        return list(value)
    raise Unsupported("not iterable")


def plain(value: Any) -> Any:
    """Reject values real Python would show as an object address (iterators)."""
    if isinstance(value, _Reversed):
        raise Unsupported("iterator used as a value")
    return value


def _safe_pow(base: Any, exp: Any) -> Any:
    if not isinstance(base, (int, float)) or not isinstance(exp, (int, float)):
        raise Unsupported("pow on non-numbers")
    if isinstance(base, int) and isinstance(exp, int) and exp >= 0:
        if abs(base) > 1 and exp * max(1, abs(base).bit_length()) > _MAX_SIZE:
            raise Unsupported("power too large")
        return base**exp
    if abs(exp) > 10_000:
        raise Unsupported("exponent too large")
    result = base**exp  # a float here; OverflowError / ZeroDivisionError mean None
    if isinstance(result, complex):
        raise Unsupported("complex result")
    return result


def _safe_mult(left: Any, right: Any) -> Any:
    if isinstance(left, int) and isinstance(right, (str, list, tuple)):
        left, right = right, left
    if isinstance(left, (str, list, tuple)) and isinstance(right, int):
        if max(right, 0) * _size(left) > _MAX_SIZE:
            raise Unsupported("repetition too large")
        return left * right
    if (
        isinstance(left, int)
        and isinstance(right, int)
        and left.bit_length() + right.bit_length() > _MAX_SIZE
    ):
        raise Unsupported("product too large")
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left * right
    raise Unsupported("unsupported *")


def _binop(op: ast.operator, left: Any, right: Any) -> Any:
    left, right = plain(left), plain(right)
    numeric = isinstance(left, (int, float)) and isinstance(right, (int, float))
    if isinstance(op, ast.Add):
        if numeric or (type(left) is type(right) and isinstance(left, (str, list, tuple))):
            if not numeric and _size(left) + _size(right) > _MAX_SIZE:
                raise Unsupported("concatenation too large")
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
    raise Unsupported(type(op).__name__)


def _compare(op: ast.cmpop, left: Any, right: Any) -> bool:
    left, right = plain(left), plain(right)
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
    raise Unsupported(type(op).__name__)


def _key_function(value: Any) -> Callable[[Any], Any] | None:
    if value is None:
        return None
    if isinstance(value, _Builtin):
        return lambda item: value.call([item], {})
    raise Unsupported("unsupported key function")


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
                raise Unsupported("keyword")
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
            raise Unsupported("keyword")
        args = [plain(a) for a in args]
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
                raise Unsupported("int() of a long string")
            return int(args[0]) if args else 0
        if name == "float" and len(args) <= 1:
            return float(args[0]) if args else 0.0
        if name == "round" and 1 <= len(args) <= 2:
            if len(args) == 2 and not (isinstance(args[1], int) and abs(args[1]) <= 100):
                raise Unsupported("round() to too many places")
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
    obj = plain(obj)
    if isinstance(obj, str) and method in _STR_METHODS:
        if method == "join":
            if len(args) != 1:
                raise TypeError("join() takes one argument")
            parts = _iter_items(args[0])
            if not all(isinstance(p, str) for p in parts):
                raise TypeError("join() needs strings")
            if sum(len(p) for p in parts) + len(obj) * len(parts) > _MAX_SIZE:
                raise Unsupported("join too large")
            return obj.join(parts)
        args = [plain(a) for a in args]
        if method == "replace" and len(args) >= 2:
            old, new = args[0], args[1]
            if isinstance(old, str) and isinstance(new, str):
                worst = (len(obj) + 1) * max(1, len(new))
                if worst > _MAX_SIZE and len(obj) + obj.count(old) * len(new) > _MAX_SIZE:
                    raise Unsupported("replace too large")
        return getattr(obj, method)(*args)
    if isinstance(obj, (list, tuple)) and method in _LIST_METHODS:
        return getattr(obj, method)(*[plain(a) for a in args])
    raise Unsupported(f"method {method}")


class Interpreter:
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
                raise Unsupported(type(stmt).__name__)
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
            raise Unsupported("assignment target")

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
                raise Unsupported("print keyword")
        parts: list[str] = []
        for arg in call.args:
            if isinstance(arg, ast.Starred):
                parts.extend(str(plain(v)) for v in _iter_items(self.evaluate(arg.value)))
            else:
                parts.append(str(plain(self.evaluate(arg))))
        self.output.append(sep.join(parts) + end)
        if sum(len(o) for o in self.output) > _MAX_SIZE:
            raise Unsupported("too much output")

    def evaluate(self, node: ast.expr) -> Any:
        return _bounded(self._evaluate(node))

    def _evaluate(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (int, float, str, bool)) or node.value is None:
                return node.value
            raise Unsupported("constant type")
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
                    raise Unsupported("dict unpacking")
                out[self.evaluate(k)] = self.evaluate(v)
            return out
        if isinstance(node, ast.BinOp):
            return _binop(node.op, self.evaluate(node.left), self.evaluate(node.right))
        if isinstance(node, ast.UnaryOp):
            operand = plain(self.evaluate(node.operand))
            if isinstance(node.op, ast.Not):
                return not operand
            if not isinstance(operand, (int, float)):
                raise TypeError("unary op on non-number")
            if isinstance(node.op, ast.USub):
                return -operand
            if isinstance(node.op, ast.UAdd):
                return +operand
            raise Unsupported("unary op")
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
            container = plain(self.evaluate(node.value))
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
        raise Unsupported(type(node).__name__)

    def call(self, node: ast.Call) -> Any:
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise Unsupported("starred call")
        if any(kw.arg is None for kw in node.keywords):
            raise Unsupported("** call")
        args = [self.evaluate(a) for a in node.args]
        kwargs = {str(kw.arg): self.evaluate(kw.value) for kw in node.keywords}
        if isinstance(node.func, ast.Name):
            func = self.lookup(node.func.id)
            if not isinstance(func, _Builtin):
                raise TypeError("not callable")
            return func.call(args, kwargs)
        if isinstance(node.func, ast.Attribute):
            if kwargs:
                raise Unsupported("method keywords")
            return _call_method(self.evaluate(node.func.value), node.func.attr, args)
        raise Unsupported("call target")


def parse_code(source: str, mode: str = "exec") -> ast.AST:
    if len(source) > _MAX_CODE_CHARS:
        raise Unsupported("code too long")
    tree = ast.parse(source, mode=mode)
    for count, _ in enumerate(ast.walk(tree), start=1):
        if count > _MAX_NODES:
            raise Unsupported("code too big")
    return tree


def eval_arithmetic(expr: str) -> float | int:
    tree = parse_code(expr, mode="eval")
    assert isinstance(tree, ast.Expression)
    for node in ast.walk(tree.body):
        if not isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Constant, ast.operator, ast.unaryop)):
            raise Unsupported("not plain arithmetic")
        if isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, (int, float))
        ):
            raise Unsupported("not a number")
    value = Interpreter().evaluate(tree.body)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise Unsupported("not a number")
    return value
