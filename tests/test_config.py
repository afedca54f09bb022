"""The audit's rules hold alike on the command line and in a notebook (one check for both),
and library code prints nothing itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli, stderr_lines

import judgebias as jb
from judgebias.audits.config import check_audit_config
from judgebias.audits.gate import check_gate, parse_fail_on, result_lines
from judgebias.audits.pipeline import AuditConfig
from judgebias.errors import UsageError

# (notebook options, the same as flags)
BROKEN = [
    ({"max_cost": 5.0}, ["--max-cost", "5"], "--max-cost: needs --price-in/--price-out"),
    ({"max_attempts": 0}, ["--max-attempts", "0"], "--max-attempts: must be at least 1"),
    ({"rpm": 0.0}, ["--rpm", "0"], "--rpm: must be positive"),
    ({"tpm": -5.0}, ["--tpm", "-5"], "--tpm: must be positive"),
    ({"timeout": 0.0}, ["--timeout", "0"], "--timeout: must be positive"),
    (
        {"price_in": -1.0, "max_cost": 5.0},
        ["--price-in", "-1", "--max-cost", "5"],
        "--price-in: must not be negative",
    ),
]


@pytest.mark.parametrize(("options", "flags", "message"), BROKEN)
def test_notebook_refuses_what_the_cli_refuses(
    options: dict[str, float], flags: list[str], message: str, tmp_path: Path
) -> None:
    judge = ["openai:gpt-4o-mini", "http://127.0.0.1:9/v1"]
    out = tmp_path / "nb"
    with pytest.raises(UsageError) as info:
        jb.audit(judge[0], base_urls=[judge[1]], out=str(out), **options)  # type: ignore[arg-type]
    assert str(info.value).startswith(message) and not out.exists()
    p = run_cli(
        "audit", "--judge", judge[0], "--base-url", judge[1], "--out", str(tmp_path / "c"), *flags
    )
    assert p.returncode == 2 and stderr_lines(p) == [f"judgebias: error: {info.value}"]
    assert not (tmp_path / "c").exists()


def test_priced_or_self_priced_judges_may_have_a_cap() -> None:
    check_audit_config(AuditConfig(judge="openai:m", max_cost=5.0, price_in=0.15))
    check_audit_config(AuditConfig(judge="litellm:openai/gpt-4o-mini", max_cost=5.0))
    check_audit_config(AuditConfig(judge="sim", price_in=0.0, price_out=0.0, max_cost=1.0))


def test_gate_returns_its_lines_and_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    summary = {
        "probes": {
            "position": {
                "effect": 0.3,
                "ci_low": 0.2,
                "ci_high": 0.4,
                "status": "measured",
                "n_invalid": 0,
            }
        }
    }
    results = check_gate(summary, parse_fail_on("position>0.1"))
    lines = result_lines(results, run="r1")
    assert capsys.readouterr() == ("", "")
    assert any(r.tripped for r in results)
    assert lines[-1] == "judgebias: --fail-on (r1): gate FAILED (exit status 1)"
    assert len(lines) == 2 and lines[0].startswith("judgebias: --fail-on (r1): ")
    assert result_lines(results, quiet=True, run="r1") == lines[:1]


@pytest.mark.parametrize(
    "how", [{"format": "single", "probes": ["length"]}, {"candidates": 3}], ids=["single", "list"]
)
def test_budget_and_effort_reach_every_format(how: dict[str, object], tmp_path: Path) -> None:
    """--max-tokens and --reasoning-effort are the audited judge's in pointwise and
    listwise audits too (they were fixed at 512 tokens and no effort), checked alike."""
    import sqlite3

    from conftest import lists_file

    data = lists_file(tmp_path, 3, 3) if "candidates" in how else None
    kw = {"data": str(data)} if data else {"limit": 3}
    jb.audit("sim:reasoning=inline", out=str(tmp_path / "r"), max_tokens=300,
             reasoning_effort="low", **how, **kw)  # type: ignore[arg-type]  # fmt: skip
    with sqlite3.connect(tmp_path / "r" / "store.sqlite") as db:
        sent = [__import__("json").loads(r[0]) for r in db.execute("SELECT request FROM responses")]
    assert sent and all(r["max_tokens"] == 300 for r in sent)
    assert all(r.get("reasoning_effort") == "low" for r in sent)
    with pytest.raises(UsageError, match="--reasoning-effort: 'extreme' is not one of"):
        jb.audit("sim", out=str(tmp_path / "x"), reasoning_effort="extreme", **how, **kw)  # type: ignore[arg-type]
