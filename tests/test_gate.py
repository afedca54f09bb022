"""The CI gate (--fail-on) and the CLI's manners: exit statuses, --quiet/--json, help, colours."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_one_line_error, run_cli

from judgebias.audits.gate import Condition, check_gate, parse_fail_on
from judgebias.errors import UsageError

# -- parsing --------------------------------------------------------------------------------


def test_parse_expressions() -> None:
    assert parse_fail_on("position>0.1,bandwagon>0.05") == [
        Condition("position", ">", 0.1),
        Condition("bandwagon", ">", 0.05),
    ]
    assert parse_fail_on(" position > 10% , length<-0.02 ") == [
        Condition("position", ">", 0.1),
        Condition("length", "<", -0.02),
    ]
    assert parse_fail_on("|position|>0.1") == [Condition("position", ">", 0.1, absolute=True)]
    assert parse_fail_on("accuracy<0.7")[0].name == "accuracy"
    assert parse_fail_on("Self>.05")[0] == Condition("self", ">", 0.05)


@pytest.mark.parametrize(
    ("expr", "needle"),
    [
        ("", "empty expression"),
        ("position", "cannot read"),
        ("position>>0.1", "cannot read"),
        ("position>0.1,", "empty condition"),
        ("position>=0.1", "not supported"),
        ("position=0.1", "not supported"),
        ("position>abc", "cannot read"),
        ("position>10", "outside [-1, 1]"),
        ("|position>0.1", "unbalanced"),
        ("|position|<0.1", "only '>'"),
        ("0position>0.1", "cannot read"),
    ],
)
def test_malformed_expressions(expr: str, needle: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_fail_on(expr)
    msg = str(err.value)
    assert msg.startswith("--fail-on:") and needle in msg and "\n" not in msg


# -- semantics: the whole interval must lie beyond the threshold -----------------------------


def _summary(lo: float | None, hi: float | None, eff: float | None = 0.2) -> dict[str, object]:
    return {
        "probes": {"position": {"effect": eff, "ci_low": lo, "ci_high": hi}},
        "accuracy": 0.8,
        "accuracy_ci": [0.7, 0.9],
    }


@pytest.mark.parametrize(
    ("expr", "lo", "hi", "tripped"),
    [
        ("position>0.1", 0.15, 0.3, True),
        ("position>0.1", 0.1, 0.3, False),  # touching the threshold is not "wholly above"
        ("position>0.1", 0.05, 0.3, False),  # the estimate is above, the interval is not
        ("position<-0.1", -0.3, -0.15, True),
        ("position<-0.1", -0.3, 0.0, False),
        ("|position|>0.1", -0.3, -0.15, True),
        ("|position|>0.1", 0.12, 0.3, True),
        ("|position|>0.1", -0.05, 0.3, False),
    ],
)
def test_interval_must_lie_wholly_beyond(expr: str, lo: float, hi: float, tripped: bool) -> None:
    (r,) = check_gate(_summary(lo, hi), parse_fail_on(expr))
    assert r.tripped is tripped and r.evaluated
    assert ("FAILED" in r.message) is tripped and expr in r.message


def test_accuracy_self_and_missing_estimates() -> None:
    (acc,) = check_gate(_summary(0.1, 0.2), parse_fail_on("accuracy<0.95"))
    assert acc.tripped and "accuracy 80.0%" in acc.message
    s = {"probes": {"self": {"dbg": 0.3, "ci_low": 0.2, "ci_high": 0.4}}}
    (dbg,) = check_gate(s, parse_fail_on("self>0.1"))
    assert dbg.tripped and "self DBG" in dbg.message
    # fail closed: a figure with no estimate cannot pass the gate
    (none,) = check_gate(_summary(None, None, None), parse_fail_on("position>0.1"))
    assert none.tripped and not none.evaluated and "no estimate" in none.message


# -- the CLI gate: planted bias trips, a clean judge passes ----------------------------------


def test_gate_trips_on_planted_bias_and_passes_a_clean_judge(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = str(pairs_file(150, gold=False))
    gate = "position>0.1,bandwagon>0.05"
    p = run_cli(
        "audit",
        "--judge",
        "sim:position=0.35,bandwagon=0.3,seed=1",
        "--data",
        data,
        "--probes",
        "position,bandwagon",
        "--out",
        str(tmp_path / "biased"),
        "--quiet",
        "--fail-on",
        gate,
    )
    assert p.returncode == 1, p.stderr
    assert p.stdout == ""
    failed = [ln for ln in p.stderr.splitlines() if "FAILED" in ln]
    assert len(failed) == 2 and "position>0.1" in failed[0] and "bandwagon>0.05" in failed[1]
    assert (tmp_path / "biased" / "report.html").exists()  # the report is written either way

    p = run_cli(
        "audit",
        "--judge",
        "sim:seed=1",
        "--data",
        data,
        "--probes",
        "position,bandwagon",
        "--out",
        str(tmp_path / "clean"),
        "--fail-on",
        gate,
    )
    assert p.returncode == 0, p.stderr
    assert "gate passed" in p.stderr and "FAILED" not in p.stderr

    # --json: stdout stays summary.json; the gate speaks on stderr and in the exit status
    p = run_cli(
        "audit",
        "--judge",
        "sim:position=0.35,bandwagon=0.3,seed=1",
        "--data",
        data,
        "--probes",
        "position,bandwagon",
        "--out",
        str(tmp_path / "biased"),
        "--json",
        "--fail-on",
        "position>0.1",
    )
    assert p.returncode == 1
    assert json.loads(p.stdout)["probes"]["position"]["ci_low"] > 0.1
    assert "position>0.1: FAILED" in p.stderr

    # the same gate on the stored runs, without any judge
    p = run_cli(
        "report",
        str(tmp_path / "biased"),
        str(tmp_path / "clean"),
        "--out",
        str(tmp_path / "c.html"),
        "--fail-on",
        gate,
        "--json",
    )
    assert p.returncode == 1
    out = json.loads(p.stdout)
    assert out["gate"]["tripped"] is True
    assert [r["tripped"] for r in out["gate"]["results"][str(tmp_path / "clean")]] == [False, False]
    p = run_cli("report", str(tmp_path / "clean"), "--fail-on", gate, "--quiet")
    assert p.returncode == 0 and p.stdout == "" and p.stderr == ""


def test_malformed_gate_is_exit_2_before_any_call(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = str(pairs_file(10))
    out = tmp_path / "never"
    assert_one_line_error(
        run_cli(
            "audit",
            "--judge",
            "sim",
            "--data",
            data,
            "--out",
            str(out),
            "--fail-on",
            "position>>0.1",
        ),
        "--fail-on",
        "position>>0.1",
    )
    assert_one_line_error(
        run_cli(
            "audit",
            "--judge",
            "sim",
            "--data",
            data,
            "--out",
            str(out),
            "--fail-on",
            "bandwagn>0.1",
        ),
        "--fail-on",
        "did you mean 'bandwagon'",
    )
    assert_one_line_error(
        run_cli(
            "audit", "--judge", "sim", "--data", data, "--out", str(out), "--fail-on", "length>0.1"
        ),
        "--fail-on",
        "add it to --probes",
    )
    assert_one_line_error(
        run_cli(
            "audit", "--judge", "sim", "--data", data, "--out", str(out), "--fail-on", "position>5"
        ),
        "--fail-on",
        "10%",
    )
    assert not out.exists()  # nothing ran


# -- CLI manners -------------------------------------------------------------------------------


def test_help_is_light() -> None:
    """--help imports none of the heavy packages (its speed is measured in
    benchmarks/help_speed.py, not timed here)."""
    code = (
        "import sys\nfrom judgebias.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pandas', 'numpy', 'matplotlib', 'openai', 'litellm', 'scipy', 'statsmodels', 'aiohttp') if m in sys.modules]\n"
        "print('RESULT', ','.join(heavy))\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    line = next(ln for ln in p.stdout.splitlines() if ln.startswith("RESULT"))
    heavy = line.removeprefix("RESULT").strip()
    assert heavy == "", f"--help imports {heavy}"


def test_every_command_has_examples() -> None:
    from typer.main import get_command
    from typer.testing import CliRunner

    from judgebias.cli import app

    group = get_command(app)
    names = sorted(group.commands)  # type: ignore[attr-defined]
    assert {"audit", "report", "demo"} <= set(names)
    runner = CliRunner()
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0 and "Example" in top.output
    for name in names:
        res = runner.invoke(app, [name, "--help"])
        assert res.exit_code == 0, name
        assert "Example" in res.output and "judgebias " + name in res.output, name


def test_no_colour_when_piped(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = run_cli(
        "audit",
        "--judge",
        "sim:position=0.3",
        "--data",
        str(pairs_file(20)),
        "--out",
        str(tmp_path / "r"),
    )
    assert p.returncode == 0 and "position" in p.stdout
    assert "\x1b[" not in p.stdout and "\x1b[" not in p.stderr


_COLOUR = re.compile(r"\x1b\[[0-9;]*(?:3[0-9]|9[0-7]|38;[0-9;]+)m")


def _in_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run the CLI with a pseudo-terminal as stdout and stderr; return what it printed."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "judgebias.cli", *args], stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_no_colour_env_is_honoured_in_a_terminal(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    base.update(TERM="xterm-256color", COLUMNS="120")
    args = ["audit", "--judge", "sim:position=0.3", "--data", str(pairs_file(20))]
    coloured = _in_terminal([*args, "--out", str(tmp_path / "a")], base)
    assert _COLOUR.search(coloured), (
        "a terminal should get colours (otherwise this test proves nothing)"
    )
    plain = _in_terminal([*args, "--out", str(tmp_path / "b")], {**base, "NO_COLOR": "1"})
    assert "position" in plain and not _COLOUR.search(plain)


def test_quiet_and_json(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = str(pairs_file(20))
    p = run_cli("audit", "--judge", "sim", "--data", data, "--out", str(tmp_path / "q"), "--quiet")
    assert p.returncode == 0 and p.stdout == "" and p.stderr == ""
    p = run_cli("report", str(tmp_path / "q"), "--quiet")
    assert p.returncode == 0 and p.stdout == "" and p.stderr == ""
    p = run_cli("report", str(tmp_path / "q"), "--json")
    assert json.loads(p.stdout) == {
        "report": str(tmp_path / "q" / "report.html"),
        "runs": [str(tmp_path / "q")],
    }
