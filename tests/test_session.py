"""One audit session for every format: the settings are checked before the format is
chosen, the notebook result of a pointwise or listwise audit is the same as load_run's,
and its effects are shown in their own unit."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_one_line_error, lists_file, run_cli

import judgebias as jb
from judgebias.errors import UsageError
from judgebias.tables.summary import Unit


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"format": "single", "concurrency": 0}, "--concurrency: must be at least 1"),
        ({"format": "single", "limit": 0}, "--limit: must be at least 1"),
        ({"format": "single", "mode": "vibes"}, "--mode: 'vibes' is not one of"),
        ({"candidates": 3, "concurrency": 0}, "--concurrency: must be at least 1"),
        ({"concurrency": 0}, "--concurrency: must be at least 1"),
    ],
)
def test_settings_are_checked_for_every_format(
    options: dict[str, object], needle: str, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    with pytest.raises(UsageError, match=needle.replace("(", r"\(")):
        jb.audit("sim", out=str(out), quiet=True, **options)  # type: ignore[arg-type]
    assert not out.exists()  # refused before anything was opened or sent


def test_cli_refuses_concurrency_zero_for_single(tmp_path: Path) -> None:
    p = run_cli(
        "audit", "--judge", "sim", "--format", "single", "--concurrency", "0",
        "--out", str(tmp_path / "r"), "--quiet",
    )  # fmt: skip
    assert_one_line_error(p, "--concurrency")
    assert not (tmp_path / "r").exists()


def test_pointwise_result_shows_grade_points_and_has_the_pairs(tmp_path: Path) -> None:
    out = tmp_path / "single"
    res = jb.audit(
        "sim:length=0.3", format="single", probes="length", limit=30, out=str(out), quiet=True
    )
    fig = res.summary_json["probes"]["length"]
    assert fig["unit"] == "points" and res.typed.probes["length"].effect_unit is Unit.POINTS
    eff = float(fig["effect"])
    assert eff > 0.1  # the planted length bias raises the grade
    text = repr(res)
    assert f"length {eff:+.2f} points" in text
    assert f"{100 * eff:+.1f}pp" not in text and " pp" not in text
    assert res.summary.set_index("probe").loc["length", "unit"] == "points"
    # .pairs is the table load_run reads from the folder, not an empty frame
    stored = jb.load_run(out)
    assert len(res.pairs) == 30
    pd.testing.assert_frame_equal(
        res.pairs.reset_index(drop=True), stored.pairs.reset_index(drop=True)
    )
    assert repr(stored) == repr(res)


def test_listwise_result_has_its_items(tmp_path: Path) -> None:
    data = lists_file(tmp_path, 20, 3)
    out = tmp_path / "list"
    res = jb.audit("sim:position=0.3", data=str(data), candidates=3, out=str(out), quiet=True)
    stored = jb.load_run(out)
    assert list(res.pairs["id"]) == list(stored.pairs["id"]) and len(res.pairs) == 20
    assert {"response_a", "response_b", "response_c"} <= set(res.pairs.columns)
    assert res.typed.format == "list" and res.typed.candidates == 3
    eff = float(res.summary_json["probes"]["position"]["effect"])
    assert f"position {100 * eff:+.1f} pp" in repr(res)  # a share of verdicts, in points


def test_the_sim_and_the_judges_do_not_import_the_audits() -> None:
    from test_imports import import_graph

    g = import_graph()
    leaks = {
        m: sorted(t for t in targets if t.startswith("judgebias.audits"))
        for m, targets in g.items()
        if m.startswith(("judgebias.sim", "judgebias.judges", "judgebias.prompts"))
    }
    assert not {m: t for m, t in leaks.items() if t}, leaks
