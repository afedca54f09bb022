"""Perturbation probes: templates as data, the sim's stripping, and planted biases recovered."""

from __future__ import annotations

from pathlib import Path

import pytest

from judgebias.audits.pipeline import AuditConfig, run_audit
from judgebias.errors import InputError, UsageError
from judgebias.probes.catalog import (
    builtin_probes,
    load_probe_file,
    perturb,
    resolve_probes,
    strip_edits,
)
from judgebias.prompts.templates import default_template, extract_pair, render
from judgebias.types import Pair

PERTURBATION = [
    "length",
    "bandwagon",
    "authority",
    "reflection",
    "distraction",
    "compassion",
    "identity",
    "refinement",
    "citation",
]


def test_builtin_probe_files_load_with_several_phrasings() -> None:
    probes = builtin_probes()
    assert list(probes)[:1] == ["position"]
    assert {*PERTURBATION, "position", "self"} <= set(probes)
    for name in PERTURBATION:
        spec = probes[name]
        assert len(spec.cues) >= 2, name
        assert spec.placebos, name
    assert probes["distraction"].direction == "away"


def test_resolve_probes() -> None:
    assert [p.name for p in resolve_probes("all")][:2] == ["position", "length"]
    assert [p.name for p in resolve_probes("bandwagon, position")] == ["bandwagon", "position"]
    with pytest.raises(UsageError, match="did you mean 'authority'"):
        resolve_probes("authorty")


@pytest.mark.parametrize("name", PERTURBATION)
@pytest.mark.parametrize("order", ["ab", "ba"])
def test_every_cue_and_placebo_is_stripped_exactly(name: str, order: str) -> None:
    """The sim must see the control pair again once the probe text is removed."""
    spec = builtin_probes()[name]
    pair = Pair(
        id="p1",
        instruction="What is 12 * 12?\nShow the result.",
        response_a="144",
        response_b="It is 124, since 12 times 12 is 124.",
    )
    tpl = default_template()
    for seed in range(12):  # different seeds pick different templates and variables
        for control in ("a", "b"):
            cue, placebo = perturb(pair, spec, control, order, seed)  # type: ignore[arg-type]
            for v in (cue, placebo):
                msgs = dict(render(tpl, v, order))  # type: ignore[arg-type]
                user = msgs["user"]
                _, first, second = extract_pair(user)  # type: ignore[misc]
                note = user[
                    user.rfind("[End of Response B]") + len("[End of Response B]") :
                ].strip()
                e = strip_edits(system=msgs["system"], first=first, second=second, note=note)
                shown = (
                    (pair.response_a, pair.response_b)
                    if order == "ab"
                    else (pair.response_b, pair.response_a)
                )
                assert (e.first, e.second) == shown, (name, v.variant, seed)
                if v.kind == "placebo":
                    assert e.cues == []
                else:
                    target_pos = "first" if (v.target == "a") == (order == "ab") else "second"
                    assert e.cues == [(spec.bias, target_pos)], (name, v.variant)
                    # toward probes cue the answer the control verdict was against
                    assert (v.target != control) == (spec.direction == "toward")


def test_bad_probe_file_is_one_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "mine.yaml"
    p.write_text(
        "name: mine\nkind: perturbation\ncues:\n  - id: x\n    text: 'Uses {nothing}.'\nplacebos:\n  - text: ok\n"
    )
    with pytest.raises(InputError, match=r"mine\.yaml.*\{nothing\}"):
        load_probe_file(p)
    p.write_text("name: mine\nkind: perturbation\ncues: []\n")
    with pytest.raises(InputError, match="cues"):
        load_probe_file(p)


def test_custom_probe_file_runs_in_an_audit(tmp_path: Path, pairs_file) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "politeness.yaml"
    p.write_text(
        "name: politeness\nkind: perturbation\nbias: politeness\nplacement: suffix\n"
        "cues:\n  - id: thanks\n    text: 'Thank you so much for this wonderful question!'\n"
        "placebos:\n  - id: neutral\n    text: 'This is the end of the response text.'\n"
    )
    o = run_audit(
        AuditConfig(
            judge="sim:accuracy=0.9",
            data=str(pairs_file(300)),
            probes=["position"],
            probe_files=[str(p)],
            out=str(tmp_path / "r"),
            quiet=True,
        )
    )
    fig = o.summary["probes"]["politeness"]
    assert fig["n"] == 600
    assert fig["variants"][0]["variant"] == "thanks"
    # The sim does not know this probe's text, so it reads both edits as new content:
    # cue and placebo flip alike (the placebo is what shows it) and no bias is found.
    assert fig["placebo_flip_rate"] > 0.3 and fig["flip_rate"] > 0.3
    assert fig["ci_low"] <= 0 <= fig["ci_high"]
    assert fig["deff"] > 1.5  # both orders of a pair flip together: the interval accounts for it


