"""Reports opened in a real headless Chromium, driven over the DevTools protocol.

Each page is loaded in a fresh tab while every console message, uncaught
exception, browser log entry and network request is recorded, then the DOM is
queried. The checks are shown to bite: a deliberately broken page must be
reported, and an unescaped payload must be seen to run.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import run_cli

from judgebias.audits.pipeline import AuditConfig, run_audit

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

HOSTILE = [
    "<script>window.__pwned='script'</script>",
    "<img src=x onerror=\"window.__pwned='img'\">",
    "<svg onload=\"window.__pwned='svg'\"><circle r=1></circle></svg>",
    '</pre></code></div></td></tr></table></body><h1 id="injected">closing tags</h1>',
    "{{ 7*7 }} {% if true %}jinja-ran{% endif %} ${7*7} #{7*7}",
    "\"' onmouseover=\"window.__pwned='attr'\" x='",
    "<iframe src=\"javascript:parent.__pwned='iframe'\"></iframe>",
    '<style>body{display:none}</style><link rel=stylesheet href="https://example.invalid/x.css">',
    "]]> --> <!-- <![CDATA[ <mark>fake</mark>",
    "<a href=\"javascript:window.__pwned='href'\">click</a> &lt;b&gt; &amp;amp;",
]


ODD_NAME = "<i onmouseover=x>run &amp; {{7*7}} $x$ $ \"q'"  # a run folder's name (no '/')


def chromium() -> str | None:
    for name in (
        os.environ.get("JUDGEBIAS_CHROMIUM"),
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


needs_chromium = pytest.mark.skipif(
    chromium() is None,
    reason="no Chromium binary on this machine (.ci/run installs Debian's chromium package)",
)


@dataclass
class Page:
    url: str
    console: list[tuple[str, str]] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log: list[tuple[str, str]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> list[str]:
        """Everything that counts as an error on the page's console."""
        out = [
            f"console.{lvl}: {t}"
            for lvl, t in self.console
            if lvl in ("error", "assert", "warning")
        ]
        out += [f"exception: {e}" for e in self.exceptions]
        out += [f"log.{lvl}: {t}" for lvl, t in self.log if lvl in ("error", "warning")]
        return out


