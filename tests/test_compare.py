"""judgebias compare: two runs side by side, paired or independent, CSV / JSON / HTML."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_pairs, run_cli

from judgebias.audits.pipeline import AuditConfig, run_audit
from judgebias.errors import InputError
from judgebias.report.compare import COMPARE_COLUMNS, compare_runs, read_run_folder
from judgebias.stats.rundiff import independent

JUDGE = "sim:accuracy=0.9,position=0.3,bandwagon=0.3,suppression=0.5"


def audit(data: Path, out: Path, mitigations: list[str]) -> None:
    run_audit(
        AuditConfig(
            judge=JUDGE,
            data=str(data),
            out=str(out),
            quiet=True,
            write_report=False,
            probes=["position", "bandwagon"],
            mitigations=mitigations,
        )
    )


def write_pairs(path: Path, n: int, seed: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for row in make_pairs(n, seed):
            fh.write(json.dumps(row) + "\n")
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    data = write_pairs(root / "pairs.jsonl", 150, 51)
    out = {}
    for name, mits in (("plain", []), ("swap", ["swap"]), ("prompt", ["system-prompt"])):
        audit(data, root / name, mits)
        out[name] = root / name
    audit(write_pairs(root / "other.jsonl", 150, 52), root / "other", [])
    out["other"] = root / "other"
    return out


def test_paired_comparison_of_swap(runs: dict[str, Path]) -> None:
    res = compare_runs(runs["plain"], runs["swap"], n_boot=500)
    assert res["paired"] and res["n_shared"] == 150
    t = res["table"].set_index("figure")
    assert list(res["table"].columns) == list(COMPARE_COLUMNS)
    assert list(t.index) == ["position", "bandwagon", "accuracy", "ties"]
    pos = t.loc["position"]
    assert pos["effect_b"] == 0.0 and pos["ci_low_b"] <= 0 <= pos["ci_high_b"]
    assert pos["difference"] == pytest.approx(pos["effect_b"] - pos["effect_a"])
    assert pos["diff_ci_high"] < 0 and pos["p_value"] < 0.01 and pos["method"] == "paired bootstrap"
    assert t.loc["ties", "effect_b"] == pytest.approx(
        1
        - json.loads((runs["plain"] / "summary.json").read_text())["probes"]["position"][
            "consistency"
        ]
    )
    assert t.loc["bandwagon", "difference"] == pytest.approx(
        t.loc["bandwagon", "effect_b"] - t.loc["bandwagon", "effect_a"]
    )
    assert res["runs"]["b"]["calls_per_verdict"] == 2 and res["runs"]["b"]["mitigations"] == [
        "swap"
    ]


def test_system_prompt_difference_is_the_suppression(runs: dict[str, Path]) -> None:
    t = compare_runs(runs["plain"], runs["prompt"], n_boot=500)["table"].set_index("figure")
    for p in ("position", "bandwagon"):
        assert t.loc[p, "ratio"] == pytest.approx(0.5, abs=0.15)
        assert t.loc[p, "diff_ci_low"] <= -0.5 * t.loc[p, "effect_a"] <= t.loc[p, "diff_ci_high"]
        assert not math.isnan(t.loc[p, "p_adjusted"])


def test_independent_runs_use_newcombe(runs: dict[str, Path]) -> None:
    res = compare_runs(runs["plain"], runs["other"], n_boot=500)
    assert not res["paired"]
    t = res["table"].set_index("figure")
    assert set(t["method"]) == {"newcombe"}
    assert t.loc["position", "diff_ci_low"] <= 0 <= t.loc["position", "diff_ci_high"]


def test_independent_interval_is_newcombes_for_proportions() -> None:
    from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

    c1, n1, c2, n2 = 45, 120, 70, 130
    la, ua = proportion_confint(c1, n1, method="wilson")
    lb, ub = proportion_confint(c2, n2, method="wilson")
    d = independent(c1 / n1, la, ua, c2 / n2, lb, ub, 0.05)
    lo, hi = confint_proportions_2indep(c2, n2, c1, n1, method="newcomb", compare="diff")
    assert (d["diff_ci_low"], d["diff_ci_high"]) == pytest.approx((lo, hi))
    assert 0 < d["p_value"] < 0.05


def test_outputs_by_suffix(runs: dict[str, Path], tmp_path: Path) -> None:
    for suffix in (".csv", ".json", ".html"):
        p = run_cli(
            "compare",
            str(runs["plain"]),
            str(runs["swap"]),
            "--out",
            str(tmp_path / f"c{suffix}"),
            "--n-boot",
            "200",
        )
        assert p.returncode == 0, p.stderr
        assert "position" in p.stdout and "paired over 150" in p.stdout
    csv = pd.read_csv(tmp_path / "c.csv")
    assert list(csv.columns) == list(COMPARE_COLUMNS) and len(csv) == 4
    j = json.loads((tmp_path / "c.json").read_text())
    assert set(j["runs"]) == {"a", "b"} and j["paired"] is True
    assert {"calls", "tokens", "cost_usd", "accuracy", "mitigations"} <= set(j["runs"]["a"])
    html = (tmp_path / "c.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in html and "<link" not in html


def test_html_escapes_run_names(runs: dict[str, Path], tmp_path: Path) -> None:
    evil = tmp_path / "<b>run&"
    shutil.copytree(runs["swap"], evil)
    out = tmp_path / "e.html"
    assert (
        run_cli(
            "compare", str(runs["plain"]), str(evil), "--out", str(out), "--n-boot", "200"
        ).returncode
        == 0
    )
    html = out.read_text()
    assert "<b>run&" not in html and "&lt;b&gt;run&amp;" in html


def test_errors_are_one_line(runs: dict[str, Path], tmp_path: Path) -> None:
    for args, needle in (
        (["compare", str(tmp_path / "nope"), str(runs["swap"])], "nope"),
        (["compare", str(runs["plain"]), str(runs["swap"]), "--n-boot", "5"], "--n-boot"),
    ):
        p = run_cli(*args)
        assert p.returncode == 2 and "Traceback" not in p.stderr
        lines = [ln for ln in p.stderr.strip().splitlines() if ln.strip()]
        assert len(lines) == 1 and needle in lines[0], p.stderr
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"summary\.json"):
        read_run_folder(tmp_path / "empty")


@pytest.mark.slow
def test_paired_p_values_agree_with_their_intervals(tmp_path: Path) -> None:
    # two seeded runs on the bundled pairs, every cue planted at 0.10 and at 0.11: the same
    # draws, so B moves a few more verdicts than A and never fewer. Before, the interval
    # (a bootstrap) and the p-value (a randomisation test) disagreed: length +1.0 pp
    # [+0.2, +2.0] with p = 0.072, bandwagon +1.8 [+0.6, +3.1] with p = 0.003
    runs = []
    for strength in ("0.10", "0.11"):
        out = tmp_path / strength
        run_audit(
            AuditConfig(
                judge=f"sim:accuracy=0.9,bandwagon={strength},length={strength},"
                f"authority={strength}",
                out=str(out),
                quiet=True,
                write_report=False,
                probes=["position", "bandwagon", "length", "authority"],
            )
        )
        runs.append(out)
    res = compare_runs(runs[0], runs[1])
    assert res["paired"] and res["n_shared"] == 245
    t = res["table"].set_index("figure")
    for name, row in t.iterrows():
        excludes = row["diff_ci_low"] > 0 or row["diff_ci_high"] < 0
        assert excludes == (row["p_value"] < 0.05), (name, row.to_dict())
    for probe in ("bandwagon", "length", "authority"):
        assert t.loc[probe, "difference"] >= 0 and t.loc[probe, "method"] == "paired bootstrap"
    # the bundled pairs: two of them share an instruction, so 244 clusters
    assert t.loc["length", "n_clusters"] == 244
