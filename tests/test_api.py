"""The notebook API: `__all__` is honest, imports are lazy, audit works inside an event loop."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import judgebias


def test_all_names_resolve() -> None:
    assert {"audit", "analyze", "debias", "agreement", "load_run", "__version__"} <= set(
        judgebias.__all__
    )
    assert set(judgebias.__all__) <= set(dir(judgebias))
    for name in judgebias.__all__:
        assert getattr(judgebias, name) is not None, name


def test_import_is_light() -> None:
    code = "import sys, judgebias; print(any(m in sys.modules for m in ('pandas', 'openai', 'litellm', 'matplotlib')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_audit_inside_running_event_loop(tmp_path: Path) -> None:
    async def notebook_cell() -> float:
        o = judgebias.audit("sim:position=0.3", limit=30, out=str(tmp_path / "r"))
        return float(o.summary_json["probes"]["position"]["effect"])

    assert 0.0 < asyncio.run(notebook_cell()) <= 1.0