class DevTools:
    """A minimal Chrome DevTools protocol client over aiohttp's websocket."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.next_id = 0
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            data = json.loads(msg.data)
            if "id" in data and data["id"] in self.pending:
                self.pending.pop(data["id"]).set_result(data)
            else:
                self.events.append(data)

    async def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        self.next_id += 1
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = fut
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        await self.ws.send_str(json.dumps(msg))
        reply = await asyncio.wait_for(fut, 30)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    async def wait_for(self, method: str, session: str, timeout: float = 30) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if any(
                e.get("method") == method and e.get("sessionId") == session for e in self.events
            ):
                return
            await asyncio.sleep(0.05)
        raise TimeoutError(f"{method} not seen within {timeout} s")


def _start_browser(profile: str) -> tuple[subprocess.Popen[str], str]:
    binary = chromium()
    assert binary is not None
    proc = subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if "DevTools listening on " in line:
            return proc, line.split("DevTools listening on ", 1)[1].strip()
        if len(lines) > 200:
            break
    proc.kill()
    raise RuntimeError("Chromium did not open its DevTools port:\n" + "".join(lines[-20:]))


async def _inspect(urls: list[str], expressions: dict[str, str], settle: float) -> list[Page]:
    import aiohttp

    profile = tempfile.mkdtemp(prefix="judgebias-chromium-")
    proc, ws_url = await asyncio.to_thread(_start_browser, profile)
    # keep draining Chromium's stderr so it never blocks on a full pipe
    drain = asyncio.get_running_loop().run_in_executor(
        None, lambda: proc.stderr and proc.stderr.read()
    )
    pages = []
    try:
        async with aiohttp.ClientSession() as http, http.ws_connect(ws_url, max_msg_size=0) as ws:
            cdp = DevTools(ws)
            for url in urls:
                target = (await cdp.send("Target.createTarget", {"url": "about:blank"}))["targetId"]
                sid = (
                    await cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})
                )["sessionId"]
                for domain in ("Runtime", "Log", "Page", "Network"):
                    await cdp.send(f"{domain}.enable", session=sid)
                start = len(cdp.events)
                await cdp.send("Page.navigate", {"url": url}, session=sid)
                await cdp.wait_for("Page.loadEventFired", sid)
                await asyncio.sleep(settle)  # late errors: timers, deferred handlers
                page = Page(url=url)
                for name, expr in expressions.items():
                    res = await cdp.send(
                        "Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=sid
                    )
                    page.values[name] = res.get("result", {}).get("value")
                for e in cdp.events[start:]:
                    if e.get("sessionId") != sid:
                        continue
                    m, p = e.get("method"), e.get("params", {})
                    if m == "Runtime.consoleAPICalled":
                        text = " ".join(
                            str(a.get("value", a.get("description", ""))) for a in p.get("args", [])
                        )
                        page.console.append((p.get("type", ""), text))
                    elif m == "Runtime.exceptionThrown":
                        d = p.get("exceptionDetails", {})
                        page.exceptions.append(
                            d.get("exception", {}).get("description") or d.get("text", "")
                        )
                    elif m == "Log.entryAdded":
                        entry = p.get("entry", {})
                        page.log.append((entry.get("level", ""), entry.get("text", "")))
                    elif m == "Network.requestWillBeSent":
                        page.requests.append(p.get("request", {}).get("url", ""))
                pages.append(page)
                await cdp.send("Target.closeTarget", {"targetId": target})
            cdp.reader.cancel()
    finally:
        proc.kill()
        proc.wait(timeout=30)
        await drain
        shutil.rmtree(profile, ignore_errors=True)
    return pages


def inspect(
    urls: list[str], expressions: dict[str, str] | None = None, settle: float = 0.5
) -> list[Page]:
    return asyncio.run(_inspect(urls, expressions or {}, settle))


DOM_CHECKS = {
    "title": "document.title",
    "pwned": "window.__pwned === undefined ? null : String(window.__pwned)",
    "scripts": "document.scripts.length",
    "on_attrs": "[...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.toLowerCase().startsWith('on'))).length",
    "injected": "document.getElementById('injected') !== null",
    "embeds": "document.querySelectorAll('img, iframe, object, embed, link, body style:not(.judgebias-scorecard style)').length",
    "js_links": "[...document.querySelectorAll('a[href]')].filter(a => !a.getAttribute('href').startsWith('#')).length",
    "body_visible": "getComputedStyle(document.body).display !== 'none'",
    "text": "document.body.innerText",
    "scorecard": "document.getElementById('scorecard') !== null",
    "probe_rows": "[...document.querySelectorAll('table.scorecard tr.probe-row')].map(r => r.dataset.probe)",
    "plots": "Object.fromEntries([...document.querySelectorAll('.plot')].map(d => [d.id, d.querySelector('svg') ? Math.round(d.querySelector('svg').getBoundingClientRect().width) : 0]))",
    "marks": "[...document.querySelectorAll('mark')].map(m => m.textContent)",
}


def assert_safe(page: Page, hostile: list[str]) -> None:
    v = page.values
    assert page.errors == [], page.errors
    assert v["pwned"] is None, f"hostile script ran: {v['pwned']}"
    assert v["scripts"] == 0 and v["on_attrs"] == 0 and v["embeds"] == 0 and v["js_links"] == 0, v
    assert v["injected"] is False and v["body_visible"] is True
    # nothing was fetched but the page itself
    assert [u for u in page.requests if u != page.url] == [], page.requests
    # the hostile text is on the page, as text
    for h in hostile:
        assert h in v["text"], h
    assert "jinja-ran" not in v["text"].replace("{% if true %}jinja-ran{% endif %}", "")


# -- fixtures: runs with hostile pairs, hostile judge answers and hostile metadata ---------------


def _hostile_pairs(n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        k = len(HOSTILE)
        rows.append(
            {
                "id": f"h{i}<b>",
                "instruction": f"Pick the better answer {HOSTILE[i % k]} | {' | '.join(HOSTILE)}",
                "response_a": f"Answer {HOSTILE[(i + 1) % k]} " + "word " * (i % 7),
                "response_b": HOSTILE[(i + 2) % k] + " plain" * (i % 5),
                "gold": "a" if i % 3 else "b",
            }
        )
    return rows


def _make_hostile_run(base: Path, folder: str, judge: str, seed: int) -> Path:
    data = base / f"hostile-{seed}.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in _hostile_pairs(60)), encoding="utf-8")
    out = base / folder
    run_audit(
        AuditConfig(
            judge=judge,
            data=str(data),
            probes=["position", "bandwagon", "length"],
            out=str(out),
            quiet=True,
            write_report=False,
            seed=seed,
        )
    )
    # a judge that answers with hostile text (the verdict tag keeps the answers parseable)
    rec = pd.read_parquet(out / "records.parquet")
    rec["raw"] = [f"{' | '.join(HOSTILE)}\n{raw}" for raw in rec["raw"]]
    rec.to_parquet(out / "records.parquet", index=False)
    summary = json.loads((out / "summary.json").read_text())
    summary["judge"] = "openai:" + HOSTILE[0]
    summary["run"]["command"] = "judgebias audit --data '" + HOSTILE[1] + "'"
    summary["run"]["data"] = HOSTILE[3]
    summary["run"]["template"] = HOSTILE[4]
    summary["run"]["gold_judge"] = HOSTILE[5]
    (out / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def hostile_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("hostile")
    a = _make_hostile_run(base, "run-a", "sim:position=0.4,bandwagon=0.4,length=0.3,seed=3", 0)
    b = _make_hostile_run(base, ODD_NAME, "sim:position=0.1,seed=4", 1)
    return a, b


# -- the checks bite ----------------------------------------------------------------------------


@needs_chromium
def test_a_broken_page_is_caught(tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text(
        "<!DOCTYPE html><html><head><title>broken</title></head><body><p>x</p>"
        "<script>console.error('deliberate console error')</script>"
        "<script>setTimeout(() => { throw new Error('deliberate late exception') }, 10)</script>"
        "<script>undefinedFunctionCall()</script>"
        "<img src='missing-image.png'>"
        "</body></html>",
        encoding="utf-8",
    )
    # the same injection under the report's Content-Security-Policy: blocked, and the block is an error
    csp = tmp_path / "csp.html"
    csp.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
        "<title>csp</title></head><body>" + HOSTILE[0] + "</body></html>",
        encoding="utf-8",
    )
    # unescaped hostile text does run: the "never runs" check can see it
    unescaped = tmp_path / "unescaped.html"
    unescaped.write_text(
        "<!DOCTYPE html><html><head><title>judgebias report</title></head><body>"
        + HOSTILE[0]
        + "</body></html>",
        encoding="utf-8",
    )
    pages = inspect([broken.as_uri(), csp.as_uri(), unescaped.as_uri()], DOM_CHECKS)
    bad = pages[0].errors
    assert any("deliberate console error" in e for e in bad), bad
    assert any("deliberate late exception" in e for e in bad), bad
    assert any("undefinedFunctionCall" in e for e in bad), bad
    assert any("missing-image.png" in u for u in pages[0].requests)
    assert pages[1].errors, "a script blocked by the CSP must show as an error"
    assert pages[1].values["pwned"] is None
    assert pages[2].values["pwned"] == "script"
    with pytest.raises(AssertionError):
        assert_safe(pages[2], [])


# -- the real reports ---------------------------------------------------------------------------


@needs_chromium
def test_hostile_report_runs_nothing_and_shows_everything(hostile_runs: tuple[Path, Path]) -> None:
    run = hostile_runs[0]
    p = run_cli("report", str(run), "--quiet")
    assert p.returncode == 0, p.stderr
    html = (run / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    (page,) = inspect([(run / "report.html").as_uri()], DOM_CHECKS)
    assert_safe(page, HOSTILE)
    v = page.values
    assert v["title"].startswith("judgebias report")
    assert v["scorecard"] is True
    assert v["probe_rows"] == ["position", "length", "bandwagon"]
    for plot in ("forest-plot", "position-plot", "length-plot", "factor-plot"):
        assert v["plots"].get(plot, 0) > 200, (plot, v["plots"])
    # the inserted cue text is highlighted (as text: a hostile instruction restated by the
    # length probe shows inside a <mark>, escaped)
    assert v["marks"], "no highlighted insertion"


@needs_chromium
def test_comparison_with_hostile_run_names(hostile_runs: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "compare.html"
    p = run_cli("report", *map(str, hostile_runs), "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == str(out)
    (page,) = inspect([out.as_uri()], DOM_CHECKS)
    assert_safe(page, [HOSTILE[0], HOSTILE[3], ODD_NAME])
    v = page.values
    assert v["title"].startswith("judgebias comparison")
    assert v["plots"].get("forest-plot", 0) > 200
    cells = inspect(
        [out.as_uri()],
        {
            "runs": "[...document.querySelectorAll('tr.probe-row[data-probe=position] td.cell')].map(c => c.dataset.run)",
            "legend": "document.querySelector('#forest-plot svg').textContent",
        },
    )[0].values
    assert cells["runs"] == ["run-a", ODD_NAME]
    assert ODD_NAME in cells["legend"]  # the legend shows the name literally


@needs_chromium
def test_notebook_scorecard_fragment(hostile_runs: tuple[Path, Path], tmp_path: Path) -> None:
    import judgebias

    res = judgebias.load_run(hostile_runs[0])
    page_file = tmp_path / "cell.html"
    page_file.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>notebook</title></head><body>"
        + res._repr_html_()
        + "</body></html>",
        encoding="utf-8",
    )
    (page,) = inspect([page_file.as_uri()], DOM_CHECKS)
    assert page.errors == [] and page.values["pwned"] is None
    assert page.values["scripts"] == 0 and page.values["on_attrs"] == 0
    assert HOSTILE[0] in page.values["text"]
    assert page.values["probe_rows"] == ["position", "length", "bandwagon"]


@needs_chromium
def test_demo_report_has_every_section(tmp_path: Path) -> None:
    p = run_cli("demo", "--out", str(tmp_path / "demo"), "--quiet")
    assert p.returncode == 0, p.stderr
    checks = {**DOM_CHECKS, "sections": "[...document.querySelectorAll('h2')].map(h => h.id)"}
    (page,) = inspect([(tmp_path / "demo" / "report.html").as_uri()], checks)
    assert page.errors == []
    v = page.values
    # the demo's judge has planted biases: the next steps (mitigate, compare) follow the scorecard
    assert v["sections"] == ["scorecard", "next-steps", "figures", "examples", "run", "methods"]
    assert v["probe_rows"] == [
        "position",
        "length",
        "bandwagon",
        "authority",
        "reflection",
        "distraction",
        *("compassion", "identity", "refinement", "citation"),
        "self",
    ]
    for plot in ("forest-plot", "position-plot", "length-plot", "factor-plot", "dbg-plot"):
        assert v["plots"].get(plot, 0) > 200, (plot, v["plots"])
    assert len(v["marks"]) >= 10
