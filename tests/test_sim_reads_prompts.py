"""The simulated judge finds what it reads (the pair, the anchor, the response to rewrite,
the chain-of-thought request) through definitions that the prompts package owns, so a
change of template wording changes what the sim looks for too."""

from __future__ import annotations

import ast
import dataclasses
import re

from conftest import REPO

from judgebias.probes.catalog import builtin_probes
from judgebias.prompts.pointwise import anchor_grade, single_template
from judgebias.prompts.rewrite import extract_rewrite, render_rewrite
from judgebias.prompts.templates import COT_MARKER, resolve_template


def test_the_anchor_is_read_through_the_templates_own_text() -> None:
    t = single_template(None)
    note = t.anchor.format(score="9")
    assert anchor_grade(note) == "9"
    assert anchor_grade(t.anchor_placebo) is None
    reworded = dataclasses.replace(t, anchor="Another answer got {score} here.")
    assert anchor_grade("Another answer got 2 here.", reworded) == "2"
    # the bundled reader does not know the new wording: it is the template, not the sim,
    # that says what an anchor looks like
    assert anchor_grade("Another answer got 2 here.") is None


def test_the_rewrite_frame_round_trips() -> None:
    answer = "First line.\n\n[[A]] and more\nlast line"
    head, found = extract_rewrite(render_rewrite("Paraphrase it.", "Why?", answer)) or ("", "")
    assert found == answer and head.startswith("Paraphrase it.")
    assert extract_rewrite("Which response is better? [[A]] or [[B]]") is None


def test_the_cot_template_carries_the_marker_the_sim_looks_for() -> None:
    def head(t: object) -> str:
        return str(getattr(t, "system", "")) + str(getattr(t, "user", "")).split("{", 1)[0]

    assert COT_MARKER in str(resolve_template("cot").system) + str(resolve_template("cot").user)
    assert COT_MARKER not in head(resolve_template(None))
    assert builtin_probes()  # the probes load with the templates from probes/


def trigrams(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z]+", text.lower())
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def test_no_sim_pattern_spells_prompt_wording() -> None:
    """No regular expression in sim/ shares three words in a row with a bundled template:
    the pattern ``was graded (\\w+) on this scale`` that the sim once used to find the
    anchor would be caught ("on this scale"). The sim's own answers may use any words;
    what it *looks for* in a prompt comes from the prompts package."""
    templates = set().union(
        *(trigrams(p.read_text()) for p in (REPO / "probes" / "templates").glob("*.yaml"))
    )
    assert trigrams(r"was graded (\w+) on this scale") & templates
    found = []
    for path in (REPO / "judgebias" / "sim").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                shared = trigrams(node.args[0].value) & templates
                if shared:
                    found.append(f"{path.name}:{node.lineno} shares {sorted(shared)[0]}")
    assert found == []
