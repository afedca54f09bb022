"""The HTML report: self-contained, escaped, complete, robust to missing parts; `judgebias report`.

The same reports are opened in a real browser in test_browser.py.
"""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import make_pairs, run_cli

from judgebias.audits.pipeline import AuditConfig, run_audit
from judgebias.report.examples import diff_spans, highlight
from judgebias.report.render import render_html, write_comparison, write_report
from judgebias.report.runs import read_run

HOSTILE = [
    "<script>document.title='pwned-script'</script>",
    "<img src=x onerror=\"document.title='pwned-img'\">",
    "</pre></div></body><h1 id=injected>closing tags</h1>",
    "{{ 7*7 }} {% raw %} ${7*7} #{7*7}",
    "\"' onmouseover=alert(1) x='",
]


def write_pairs(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sim_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("sim")
    data = write_pairs(base / "pairs.jsonl", make_pairs(150, seed=5))
    out = base / "run"
    run_audit(
        AuditConfig(
            judge="sim:position=0.3,bandwagon=0.3,length=0.2,seed=2",
            data=str(data),
            probes=["position", "length", "bandwagon"],
            out=str(out),
            quiet=True,
        )
    )
    return out


@pytest.fixture
def hostile_run(tmp_path: Path) -> Path:
    rows = []
    for i in range(40):
        rows.append(
            {
                "id": f"h{i}",
                "instruction": f"Pick one {HOSTILE[i % 5]}",
                "response_a": f"Answer {HOSTILE[(i + 1) % 5]} ok",
                "response_b": HOSTILE[(i + 2) % 5],
                "gold": "a",
            }
        )
    data = write_pairs(tmp_path / "hostile.jsonl", rows)
    out = tmp_path / "run"
    run_audit(
        AuditConfig(
            judge="sim:position=0.5,bandwagon=0.5",
            data=str(data),
            probes=["position", "bandwagon"],
            out=str(out),
            quiet=True,
        )
    )
    return out


# -- escaping and self-containment ----------------------------------------------------------


class Tags(HTMLParser):
    """Every start tag of a page with its attributes, as a browser's tokenizer sees them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_report_is_self_contained_and_escapes_model_text(hostile_run: Path) -> None:
    html = (hostile_run / "report.html").read_text()
    assert "<script" not in html.lower()
    tags = Tags(html).tags
    assert not [t for t, a in tags if any(k.startswith("on") for k in a)]
    assert not [t for t, _ in tags if t in ("script", "img", "iframe", "object", "embed", "link")]
    assert [t for t, _ in tags].count("h1") == 1
    assert "&lt;script&gt;document.title" in html  # shown, as text
    assert "<h1 id=injected>" not in html
    assert "{{ 7*7 }}" in html and "49" not in re.findall(r"\{\{ 7\*7 \}\}.{0,3}", html)[0]
    # nothing is fetched: no external URLs in src/href attributes, no url() in styles
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "url(http" not in html and "@import" not in html and "@font-face" not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert 'id="scorecard"' in html and "<svg" in html


def test_highlight_escapes_before_marking() -> None:
    text = "a <b>bold</b> & <script>x</script>"
    out = highlight(text, [(2, 13)])
    assert str(out) == "a <mark>&lt;b&gt;bold&lt;/b&gt;</mark> &amp; &lt;script&gt;x&lt;/script&gt;"
    assert str(highlight("<i>", [])) == "&lt;i&gt;"
    long = highlight("x" * 50 + "<tail>", [(40, 56)], limit=45)
    assert str(long).startswith("x" * 40 + "<mark>xxxxx</mark>") and "more characters" in str(long)
    assert "<tail>" not in str(long)


@pytest.mark.parametrize(
    ("before", "after", "inserted"),
    [
        ("Answer.\n[End]", "Answer.\n\nIn summary, fine.\n[End]", ["\n\nIn summary, fine."]),
        ("abc", "Note: x\n\nabc", ["Note: x\n\n"]),
        ("same", "same", []),
        ("A1 B2", "A1 cue B2 cue", [" cue", " cue"]),
    ],
)
def test_diff_spans_find_the_insertions(before: str, after: str, inserted: list[str]) -> None:
    spans = diff_spans(before, after)
    got = [after[s:e] for s, e in spans]
    assert "".join(got).split() == "".join(inserted).split()  # whitespace may shift sides
    assert len(got) == len(inserted)


# -- content --------------------------------------------------------------------------------


def test_report_has_every_part(sim_run: Path) -> None:
    html = (sim_run / "report.html").read_text()
    for anchor in (
        "scorecard",
        "figures",
        "forest-plot",
        "position-plot",
        "length-plot",
        "factor-plot",
        "examples",
        "examples-length",
        "examples-bandwagon",
        "run",
        "methods",
    ):
        assert f'id="{anchor}"' in html, anchor
    rows = re.findall(r'<tr class="probe-row" data-probe="([^"]+)"', html)
    assert rows == ["position", "length", "bandwagon"]
    # each scorecard row: a drawn interval, BH significance and plain words
    assert html.count('<svg class="interval"') == 3
    assert "significant" in html and "About " in html and "in 100" in html
    # flipped examples: original next to perturbed, the insertion highlighted, raw answers
    assert "original prompt" in html and "perturbed prompt" in html and "<mark>" in html
    assert "judge, with the cue" in html and "[[" in html
    # the run section
    for key in (
        "judge",
        "template",
        "mitigations",
        "calls",
        "tokens",
        "cost",
        "time",
        "seed",
        "judgebias",
        "command",
    ):
        assert f"<tr><th>{key}</th>" in html, key
    # plots are inline SVG with prefixed ids, no matplotlib global style
    assert 'id="forest-' in html and "<metadata>" not in html and "*{stroke-linejoin" not in html


def test_no_duplicate_ids(sim_run: Path) -> None:
    html = (sim_run / "report.html").read_text()
    ids = re.findall(r'\bid="([^"]+)"', html)
    dup = {i for i in ids if ids.count(i) > 1}
    assert not dup, sorted(dup)[:10]


def test_self_probe_and_dbg_figure(tmp_path: Path) -> None:
    data = write_pairs(tmp_path / "p.jsonl", make_pairs(60, seed=9))
    out = tmp_path / "run"
    run_audit(
        AuditConfig(
            judge="sim:self=0.4,seed=1",
            gold_judge="sim:accuracy=1",
            data=str(data),
            probes=["self"],
            out=str(out),
            quiet=True,
        )
    )
    html = (out / "report.html").read_text()
    assert 'id="dbg-plot"' in html and "<svg" in html.split('id="dbg-plot"')[1][:200]
    assert 'id="examples-self"' in html and "judge, as written" in html
    assert 'id="self-headline"' in html and 'id="self-descriptive"' in html
    assert 'data-probe="self"' in html


def test_report_survives_missing_parts(sim_run: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    shutil.copytree(sim_run, bare)
    (bare / "store.sqlite").unlink()
    html = render_html(bare)
    assert "could not be read from this run" in html and 'id="scorecard"' in html
    # records from an older or trimmed run: optional columns missing, pairs without gold;
    # a run written before summary.json stored the report's figures, so they come from
    # the records as they are now
    s = json.loads((bare / "summary.json").read_text())
    s.pop("figures")
    (bare / "summary.json").write_text(json.dumps(s))
    rec = pd.read_parquet(bare / "records.parquet")
    rec.drop(columns=["raw", "request_key", "variant", "target"]).to_parquet(
        bare / "records.parquet"
    )
    pd.read_parquet(bare / "pairs.parquet").drop(columns=["gold"]).to_parquet(
        bare / "pairs.parquet"
    )
    assert 'id="length-plot"' in render_html(bare)
    # a table that is not judgebias records is left out rather than failing
    rec.drop(columns=["kind"]).to_parquet(bare / "records.parquet")
    assert "Not drawn:" in render_html(bare)
    (bare / "records.parquet").unlink()
    (bare / "pairs.parquet").unlink()
    html = render_html(bare)
    assert 'id="scorecard"' in html and 'id="forest-plot"' in html
    assert "Not drawn:" in html
    # an older or trimmed summary still renders
    s = json.loads((bare / "summary.json").read_text())
    for key in ("calls", "tokens", "run", "accuracy_ci"):
        s.pop(key, None)
    (bare / "summary.json").write_text(json.dumps(s))
    assert 'id="scorecard"' in render_html(bare)


def test_report_draws_the_figures_summary_json_stores(sim_run: Path, tmp_path: Path) -> None:
    from judgebias.stats.run_figures import factor_fit, length_bins

    s = json.loads((sim_run / "summary.json").read_text())
    bins = pd.DataFrame(s["figures"]["length_bins"])
    again = length_bins(pd.read_parquet(sim_run / "records.parquet"), read_run(sim_run).pairs)
    pd.testing.assert_frame_equal(bins, again, check_dtype=False)
    # Wilson intervals: inside [0, 1], around the share, never a single point
    assert ((bins["judge_lo"] >= 0) & (bins["judge_hi"] <= 1)).all()
    assert ((bins["judge_lo"] < bins["judge"]) & (bins["judge"] < bins["judge_hi"])).all()
    table, _ = factor_fit(pd.read_parquet(sim_run / "records.parquet"), read_run(sim_run).pairs)
    assert table is not None
    stored = {
        r["factor"]: r["coef"] for r in s["figures"]["factors"]["table"] if r["coef"] is not None
    }
    fitted = table.dropna(subset=["coef"])
    assert stored == pytest.approx(dict(zip(fitted["factor"], fitted["coef"], strict=True)))
    # the report draws what is stored, not what the records would give now
    bare = tmp_path / "bare"
    shutil.copytree(sim_run, bare)
    rec = pd.read_parquet(bare / "records.parquet")
    rec.drop(columns=["kind"]).to_parquet(bare / "records.parquet")
    html = render_html(bare)
    assert '<div class="plot" id="length-plot"><svg' in html
    assert '<div class="plot" id="factor-plot"><svg' in html


def test_factor_plot_is_skipped_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write_pairs(tmp_path / "p.jsonl", make_pairs(20, seed=3))
    out = tmp_path / "small"
    run_audit(AuditConfig(judge="sim", data=str(data), out=str(out), quiet=True))
    html = (out / "report.html").read_text()
    assert "Not drawn: only 20 pairs have a valid control verdict" in html

    import judgebias.stats.factors as factors

    def broken(*_: object, **__: object) -> None:
        raise ValueError("singular <matrix>")

    monkeypatch.setattr(factors, "factor_attribution", broken)
    data = write_pairs(tmp_path / "q.jsonl", make_pairs(80, seed=4))
    out2 = tmp_path / "broken"
    run_audit(AuditConfig(judge="sim", data=str(data), out=str(out2), quiet=True))
    html = (out2 / "report.html").read_text()
    assert "could not be fitted (ValueError: singular &lt;matrix&gt;)" in html


def test_report_size_stays_small(sim_run: Path) -> None:
    size = (sim_run / "report.html").stat().st_size
    assert size < 600_000, size


# -- judgebias report -----------------------------------------------------------------------


def test_report_command_rerenders_and_compares_without_any_judge(
    sim_server, pairs_file, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    data = str(pairs_file(60))
    runs = []
    for name, spec in (("biased", "sim:position=0.4,bandwagon=0.3,seed=1"), ("fair", "sim:seed=1")):
        srv = sim_server("--judge", spec)
        out = tmp_path / name
        p = run_cli(
            "audit",
            "--judge",
            "openai:sim",
            "--base-url",
            srv.base_url,
            "--data",
            data,
            "--probes",
            "position,bandwagon",
            "--out",
            str(out),
            "--quiet",
        )
        assert p.returncode == 0, p.stderr
        srv.proc.kill()  # the judge is gone: nothing below can call it
        srv.proc.wait(timeout=10)
        runs.append(out)
    (runs[0] / "report.html").unlink()
    p = run_cli("report", str(runs[0]))
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == str(runs[0] / "report.html") and (runs[0] / "report.html").exists()

    cmp_path = tmp_path / "cmp.html"
    p = run_cli("report", str(runs[0]), str(runs[1]), "--out", str(cmp_path), "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["report"] == str(cmp_path)
    html = cmp_path.read_text()
    assert "judgebias comparison of 2 runs" in html
    cells = re.findall(r'<td class="cell" data-run="([^"]+)"', html)
    assert cells == ["biased", "fair"] * 2
    assert html.count('id="forest-plot"') == 1
    forest = html.split('id="forest-plot"')[1].split("</svg>")[0]
    assert "biased" in forest and "fair" in forest  # one forest plot, both runs in its legend
    assert "<script" not in html.lower()


def test_compare_needs_readable_runs(sim_run: Path, tmp_path: Path) -> None:
    p = run_cli("report", str(sim_run), str(tmp_path / "nope"))
    assert p.returncode == 2 and "nope" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    (tmp_path / "empty").mkdir()
    p = run_cli("report", str(tmp_path / "empty"))
    assert p.returncode == 2 and "summary.json" in p.stderr and "Traceback" not in p.stderr
    p = run_cli("report", str(sim_run), "--out", "/proc/nope/report.html")
    assert p.returncode == 2 and "report.html" in p.stderr and "Traceback" not in p.stderr


def test_same_named_runs_get_distinct_labels(sim_run: Path, tmp_path: Path) -> None:
    other = tmp_path / "x" / sim_run.name
    shutil.copytree(sim_run, other)
    out = write_comparison([sim_run, other], tmp_path / "c.html")
    labels = re.findall(r'<td class="cell" data-run="([^"]+)"', out.read_text())
    assert len(set(labels)) == 2


def test_write_report_default_location(sim_run: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(sim_run, copy)
    (copy / "report.html").unlink()
    assert write_report(copy) == copy / "report.html"
    run = read_run(copy)
    assert run.label == "copy" and isinstance(run.records, pd.DataFrame)
