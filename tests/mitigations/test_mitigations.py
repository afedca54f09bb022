"""Mitigations for live judges: prompt transforms, swap / multi-sample / jury wrappers."""

from __future__ import annotations

import asyncio
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, run_cli

from judgebias.audits.pipeline import AuditConfig, run_audit
from judgebias.corrections.mitigations import (
    MITIGATION_NAMES,
    MitigatedJudge,
    Mitigations,
    Vote,
    aggregate,
    apply_prompts,
    builtin_prompt_mitigation,
    load_prompt_mitigation,
    plan_mitigations,
    split_mitigations,
    vote_to_verdict,
)
from judgebias.errors import InputError, UsageError
from judgebias.judges.base import JudgeOptions, make_judge
from judgebias.probes.catalog import BIAS_AWARE_MARKER
from judgebias.types import ChatRequest, Completion, Verdict


def audit(
    data: Path,
    out: Path,
    judge: str,
    mitigations: list[str] | None = None,
    probes: list[str] | None = None,
    **kw: object,
):  # type: ignore[no-untyped-def]
    return run_audit(
        AuditConfig(
            judge=judge,
            data=str(data),
            out=str(out),
            quiet=True,
            write_report=False,
            probes=probes or ["position"],
            mitigations=mitigations or [],
            **kw,
        )
    )  # type: ignore[arg-type]


# --------------------------------------------------------------------------- swap


