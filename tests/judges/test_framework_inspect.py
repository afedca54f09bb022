"""A real evaluation framework's judge, wrapped as a Python judge and audited: inspect_ai's
model-graded scorer (the docs' example, docs/examples/inspect_judge.py) pointed at serve-sim."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, SimServer

import judgebias

pytest.importorskip(
    "inspect_ai", reason="inspect_ai is not installed (pip install 'judgebias[frameworks]')"
)


def _example() -> object:
    path = REPO / "docs" / "examples" / "inspect_judge.py"
    spec = importlib.util.spec_from_file_location("inspect_judge", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_inspect_model_graded_scorer_is_audited(
    sim_server: Callable[..., SimServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = sim_server("--judge", "sim:accuracy=0.9,position=0.4")
    monkeypatch.setenv("JUDGE_BASE_URL", server.base_url)
    example = _example()
    r = judgebias.audit(judge=example.judge, limit=40, out=str(tmp_path / "inspect"))  # type: ignore[attr-defined]
    s = r.summary_json
    assert s["judge"].startswith("python:inspect_judge:judge,version=")
    assert s["calls"]["failed"] == 0 and r.records["valid"].all()
    # every verdict came from inspect_ai's scorer, over HTTP, from the sim's planted judge
    assert server.stats()["completed"] >= 80
    pos = s["probes"]["position"]
    assert pos["ci_low"] <= 0.4 <= pos["ci_high"] and pos["ci_low"] > 0
