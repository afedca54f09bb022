"""Listwise position bias (--candidates 3|4): Latin square, strict parser, the sim's
planted listwise position recovered, statistics, CLI errors and the report."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from aiohttp import web
from conftest import lists_file, run_cli
from fake_openai import FakeEndpoint, serve
from scipy.stats import chisquare

from judgebias.audits.formats.listwise import williams_orders
from judgebias.audits.pipeline import AuditConfig, run_audit, run_audit_async
from judgebias.prompts.answers_formats import parse_choice
from judgebias.prompts.listwise import extract_list, list_template, render_list
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
        common = {"variant": f"r{r}", "order": "".join("abcd"[i] for i in order), "gold": "a"}
        rows.append({"pair_id": "i1", "shown": 1, "verdict": "abcd"[order[0]], **common})
        rows.append({"pair_id": "i2", "shown": order.index(0) + 1, "verdict": "a", **common})
    rows_df = pd.DataFrame(rows).astype({"shown": "Int64"})
    f = listwise_position_stats(rows_df, 4)
    assert [s["share"] for s in f["shares"]] == [5 / 8, 1 / 8, 1 / 8, 1 / 8]
    assert f["effect"] == pytest.approx(0.5)  # first share minus last share
    assert f["consistency"] == 0.5 and f["n"] == 2 and f["n_verdicts"] == 8
    assert f["accuracy"] == pytest.approx(5 / 8)
    # Rao-Scott by hand: d = mean shares - 1/4 over positions 1-3 = (3/8, -1/8, -1/8),
    # P^-1 = 4 (I + J), d' P^-1 d = 3/4; the items differ by (3/4, -1/4, -1/4), so the
    # covariance of the mean is that outer product / 4 and tr(P^-1 V) = 3/4: F = 1 on
    # (1, 1) degrees of freedom (one direction of variation, two items), p = 1/2; the
    # pooled chi-square of (5, 1, 1, 1) treats the 8 verdicts as independent: p = 0.11
    assert f["chi2_f"] == pytest.approx(1.0) and f["chi2"] == pytest.approx(3.0)
    assert f["chi2_df"] == pytest.approx(1.0) and f["chi2_df_denominator"] == pytest.approx(1.0)
    assert f["chi2_p"] == pytest.approx(0.5)
    assert f["design_effect"] == pytest.approx(8 * 0.75 / 3)  # 8 verdicts, 3 dimensions


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
        assert 'id="shares-table"' in html and "Rao-Scott" in html and "<script" not in html


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


class OrderSensitiveJudge(FakeEndpoint):
    """A listwise judge behind real HTTP with no position bias whose answer is unreadable
    more often when the item's best response is shown last: it picks the best response
    (a stable hash of the texts) with probability ``accuracy``, another at random
    otherwise, whatever the order; when the best is shown last it writes no verdict with
    probability ``unreadable_best_last``. Every draw is a hash of the prompt."""

    def __init__(self, accuracy: float, unreadable_best_last: float) -> None:
        super().__init__()
        self.accuracy, self.unreadable_best_last = accuracy, unreadable_best_last

    @staticmethod
    def _u(*parts: str) -> float:
        digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def decide(self, message: str) -> str:
        parsed = extract_list(message)
        assert parsed is not None, message
        instruction, shown = parsed
        best = min(shown, key=lambda t: self._u("best", instruction, t))
        if shown[-1] == best and self._u("unread", message) < self.unreadable_best_last:
            return "Each of these answers has merits, so no verdict."
        pick = best
        if self._u("accuracy", message) >= self.accuracy:
            others = sorted((t for t in shown if t != best), key=lambda t: self._u("o", t))
            pick = others[int(self._u("other", message) * len(others))]
        return f"[[{'ABCD'[shown.index(pick)]}]]"

    async def chat(self, request: web.Request) -> web.Response:
        data = await request.json()
        message = str(data["messages"][-1]["content"])
        self.arrivals.append((message, 0.0, ""))
        return web.json_response(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "model": data.get("model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": self.decide(message)},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
            }
        )


def test_unreadable_answers_that_depend_on_the_order_flag_no_position_bias(
    tmp_path: Path,
) -> None:
    """End to end: a judge without position bias whose answer is unreadable in 80 % of the
    orders that show its best response last. The readable verdicts pooled favour the other
    positions (the old pooled chi-square rejects, p < 1e-11 on each of 16 data sets tried);
    the complete rotations do not (the clustered test rejected 2 of those 16 at 5 %)."""
    endpoint = OrderSensitiveJudge(accuracy=0.8, unreadable_best_last=0.8)

    async def main() -> Any:
        async with serve(endpoint) as url:
            return await run_audit_async(
                AuditConfig(
                    judge="openai:order-sensitive",
                    base_urls=[url],
                    data=str(lists_file(tmp_path, 300, 4)),
                    candidates=4,
                    out=str(tmp_path / "r"),
                    quiet=True,
                    write_report=False,
                    max_invalid=0.5,
                )
            )

    o = asyncio.run(main())
    assert endpoint.count() == 1200
    f = o.summary["probes"]["position"]
    rec = o.records
    shown = rec["shown"].dropna().astype(int)
    pooled = chisquare(shown.value_counts().reindex(range(1, 5), fill_value=0))
    assert pooled.pvalue < 1e-6  # the old figure: a position bias that is not there
    # the pooled last share: (0.2 x 0.8 + 3 x 0.2 / 3) / 3.2 = 0.11 expected, against 0.25
    assert float((shown == 4).mean()) < 0.16
    assert f["chi2_p"] >= 0.05 and f["ci_low"] <= 0 <= f["ci_high"]
    assert all(sh["ci_low"] <= 0.25 <= sh["ci_high"] for sh in f["shares"])
    # items whose one order showing the best last went unreadable are left out
    assert f["n_unreadable"] == int((~rec["valid"]).sum()) > 0
    assert f["n"] + f["n_invalid"] == 300 and f["n_invalid"] == f["n_unreadable"]
    assert f["invalid_share"] == pytest.approx(f["n_invalid"] / 300)
    assert f["severity"] == "inconclusive"  # over 10 % of the items were lost


def test_compare_pairs_listwise_runs_by_item_on_complete_rotations(tmp_path: Path) -> None:
    """`judgebias compare` of two listwise runs, one with unreadable answers: the per-item
    sums reproduce each run's shares (computed on complete rotations), so the difference
    is paired by item, and it recovers the planted difference."""
    from judgebias.report.compare import compare_runs

    data = str(lists_file(tmp_path, 120, 3))
    runs = {}
    for name, spec in (
        ("a", "sim:accuracy=0.8,position=0.3,garble=0.15"),
        ("b", "sim:accuracy=0.8"),
    ):
        o = run_audit(
            AuditConfig(
                judge=spec,
                data=data,
                candidates=3,
                out=str(tmp_path / name),
                quiet=True,
                write_report=False,
                max_invalid=0.5,
            )
        )
        runs[name] = o.summary["probes"]["position"]
    assert runs["a"]["n_invalid"] > 0 and runs["b"]["n_invalid"] == 0
    res = compare_runs(tmp_path / "a", tmp_path / "b", n_boot=500)
    t = res["table"].set_index("figure")
    assert res["paired"] and (t.loc["position", "method"] == "paired bootstrap")
    assert t.loc["position", "effect_a"] == pytest.approx(runs["a"]["effect"])
    se = (t.loc["position", "diff_ci_high"] - t.loc["position", "diff_ci_low"]) / 3.92
    assert abs(t.loc["position", "difference"] + 0.3) <= 3 * se
    for sh in runs["a"]["shares"]:
        row = t.loc[f"position: shown {sh['position']}"]
        assert row["method"] == "paired bootstrap" and row["effect_a"] == pytest.approx(sh["share"])
