"""Issue 16's templated cues (compassion, identity, refinement, citation): probe files,
matched placebos, and planted values recovered from the simulated judge."""

from __future__ import annotations

from pathlib import Path

import pytest

from judgebias.audits.pipeline import AuditConfig, run_audit
from judgebias.errors import InputError
from judgebias.judges.simulated import parse_sim_params
from judgebias.probes.catalog import builtin_probes, load_probe_file, perturb
from judgebias.types import Pair

NEW = ["compassion", "identity", "refinement", "citation"]


@pytest.mark.parametrize("name", NEW)
def test_probe_file_has_several_phrasings_each_with_a_matched_placebo(name: str) -> None:
    spec = builtin_probes()[name]
    assert len(spec.cues) >= 3
    placebos = {p.id: p for p in spec.placebos}
    for cue in spec.cues:
        assert cue.placebo in placebos, cue.id
        plc = placebos[cue.placebo]
        assert plc.placement == cue.placement
        if name in ("identity", "citation"):  # "a neutral statement / padding of the same length"
            assert abs(len(plc.text) - len(cue.text)) <= 0.06 * len(cue.text), cue.id


def test_a_cue_is_always_paired_with_its_own_placebo() -> None:
    spec = builtin_probes()["citation"]
    pair = Pair(id="x", instruction="Say hi.", response_a="Hi.", response_b="Hello there.")
    seen = set()
    for seed in range(30):
        cue, placebo = perturb(pair, spec, "a", "ab", seed)
        match = next(c.placebo for c in spec.cues if c.id == cue.variant)
        assert placebo.variant == match
        seen.add(cue.variant)
    assert seen == {c.id for c in spec.cues}


def test_a_cue_naming_an_unknown_placebo_is_one_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "mine.yaml"
    p.write_text(
        "name: mine\ncues:\n  - id: c\n    text: 'Cue.'\n    placebo: nope\n"
        "placebos:\n  - id: p\n    text: 'Plain.'\n"
    )
    with pytest.raises(InputError, match=r"mine\.yaml.*'nope'"):
        load_probe_file(p)


def test_sim_accepts_the_new_keys_and_checks_their_range() -> None:
    params = parse_sim_params("compassion=0.2,identity=0.1,refinement=0.3,citation=0.4")
    assert (params.compassion, params.identity, params.refinement, params.citation) == (
        0.2,
        0.1,
        0.3,
        0.4,
    )
    from judgebias.errors import SpecError

    with pytest.raises(SpecError, match="citation"):
        parse_sim_params("citation=1.5")


@pytest.mark.parametrize("name", NEW)
@pytest.mark.parametrize("planted", [0.25, 0.0])
def test_planted_value_recovered(name: str, planted: float, pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    o = run_audit(
        AuditConfig(
            judge=f"sim:accuracy=0.85,{name}={planted},seed=3",
            data=str(pairs_file(250, seed=8, gold=False)),
            probes=[name],
            out=str(tmp_path / "r"),
            quiet=True,
            write_report=False,
        )
    )
    f = o.summary["probes"][name]
    # one run: the estimate is near the plant (coverage over many runs: benchmarks/probe_study.py)
    assert abs(f["effect"] - planted) < 0.05
    assert f["ci_high"] - f["ci_low"] < 0.15
    assert f["placebo_flip_rate"] == 0.0
    assert f["robustness_rate"] == pytest.approx(1 - f["flip_rate"], abs=1e-9)
    assert len(f["variants"]) >= 3
    if planted:
        assert f["p_adjusted"] < 0.001
        assert f["severity"] == "strong"
    else:
        assert f["p_adjusted"] >= 0.05 and f["effect"] == 0.0


def test_robustness_rate_next_to_the_placebo_net_effect(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """CALM's robustness rate for every probe; the report shows it beside the effect."""
    o = run_audit(
        AuditConfig(
            judge="sim:accuracy=0.85,position=0.2,citation=0.3,seed=1",
            data=str(pairs_file(120, seed=9)),
            probes=["position", "citation"],
            out=str(tmp_path / "r"),
            quiet=True,
        )
    )
    pos, cit = o.summary["probes"]["position"], o.summary["probes"]["citation"]
    assert pos["robustness_rate"] == pos["consistency"]
    assert pos["robustness_rate"] < 1.0
    # the cue changed the verdicts it flipped; the sim's placebo changes none
    assert cit["robustness_rate"] == pytest.approx(1 - cit["flip_rate"])
    assert cit["placebo_robustness_rate"] == 1.0
    html = (tmp_path / "r" / "report.html").read_text()
    assert "unchanged (CALM RR)" in html
    assert f"{100 * cit['robustness_rate']:.1f} %" in html


def test_fail_on_gates_the_new_probes(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from conftest import run_cli

    p = run_cli(
        *("audit", "--judge", "sim:citation=0.4,fallacy=0.5,compassion=0"),
        *("--data", str(pairs_file(80, seed=13, gold=False)), "--out", str(tmp_path / "r")),
        *("--probes", "citation,compassion,fallacy", "--rewriter", "sim", "--quiet"),
        *("--fail-on", "citation>0.1,compassion>0.05,fallacy>0.2"),
        timeout=120,
    )
    assert p.returncode == 1, p.stderr
    assert "citation>0.1: FAILED" in p.stderr and "fallacy>0.2: FAILED" in p.stderr
    assert "compassion>0.05: FAILED" not in p.stderr
