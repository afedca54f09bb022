"""Rewritten cues (--rewriter): sentiment and fallacy planted in the sim and recovered
through the sim rewriter; content-changing rewrites discarded and counted; the rewriter's
calls through the same runner and store (over real HTTP with faults)."""

from __future__ import annotations

from pathlib import Path

import pytest

from judgebias.audits.pipeline import AuditConfig, run_audit
from judgebias.errors import UsageError
from judgebias.probes.catalog import builtin_probes
from judgebias.probes.rewrite import check_rewrite


@pytest.mark.parametrize(
    ("original", "rewritten", "reason"),
    [
        ("The answer is 144.", "What a delight! The answer is 144. Hope this helps!", None),
        ("The answer is 144.", "Honestly, the answer is 145.", "answer changed (checked task)"),
        ("The answer is 144.", "   ", "empty rewrite"),
        ("The answer is 144.", None, "rewriter call failed"),
        ("The answer is 144.", "The answer is 144. " + "Padding. " * 60, "length out of bounds"),
        ("A long answer. " * 20, "Short.", "length out of bounds"),
    ],
)
def test_check_rewrite(original: str, rewritten: str | None, reason: str | None) -> None:
    assert check_rewrite("What is 12 * 12?", original, rewritten) == reason


def test_rewrite_probe_files() -> None:
    sentiment, fallacy = builtin_probes()["sentiment"], builtin_probes()["fallacy"]
    assert sentiment.kind == fallacy.kind == "rewrite"
    tones = {c.id: c.direction for c in sentiment.cues}
    assert tones == {"cheerful": "toward", "angry": "away", "sad": "away", "fearful": "away"}
    assert [p.id for p in sentiment.placebos] == ["neutral-paraphrase"]


def audit(judge: str, probes: list[str], data: Path, out: Path, **kw: object) -> dict:  # type: ignore[type-arg]
    return run_audit(
        AuditConfig(judge=judge, data=str(data), probes=probes, out=str(out), quiet=True, **kw)  # type: ignore[arg-type]
    ).summary


