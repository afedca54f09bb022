"""Listwise position bias (--candidates 3|4): Latin square, strict parser, the sim's
planted listwise position recovered, statistics, CLI errors and the report."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from conftest import lists_file, run_cli

from judgebias.answers_formats import parse_choice
from judgebias.listwise import extract_list, list_template, render_list, williams_orders
from judgebias.pipeline import AuditConfig, run_audit
from judgebias.stats.listwise import listwise_position_stats


@pytest.mark.parametrize("k", [3, 4])
def test_williams_orders_are_a_balanced_latin_square(k: int) -> None:
    rows = williams_orders(k)
    assert len(rows) == (k if k % 2 == 0 else 2 * k)
    for pos in range(k):  # every candidate equally often in every position
        assert Counter(r[pos] for r in rows) == {c: len(rows) // k for c in range(k)}
    follows = Counter((r[i], r[i + 1]) for r in rows for i in range(k - 1))
    assert len(set(follows.values())) == 1 and len(follows) == k * (k - 1)  # carry-over balanced


@pytest.mark.parametrize(
    ("text", "k", "expected"),
    [
        ("Response B is best.\n[[B]]", 4, 1),
        ("[[C]] ... so, again: [[C]]", 3, 2),
        ("D", 4, 3),
        ("[[A]] or maybe [[B]]", 4, None),  # two different choices: never guessed
        ("[[D]]", 3, None),  # not a shown response
        ("I would pick B.", 4, None),
        ("[[tie]]", 4, None),
        ("", 4, None),
        (None, 4, None),
    ],
)
def test_parse_choice_is_strict(text: str | None, k: int, expected: int | None) -> None:
    assert parse_choice(text, k) == expected


def test_listwise_prompt_round_trips_through_the_sims_reader() -> None:
    shown = ["first text\nwith two lines", "second", "third [Response B] lookalike", "fourth"]
    msgs = dict(render_list(list_template(None), "Pick one?", shown))
    assert "[[B]]" in msgs["user"] and "A, B, C, D" in msgs["user"]
    assert extract_list(msgs["user"]) == ("Pick one?", shown)


def test_statistics_on_a_known_table() -> None:
    # item 1: first shown wins in all 4 orders; item 2: the same candidate "a" every time
    rows = []
    for r, order in enumerate(williams_orders(4)):
        rows.append(
            {
                "pair_id": "i1",
                "variant": f"r{r}",
                "shown": 1,
                "verdict": "abcd"[order[0]],
                "gold": "a",
            }
        )
        rows.append(
            {
                "pair_id": "i2",
                "variant": f"r{r}",
                "shown": order.index(0) + 1,
                "verdict": "a",
                "gold": "a",
            }
        )
    f = listwise_position_stats(pd.DataFrame(rows).astype({"shown": "Int64"}), 4)
    assert [s["share"] for s in f["shares"]] == [5 / 8, 1 / 8, 1 / 8, 1 / 8]
    assert f["effect"] == pytest.approx(0.5)  # first share minus last share
    assert f["consistency"] == 0.5 and f["n"] == 2 and f["n_verdicts"] == 8
    assert f["accuracy"] == pytest.approx(5 / 8)
    from scipy.stats import chisquare

    assert f["chi2_p"] == pytest.approx(chisquare([5, 1, 1, 1]).pvalue)


@pytest.mark.parametrize(("k", "planted"), [(4, 0.3), (3, -0.25), (4, 0.0)])
def test_planted_listwise_position_recovered(k: int, planted: float, tmp_path: Path) -> None:
    o = run_audit(
        AuditConfig(
            judge=f"sim:accuracy=0.9,position={planted},seed=4",
            data=str(lists_file(tmp_path, 150, k)),
            candidates=k,
            out=str(tmp_path / "r"),
            quiet=True,
            write_report=planted == 0.3,
        )
    )
    f = o.summary["probes"]["position"]
    assert o.summary["format"] == "list" and f["n"] == 150
    assert f["n_verdicts"] == 150 * len(williams_orders(k))
    assert f["ci_low"] <= planted <= f["ci_high"]
    assert len(f["shares"]) == k and f["expected_share"] == pytest.approx(1 / k)
    if planted:
        assert f["chi2_p"] < 1e-6 and f["p_adjusted"] < 1e-6
        # the favoured position's share: planted + (1 - planted) / k
        fav = f["shares"][0 if planted > 0 else -1]
        assert fav["ci_low"] <= abs(planted) + (1 - abs(planted)) / k <= fav["ci_high"]
        assert f["consistency"] < 1
    else:
        assert f["effect"] == 0 and f["chi2_p"] == 1.0 and f["consistency"] == 1.0
        assert f["severity"] == "not detected"
    if planted == 0.3:
        html = (tmp_path / "r" / "report.html").read_text()
        assert 'id="shares-table"' in html and "Chi-square" in html and "<script" not in html


def test_cli_errors_are_one_line(tmp_path: Path, pairs_file) -> None:  # type: ignore[no-untyped-def]
    data = lists_file(tmp_path, 5, 4)
    for args, words in (
        (["--candidates", "5", "--data", str(data)], "--candidates: 5 is not one of 3, 4"),
        (["--candidates", "3", "--data", str(pairs_file(5))], "missing response_c"),
        (
            ["--candidates", "4", "--data", str(data), "--probes", "length"],
            "only the position probe",
        ),
    ):
        p = run_cli("audit", "--judge", "sim", "--out", str(tmp_path / "x"), *args)
        assert p.returncode == 2, p.stderr
        assert words in p.stderr and "Traceback" not in p.stderr
        assert len(p.stderr.strip().splitlines()) == 1


def test_cli_gate_on_listwise_position(tmp_path: Path) -> None:
    data = lists_file(tmp_path, 80, 4)
    out = tmp_path / "r"
    p = run_cli(
        "audit",
        "--judge",
        "sim:position=0.4",
        "--data",
        str(data),
        "--candidates",
        "4",
        "--out",
        str(out),
        "--quiet",
        "--fail-on",
        "position>0.1",
    )
    assert p.returncode == 1 and "position>0.1: FAILED" in p.stderr
    s = json.loads((out / "summary.json").read_text())
    assert {"effect", "ci_low", "ci_high", "p_value", "p_adjusted", "n", "chi2_p", "shares"} <= set(
        s["probes"]["position"]
    )