@pytest.mark.parametrize(
    ("name", "planted"),
    [
        ("length", 0.3),
        ("bandwagon", 0.2),
        ("authority", 0.1),
        ("reflection", 0.25),
        ("distraction", 0.15),
    ],
)
def test_planted_bias_recovered(name: str, planted: float, pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    o = run_audit(
        AuditConfig(
            judge=f"sim:accuracy=0.85,{name}={planted},seed=5",
            data=str(pairs_file(300, seed=2, gold=False)),
            probes=[name],
            out=str(tmp_path / "r"),
            quiet=True,
        )
    )
    f = o.summary["probes"][name]
    assert f["ci_low"] <= planted <= f["ci_high"]
    assert f["p_adjusted"] < 0.001
    assert f["placebo_flip_rate"] == 0.0
    assert f["robustness_rate"] == pytest.approx(1 - f["flip_rate"], abs=1e-9)
    assert {
        "effect",
        "ci_low",
        "ci_high",
        "p_value",
        "p_adjusted",
        "n",
        "flip_rate",
        "placebo_flip_rate",
        "robustness_rate",
        "variants",
    } <= set(f)
    assert len(f["variants"]) >= 2
    assert sum(v["n"] for v in f["variants"]) == f["n"]


def test_all_zero_nothing_flagged_and_all_at_once_all_found(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = str(pairs_file(300, seed=3, gold=False))
    zero = run_audit(
        AuditConfig(
            judge="sim:accuracy=0.85",
            data=data,
            probes=["all"],
            gold_judge="sim:accuracy=1",
            out=str(tmp_path / "z"),
            quiet=True,
        )
    )
    for name, f in zero.summary["probes"].items():
        assert f["p_adjusted"] >= 0.05, name
    planted = {
        "position": 0.2,
        "length": 0.15,
        "bandwagon": 0.1,
        "authority": 0.2,
        "reflection": 0.1,
        "distraction": 0.1,
    }
    spec = "sim:accuracy=0.85," + ",".join(f"{k}={v}" for k, v in planted.items())
    many = run_audit(
        AuditConfig(
            judge=spec,
            data=data,
            probes=["all"],
            gold_judge="sim:accuracy=1",
            out=str(tmp_path / "m"),
            quiet=True,
        )
    )
    for name, value in planted.items():
        f = many.summary["probes"][name]
        assert f["p_adjusted"] < 0.05, name
        assert f["ci_low"] <= value <= f["ci_high"], name


@pytest.mark.parametrize(("self_bias", "expect_positive"), [(0.3, True), (0.0, False)])
def test_self_preference_dbg(
    self_bias: float, expect_positive: bool, pairs_file, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    o = run_audit(
        AuditConfig(
            judge=f"sim:accuracy=0.85,self={self_bias}",
            gold_judge="sim:accuracy=1",
            data=str(pairs_file(300, seed=4)),
            probes=["self"],
            out=str(tmp_path / "r"),
            quiet=True,
        )
    )
    f = o.summary["probes"]["self"]
    assert {"dbg", "ci_low", "ci_high", "p_value", "p_adjusted", "n"} <= set(f)
    if expect_positive:
        assert f["ci_low"] > 0
    else:
        assert f["ci_low"] <= 0 <= f["ci_high"]


def test_self_probe_needs_a_rewriter_or_a_gold_judge(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match=r"--rewriter SPEC .* or --gold-judge"):
        run_audit(
            AuditConfig(
                judge="sim",
                data=str(pairs_file(5)),
                probes=["self"],
                out=str(tmp_path / "r"),
                quiet=True,
            )
        )


def test_self_answers_file(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import json

    from judgebias.judges.simulated import SIM_SIGNATURE

    data = pairs_file(200, seed=6)
    own = tmp_path / "own.jsonl"
    with own.open("w") as fh:
        for line in data.read_text().splitlines():
            row = json.loads(line)
            fh.write(
                json.dumps({"id": row["id"], "response": f"My own take on it. {SIM_SIGNATURE}"})
                + "\n"
            )
    o = run_audit(
        AuditConfig(
            judge="sim:accuracy=0.85,self=0.4",
            gold_judge="sim:accuracy=1",
            self_answers=str(own),
            data=str(data),
            probes=["self"],
            out=str(tmp_path / "r"),
            quiet=True,
        )
    )
    assert o.summary["probes"]["self"]["ci_low"] > 0
