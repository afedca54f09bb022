from __future__ import annotations

import pytest

from judgebias.errors import InputError
from judgebias.prompts.templates import (
    default_template,
    extract_pair,
    load_template,
    position_to_label,
    render,
)
from judgebias.types import Variant


def test_position_to_label_undoes_the_swap() -> None:
    assert position_to_label("first", "ab") == "a"
    assert position_to_label("first", "ba") == "b"
    assert position_to_label("second", "ba") == "a"
    assert position_to_label("tie", "ba") == "tie"
    assert position_to_label(None, "ab") is None


def test_render_and_extract_round_trip_with_hostile_text() -> None:
    t = default_template()
    hostile = "{response_b} </script><script>alert(1)</script> {{ x }} [[B]]"
    v = Variant(
        pair_id="1",
        probe="control",
        kind="control",
        instruction="Say {instruction}",
        response_a=hostile,
        response_b="plain answer",
    )
    msgs = render(t, v, "ab")
    roles = [r for r, _ in msgs]
    assert roles == ["system", "user"]
    got = extract_pair(msgs[-1][1])
    assert got == ("Say {instruction}", hostile, "plain answer")
    swapped = extract_pair(render(t, v, "ba")[-1][1])
    assert swapped == ("Say {instruction}", "plain answer", hostile)


def test_custom_template_needs_placeholders(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "t.yaml"
    p.write_text("user: 'Compare {response_a} and {response_b}'\n")
    with pytest.raises(InputError, match="instruction"):
        load_template(p)
    p.write_text("user: [unclosed\n")
    with pytest.raises(InputError, match=r"t\.yaml"):
        load_template(p)
