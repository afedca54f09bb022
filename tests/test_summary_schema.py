"""``judgebias schema summary`` prints the JSON Schema of summary.json, and every
summary.json an audit writes (pairwise, pointwise, listwise) validates against it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import assert_one_line_error, lists_file, run_cli

import judgebias as jb


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    p = run_cli("schema", "summary")
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    jsonschema.Draft202012Validator.check_schema(got)
    return got


def _valid(schema: dict[str, Any], summary: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(schema).validate(summary)


def test_every_audit_format_writes_a_valid_summary(
    schema: dict[str, Any], pairs_file: Any, tmp_path: Path
) -> None:
    data = str(pairs_file(30, seed=5))
    runs = {
        "pair": jb.audit(
            "sim:position=0.2,bandwagon=0.2,self=0.2",
            data=data,
            probes="all",
            gold_judge="sim:accuracy=1",
            out=str(tmp_path / "pair"),
            quiet=True,
            write_report=False,
        ),
        "logprob": jb.audit(
            "sim:position=0.2", data=data, mode="logprob", out=str(tmp_path / "lp"), quiet=True,
            mitigations=["swap"], write_report=False,
        ),
        "single": jb.audit(
            "sim:length=0.3", data=data, format="single", probes="all",
            out=str(tmp_path / "single"), quiet=True, write_report=False,
        ),
        "list": jb.audit(
            "sim:position=0.3", data=str(lists_file(tmp_path, 15, 4)), candidates=4,
            out=str(tmp_path / "list"), quiet=True, write_report=False,
        ),
    }  # fmt: skip
    for name, res in runs.items():
        written = json.loads((res.path / "summary.json").read_text())
        _valid(schema, written)
        assert res.typed.format == ("pair" if name in ("pair", "logprob") else name)
    # the CLI's run folder too
    p = run_cli(
        "audit", "--judge", "sim", "--data", data, "--out", str(tmp_path / "cli"), "--quiet"
    )
    assert p.returncode == 0, p.stderr
    _valid(schema, json.loads((tmp_path / "cli" / "summary.json").read_text()))


def test_the_schema_refuses_a_broken_summary(schema: dict[str, Any], tmp_path: Path) -> None:
    res = jb.audit("sim", limit=10, out=str(tmp_path / "r"), quiet=True, write_report=False)
    good = json.loads((res.path / "summary.json").read_text())
    for path, value in (
        (("accuracy",), "high"),
        (("probes", "position", "unit"), "percent"),
        (("probes", "position", "status"), "fine"),
        (("calls", "total"), None),
    ):
        bad = copy.deepcopy(good)
        node = bad
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        with pytest.raises(jsonschema.ValidationError):
            _valid(schema, bad)
    bad = copy.deepcopy(good)
    del bad["judge"]
    with pytest.raises(jsonschema.ValidationError):
        _valid(schema, bad)


def test_unknown_schema_is_a_usage_error() -> None:
    assert_one_line_error(run_cli("schema", "records"), "schema", "summary")
