"""Every command and code block of README.md and docs/ that can run offline runs here.

For each page, in a fresh directory holding ``pairs.jsonl`` (the bundled pairs: the pages
use it as "your pairs file"), the page's fenced blocks run in document order:

- ``bash``/``console``/``shell`` blocks: every line starting with ``judgebias`` (or
  ``$ judgebias``; a trailing backslash continues it) runs in bash with this
  interpreter's ``judgebias`` first on PATH, and must exit 0, or the status named by an
  ``<!-- exit: N -->`` comment right before the block. Lines starting with
  ``python benchmarks/`` or ``python tools/`` are not run (they take minutes): every
  ``--flag`` they use must appear in the script's ``--help``.
- ``python`` blocks run with ``exec``, in one namespace per page.

A block right after ``<!-- file: NAME -->`` is written to NAME (a probe or template file
that the next blocks use). A block that cannot run offline (an API key, a model server, the shared data) has an
``<!-- skip: REASON -->`` comment right before it; every skip must give its reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
SHELL_LANGS = {"bash", "console", "shell", "sh"}
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+)(?P<lang>[\w+-]*)[^\n]*$")
MARK = re.compile(r"^\s*<!--\s*(?P<kind>skip|exit|file)\s*:?\s*(?P<value>.*?)\s*-->\s*$")
SCRIPT = re.compile(r"^python3? (?P<script>(?:benchmarks|tools)/[\w/]+\.py)(?P<args>.*)$")


@dataclass
class Block:
    page: Path
    line: int
    lang: str
    code: str
    skip: str | None
    exit_code: int
    file: str | None = None


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of a page, with the skip or exit mark right before each."""
    lines = page.read_text(encoding="utf-8").split("\n")
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, indent, fence = i, len(m["indent"]), m["fence"]
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][indent:])
            i += 1
        i += 1
        skip, exit_code, file = None, 0, None
        j = start - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        mark = MARK.match(lines[j]) if j >= 0 else None
        if mark and mark["kind"] == "skip":
            skip = mark["value"]
        elif mark and mark["kind"] == "exit":
            exit_code = int(mark["value"])
        elif mark and mark["kind"] == "file":
            file = mark["value"]
        lang = m["lang"].lower()
        out.append(Block(page, start + 1, lang, "\n".join(body), skip, exit_code, file))
    return out


def commands(code: str) -> list[str]:
    """The logical lines of a shell block (continuations joined, ``$ `` prompts removed)."""
    out: list[str] = []
    current = ""
    for raw in code.split("\n"):
        line = raw.rstrip()
        if not current:
            line = line.strip()
            if line.startswith("$ "):
                line = line[2:]
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        out.append((current + line).strip())
        current = ""
    return [c for c in out if c]


def page_id(page: Path) -> str:
    return page.relative_to(REPO).as_posix()


def test_every_skip_has_a_reason() -> None:
    missing = [
        f"{page_id(b.page)}:{b.line}"
        for page in PAGES
        for b in blocks(page)
        if b.skip is not None and not b.skip.strip()
    ]
    assert not missing, f"skip marks without a reason: {missing}"


def test_the_readme_holds_the_test_command() -> None:
    # CI (.ci/run) runs this command after the same install; the README must show it
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "\npython -m pytest -q\n" in text


def test_the_pages_have_runnable_blocks() -> None:
    # the collection below must see the blocks (a broken fence reader would skip them all)
    runnable = [b for page in PAGES for b in blocks(page) if b.skip is None]
    assert sum(b.lang == "python" for b in runnable) >= 3
    shell = [c for b in runnable if b.lang in SHELL_LANGS for c in commands(b.code)]
    assert sum(c.startswith("judgebias ") for c in shell) >= 10


def script_flags_ok(script: str, args: str) -> list[str]:
    """The flags of ``args`` that ``python SCRIPT --help`` does not list."""
    path = REPO / script
    if not path.exists():
        return [f"{script} does not exist"]
    proc = subprocess.run(
        [sys.executable, str(path), "--help"],
        capture_output=True,
        text=True,
        cwd=path.parent,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        return [f"{script} --help failed: {proc.stderr.strip()[-300:]}"]
    return [
        f"{script} has no {flag}"
        for flag in re.findall(r"(?<![\w-])(--[a-z][\w-]*)", args)
        if flag not in proc.stdout
    ]


def run_shell(block: Block, cwd: Path, env: dict[str, str]) -> int:
    """Run (or, for benchmark and tool scripts, check the flags of) each command of a
    shell block; the number of commands checked."""
    where = f"{page_id(block.page)}:{block.line}"
    checked = 0
    for cmd in commands(block.code):
        if cmd.startswith("#"):
            continue
        script = SCRIPT.match(cmd)
        if script:
            problems = script_flags_ok(script["script"], script["args"])
            assert not problems, f"{where}: {cmd}: {problems}"
            checked += 1
            continue
        if not cmd.startswith("judgebias"):
            continue
        proc = subprocess.run(
            ["bash", "-c", cmd],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert proc.returncode == block.exit_code, (
            f"{where}: `{cmd}` exited {proc.returncode}, expected {block.exit_code}\n"
            f"{proc.stderr[-2000:]}"
        )
        checked += 1
    return checked


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_page_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    todo = [
        b for b in blocks(page) if b.skip is None and (b.lang in SHELL_LANGS | {"python"} or b.file)
    ]
    if not todo:
        pytest.skip(f"{page_id(page)} has no runnable block")
    shutil.copy(REPO / "probes" / "demo_pairs.jsonl", tmp_path / "pairs.jsonl")
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("OPENAI_API_KEY", None)  # an offline block must not need a key
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    idle = []
    for block in todo:
        if block.file:
            (tmp_path / block.file).write_text(block.code + "\n", encoding="utf-8")
            assert (tmp_path / block.file).read_text(encoding="utf-8").strip()
        elif block.lang == "python":
            code = compile(block.code, f"{page_id(page)}:{block.line}", "exec")
            exec(code, namespace)
        elif run_shell(block, tmp_path, env) == 0:
            idle.append(f"{page_id(page)}:{block.line}")
    # a block that is neither skipped (with its reason) nor runs anything checks nothing
    assert idle == [], f"shell blocks with no judgebias command or script: {idle}"
