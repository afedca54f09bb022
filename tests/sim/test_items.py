"""The simulated judge's items that are not alike (``bias_spread``, ``accuracy_spread``,
``item_position``) and its order-dependent unreadable answers (``garble_last``): each
does what its documentation says, on real in-process audits of the sim."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import assert_one_line_error, make_pairs, run_cli
from scipy import stats as st

from judgebias.audits.pipeline import AuditConfig, run_audit
from judgebias.sim.params import ITEM_KEYS, parse_sim_params

PHRASES = ("{v}", "The answer is {v}.", "It comes to {v}.", "Result: {v}")


def grouped_words(tmp_path: Path, items: int, per_item: int, seed: int) -> Path:
    """Random-text pairs, ``per_item`` of them sharing each instruction."""
    rows = make_pairs(items * per_item, seed)
    for i, row in enumerate(rows):
        row["instruction"] = rows[i - i % per_item]["instruction"]
    path = tmp_path / f"words{seed}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def grouped_sums(tmp_path: Path, items: int, per_item: int, seed: int) -> Path:
    """Checkable sums with one right and one wrong answer (gold known), ``per_item`` per sum."""
    rng = random.Random(seed)
    rows = []
    for i in range(items):
        x, y = rng.randint(10, 99), rng.randint(10, 99)
        for j in range(per_item):
            right, wrong = rng.sample(PHRASES, 2)
            texts = (right.format(v=x + y), wrong.format(v=x + y + rng.choice([-3, -1, 2, 5])))
            gold = rng.choice("ab")
            a, b = texts if gold == "a" else texts[::-1]
            rows.append(
                {
                    "id": f"s{i}-{j}",
                    "instruction": f"What is {x} + {y}?",
                    "response_a": a,
                    "response_b": b,
                    "gold": gold,
                }
            )
    path = tmp_path / f"sums{seed}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def audit(tmp_path: Path, judge: str, data: Path, **kw: Any) -> Any:
    return run_audit(
        AuditConfig(
            judge=judge,
            data=str(data),
            out=str(tmp_path / f"run{abs(hash((judge, str(data))))}"),
            quiet=True,
            write_report=False,
            **kw,
        )
    )


def controls(o: Any, data: Path) -> pd.DataFrame:
    """One row per pair: its instruction, gold and verdict in each order (a/b, NaN unread)."""
    c = o.records[o.records["kind"] == "control"]
    wide = c.pivot_table(index="pair_id", columns="order", values="verdict", aggfunc="first")
    pairs = pd.read_json(data, lines=True).set_index("id")
    return wide.join(pairs[["instruction", "gold"]] if "gold" in pairs else pairs[["instruction"]])


def pattern(row: pd.Series) -> str:
    """primacy (first-shown wins in both orders), recency, or consistent."""
    if row["ab"] == row["ba"]:
        return "consistent"
    return "primacy" if row["ab"] == "a" else "recency"


def test_bias_spread_puts_each_bias_on_whole_items_and_keeps_its_mean(tmp_path: Path) -> None:
    """At bias_spread=1 an item always or never follows the position: all its pairs are
    primacy pairs or none is; the share of biased items is the planted 0.3."""
    data = grouped_words(tmp_path, 80, 4, seed=3)
    o = audit(tmp_path, "sim:accuracy=0.85,position=0.3,bias_spread=1,seed=3", data)
    by_item = controls(o, data).assign(p=lambda d: d.apply(pattern, axis=1))
    kinds = by_item.groupby("instruction")["p"].agg(lambda s: frozenset(s))
    assert all(len(k) == 1 for k in kinds), "an item mixes biased and unbiased pairs"
    biased = sum(k == {"primacy"} for k in kinds)
    assert st.binomtest(biased, len(kinds), 0.3).pvalue > 0.001, biased
    assert o.summary["probes"]["position"]["effect"] == pytest.approx(biased / len(kinds))
    # without the key (the old sim) the biased pairs are spread over the items
    o0 = audit(tmp_path, "sim:accuracy=0.85,position=0.3,seed=3", data)
    mixed = controls(o0, data).assign(p=lambda d: d.apply(pattern, axis=1))
    assert any(len(set(s)) > 1 for _, s in mixed.groupby("instruction")["p"])


def test_accuracy_spread_errs_on_whole_items_and_another_seed_errs_elsewhere(
    tmp_path: Path,
) -> None:
    data = grouped_sums(tmp_path, 80, 4, seed=5)
    wrong_items = []
    for seed in (1, 2):
        o = audit(tmp_path, f"sim:accuracy=0.7,accuracy_spread=1,seed={seed}", data)
        c = controls(o, data)
        right = pd.concat([c["ab"] == c["gold"], c["ba"] == c["gold"]])
        per_item = right.groupby(pd.concat([c["instruction"]] * 2)).agg(["min", "max"])
        assert (per_item["min"] == per_item["max"]).all(), "an item is half right"
        wrong = set(per_item.index[~per_item["max"].astype(bool)])
        assert st.binomtest(len(wrong), len(per_item), 0.3).pvalue > 0.001, len(wrong)
        assert o.summary["accuracy"] == pytest.approx(1 - len(wrong) / len(per_item))
        wrong_items.append(wrong)
    a, b = wrong_items
    assert a != b
    # another seed errs on other items: the overlap is what independence gives
    table = [[len(a & b), len(a - b)], [len(b - a), 80 - len(a | b)]]
    assert st.fisher_exact(table).pvalue > 0.001, table


def test_item_position_pairwise_each_item_leans_its_own_way(tmp_path: Path) -> None:
    """item_position=1: every pair of an item follows the item's favourite position
    (first or second), and as many items favour each, so the effect stays near 0."""
    data = grouped_words(tmp_path, 80, 3, seed=7)
    o = audit(tmp_path, "sim:accuracy=0.85,item_position=1,seed=7", data)
    by_item = controls(o, data).assign(p=lambda d: d.apply(pattern, axis=1))
    kinds = by_item.groupby("instruction")["p"].agg(lambda s: frozenset(s))
    assert set(kinds) == {frozenset({"primacy"}), frozenset({"recency"})}
    first = sum(k == {"primacy"} for k in kinds)
    assert st.binomtest(first, len(kinds), 0.5).pvalue > 0.001, first
    assert o.summary["probes"]["position"]["effect"] == pytest.approx(2 * first / 80 - 1)


def listwise(tmp_path: Path, items: int, per_item: int, seed: int) -> Path:
    rows = make_pairs(2 * items * per_item, seed)
    out = []
    for i in range(items * per_item):
        a, b = rows[2 * i], rows[2 * i + 1]
        out.append(
            {
                "id": f"l{i}",
                "instruction": rows[2 * (i - i % per_item)]["instruction"],
                "response_a": a["response_a"],
                "response_b": a["response_b"],
                "response_c": b["response_a"],
            }
        )
    path = tmp_path / f"lists{seed}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in out))
    return path


def test_item_position_listwise_favourites_uniform_over_positions(tmp_path: Path) -> None:
    data = listwise(tmp_path, 60, 2, seed=11)
    o = audit(tmp_path, "sim:accuracy=0.85,item_position=1,seed=11", data, candidates=3)
    rec = o.records.merge(
        pd.read_json(data, lines=True)[["id", "instruction"]], left_on="pair_id", right_on="id"
    )
    favourite = rec.groupby("instruction")["shown"].agg(lambda s: set(s.astype(int)))
    assert all(len(s) == 1 for s in favourite), "an item chose more than one shown position"
    counts = pd.Series([next(iter(s)) for s in favourite]).value_counts().reindex([1, 2, 3])
    assert counts.notna().all()
    assert st.chisquare(counts.to_numpy()).pvalue > 0.001, counts.to_dict()


def test_garble_last_pairwise_only_where_the_content_choice_is_second(tmp_path: Path) -> None:
    """accuracy=1: the content choice is the gold answer; answers showing it second are
    garbled half the time, the others never."""
    data = grouped_sums(tmp_path, 100, 2, seed=13)
    o = audit(tmp_path, "sim:accuracy=1,garble_last=0.5,seed=13", data)
    c = o.records[o.records["kind"] == "control"]
    second = (c["order"] == "ab") == (c["gold"] == "b")  # the gold answer shown second
    bad = ~c["valid"].astype(bool)
    assert not bad[~second].any()
    assert set(c.loc[bad, "invalid_reason"]) == {"no_verdict"}
    assert st.binomtest(int(bad[second].sum()), int(second.sum()), 0.5).pvalue > 0.001
    assert o.summary["invalid"]["share"] == pytest.approx(0.25, abs=0.06)


def test_garble_last_listwise_only_where_the_content_choice_is_last(tmp_path: Path) -> None:
    """Every garbled answer shows last the response the judge picks in the item's readable
    orders (its content choice); those orders are garbled at the planted 0.6."""
    data = listwise(tmp_path, 80, 1, seed=17)
    o = audit(tmp_path, "sim:accuracy=1,garble_last=0.6,seed=17", data, candidates=3)
    r = o.records
    choice = r[r["valid"].astype(bool)].groupby("pair_id")["verdict"].agg(set)
    assert all(len(s) == 1 for s in choice)
    best = choice.map(lambda s: next(iter(s)))
    last = r["order"].str[-1] == r["pair_id"].map(best)
    bad = ~r["valid"].astype(bool)
    assert not bad[~last].any()
    assert st.binomtest(int(bad[last].sum()), int(last.sum()), 0.6).pvalue > 0.001


def test_new_keys_are_off_by_default_and_checked(tmp_path: Path) -> None:
    spec = parse_sim_params("accuracy=0.9,position=0.2").spec()
    assert not any(k in spec for k in ITEM_KEYS)  # older runs' cache keys unchanged
    assert "item_position=0.5" in parse_sim_params("item_position=0.5").spec()
    for judge, needles in (
        ("sim:item_position=1.5", ("item_position=1.5", "outside [0, 1]")),
        ("sim:garble_last=-0.1", ("garble_last=-0.1", "outside [0, 1]")),
        ("sim:bias_spred=1", ("bias_spred", "bias_spread")),
    ):
        p = run_cli("audit", "--judge", judge, "--limit", "2", "--out", str(tmp_path / "r"))
        assert_one_line_error(p, *needles)
