"""JSON on the calling path, through orjson, spelt as the standard library spells it.

Every judge call encodes its request twice (the store's key, the HTTP body) and decodes
an answer; at hundreds of calls a second the standard library's encoder was a tenth of
the client's CPU. orjson does the same work several times faster, but spells a few
values differently: ``1e-05`` as ``0.00001``, NaN and the infinities as ``null``. Here
every float is written as :func:`json.dumps` writes it (an :class:`orjson.Fragment`
of its ``repr``), so :func:`canonical` is byte for byte the standard library's
``json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))`` and the
store's keys do not change. Whatever orjson refuses (an integer beyond 64 bits, a lone
surrogate, a key that is not a string, a type it does not know) goes to the standard
library, which then answers or fails as it always did.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

__all__ = ["canonical", "dumps", "loads"]

_PASSTHROUGH = (
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)
"""Types the standard library cannot encode are refused, not encoded by orjson."""


def _float(x: float) -> orjson.Fragment:
    if math.isfinite(x):
        return orjson.Fragment(float.__repr__(x))
    return orjson.Fragment("NaN" if x != x else ("Infinity" if x > 0 else "-Infinity"))


_SCALARS = frozenset((str, int, bool, type(None)))


def _spelt(obj: Any) -> Any:
    """``obj`` with every float replaced by its standard-library spelling; a container
    of scalars other than floats is returned as it is."""
    t = type(obj)
    if t is float:
        return _float(obj)
    if t is dict:
        for v in obj.values():
            if type(v) not in _SCALARS:
                return {k: _spelt(v) for k, v in obj.items()}
        return obj
    if t is list or t is tuple:
        for v in obj:
            if type(v) not in _SCALARS:
                return [_spelt(v) for v in obj]
        return obj
    return obj  # anything else: orjson refuses it (passthrough) or spells it as json does


def _encode(obj: Any, sort_keys: bool) -> bytes:
    try:
        option = _PASSTHROUGH | (orjson.OPT_SORT_KEYS if sort_keys else 0)
        return orjson.dumps(_spelt(obj), option=option)
    except (TypeError, orjson.JSONEncodeError):
        text = json.dumps(obj, sort_keys=sort_keys, ensure_ascii=False, separators=(",", ":"))
        return text.encode("utf-8")


def canonical(obj: Any) -> bytes:
    """UTF-8 bytes of ``json.dumps(obj, sort_keys=True, ensure_ascii=False,
    separators=(",", ":"))``: the form the store keeps and hashes into keys."""
    return _encode(obj, sort_keys=True)


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON of ``obj``, keys in their order, each value spelt as
    :func:`json.dumps` spells it: what is sent, stored and read back."""
    return _encode(obj, sort_keys=False)


def loads(data: bytes | str) -> Any:
    """Parse JSON; what orjson refuses but the standard library reads (``NaN``,
    ``Infinity``, integers beyond 64 bits) is read by the standard library, and JSON
    neither reads raises :class:`json.JSONDecodeError` (a ``ValueError``)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)
