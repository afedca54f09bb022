"""benchmarks/adversarial_study.py runs end to end and reads summary.json defensively."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO

BENCH = REPO / "benchmarks"


def test_quick_run_of_two_configurations_prints_its_cells() -> None:
    p = subprocess.run(
        [
            sys.executable,
            str(BENCH / "adversarial_study.py"),
            *("--configs", "items-position,constant-verdict"),
            *("--seeds", "2", "--pairs", "40", "--workers", "1", "--json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=BENCH,
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["benchmark"] == "adversarial_study" and out["runs"] == 2 * 2 + 2
    cells = {c["cell"]: c for c in out["cell_figures"]}
    assert set(cells) == {
        "items-position / position / planted 0",
        "items-position / position / planted 0.2",
        "constant-verdict / position / planted 1",
        *(f"constant-verdict / {p} / planted 0" for p in ("length", "bandwagon", "authority")),
    }
    null = cells["items-position / position / planted 0"]
    assert null["runs"] == 2 and 0 <= null["false_positive_rate"] <= 1 and "coverage" in null
    # the constant judge's position is 1 in every run, and its interval must reach it
    assert cells["constant-verdict / position / planted 1"]["mean_estimate"] == 1.0
    assert "not_detected_rate" in cells["constant-verdict / length / planted 0"]
    failing = {c["cell"] for c in out["failing_cells"]}
    assert out["targets_met"] == (not failing)
    assert failing == {c for c, v in cells.items() if v["fails"]}


def test_a_key_not_in_the_summary_is_reported_missing() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        from adversarial_study import CONFIGS, _row, summarise
    finally:
        sys.path.remove(str(BENCH))
    import pandas as pd

    cfg = CONFIGS["constant-verdict"]
    rows = [
        {
            "config": "c",
            "level": 1.0,
            "seed": 0,
            "n": 10,
            **_row("length", cfg, 0.0, {"effect": 0.0}),
        },
        {"config": "c", "level": 1.0, "seed": 1, "n": 10, **_row("length", cfg, 0.0, None)},
    ]
    assert rows[0]["missing"] == "ci_high,ci_low,severity,status"
    assert rows[1]["missing"] == "probe"
    (cell,) = summarise(pd.DataFrame(rows))
    assert cell["missing"] == ["ci_high", "ci_low", "probe", "severity", "status"]
    assert cell["not_detected_rate"] == 0.0 and cell["fails"][-1].startswith("missing:")
