"""Shared fixtures: synthetic pairs no one wrote by hand, and a real serve-sim subprocess."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
"""The repository's root (tests live in subfolders mirroring the package)."""
SHARED_DATA = Path(os.environ.get("JUDGEBIAS_SHARED_DATA") or REPO.parent / "shared" / "data")
"""The real judge and human data, beside the repository (``../shared/data``) unless
``$JUDGEBIAS_SHARED_DATA`` says where; tests using it skip, saying so, when it is absent."""

WORDS = [
    "river",
    "stone",
    "lamp",
    "orbit",
    "cedar",
    "violet",
    "engine",
    "harbor",
    "quartz",
    "meadow",
    "signal",
    "copper",
    "lattice",
    "ember",
    "tundra",
    "falcon",
    "prism",
    "velvet",
    "canyon",
    "beacon",
    "mosaic",
    "thistle",
    "glacier",
    "saffron",
    "anchor",
]


def make_pairs(n: int, seed: int, gold: bool = True) -> list[dict[str, Any]]:
    """Random pairs of random text: nothing the simulated judge can check, no hand-made content.

    Their ``gold`` is a coin flip, so any judge is at chance on it, and with enough pairs
    every probe but position is ``uninformative`` (judgebias.stats.informative). Tests of
    planted cue effects use ``gold=False`` (no gold column: nothing said about chance)."""
    rng = random.Random(seed)

    def sentence(k: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(k)).capitalize() + "."

    rows = []
    for i in range(n):
        rows.append(
            {
                "id": f"r{seed}-{i}",
                "instruction": "Describe " + sentence(rng.randint(3, 8)),
                "response_a": " ".join(
                    sentence(rng.randint(4, 12)) for _ in range(rng.randint(1, 5))
                ),
                "response_b": " ".join(
                    sentence(rng.randint(4, 12)) for _ in range(rng.randint(1, 5))
                ),
                "gold": rng.choice(["a", "b"]),
            }
        )
        if not gold:
            del rows[-1]["gold"]
    return rows


def lists_file(tmp_path: Path, n: int, k: int, seed: int = 1) -> Path:
    """A JSONL file of n lists of k candidates (listwise audits), built from synthetic pairs."""
    rows = make_pairs(2 * n, seed)
    p = tmp_path / f"lists{k}.jsonl"
    with p.open("w") as fh:
        for i in range(n):
            a, b = rows[2 * i], rows[2 * i + 1]
            texts = [a["response_a"], a["response_b"], b["response_a"], b["response_b"]][:k]
            rec = {"id": a["id"], "instruction": a["instruction"]}
            rec.update({f"response_{c}": t for c, t in zip("abcd", texts, strict=False)})
            fh.write(json.dumps(rec) + "\n")
    return p


@pytest.fixture
def pairs_file(tmp_path: Path) -> Callable[..., Path]:
    def _make(n: int = 300, seed: int = 1, name: str = "pairs.jsonl", gold: bool = True) -> Path:
        p = tmp_path / name
        with p.open("w", encoding="utf-8") as fh:
            for row in make_pairs(n, seed, gold):
                fh.write(json.dumps(row) + "\n")
        return p

    return _make


def judgebias_cmd() -> list[str]:
    return [sys.executable, "-m", "judgebias.cli"]


class SimServer:
    def __init__(self, proc: subprocess.Popen[str], port: int):
        self.proc = proc
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}/v1"

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats", timeout=5) as r:
            return json.loads(r.read())


def start_sim_server(*args: str) -> SimServer:
    proc = subprocess.Popen(
        [*judgebias_cmd(), "serve-sim", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    deadline = time.time() + 30
    line = ""
    while time.time() < deadline:
        line = proc.stdout.readline()
        if line.strip().startswith("{"):
            break
        if proc.poll() is not None:
            raise RuntimeError(f"serve-sim exited: {proc.stderr.read() if proc.stderr else ''}")
    info = json.loads(line)
    return SimServer(proc, int(info["port"]))


@pytest.fixture
def sim_server() -> Iterator[Callable[..., SimServer]]:
    started: list[SimServer] = []

    def _start(*args: str) -> SimServer:
        s = start_sim_server(*args)
        started.append(s)
        return s

    yield _start
    for s in started:
        s.proc.kill()
        s.proc.wait(timeout=10)


def run_cli(
    *args: str,
    timeout: float = 300,
    env: dict[str, str] | None = None,
    unset: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run ``judgebias ARGS`` as a user would, in a subprocess: the environment with ``env``
    added and every variable whose name starts with one of ``unset`` removed."""
    base = {k: v for k, v in os.environ.items() if not (unset and k.startswith(unset))}
    return subprocess.run(
        [*judgebias_cmd(), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**base, **(env or {})},
    )


def assert_one_line_error(p: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit status 2 and one line on stderr (no traceback) holding every needle; the line."""
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def stderr_lines(p: subprocess.CompletedProcess[str]) -> list[str]:
    """The non-blank lines on stderr that are not progress bars."""
    bars = ("━", "controls", "probes", "self")
    return [
        ln
        for ln in p.stderr.strip().splitlines()
        if ln.strip() and not any(ln.lstrip().startswith(b) for b in bars)
    ]


@pytest.fixture(autouse=True)
def _no_run_folder_left_in_the_checkout(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that writes the default run folder (``judgebias-run/``) into the working
    directory is named in the warnings summary, and the folder is removed, so no test's
    leftovers reach the next test or the repository."""
    import shutil
    import warnings

    leftover = Path.cwd() / "judgebias-run"
    existed = leftover.exists()
    yield
    if not existed and leftover.exists():
        shutil.rmtree(leftover, ignore_errors=True)
        warnings.warn(f"{request.node.nodeid} left judgebias-run/ in {Path.cwd()}", stacklevel=1)
