"""The HTML report: self-contained, hostile model text shown as text, checked in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from judgebias.pipeline import AuditConfig, run_audit

HOSTILE = [
    "<script>document.title='pwned-script'</script>",
    "<img src=x onerror=\"document.title='pwned-img'\">",
    "</pre></div></body><h1 id=injected>closing tags</h1>",
    "{{ 7*7 }} {% raw %} ${7*7} #{7*7}",
    "\"' onmouseover=alert(1) x='",
]


@pytest.fixture
def hostile_run(tmp_path: Path) -> Path:
    rows = []
    for i in range(40):
        rows.append({"id": f"h{i}", "instruction": f"Pick one {HOSTILE[i % 5]}",
                     "response_a": f"Answer {HOSTILE[(i + 1) % 5]} ok", "response_b": HOSTILE[(i + 2) % 5],
                     "gold": "a"})
    data = tmp_path / "hostile.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "run"
    run_audit(AuditConfig(judge="sim:position=0.5,bandwagon=0.3", data=str(data),
                          probes=["position", "bandwagon"], out=str(out), quiet=True))
    return out


def test_report_is_self_contained_and_escapes_model_text(hostile_run: Path) -> None:
    html = (hostile_run / "report.html").read_text()
    assert "<script" not in html.lower().replace("&lt;script", "")
    assert "onerror=\"document" not in html
    assert "&lt;script&gt;document.title" in html  # shown, as text
    assert "<h1 id=injected>" not in html
    # nothing is fetched: no external URLs in src/href attributes
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert 'id="scorecard"' in html and "<svg" in html


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def test_report_in_headless_chromium_runs_nothing(hostile_run: Path, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium)")
    report = hostile_run / "report.html"
    p = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=2000", "--dump-dom", report.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    dom = p.stdout
    assert "Scorecard" in dom, p.stderr[-2000:]
    title = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert title is not None and "pwned" not in title.group(1)
    assert "judgebias report" in title.group(1)
    assert 'id="injected"' not in dom
    console = [ln for ln in p.stderr.splitlines() if "CONSOLE" in ln and "Uncaught" in ln]
    assert console == []
