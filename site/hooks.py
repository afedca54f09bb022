"""MkDocs hooks: the pages that are generated from the code at build time.

- ``reference/cli.md``: every command of the typer app, its usage and its options, read
  from the click command typer builds (``typer.main.get_command``), so a renamed flag
  shows here the day it is renamed.
- ``reference/python-api.md``: one mkdocstrings block per name of ``judgebias.__all__``,
  at the module where the name is defined (read from the object, so it follows moves).
- ``reference/summary-schema.md``: the JSON Schema printed by ``judgebias schema
  summary``, when that command exists.
- ``contributing/modules.md``: every subpackage and module of ``judgebias`` with the
  first line of its docstring.

Nothing is written into ``docs/``: the pages are added to the build as generated files.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "judgebias"

API_GROUPS: list[tuple[str, list[str]]] = [
    ("Audit a judge", ["audit", "load_run", "AuditResult", "AuditConfig", "AuditOutcome"]),
    ("Pairs and tables", ["load_pairs", "read_table", "Pair", "make_judge"]),
    (
        "Statistics on verdicts you have",
        [
            "analyze",
            "position_stats",
            "perturbation_stats",
            "lc_winrate",
            "load_lc_table",
            "dbg",
            "preference_from_orders",
            "factor_attribution",
            "plan_sample_size",
        ],
    ),
    ("Agreement with humans", ["agreement", "corrected_win_rate", "calibration"]),
    ("Correct and compare", ["debias", "compare_runs"]),
    ("Errors", ["JudgebiasError"]),
]


# ------------------------------------------------------------------ the CLI reference
def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def cli_markdown() -> str:
    import typer.main

    from judgebias.cli import app

    group = typer.main.get_command(app)
    ctx_root = group.make_context("judgebias", [], resilient_parsing=True)
    out = [
        "# Command line",
        "",
        "Generated from the typer app at build time (`docs/hooks.py`): every command,",
        "its arguments and its options as `judgebias COMMAND --help` prints them.",
        "Exit statuses are on [Exit codes](exit-codes.md)."
        if (ROOT / "docs" / "reference" / "exit-codes.md").exists()
        else "Exit statuses: 0 done, 1 a `--fail-on` gate tripped, 2 a usage or input "
        "error, 3 too many unreadable answers.",
        "",
    ]
    commands = group.list_commands(ctx_root)
    out.append("| command | what it does |")
    out.append("|---|---|")
    for name in commands:
        cmd = group.get_command(ctx_root, name)
        out.append(f"| [`{name}`](#{name}) | {_md(cmd.get_short_help_str(limit=200))} |")
    out.append("")
    for name in commands:
        cmd = group.get_command(ctx_root, name)
        ctx = cmd.make_context(name, [], parent=ctx_root, resilient_parsing=True)
        usage = f"judgebias {name} " + " ".join(cmd.collect_usage_pieces(ctx))
        out += [f"## {name}", "", "```text", usage, "```", ""]
        help_text = inspect.cleandoc(cmd.help or "")
        if help_text:
            out += [help_text.replace("\b\n", ""), ""]
        rows = []
        for p in cmd.params:
            opts = list(getattr(p, "opts", [])) + list(getattr(p, "secondary_opts", []))
            if getattr(p, "hidden", False):
                continue
            if p.param_type_name == "argument":
                names = f"`{(p.name or '').upper()}`"
                helptext = getattr(p, "help", None) or ""
            else:
                names = ", ".join(f"`{o}`" for o in opts)
                helptext = getattr(p, "help", None) or ""
            default = p.default
            shown = ""
            if p.param_type_name != "argument" and default not in (None, False, (), []):
                shown = f"`{default}`"
            req = "yes" if p.required else ""
            rows.append(f"| {names} | {_md(helptext)} | {shown} | {req} |")
        if rows:
            out += ["| name | meaning | default | required |", "|---|---|---|---|", *rows, ""]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- the Python API page
def api_markdown() -> str:
    import judgebias

    listed = {n for _, names in API_GROUPS for n in names}
    rest = [n for n in judgebias.__all__ if n not in listed and not n.startswith("__")]
    groups = [*API_GROUPS, *([("Other", rest)] if rest else [])]
    out = [
        "# Python API",
        "",
        "`import judgebias as jb` gives every name below (each is imported on first use,",
        "so `import judgebias` is fast). Generated from the docstrings at build time",
        "(mkdocstrings); the module named under each heading is where the name is defined.",
        "",
    ]
    for title, names in groups:
        out += [f"## {title}", ""]
        for name in names:
            if name not in judgebias.__all__:
                continue
            obj: Any = getattr(judgebias, name)
            module = getattr(obj, "__module__", None)
            qual = getattr(obj, "__qualname__", name)
            if not module:
                continue
            out += [
                f"::: {module}.{qual}",
                "    options:",
                "      show_root_heading: true",
                "      show_root_full_path: false",
                "      heading_level: 3",
                "",
            ]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------- the summary.json schema
def schema_markdown() -> str | None:
    """The schema page, or None when ``judgebias schema summary`` does not exist."""
    proc = subprocess.run(
        [sys.executable, "-m", "judgebias", "schema", "summary"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        return None
    schema = json.loads(proc.stdout)
    out = [
        "# summary.json schema",
        "",
        "Every `summary.json` written by `judgebias audit` validates against this JSON",
        "Schema; `judgebias schema summary` prints it. Generated at build time.",
        "",
    ]
    props = schema.get("properties", {})
    if props:
        out += ["| key | type | meaning |", "|---|---|---|"]
        for key, spec in props.items():
            kind = spec.get("type", "")
            if isinstance(kind, list):
                kind = " or ".join(kind)
            out.append(f"| `{key}` | {kind} | {_md(spec.get('description', ''))} |")
        out.append("")
    out += ["```json", json.dumps(schema, indent=2), "```", ""]
    return "\n".join(out)


# ------------------------------------------------------------------ the module listing
def _first_line(path: Path) -> str:
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    except SyntaxError:
        return ""
    return (doc or "").strip().split("\n\n")[0].replace("\n", " ")


def modules_markdown() -> str:
    out = [
        "# Module map",
        "",
        "Every subpackage and module of `judgebias`, with the first paragraph of its",
        "docstring. Generated from the source tree at build time (`docs/hooks.py`), so it",
        "is the layout as it is.",
        "",
    ]
    top = sorted(p for p in PACKAGE.glob("*.py"))
    packages = sorted(p.parent for p in PACKAGE.glob("*/__init__.py"))
    out += ["## judgebias", "", "| module | what it is |", "|---|---|"]
    for path in top:
        out.append(f"| `judgebias/{path.name}` | {_md(_first_line(path))} |")
    out.append("")
    for pkg in packages:
        rel = pkg.relative_to(ROOT).as_posix()
        out += [f"## {rel}/", "", _first_line(pkg / "__init__.py"), ""]
        out += ["| module | what it is |", "|---|---|"]
        for path in sorted(pkg.rglob("*.py")):
            if path.name == "__init__.py" and path.parent == pkg:
                continue
            out.append(f"| `{path.relative_to(pkg).as_posix()}` | {_md(_first_line(path))} |")
        out.append("")
    return "\n".join(out) + "\n"


def generated_pages() -> dict[str, str]:
    """The generated pages by their path under ``docs/``."""
    pages = {
        "reference/cli.md": cli_markdown(),
        "reference/python-api.md": api_markdown(),
        "contributing/modules.md": modules_markdown(),
    }
    schema = schema_markdown()
    if schema is not None:
        pages["reference/summary-schema.md"] = schema
    return pages


def on_files(files: Files, config: Any, **kwargs: Any) -> Files:
    for path, content in generated_pages().items():
        if files.get_file_from_path(path) is None:
            files.append(File.generated(config, path, content=content))
    return files


if __name__ == "__main__":  # print one generated page: python docs/hooks.py reference/cli.md
    importlib.import_module("judgebias")
    print(generated_pages()[sys.argv[1]])
