"""The one "did you mean" helper that every lookup of a user-given name uses."""

from __future__ import annotations

from judgebias.registry import closest, did_you_mean


def test_did_you_mean() -> None:
    assert did_you_mean("lenght", ["length", "position"]) == " (did you mean 'length'?)"
    assert did_you_mean("Gold", ["gold"], ignore_case=True, inline=True) == "; did you mean 'gold'?"
    assert did_you_mean("zzz", ["length"]) == ""
    assert closest("postion", ("position", "length")) == "position"
    assert closest("abc", ["xyz"]) is None
    assert closest("GOLD", ["Gold", "gold"], ignore_case=True) == "Gold"