@pytest.mark.parametrize("planted", [0.3, 0.0])
def test_sentiment_recovered(planted: float, pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = audit(
        f"sim:accuracy=0.85,sentiment={planted},seed=2",
        ["sentiment"],
        pairs_file(200, seed=31, gold=False),
        tmp_path / "r",
        rewriter="sim",
        write_report=planted > 0,
    )
    f = s["probes"]["sentiment"]
    assert abs(f["effect"] - planted) < 0.05
    assert f["placebo_flip_rate"] == 0.0  # a neutral paraphrase moves nothing
    assert {v["variant"]: v["direction"] for v in f["variants"]} == {
        "cheerful": "toward",
        "angry": "away",
        "sad": "away",
        "fearful": "away",
    }
    assert s["rewriter"]["spec"] == "sim" and s["rewriter"]["n_discarded"] == {}
    if planted:
        assert f["p_adjusted"] < 0.001
        html = (tmp_path / "r" / "report.html").read_text()
        assert "rewrites requested" in html and 'id="examples-sentiment"' in html
    else:
        assert f["effect"] == 0 and f["p_adjusted"] >= 0.05


@pytest.mark.parametrize("planted", [0.4, 0.0])
def test_fallacy_accuracy_drop_recovered(planted: float, pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = audit(
        f"sim:accuracy=0.85,fallacy={planted},position=0.2,seed=3",
        ["fallacy"],
        pairs_file(200, seed=32, gold=False),
        tmp_path / "r",
        rewriter="sim",
        write_report=planted > 0,
    )
    f = s["probes"]["fallacy"]
    assert abs(f["effect"] - planted) < 0.06
    assert f["accuracy"] == pytest.approx(1 - f["effect"] / 2)
    assert f["accuracy_drop"] == pytest.approx(1 - f["accuracy"])
    assert f["n"] == 200 * 2 * 2  # every answer of every pair, both orders
    if planted:
        assert f["ci_low"] > 0 and f["p_adjusted"] < 0.001
        html = (tmp_path / "r" / "report.html").read_text()
        assert "verdicts that preferred the corrupted reasoning" in html
    else:
        assert f["accuracy"] == 1.0 and f["p_adjusted"] >= 0.05


def test_rewrite_probes_need_a_rewriter(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = pairs_file(20, seed=33)
    with pytest.raises(UsageError, match="--rewriter"):
        audit("sim", ["position", "sentiment"], data, tmp_path / "a", write_report=False)
    s = audit("sim", ["all"], data, tmp_path / "b", gold_judge="sim:accuracy=1", write_report=False)
    assert "sentiment" not in s["probes"] and "fallacy" not in s["probes"]  # 'all' skips them


def test_rewriter_over_http_with_faults_discards_and_counts(
    pairs_file, tmp_path: Path, sim_server
) -> None:  # type: ignore[no-untyped-def]
    """The rewriter is a real OpenAI-compatible endpoint (serve-sim) that fails some
    requests; with one attempt each, those rewrites fail and their units are discarded."""
    server = sim_server("--judge", "sim", "--fault-rate", "0.3", "--seed", "4", "--stall-s", "5")
    s = audit(
        "sim:accuracy=0.85,sentiment=0.3,seed=2",
        ["sentiment"],
        pairs_file(60, seed=34),
        tmp_path / "r",
        rewriter="openai:sim-rewriter",
        base_urls=[server.base_url],
        max_attempts=1,
        timeout=1.0,
        write_report=False,
    )
    rw = s["rewriter"]
    lost = rw["n_discarded"].get("sentiment", 0)
    assert lost > 0 and rw["discarded"]["sentiment"] == {"rewriter call failed": lost}
    f = s["probes"]["sentiment"]
    assert f["n"] + lost == 120  # every (pair, order) unit is either measured or discarded
    assert f["n"] > 0 and abs(f["effect"] - 0.3) < 0.15
    assert rw["calls"]["failed"] > 0 and rw["calls"]["total"] == rw["requested"]
    assert server.stats()["requests"] >= rw["requested"]


@pytest.mark.parametrize("planted", [0.3, 0.0])
def test_sentiment_in_single_format_is_a_grade_shift(
    planted: float, pairs_file, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    s = audit(
        f"sim:sentiment={planted},seed=5",
        ["sentiment"],
        pairs_file(150, seed=35, gold=False),
        tmp_path / "r",
        rewriter="sim",
        format="single",
        write_report=False,
    )
    f = s["probes"]["sentiment"]
    assert f["unit"] == "points" and f["n"] == 300
    assert abs(f["effect"] - planted) < 0.07  # cheerful +1, negative tones -1, net of paraphrase
    assert {v["variant"] for v in f["variants"]} == {"cheerful", "angry", "sad", "fearful"}
    assert s["rewriter"]["requested"] > 0 and s["rewriter"]["n_discarded"] == {}
    if not planted:
        assert f["effect"] == 0 and f["p_adjusted"] >= 0.05


def test_sentiment_units_follow_the_control_verdicts_alongside_other_probes(
    pairs_file, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """With other perturbation probes in the run, the records hold their cue and placebo
    verdicts too (here a probe the sim does not know, whose placebo moves half the
    verdicts); the rewrite targets must still come from the control verdicts."""
    unseen = tmp_path / "unseen.yaml"
    unseen.write_text(
        "name: unseen\nkind: perturbation\ncues:\n  - id: c\n    text: 'What a question!'\n"
        "placebos:\n  - id: p\n    text: 'This sentence ends the text.'\n"
    )
    s = audit(
        "sim:accuracy=0.85,sentiment=0.3,seed=1",
        ["sentiment"],
        pairs_file(150, seed=36),
        tmp_path / "r",
        rewriter="sim",
        probe_files=[str(unseen)],
        write_report=False,
    )
    assert s["probes"]["unseen"]["placebo_flip_rate"] > 0.3
    f = s["probes"]["sentiment"]
    assert f["placebo_flip_rate"] == 0.0 and abs(f["effect"] - 0.3) < 0.06
