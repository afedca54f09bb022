"""A judge that does not judge: its probes are ``uninformative`` ("not measurable"), never
"not detected", and the run says so at the top.

Every case breaks an assumption the old figures made silently: that a judge's verdicts
depend on the answers. Before this rule, the old code read each of these (measured on
the bundled pairs):

- ``sim:position=1`` (always the first-shown answer), verdict and logprob mode: length
  and bandwagon ``measured``, ``+0.0 pp``, severity ``not detected``;
  ``--fail-on "length>0.1"`` passed (exit 0);
- ``sim:accuracy=0.5`` (at chance on gold, accuracy 50.2 % [44.0, 56.4]): length
  ``measured``, ``not detected``;
- a judge that always answers tie: position and length ``not detected``;
- ``sim:accuracy=0.85,lean=0.3`` in logprob mode (its verdict never flips, its
  probability leans 30 points toward every cued answer): length ``not detected`` and no
  figure showing the lean.

The fake OpenAI endpoint (tests/fake_openai.py, real HTTP on localhost) plays judges
that answer the same thing to every prompt; the simulated judge plays the rest.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import lists_file, run_cli
from fake_openai import FakeEndpoint, serve

from judgebias.stats.informative import CHANCE_MARGIN, at_chance, constant_reason
from judgebias.stats.intervals import bh_adjust
from judgebias.stats.validity import MIN_VALID_UNITS

CUES = "position,length,bandwagon,distraction"


def _summary(out: Path) -> dict[str, Any]:
    return json.loads((out / "summary.json").read_text())


def _audit(out: Path, judge: str, *more: str) -> Any:
    return run_cli("audit", "--judge", judge, "--probes", CUES, "--out", str(out), *more)


@contextmanager
def fake_judge(answer: str) -> Iterator[str]:
    """A judge at a real localhost URL that answers ``answer`` to every prompt."""
    ep = FakeEndpoint(answer=answer)
    loop = asyncio.new_event_loop()
    ctx = serve(ep)
    url = loop.run_until_complete(ctx.__aenter__())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        asyncio.run_coroutine_threadsafe(ctx.__aexit__(None, None, None), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _scorecard(html: str) -> str:
    return html.split('id="scorecard"')[1].split("</table>")[0]


# -- a judge that always names the first-shown answer ------------------------------------


def test_always_first_judge_cue_probes_are_not_measurable_and_the_run_says_so(
    tmp_path: Path,
) -> None:
    out = tmp_path / "first"
    p = _audit(out, "sim:position=1", "--fail-on", "length>0.1")
    # old code: exit 0, length "not detected" +0.0 pp
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr
    gate = [ln for ln in p.stderr.splitlines() if "length>0.1: FAILED" in ln]
    assert len(gate) == 1 and "not measurable" in gate[0] and "first-shown" in gate[0]
    s = _summary(out)
    pos = s["probes"]["position"]
    # the always-first judge's position figure is right, and stays measured
    assert pos["status"] == "measured" and pos["effect"] == 1.0 and pos["severity"] == "strong"
    for name in ("length", "bandwagon", "distraction"):
        fig = s["probes"][name]
        assert fig["status"] == "uninformative", (name, fig)
        assert fig["severity"] == "not measurable"
        assert "first-shown answer in all" in fig["status_reason"]
        assert fig["p_adjusted"] is None  # not in the BH family
        assert fig["effect"] == 0.0  # as computed: no verdict moved
    info = s["informative"]
    assert info["verdicts_vary"] is False and info["modal_verdict"] == "first"
    assert info["n_modal"] == info["n_verdicts"] > 0
    assert info["uninformative_probes"] == ["length", "bandwagon", "distraction"]
    assert "do not depend on the answers" in info["message"]
    assert f"{info['n_verdicts']} of {info['n_verdicts']} verdicts" in info["message"]
    # the console says it before the scorecard
    lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
    assert "do not depend on the answers" in lines[0], p.stdout
    assert p.stdout.index("do not depend") < p.stdout.index("judgebias audit of")
    # and so does the report, above the scorecard, with no "not detected" for a cue probe
    html = (out / "report.html").read_text()
    assert 'id="informative"' in html
    assert html.index('id="informative"') < html.index('id="scorecard"')
    card = _scorecard(html)
    assert card.count('data-status="uninformative"') == 3
    assert "not detected" not in card and card.count("Not measurable: the judge chose") == 3
    # the stored run fails the gate too
    rep = run_cli("report", str(out), "--fail-on", "bandwagon>0.1")
    assert rep.returncode == 1 and "bandwagon is not measurable" in rep.stderr


def test_always_first_judge_in_logprob_mode(tmp_path: Path) -> None:
    """The issue's judge: "A" on every call, whatever it is shown. The sim's P(first) is the
    same on every call too (0.999), so no soft figure moves either."""
    out = tmp_path / "first-lp"
    p = _audit(out, "sim:position=1", "--mode", "logprob", "--limit", "80", "--quiet")
    assert p.returncode == 0, p.stderr
    warn = [ln for ln in p.stderr.splitlines() if "warning" in ln and "do not depend" in ln]
    assert len(warn) == 1  # --quiet: the sentence goes to stderr
    rec = pd.read_parquet(out / "records.parquet")
    assert rec["valid"].all() and (rec["verdict_position"] == "first").all()
    assert rec["p_first"].round(6).eq(0.999).all()
    s = _summary(out)
    assert s["probes"]["position"]["effect"] == 1.0
    for name in ("length", "bandwagon", "distraction"):
        fig = s["probes"][name]
        assert fig["status"] == "uninformative" and fig["severity"] == "not measurable"
        # P(cued answer) is 0.001 with and without the cue: soft shift exactly 0
        assert fig["soft_effect"] == pytest.approx(0.0, abs=1e-9)
        assert fig["soft_cue"] == pytest.approx(0.001, abs=1e-6)
        assert fig["soft_n"] == fig["n"]


# -- a judge at chance on gold ------------------------------------------------------------


def test_judge_at_chance_on_gold_has_uninformative_cue_probes_but_measured_position(
    tmp_path: Path,
) -> None:
    """The bundled pairs carry gold; sim:accuracy=0.5 picks the right answer half the time
    (its verdicts vary, so only the chance rule applies)."""
    out = tmp_path / "chance"
    p = _audit(out, "sim:accuracy=0.5", "--fail-on", "length>0.1", "--quiet")
    assert p.returncode == 1, p.stderr
    s = _summary(out)
    lo, hi = s["accuracy_ci"]
    assert lo < 0.5 < hi and lo > 0.5 - CHANCE_MARGIN and hi < 0.5 + CHANCE_MARGIN
    info = s["informative"]
    assert info["verdicts_vary"] is True and info["at_chance"] is True
    assert "cannot be told from chance" in info["message"]
    pos = s["probes"]["position"]
    assert pos["status"] == "measured" and pos["severity"] == "not detected"
    for name in ("length", "bandwagon", "distraction"):
        fig = s["probes"][name]
        assert fig["status"] == "uninformative" and fig["severity"] == "not measurable"
        assert fig["status_reason"].startswith("the judge is at chance on gold")
    assert any("length is not measurable" in ln for ln in p.stderr.splitlines())


def test_few_gold_labels_say_nothing_about_chance(tmp_path: Path) -> None:
    """The same judge on 20 pairs: its accuracy interval is too wide to call it at chance,
    and a judge is not called uninformative for lack of gold data."""
    out = tmp_path / "few"
    p = _audit(out, "sim:accuracy=0.5", "--limit", "20", "--quiet")
    assert p.returncode == 0, p.stderr
    s = _summary(out)
    lo, hi = s["accuracy_ci"]
    assert lo < 0.5 - CHANCE_MARGIN or hi > 0.5 + CHANCE_MARGIN
    assert s["informative"]["at_chance"] is None and s["informative"]["message"] is None
    for name in ("length", "bandwagon"):
        assert s["probes"][name]["status"] == "measured"


def test_a_judging_judge_is_not_uninformative(tmp_path: Path) -> None:
    out = tmp_path / "normal"
    p = _audit(out, "sim:accuracy=0.85,length=0.2", "--fail-on", "bandwagon>0.1")
    assert p.returncode == 0, p.stderr  # bandwagon is measured and below 10 points
    s = _summary(out)
    info = s["informative"]
    assert info["verdicts_vary"] is True and info["at_chance"] is False
    assert info["message"] is None and info["uninformative_probes"] == []
    assert {f["status"] for f in s["probes"].values()} == {"measured"}
    assert s["probes"]["length"]["severity"] == "strong"
    assert s["probes"]["bandwagon"]["severity"] == "not detected"
    assert "do not depend" not in p.stdout
    assert 'id="informative"' not in (out / "report.html").read_text()
    # BH runs over the measured probes, as before
    names = list(s["probes"])
    q = bh_adjust([s["probes"][n]["p_value"] for n in names])
    assert [s["probes"][n]["p_adjusted"] for n in names] == pytest.approx(q)


def test_bh_family_holds_only_the_measured_probes(tmp_path: Path) -> None:
    out = tmp_path / "first-bh"
    assert _audit(out, "sim:position=1", "--limit", "60", "--quiet").returncode == 0
    probes = _summary(out)["probes"]
    measured = [n for n, f in probes.items() if f["status"] == "measured"]
    assert measured == ["position"]
    # one test in the family: its adjusted p is its own p
    assert probes["position"]["p_adjusted"] == pytest.approx(probes["position"]["p_value"])


@pytest.mark.parametrize(("seed", "too_few"), [(1, False), (3, True)])
def test_near_constant_judge(seed: int, too_few: bool, tmp_path: Path, pairs_file: Any) -> None:
    """sim:position=0.995 on pairs without gold (so only the first rule can apply): a few
    verdicts follow the content. With seed 1, 6 of bandwagon's 1200 cue and placebo
    verdicts differ from the first-shown answer (enough, just); with seed 3, 4 (too few).
    The length cue (5 %) moves enough verdicts to the second-shown answer either way."""
    out = tmp_path / "near"
    data = pairs_file(300, gold=False)
    judge = f"sim:accuracy=0.85,position=0.995,length=0.05,seed={seed}"
    assert _audit(out, judge, "--data", str(data), "--quiet").returncode == 0
    s = _summary(out)
    assert s["informative"]["at_chance"] is None
    rec = pd.read_parquet(out / "records.parquet")
    moved = {}
    for name in ("length", "bandwagon", "distraction"):
        mine = rec[(rec["probe"] == name) & rec["kind"].isin(["cue", "placebo"])]
        k = moved[name] = int((mine["verdict_position"] != "first").sum())
        fig = s["probes"][name]
        assert (fig["status"] == "uninformative") == (k < MIN_VALID_UNITS), (name, k, fig)
        if 0 < k < MIN_VALID_UNITS:
            assert f"only {k} of the {len(mine)} cue and placebo verdicts" in fig["status_reason"]
            assert fig["severity"] == "not measurable"
    assert moved["length"] >= MIN_VALID_UNITS and s["probes"]["length"]["status"] == "measured"
    assert (0 < moved["bandwagon"] < MIN_VALID_UNITS) is too_few, moved


# -- a judge that always answers tie, a listwise judge, a pointwise judge ------------------


def test_always_tie_judge_position_and_cues_are_not_measurable(
    tmp_path: Path, pairs_file: Any
) -> None:
    data, out = pairs_file(30), tmp_path / "tie"
    with fake_judge("Both are equally good. [[C]]") as url:
        p = run_cli(
            *("audit", "--judge", "openai:fake", "--base-url", url, "--data", str(data)),
            *("--probes", "position,length", "--out", str(out), "--fail-on", "position>0.1"),
            env={"OPENAI_API_KEY": "sk-test"},
        )
    assert p.returncode == 1, p.stderr
    s = _summary(out)
    pos, length = s["probes"]["position"], s["probes"]["length"]
    # old code: position "not detected" (every pair consistent: tie, tie)
    assert pos["status"] == "uninformative" and "only 0 of the 60" in pos["status_reason"]
    assert pos["severity"] == "not measurable"
    # no control names an answer, so no cue unit exists: not measured, as before
    assert length["status"] == "not_measured" and length["severity"] == "not measured"
    msg = s["informative"]["message"]
    assert "answered tie in 60 of 60 verdicts" in msg and "no figure of this run" in msg
    assert "position is not measurable" in p.stderr


def test_listwise_always_first_says_so_and_keeps_position(tmp_path: Path) -> None:
    data, out = lists_file(tmp_path, 12, 3), tmp_path / "list"
    p = run_cli(
        *("audit", "--judge", "sim:position=1", "--candidates", "3", "--data", str(data)),
        *("--out", str(out), "--quiet"),
    )
    assert p.returncode == 0, p.stderr
    s = _summary(out)
    assert s["probes"]["position"]["status"] == "measured"
    assert s["probes"]["position"]["effect"] == 1.0
    assert "chose the response shown first in 72 of 72 verdicts" in s["informative"]["message"]
    html = (out / "report.html").read_text()
    assert html.index('id="informative"') < html.index("chose the response shown first")


def test_listwise_always_middle_position_is_not_measurable(tmp_path: Path) -> None:
    """A judge always choosing the second of three: first-minus-last reads 0 ("not
    detected" in the old code) although the shares are as far from even as can be."""
    data, out = lists_file(tmp_path, 12, 3), tmp_path / "middle"
    with fake_judge("Response B is the best. [[B]]") as url:
        p = run_cli(
            *("audit", "--judge", "openai:fake", "--base-url", url, "--candidates", "3"),
            *("--data", str(data), "--out", str(out), "--quiet", "--fail-on", "position>0.1"),
            env={"OPENAI_API_KEY": "sk-test"},
        )
    assert p.returncode == 1, p.stderr
    pos = _summary(out)["probes"]["position"]
    assert pos["effect"] == 0.0 and pos["chi2_p"] < 1e-10
    assert pos["status"] == "uninformative" and pos["severity"] == "not measurable"
    assert "chi-square" in pos["status_reason"]


def test_pointwise_judge_giving_one_grade_is_not_measurable(
    tmp_path: Path, pairs_file: Any
) -> None:
    data, out = pairs_file(20), tmp_path / "single"
    with fake_judge("Solid answer.\nRating: [[7]]") as url:
        p = run_cli(
            *("audit", "--judge", "openai:fake", "--base-url", url, "--format", "single"),
            *("--data", str(data), "--probes", "length", "--out", str(out), "--quiet"),
            env={"OPENAI_API_KEY": "sk-test"},
        )
    assert p.returncode == 0, p.stderr
    s = _summary(out)
    fig = s["probes"]["length"]
    # old code: +0.00 points, "not detected"
    assert fig["status"] == "uninformative" and fig["severity"] == "not measurable"
    assert "gave the grade 7 in all" in fig["status_reason"]
    assert "gave the grade 7" in s["informative"]["message"]


# -- the soft shift -------------------------------------------------------------------------


def test_soft_bias_shows_where_the_verdict_never_flips(tmp_path: Path, sim_server: Any) -> None:
    """Over HTTP to serve-sim in logprob mode: the judge's verdict never changes (hard
    effects 0, "not detected"), but P(cued answer) rises by 30 points under every cue."""
    server = sim_server("--judge", "sim:accuracy=0.85,lean=0.3")
    out = tmp_path / "lean"
    p = run_cli(
        *("audit", "--judge", "openai:sim", "--base-url", server.base_url, "--mode", "logprob"),
        *("--probes", CUES, "--limit", "60", "--out", str(out), "--quiet"),
        env={"OPENAI_API_KEY": "sk-test"},
    )
    assert p.returncode == 0, p.stderr
    s = _summary(out)
    assert s["informative"]["message"] is None
    for name in ("length", "bandwagon", "distraction"):  # distraction: away, same sign
        fig = s["probes"][name]
        assert fig["status"] == "measured" and fig["effect"] == 0.0
        assert fig["severity"] == "not detected"
        assert fig["soft_ci_low"] > 0.2 and fig["soft_effect"] == pytest.approx(0.3, abs=0.01)
        assert fig["soft_placebo"] == pytest.approx(0.001, abs=1e-4)
        assert fig["soft_vs_control"] == pytest.approx(0.3, abs=0.01)
    html = (out / "report.html").read_text()
    assert "In probability, the cue moved P(the answer the bias favours) by +30.0" in html


def test_soft_shift_is_absent_in_verdict_mode_and_present_in_score_mode(tmp_path: Path) -> None:
    a, b = tmp_path / "v", tmp_path / "s"
    judge = "sim:accuracy=0.85,length=0.3"
    assert _audit(a, judge, "--limit", "40", "--quiet").returncode == 0
    assert _audit(b, judge, "--mode", "score", "--limit", "40", "--quiet").returncode == 0
    assert "soft_effect" not in _summary(a)["probes"]["length"]
    fig = _summary(b)["probes"]["length"]
    # the cue wins 30 % of units, and moves the score-based P(cued) up when it does
    assert fig["soft_ci_low"] > 0 and fig["effect"] > 0


# -- the rules on their own ------------------------------------------------------------------


def test_constant_reason_counts_the_verdicts_that_could_move() -> None:
    five = pd.Series(["first"] * 95 + ["second"] * 5)
    six = pd.Series(["first"] * 94 + ["second"] * 6)
    assert "only 5 of the 100" in str(constant_reason(five, "verdicts"))
    assert constant_reason(six, "verdicts") is None
    assert constant_reason(pd.Series([], dtype=object), "verdicts") is None  # not measured


def test_at_chance_needs_a_narrow_interval_around_chance() -> None:
    assert at_chance(0.5, 0.45, 0.55) is True
    assert at_chance(0.5, 0.36, 0.64) is True  # cannot be told from chance; 70 % ruled out
    assert at_chance(0.5, 0.25, 0.75) is None  # too few gold labels to tell
    assert at_chance(0.7, 0.60, 0.80) is False
    assert at_chance(0.2, 0.10, 0.30) is False  # wrong, but the verdicts follow the answers
    assert at_chance(None, None, None) is None
    assert at_chance(math.nan, math.nan, math.nan) is None
    assert at_chance(1 / 3, 0.28, 0.39, chance=1 / 3) is True
