"""The ``python`` backend: a Python function as the judge.

``--judge python:MODULE:FUNC`` (``MODULE`` importable from the current directory or the
environment; ``FUNC`` a function or any callable, a dotted name for an attribute), or
``judgebias.audit(judge=fn)``. The function is called with the texts of each request,
never the rendered prompt:

- a pair: ``fn(instruction, response_a, response_b)``, where ``response_a`` is the answer
  *shown first* in that request (each pair is asked in both orders, so the function
  receives each answer first once: a function that prefers its first argument has a
  position bias, and the audit measures it);
- several answers (``--candidates 3|4``): ``fn(instruction, responses)``, the list in
  the order shown;
- one answer graded alone (``--format single``): ``fn(instruction, response)``, plus
  ``scale=`` (the grades from worst to best, e.g. ``("E", "D", "C", "B", "A")``) when
  the function takes a ``scale`` argument; without one, the conditions graded on
  another scale than 1-10 are unreadable (they are never guessed).

Every probe's perturbation reaches the function through these texts: an edited answer
is the answer it receives, and a note a probe adds to the prompt (a bandwagon
statement, an anchor grade, a system note) is appended to the instruction after a
blank line. What it may return is in :mod:`judgebias.judges.python_returns`.

The function may be sync (run in a worker thread) or async. The runner gives it what it
gives every backend: ``--concurrency``, the store's cache (the key holds the function's
qualified name, its ``version`` and the inputs: set ``fn.version = "2"``, or
``python:MODULE:FUNC,version=2``, when the function changes), ``--timeout`` and retries.
An exception raised by the function is recorded with its message as a failed call
(``FunctionError``; never a traceback on the console) and is not retried, unless it is
a provider's or a connection's error (an HTTP status, a timeout, a dropped connection),
which is retried like any backend's.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import sys
from collections.abc import Callable
from typing import Any

from judgebias.errors import BackendError, SpecError, TimeoutError_
from judgebias.judges.base import JudgeOptions
from judgebias.judges.errors import map_exception
from judgebias.judges.python_returns import listwise_answer, pairwise_answer, pointwise_answer
from judgebias.judges.python_texts import read_request
from judgebias.types import ChatRequest, Completion

__all__ = ["FunctionError", "PythonJudge", "function_spec"]

_FUNCTIONS: dict[str, Callable[..., Any]] = {}
"""Functions handed over in this process (``audit(judge=fn)``), by ``MODULE:QUALNAME``:
found even when they cannot be imported (a notebook's function, a closure)."""

_PROVIDER_PACKAGES = ("openai", "httpx", "aiohttp", "litellm", "anthropic", "requests")


class FunctionError(BackendError):
    """The judge function raised (not retried: a bug does not go away on a second try)."""


def _name_of(fn: Callable[..., Any]) -> tuple[str, str]:
    module = getattr(fn, "__module__", None) or type(fn).__module__
    qual = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    return str(module), str(qual)


def function_spec(fn: Callable[..., Any], version: str | None = None) -> str:
    """The judge spec of ``fn`` (``python:MODULE:QUALNAME[,version=V]``), registered in this
    process so that the audit finds the very function even when it cannot be imported.
    ``version`` defaults to the function's ``version`` attribute."""
    if not callable(fn):
        raise SpecError(f"judge: {fn!r} is neither a judge spec nor a callable")
    module, qual = _name_of(fn)
    _FUNCTIONS[f"{module}:{qual}"] = fn
    version = version if version is not None else getattr(fn, "version", None)
    return f"python:{module}:{qual}" + (f",version={version}" if version else "")


def _parse(rest: str) -> tuple[str, str, str | None]:
    head, *keys = [p.strip() for p in rest.split(",")]
    module, _, qual = head.partition(":")
    if not module or not qual:
        raise SpecError(
            f"--judge python:{rest}: give the function as python:MODULE:FUNC "
            "(e.g. python:my_judges:judge_pair)"
        )
    version: str | None = None
    for kv in keys:
        key, sep, value = kv.partition("=")
        if key.strip() != "version" or not sep or not value.strip():
            raise SpecError(
                f"--judge python:{rest}: unknown option '{kv}'; the one option is version=V"
            )
        version = value.strip()
    return module, qual, version


def _load(module: str, qual: str) -> Callable[..., Any]:
    found = _FUNCTIONS.get(f"{module}:{qual}")
    if found is not None:
        return found
    if os.getcwd() not in sys.path:  # as `python -m` would: the user's own modules
        sys.path.insert(0, os.getcwd())
    try:
        obj: Any = importlib.import_module(module)
    except ImportError as exc:
        raise SpecError(f"--judge python:{module}:{qual}: cannot import {module} ({exc})") from None
    except Exception as exc:  # the module itself failed while importing
        raise SpecError(
            f"--judge python:{module}:{qual}: importing {module} raised {type(exc).__name__}: {exc}"
        ) from None
    for part in qual.split("."):
        if not hasattr(obj, part):
            raise SpecError(f"--judge python:{module}:{qual}: {module} has no '{qual}'")
        obj = getattr(obj, part)
    if not callable(obj):
        raise SpecError(f"--judge python:{module}:{qual}: '{qual}' is not callable")
    return obj


def _error(name: str, exc: Exception) -> BackendError:
    """A provider's or a connection's error is retried like any backend's; anything else
    the function raised is recorded once, with its message."""
    status = getattr(exc, "status_code", None) or getattr(exc, "status", None)
    package = type(exc).__module__.split(".")[0]
    if (
        isinstance(status, int)
        or isinstance(exc, TimeoutError | asyncio.TimeoutError | ConnectionError)
        or package in _PROVIDER_PACKAGES
    ):
        return map_exception(exc)
    message = " ".join(str(exc).split())[:300]
    return FunctionError(
        f"{name} raised {type(exc).__name__}" + (f": {message}" if message else "")
    )


class PythonJudge:
    """``python:MODULE:FUNC[,version=V]``: a Python function (sync or async) as the judge."""

    def __init__(self, rest: str, options: JudgeOptions):
        module, qual, version = _parse(rest)
        self.fn = _load(module, qual)
        version = version or getattr(self.fn, "version", None)
        self.spec = f"python:{module}:{qual}" + (f",version={version}" if version else "")
        # the model name is part of every request's cache key: name, version, then inputs
        self.model = f"python:{module}.{qual}" + (f"@{version}" if version else "")
        self.name = f"{module}.{qual}"
        self.timeout = options.timeout
        try:
            self._signature: inspect.Signature | None = inspect.signature(self.fn)
        except (TypeError, ValueError):
            self._signature = None
        call = getattr(self.fn, "__call__", None)  # noqa: B004 (a callable object's method)
        self._is_async = inspect.iscoroutinefunction(self.fn) or inspect.iscoroutinefunction(call)

    def _takes(self, name: str) -> bool:
        if self._signature is None:
            return False
        params = self._signature.parameters.values()
        return any(p.name == name or p.kind is p.VAR_KEYWORD for p in params)

    def _check_call(self, args: tuple[Any, ...], kwargs: dict[str, Any], shape: str) -> None:
        if self._signature is None:
            return
        try:
            self._signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise FunctionError(
                f"{self.name}{self._signature} cannot be called as {shape} ({exc})"
            ) from None

    async def _call(self, *args: Any, **kwargs: Any) -> Any:
        try:
            if self._is_async:
                result = self.fn(*args, **kwargs)
            else:
                result = asyncio.to_thread(self.fn, *args, **kwargs)
            value = await asyncio.wait_for(result, self.timeout)
            if inspect.isawaitable(value):  # a sync wrapper that returned a coroutine
                value = await asyncio.wait_for(value, self.timeout)
            return value
        except (asyncio.TimeoutError, TimeoutError):
            raise TimeoutError_(f"{self.name} did not return within {self.timeout:g} s") from None
        except BackendError:
            raise
        except Exception as exc:
            raise _error(self.name, exc) from None

    async def complete(self, request: ChatRequest) -> Completion:
        seen = read_request(request)
        if seen is None:
            raise FunctionError(
                f"{self.name}: a Python judge only judges, and this request is not a judging "
                "prompt (the self probe asks the judge model for its own answers: give them "
                "with --self-answers FILE)"
            )
        if seen.kind == "pair":
            args: tuple[Any, ...] = (seen.instruction, seen.responses[0], seen.responses[1])
            self._check_call(args, {}, "fn(instruction, response_a, response_b)")
            return pairwise_answer(await self._call(*args))
        if seen.kind == "list":
            args = (seen.instruction, list(seen.responses))
            self._check_call(args, {}, "fn(instruction, responses)")
            return listwise_answer(await self._call(*args), len(seen.responses))
        args = (seen.instruction, seen.responses[0])
        kwargs: dict[str, Any] = {"scale": seen.scale} if self._takes("scale") else {}
        self._check_call(args, kwargs, "fn(instruction, response)")
        if not kwargs and seen.scale != tuple(str(i) for i in range(1, 11)):
            # not called: its 1-10 grade would be misread on this scale
            why = f"{self.name} takes no scale argument; not asked to grade on {seen.scale}"
            return Completion(text=why, finish_reason="stop")
        return pointwise_answer(await self._call(*args, **kwargs), seen.scale)

    async def aclose(self) -> None:
        return None