def test_swap_removes_position_effect_at_two_calls_per_verdict(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = pairs_file(200, seed=21)
    plain = audit(data, tmp_path / "plain", "sim:accuracy=0.9,position=0.3")
    swap = audit(data, tmp_path / "swap", "sim:accuracy=0.9,position=0.3", ["swap"])
    p0, p1 = plain.summary["probes"]["position"], swap.summary["probes"]["position"]
    assert p0["ci_low"] > 0.2
    assert p1["ci_low"] <= 0.0 <= p1["ci_high"] and p1["effect"] == 0.0
    assert p1["consistency"] == 1.0
    calls = swap.summary["calls"]
    assert calls["per_verdict"] == 2 and calls["verdicts"] == 400
    # the audit's two orders share their backend requests: nothing is asked twice
    assert calls["total"] == plain.summary["calls"]["total"] == 400
    assert swap.summary["run"]["mitigations"] == ["swap"]
    assert swap.summary["run"]["mitigation"]["calls_per_verdict"] == 2
    # position bias became ties: exactly the pairs whose plain orders disagreed
    rec = swap.records
    wide = rec.pivot(index="pair_id", columns="order", values="verdict")
    assert (wide["ab"] == wide["ba"]).all()
    tie_share = float((wide["ab"] == "tie").mean())
    assert tie_share == pytest.approx(1 - p0["consistency"])
    assert "swap: shown order" in rec["raw"].iloc[0]
    # the tokens are those of the unique backend requests
    assert swap.summary["tokens"]["total"] == plain.summary["tokens"]["total"]


def test_swap_on_probes_asks_the_other_order(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = pairs_file(80, seed=22)
    s = audit(
        data,
        tmp_path / "r",
        "sim:accuracy=0.9,bandwagon=0.4",
        ["swap"],
        probes=["position", "bandwagon"],
    ).summary
    # every cue and placebo request (one order each) needs its twin in the other order;
    # a twin that is another unit's own request (same variant text) is asked once
    n_pert = s["calls"]["verdicts"] - 160
    assert 160 + n_pert < s["calls"]["total"] <= 160 + 2 * n_pert
    # a cue has to win both orders now: the flip rate falls from ~0.4 to ~0.4^2
    assert s["probes"]["bandwagon"]["effect"] < 0.3


def test_swap_soft_in_logprob_mode(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = pairs_file(60, seed=23)
    o = audit(data, tmp_path / "r", "sim:accuracy=0.9,position=0.4", ["swap"], mode="logprob")
    assert o.summary["probes"]["position"]["effect"] == 0.0
    p = o.records["p_first"].dropna()
    assert len(p) == 120 and ((p - 0.5).abs() < 1e-6).sum() > 0  # disagreements average to 1/2


def test_swap_resumes_without_sending(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = pairs_file(30, seed=24)
    first = audit(data, tmp_path / "r", "sim:position=0.2", ["swap"])
    again = audit(data, tmp_path / "r", "sim:position=0.2", ["swap"])
    assert again.summary["calls"]["sent"] == 0
    assert again.summary["probes"] == first.summary["probes"]


# --------------------------------------------------------------------------- prompts


def test_system_prompt_scales_every_bias_by_one_minus_suppression(
    pairs_file, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    data = pairs_file(300, seed=25)
    judge = "sim:accuracy=0.9,position=0.4,bandwagon=0.4,authority=0.3,suppression=0.5"
    probes = ["position", "bandwagon", "authority"]
    before = audit(data, tmp_path / "a", judge, probes=probes).summary["probes"]
    o = audit(data, tmp_path / "b", judge, ["system-prompt"], probes=probes)
    after = o.summary["probes"]
    for p in probes:
        expected = 0.5 * before[p]["effect"]
        assert after[p]["ci_low"] <= expected <= after[p]["ci_high"], (p, before[p], after[p])
        assert after[p]["effect"] / before[p]["effect"] == pytest.approx(0.5, abs=0.12)
    assert o.summary["calls"]["per_verdict"] == 1
    assert o.summary["run"]["mitigation"]["prompts"]["system-prompt"].endswith("system-prompt.yaml")


def test_prompt_mitigations_transform_messages() -> None:
    msgs = (
        ("system", "You judge."),
        ("user", "[Instruction]\nx\n\n[Response A]\n1\n[End of Response A]"),
    )
    sp, fs, rf = (builtin_prompt_mitigation(n) for n in ("system-prompt", "few-shot", "reflect"))
    out = apply_prompts(msgs, [rf, fs, sp])
    assert out[0][0] == "system" and out[0][1].startswith(BIAS_AWARE_MARKER)
    assert out[0][1].endswith("You judge.") and "reflect" in out[0][1].lower()
    for name in ("position", "length", "bandwagon", "authority", "reflection"):
        assert name.lower() in sp.system.lower()
    roles = [r for r, _ in out]
    assert roles[-1] == "user" and out[-1] == msgs[-1]
    assert roles[1:-1] == ["user", "assistant"] * len(fs.examples)
    # no system message in the template: one is created
    assert apply_prompts((("user", "u"),), [sp])[0] == ("system", sp.system)


def test_few_shot_and_reflect_leave_the_sim_unmoved(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = pairs_file(60, seed=26)
    a = audit(
        data, tmp_path / "a", "sim:position=0.3,bandwagon=0.3", probes=["position", "bandwagon"]
    )
    b = audit(
        data,
        tmp_path / "b",
        "sim:position=0.3,bandwagon=0.3",
        ["few-shot", "reflect"],
        probes=["position", "bandwagon"],
    )
    for p in ("position", "bandwagon"):
        assert a.summary["probes"][p]["effect"] == b.summary["probes"][p]["effect"]
    assert b.summary["tokens"]["prompt"] > a.summary["tokens"]["prompt"]


def test_user_prompt_file_replaces_a_builtin(tmp_path: Path, pairs_file) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "mine.yaml"
    f.write_text(
        f"name: mine\nsystem: |-\n  {BIAS_AWARE_MARKER} my own words.\n"
        "user_prefix: Read carefully.\n",
        encoding="utf-8",
    )
    pm = load_prompt_mitigation(f)
    assert pm.system.startswith(BIAS_AWARE_MARKER) and pm.user_prefix == "Read carefully."
    o = audit(pairs_file(40, seed=27), tmp_path / "r", "sim:position=0.4,suppression=1", [str(f)])
    assert o.summary["probes"]["position"]["effect"] == 0.0  # full suppression
    assert o.summary["run"]["mitigations"] == [str(f)]
    bad = tmp_path / "bad.yaml"
    bad.write_text('name: bad\nexamples:\n  - user: "[Instruction]\\nx"\n    assistant: A\n')
    with pytest.raises(InputError, match="marker"):
        load_prompt_mitigation(bad)
    empty = tmp_path / "empty.yaml"
    empty.write_text("name: empty\n")
    with pytest.raises(InputError, match="at least one"):
        load_prompt_mitigation(empty)


def test_mitigation_prompts_ship_as_package_data() -> None:
    folder = resources.files("judgebias.probe_data").joinpath("mitigations")
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".yaml"))
    assert names == ["few-shot.yaml", "reflect.yaml", "system-prompt.yaml"]
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"mitigations/*.yaml"' in pyproject


# --------------------------------------------------------------------------- samples, jury


def test_multi_sample_requests_are_distinct_and_warm() -> None:
    plan = plan_mitigations(["multi-sample"], samples=4)
    assert plan.samples == 4 and plan.calls_per_verdict == 4
    base = make_judge("sim:position=0.3")
    mit = Mitigations.create(plan, base, JudgeOptions())
    req = ChatRequest(model=mit.judge.model, messages=(("user", "x"),))
    assert isinstance(mit.judge, MitigatedJudge)
    leaves = mit.judge.leaves(req)
    assert [r.sample for _, r in leaves] == [0, 1, 2, 3]
    assert all(r.temperature > 0 and r.model == base.model for _, r in leaves)
    assert len({r.key() for _, r in leaves}) == 4
    assert mit.judge.model != base.model  # combined answers never collide with plain ones


def test_multi_sample_audit_and_sim_varies_across_samples(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = pairs_file(100, seed=28)
    o = audit(
        data, tmp_path / "r", "sim:accuracy=0.7,position=0.3", ["multi-sample:mean"], samples=3
    )
    s = o.summary
    assert s["calls"]["per_verdict"] == 3 and s["calls"]["total"] == 600
    assert s["run"]["mitigation"]["sample_rule"] == "mean"
    raws = o.records["raw"].str.extract(r"samples \(mean\): ([^-]+) ->")[0].dropna()
    assert raws.map(lambda t: len(set(t.split(", ")))).max() > 1  # the samples disagree somewhere
    # --samples K alone implies multi-sample
    assert plan_mitigations(None, samples=3).names == ("multi-sample",)


def test_jury_panel(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = pairs_file(80, seed=29)
    o = audit(
        data,
        tmp_path / "r",
        "sim:position=0.3",
        ["jury:sim:position=-0.3,seed=1;sim:position=0,seed=2"],
    )
    s = o.summary
    assert s["calls"]["per_verdict"] == 3 and s["calls"]["total"] == 480
    assert s["run"]["mitigation"]["jury"] == ["sim:position=-0.3,seed=1", "sim:position=0,seed=2"]
    assert abs(s["probes"]["position"]["effect"]) < 0.15  # opposite biases cancel in the vote


def test_aggregate_rules() -> None:
    f, s, t = Vote("first"), Vote("second"), Vote("tie")
    assert aggregate([f, f, s], "majority", "x").pos == "first"
    assert aggregate([f, s], "majority", "x").pos == "tie"
    assert aggregate([f, t, t], "majority", "x").pos == "tie"
    assert aggregate([f, t, t], "mean", "x").pos == "first"
    assert aggregate([f, s, t], "mean", "x").pos == "tie"
    assert aggregate([Vote(None), Vote(None)], "majority", "x").pos is None
    m = aggregate([Vote("first", 0.9), Vote("second", 0.3)], "mean", "x")
    assert m.pos == "first" and m.p_first == pytest.approx(0.6)


def test_used_alone_the_wrapper_asks_its_leaves_itself() -> None:
    plan = plan_mitigations(["multi-sample"], samples=2)
    mit = Mitigations.create(plan, make_judge("sim"), JudgeOptions())
    judge = mit.judge
    assert isinstance(judge, MitigatedJudge)
    comp = asyncio.run(judge.complete(ChatRequest(model=judge.model, messages=(("user", "x"),))))
    assert isinstance(comp, Completion) and "2 samples" in comp.text
    assert comp.verdict is not None


@pytest.mark.parametrize(
    ("mode", "vote", "expected"),
    [
        # verdict mode: the rule's side, never a P(first)
        ("verdict", Vote("first", 0.4), Verdict("first", None)),
        # logprob and score: the side of P(first), as for every reading in those modes
        ("logprob", Vote("first", 0.4), Verdict("second", 0.4)),
        ("score", Vote("tie"), Verdict("tie", 0.5)),
        ("score", Vote("second"), Verdict("second", 0.0)),
        ("verdict", Vote(None, reason="echo"), Verdict(None, None, "echo")),
        ("verdict", Vote(None), Verdict(None, None, "no_verdict")),
    ],
)
def test_combined_vote_as_verdict(mode: str, vote: Vote, expected: Verdict) -> None:
    assert vote_to_verdict(vote, mode) == expected


def test_unreadable_leaves_keep_their_reason() -> None:
    echo = Vote(None, reason="echo")
    assert aggregate([echo, echo], "majority", "x").reason == "echo"
    assert aggregate([echo, Vote(None, reason="empty")], "majority", "x").reason is None


# --------------------------------------------------------------------------- parsing, errors


def test_split_keeps_jury_commas() -> None:
    assert split_mitigations("swap,jury:sim:position=0.3,seed=1;sim,system-prompt") == [
        "swap",
        "jury:sim:position=0.3,seed=1;sim",
        "system-prompt",
    ]
    assert split_mitigations(["swap", "few-shot,reflect"]) == ["swap", "few-shot", "reflect"]
    assert set(MITIGATION_NAMES) >= {
        "system-prompt",
        "few-shot",
        "reflect",
        "swap",
        "multi-sample",
        "jury",
    }


@pytest.mark.parametrize(
    ("items", "kw", "needle"),
    [
        ("swapp", {}, "did you mean 'swap'"),
        ("swap,swap", {}, "twice"),
        ("multi-sample", {"samples": 1}, "at least 2"),
        (None, {"samples": 0}, "at least 1"),
        ("multi-sample:t=0", {}, "temperature"),
        ("multi-sample:median", {}, "majority, mean"),
        ("jury:", {}, "at least one judge"),
        ("reflect", {"mode": "logprob"}, "--mode verdict"),
        ("jury:sim", {"self_probe": True}, "self"),
        ("swap:fast", {}, "no options"),
    ],
)
def test_plan_errors(items: str | None, kw: dict[str, object], needle: str) -> None:
    with pytest.raises(UsageError, match=needle):
        plan_mitigations(items, **kw)  # type: ignore[arg-type]


def test_bad_jury_member_spec() -> None:
    plan = plan_mitigations("jury:sim:positon=0.3")
    with pytest.raises(UsageError, match="jury member"):
        Mitigations.create(plan, make_judge("sim"))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--mitigation", "swop"], "did you mean 'swap'"),
        (["--mitigation", "jury:simm"], "jury member"),
        (["--mitigation", "multi-sample", "--samples", "1"], "--samples"),
        (["--mitigation", "missing.yaml"], "missing.yaml"),
    ],
)
def test_cli_mitigation_errors_are_one_line(
    args: list[str], needle: str, pairs_file, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    p = run_cli(
        "audit",
        "--judge",
        "sim",
        "--data",
        str(pairs_file(5)),
        "--out",
        str(tmp_path / "o"),
        "--quiet",
        *args,
    )
    assert p.returncode == 2, (p.stdout, p.stderr)
    lines = [ln for ln in p.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in p.stderr


def test_cli_audit_with_mitigation(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import json

    p = run_cli(
        "audit",
        "--judge",
        "sim:position=0.3",
        "--data",
        str(pairs_file(40, seed=30)),
        "--out",
        str(tmp_path / "o"),
        "--mitigation",
        "system-prompt,swap",
        "--json",
    )
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)
    assert s["run"]["mitigations"] == ["system-prompt", "swap"]
    pos = s["probes"]["position"]
    assert pos["ci_low"] <= 0 <= pos["ci_high"]
    rec = pd.read_parquet(tmp_path / "o" / "records.parquet")
    assert len(rec) == 80
