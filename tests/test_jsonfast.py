"""The calling path's JSON is the standard library's, byte for byte where it is kept.

A store's keys are SHA-256 hashes of each request's canonical JSON: if the faster
encoder spelt one value differently, every answer stored by an earlier version would be
asked again. These tests compare with ``json`` itself on the values orjson spells its
own way (small floats, NaN, infinities), on what it refuses (integers beyond 64 bits,
lone surrogates, keys that are not strings) and on random nested values.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
import random
from typing import Any

import pytest

from judgebias.jsonfast import canonical, dumps, loads
from judgebias.types import ChatRequest, Completion, Constraint


def _reference(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    k = rng.random()
    if depth > 3 or k < 0.4:
        return rng.choice(
            [
                rng.random() * 10 ** rng.randint(-12, 22) * rng.choice([1, -1]),
                rng.randint(-(2**63), 2**63 - 1),
                "".join(chr(rng.randrange(0, 0xD800)) for _ in range(rng.randint(0, 8))),
                None,
                True,
                False,
                math.nan,
                -math.inf,
                0.0,
                -0.0,
            ]
        )
    if k < 0.7:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {
        "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randint(0, 3))): (
            _random_value(rng, depth + 1)
        )
        for _ in range(rng.randint(0, 4))
    }


class _Small(enum.IntEnum):
    ONE = 1


@pytest.mark.parametrize(
    "value",
    [
        1e-05,
        [1e-07, {"t": math.nan}],
        {"a": math.inf, "b": -math.inf, "c": 1e16, "d": 1.5e300, "e": 5e-324},
        2**70,  # beyond 64 bits: orjson refuses it
        {"k": "\ud800"},  # a lone surrogate
        {1: 2, "1": 3},  # a key that is not a string
        {"e": _Small.ONE},
        {"controls": "".join(chr(i) for i in range(0x20)) + '"\\\x7f\u2028\U0001f600'},
        {"z": (1.0, 2, [3.5e-9, {"y": -0.0}])},
    ],
)
def test_canonical_is_the_standard_librarys_bytes(value: Any) -> None:
    try:
        expected: bytes | type[Exception] = _reference(value)
    except Exception as exc:  # the standard library's failure stays the failure
        expected = type(exc)
    if isinstance(expected, bytes):
        assert canonical(value) == expected
        assert dumps(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    else:
        with pytest.raises(expected):
            canonical(value)


def test_random_values_are_spelt_as_the_standard_library_spells_them() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        value = _random_value(rng)
        assert canonical(value) == _reference(value), value
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        assert dumps(value) == plain, value
        # read back alike (compared as text, where NaN equals NaN)
        assert json.dumps(loads(dumps(value))) == json.dumps(json.loads(plain)), value


def test_a_requests_key_is_the_hash_of_the_standard_librarys_json() -> None:
    requests = [
        ChatRequest(model="m", messages=(("system", "s\n"), ("user", "é \U0001f600 \x01"))),
        ChatRequest(model="m", messages=(("user", "u"),), temperature=1e-05, seed=2**40),
        ChatRequest(
            model="m",
            messages=(("user", "u"),),
            temperature=0.7,
            max_tokens=16,
            logprobs=True,
            top_logprobs=5,
            reasoning_effort="low",
            constraint=Constraint(kind="json", dialect="vllm", labels=("A", "B", "C")),
        ),
    ]
    for r in requests:
        text = _reference(r.as_dict())
        assert r.canonical_json.encode() == text
        assert r.key() == hashlib.sha256(text).hexdigest()


def test_stored_answers_keep_nan_and_infinite_logprobs() -> None:
    c = Completion(
        text="[[A]]",
        top_logprobs=(("A", -math.inf), ("B", -0.1)),
        logprob_steps=(("A", 1e-07, (("A", -math.inf), ("B", math.nan))),),
        cost_usd=1e-06,
    )
    back = Completion.from_dict(loads(dumps(c.as_dict())))
    assert back.top_logprobs == c.top_logprobs
    assert back.cost_usd == 1e-06
    assert back.logprob_steps is not None and math.isnan(back.logprob_steps[0][2][1][1])


def test_what_orjson_will_not_read_the_standard_library_reads() -> None:
    assert loads(b'{"a":-Infinity,"b":123456789012345678901234567890}') == {
        "a": -math.inf,
        "b": 123456789012345678901234567890,
    }
    with pytest.raises(ValueError):
        loads(b'{"a":')
