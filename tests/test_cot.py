"""CALM's chain-of-thought condition: bundled `cot` and `direct` templates, the sim's
`cot` key, and a paired comparison of accuracy and every bias through `compare`."""

from __future__ import annotations

from pathlib import Path

import pytest

from judgebias.audits.pipeline import AuditConfig, run_audit
from judgebias.prompts.templates import COT_MARKER, extract_pair, render, resolve_template
from judgebias.report.compare import compare_runs
from judgebias.types import Variant


def test_bundled_cot_and_direct_templates() -> None:
    cot, direct = resolve_template("cot"), resolve_template("direct")
    v = Variant(
        pair_id="p",
        probe="control",
        kind="control",
        instruction="I?",
        response_a="x",
        response_b="y",
    )
    for t in (cot, direct):
        user = dict(render(t, v, "ab"))["user"]
        assert extract_pair(user) == ("I?", "x", "y")  # the sim reads both
    head = lambda t: dict(render(t, v, "ab"))["user"].split("[Instruction]")[0]  # noqa: E731
    assert COT_MARKER in head(cot)
    assert COT_MARKER not in head(direct)
    assert COT_MARKER not in head(resolve_template(None))


def test_a_template_file_wins_over_a_bundled_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("cot").write_text(
        "name: mine\nuser: '{instruction} {response_a} {response_b}'\n", encoding="utf-8"
    )
    assert resolve_template("cot").name == "mine"


def test_compare_direct_and_cot_runs_recovers_the_planted_cot_effect(
    pairs_file, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    judge = "sim:accuracy=0.85,position=0.3,bandwagon=0.4,citation=0.3,cot=0.5,seed=2"
    data = str(pairs_file(300, seed=12))
    runs = {}
    for name in ("direct", "cot"):
        o = run_audit(
            AuditConfig(
                judge=judge,
                data=data,
                template=name,
                probes=["position", "bandwagon", "citation"],
                out=str(tmp_path / name),
                quiet=True,
                write_report=False,
            )
        )
        runs[name] = o
        assert o.summary["run"]["template"] == name
    # without CoT the planted biases; with CoT halved (1 - cot)
    for probe, planted in (("position", 0.3), ("bandwagon", 0.4), ("citation", 0.3)):
        direct, cot = runs["direct"].summary["probes"][probe], runs["cot"].summary["probes"][probe]
        assert abs(direct["effect"] - planted) < 0.06, probe
        assert abs(cot["effect"] - planted / 2) < 0.06, probe
    raws = runs["cot"].records["raw"].dropna()
    assert raws.str.startswith("Step by step").all()  # it reasons before the verdict
    res = compare_runs(tmp_path / "direct", tmp_path / "cot", n_boot=400)
    assert res["paired"] and res["n_shared"] == 300
    t = res["table"].set_index("figure")
    for probe, planted in (("position", 0.3), ("bandwagon", 0.4), ("citation", 0.3)):
        row = t.loc[probe]
        assert row["method"] == "paired bootstrap"
        assert (
            row["diff_ci_low"] <= -planted / 2 + 0.03 and -planted / 2 - 0.03 <= row["diff_ci_high"]
        )
        assert row["diff_ci_high"] < 0, probe  # CoT reduced every planted bias
    acc = t.loc["accuracy"]
    assert acc["diff_ci_low"] <= 0 <= acc["diff_ci_high"]  # the sim plants no accuracy change
    assert res["runs"]["b"]["template"] == "cot"
