"""The import graph of judgebias has no cycle, and data flows one way.

Every import counts, those inside functions too: a deferred import that closes a
circle is still a circle (it only moves the failure from import time to call time).
Imports under ``if TYPE_CHECKING:`` are left out: they never run.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter

import pytest
from conftest import REPO

PACKAGE = REPO / "judgebias"


def module_name(path):  # type: ignore[no-untyped-def]
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def module_imports(path) -> set[str]:  # type: ignore[no-untyped-def]
    """The judgebias modules ``path`` imports, at module level or inside functions."""
    name = module_name(path)
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("judgebias"))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    target = ".".join([*base[: len(base) - node.level + 1], node.module or ""])
                else:
                    target = node.module or ""
                target = target.rstrip(".")
                if not target.startswith("judgebias"):
                    continue
                for alias in node.names:  # `from . import cli_stats` imports a module
                    sub = f"{target}.{alias.name}"
                    found.add(
                        sub
                        if (REPO / sub.replace(".", "/")).exists()
                        or (REPO / (sub.replace(".", "/") + ".py")).exists()
                        else target
                    )
            else:
                for block in ("body", "orelse", "finalbody", "handlers"):
                    inner = getattr(node, block, [])
                    for item in inner:
                        visit(item.body if isinstance(item, ast.ExceptHandler) else [item])

    visit(ast.parse(path.read_text()).body)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    """module -> the judgebias modules it imports when imported."""
    return {module_name(p): module_imports(p) for p in PACKAGE.rglob("*.py")}


def test_the_import_graph_has_no_cycle() -> None:
    g = import_graph()
    assert len(g) > 80 and sum(map(len, g.values())) > 150  # the graph was read
    try:
        order = list(TopologicalSorter(g).static_order())
    except CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")
    assert set(g) <= set(order)


def test_a_cycle_would_be_found() -> None:
    g = import_graph()
    g["judgebias.types"] = g["judgebias.types"] | {
        "judgebias.audits.pipeline"
    }  # pipeline imports types
    with pytest.raises(CycleError):
        list(TopologicalSorter(g).static_order())


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("judgebias.stats", "judgebias.report"),
        ("judgebias.stats", "judgebias.audits.pipeline"),
        ("judgebias.judges", "judgebias.analysis"),
        ("judgebias.judges", "judgebias.audits.pipeline"),
        ("judgebias.engine.runner", "judgebias.audits.pipeline"),
        ("judgebias.report", "judgebias.audits.pipeline"),
    ],
)
def test_data_flows_one_way(lower: str, higher: str) -> None:
    g = import_graph()
    bad = [
        (a, b)
        for a, targets in g.items()
        for b in targets
        if (a == lower or a.startswith(lower + ".")) and (b == higher or b.startswith(higher + "."))
    ]
    assert bad == []
