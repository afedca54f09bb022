"""`judgebias analyze` and the replay backend on small synthetic verdict tables."""

from __future__ import annotations

import json
import math
import random
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import assert_one_line_error, make_pairs, run_cli

from judgebias.analysis import SUMMARY_COLUMNS, analyze, items_to_pairs, run_analyze
from judgebias.errors import InputError, SpecError, UsageError

LABELS = ("1", "2", "tie", "")


def verdict_table(n: int, seed: int, *, missing: float = 0.05, ties: float = 0.1) -> pd.DataFrame:
    """Random wide verdicts (1/2/tie/empty) with a position lean, gold and a group column."""
    rng = random.Random(seed)

    def draw(lean: str) -> str:
        u = rng.random()
        if u < missing:
            return ""
        if u < missing + ties:
            return "tie"
        return lean if rng.random() < 0.7 else rng.choice(["1", "2"])

    rows = []
    for i in range(n):
        gold = rng.choice(["1", "2"])
        rows.append(
            {
                "idx": i,
                "judge": rng.choice(["J1", "J2"]),
                "v_ab": draw(gold if rng.random() < 0.6 else "1"),
                "v_ba": draw(gold if rng.random() < 0.6 else "2"),
                "gold": gold,
            }
        )
    return pd.DataFrame(rows)


def to_long(wide: pd.DataFrame, seed: int, drop: int = 0) -> pd.DataFrame:
    rows = []
    for r in wide.to_dict("records"):
        for order, col in (("ab", "v_ab"), ("ba", "v_ba")):
            rows.append(
                {
                    "pair_id": r["idx"],
                    "judge": r["judge"],
                    "order": order,
                    "verdict": r[col],
                    "gold": r["gold"],
                }
            )
    long = pd.DataFrame(rows).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return long.iloc[drop:].reset_index(drop=True)


def close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == pytest.approx(b, abs=1e-12))


# --------------------------------------------------------------------------- figures


def test_counts_by_hand_and_unparseable_rule() -> None:
    df = pd.DataFrame(
        {
            "first": ["1", "1", "2", "1", "tie", "2", "", "", "1", "x"],
            "second": ["1", "2", "1", "tie", "2", "2", "1", "", "1", "2"],
            "gold": ["1", "1", "1", "1", "1", "2", "1", "1", "2", "2"],
        }
    )
    res = analyze(df, first="first", second="second", gold="gold")
    row = res.table.iloc[0]
    # pairs with both verdicts valid: 0,1,2,3,4,5,8 ("x" is unparseable, like empty)
    assert row["n"] == 10 and row["n_valid"] == 7 and row["n_invalid"] == 3
    assert row["n_unparseable"] == 4  # "", "", "", "x"
    assert close(row["position_consistency"], 3 / 7)  # pairs 0, 5, 8
    assert close(row["primacy"], 3 / 7)  # (1,2), (1,tie), (tie,2)
    assert close(row["recency"], 1 / 7)  # (2,1)
    assert close(row["preference_fairness"], (1 - 3) / 7)
    # accuracy over every valid verdict: 17 valid verdicts, credits summed by hand
    credits = [1, 1, 1, 0, 0, 1, 1, 0.5, 0.5, 0, 1, 1, 1, 0, 0, 1]
    assert close(row["accuracy"], sum(credits) / len(credits))
    assert res.summary["unrecognized_values"] == {"first": {"x": 1}}
    assert res.summary["rules"]["unparseable"].startswith("An unparseable")


def test_spellings_are_equivalent() -> None:
    base = verdict_table(120, seed=3)
    maps = [
        {"1": "a", "2": "b", "tie": "C", "": None},
        {"1": "A", "2": "B", "tie": "0", "": ""},
        {"1": 1.0, "2": 2.0, "tie": 3.0, "": float("nan")},
    ]
    ref = analyze(base, first="v_ab", second="v_ba", gold="gold", group="judge").table
    for m in maps:
        df = base.assign(v_ab=base["v_ab"].map(m), v_ba=base["v_ba"].map(m))
        got = analyze(df, first="v_ab", second="v_ba", gold="gold", group="judge").table
        pd.testing.assert_frame_equal(got, ref)


def test_long_layout_equals_wide_and_missing_rows_are_missing_verdicts() -> None:
    wide = verdict_table(150, seed=5)
    long = to_long(wide, seed=1)
    a = analyze(wide, first="v_ab", second="v_ba", gold="gold", group="judge").table
    b = analyze(
        long, order="order", verdict="verdict", pair="pair_id", gold="gold", group="judge"
    ).table
    pd.testing.assert_frame_equal(a, b)
    # dropping rows of the long table = blanking the same verdicts in the wide one
    dropped = to_long(wide, seed=1, drop=7)
    gone = to_long(wide, seed=1).iloc[:7]
    blanked = wide.copy()
    for r in gone.to_dict("records"):
        blanked.loc[blanked["idx"] == r["pair_id"], "v_ab" if r["order"] == "ab" else "v_ba"] = ""
    c = analyze(
        dropped, order="order", verdict="verdict", pair="pair_id", gold="gold", group="judge"
    )
    d = analyze(blanked, first="v_ab", second="v_ba", gold="gold", group="judge")
    cols = ["judge", *SUMMARY_COLUMNS, "n_unparseable"]
    pd.testing.assert_frame_equal(c.table[cols], d.table[cols], check_dtype=False)


def test_long_layout_order_values_and_errors() -> None:
    long = to_long(verdict_table(40, seed=2), seed=2)
    long["shown"] = long["order"].map({"ab": "model_first", "ba": "model_second"})
    with pytest.raises(InputError, match="--order-values"):
        analyze(long, order="shown", verdict="verdict", pair="pair_id")
    ok = analyze(
        long,
        order="shown",
        verdict="verdict",
        pair="pair_id",
        order_values="model_first,model_second",
        gold="gold",
    )
    ref = analyze(long, order="order", verdict="verdict", pair="pair_id", gold="gold")
    pd.testing.assert_frame_equal(ok.table, ref.table)
    with pytest.raises(InputError, match="repeat a"):
        analyze(pd.concat([long, long.iloc[:1]]), order="order", verdict="verdict", pair="pair_id")
    with pytest.raises(InputError, match="--pair"):
        analyze(long, order="order", verdict="verdict")


def test_groups_equal_separate_analyses() -> None:
    df = verdict_table(200, seed=7)
    res = analyze(df, first="v_ab", second="v_ba", gold="gold", group=["judge"])
    assert list(res.table["judge"]) == ["J1", "J2"]
    for judge in ("J1", "J2"):
        alone = analyze(
            df[df["judge"] == judge], first="v_ab", second="v_ba", gold="gold"
        ).table.iloc[0]
        row = res.table[res.table["judge"] == judge].iloc[0]
        for col in SUMMARY_COLUMNS:
            assert close(row[col], alone[col]), col
    only = analyze(df, first="v_ab", second="v_ba", gold="gold", where={"judge": "J2"})
    assert only.table.iloc[0]["n"] == (df["judge"] == "J2").sum()


def test_fallback_columns() -> None:
    df = pd.DataFrame(
        {
            "synth": ["", "2", None, "1"],
            "raw": ["1", "1", "2", "2"],
            "s2": [None, "2", "", "1"],
            "r2": ["1", "2", "2", "1"],
        }
    )
    res = analyze(df, first="synth|raw", second="s2|r2")
    assert list(res.pairs["jb_first"]) == ["a", "b", "b", "a"]
    assert list(res.pairs["jb_second"]) == ["a", "b", "b", "a"]
    assert res.table.iloc[0]["position_consistency"] == 1.0


# --------------------------------------------------------------------------- lengths and items


def _items_and_verdicts(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = random.Random(seed)
    items, verdicts = [], []
    for i in range(n):
        la, lb = rng.randint(20, 300), rng.randint(20, 300)
        items.append(
            {
                "subset": "s",
                "idx": i,
                "input": f"q{i}",
                "output_1": "x" * la,
                "output_2": "y" * lb,
                "label": rng.choice([1, 2]),
            }
        )
        verdicts.append(
            {
                "subset": "s",
                "idx": i,
                "w1": rng.choice([1, 2]),
                "w2": rng.choice([1, 2]),
                "label": items[-1]["label"],
                "len_1": la,
                "len_2": lb,
            }
        )
    return pd.DataFrame(items), pd.DataFrame(verdicts)


def test_prefers_longer_from_texts_and_from_length_columns() -> None:
    items, verdicts = _items_and_verdicts(300, seed=11)
    by_texts = analyze(
        verdicts.drop(columns=["len_1", "len_2"]),
        first="w1",
        second="w2",
        gold="label",
        items=items,
    )
    by_cols = analyze(verdicts, first="w1", second="w2", gold="label")
    assert by_texts.prepared.lengths == "characters of the answer texts"
    assert by_cols.prepared.lengths == "columns len_1, len_2"
    assert by_texts.prepared.on == ["subset", "idx", "label"]
    # by hand: share of valid verdicts naming the longer answer, pairs differing by > 30 chars
    hits = total = 0
    gs_hits = gs_total = 0
    for r in verdicts.to_dict("records"):
        if abs(r["len_1"] - r["len_2"]) <= 30:
            continue
        longer = 1 if r["len_1"] > r["len_2"] else 2
        for v in (r["w1"], r["w2"]):
            hits += v == longer
            total += 1
            if r["label"] != longer:
                gs_hits += v == longer
                gs_total += 1
    for res in (by_texts, by_cols):
        row = res.table.iloc[0]
        assert close(row["prefers_longer"], hits / total)
        assert row["n_length"] == total // 2
        assert close(row["prefers_longer_when_gold_shorter"], gs_hits / gs_total)
        assert row["prefers_longer_ci_low"] < row["prefers_longer"] < row["prefers_longer_ci_high"]
    strict = analyze(verdicts, first="w1", second="w2", min_length_diff=1000)
    assert math.isnan(strict.table.iloc[0]["prefers_longer"])


def test_items_join_errors(tmp_path: Path) -> None:
    items, verdicts = _items_and_verdicts(20, seed=1)
    with pytest.raises(InputError, match="share their join keys"):
        analyze(verdicts, first="w1", second="w2", items=pd.concat([items, items]))
    with pytest.raises(InputError, match="no column in common"):
        analyze(verdicts[["w1", "w2"]], first="w1", second="w2", items=items)
    with pytest.raises(InputError, match="no row of"):
        analyze(verdicts.assign(idx=verdicts["idx"] + 1000), first="w1", second="w2", items=items)
    with pytest.raises(InputError, match="--texts"):
        analyze(verdicts, first="w1", second="w2", items=items.drop(columns=["output_2"]))
    res = analyze(verdicts, first="w1", second="w2", items=items, on="subset,idx")
    assert res.prepared.on == ["subset", "idx"] and res.prepared.items_matched == 20
    renamed = verdicts.rename(columns={"idx": "item"}).drop(columns=["subset", "label"])
    res = analyze(renamed, first="w1", second="w2", items=items, on="item=idx")
    assert res.prepared.items_matched == 20 and res.prepared.pair == ["item"]
    # keys that differ only in type (3 vs "3" vs 3.0) still join
    res = analyze(
        verdicts.assign(idx=verdicts["idx"].astype(float)),
        first="w1",
        second="w2",
        items=items.assign(idx=items["idx"].astype(str)),
        on="idx",
    )
    assert res.prepared.items_matched == 20


# --------------------------------------------------------------------------- strategies


def strategy_table(n: int, seed: int) -> pd.DataFrame:
    """Baseline 'V' is position-biased; 'S' is consistent and accurate; 'N' repeats 'V'."""
    rng = random.Random(seed)
    rows = []
    for judge in ("J1", "J2"):
        for i in range(n):
            gold = rng.choice([1, 2])
            other = 3 - gold
            v = (gold, gold) if rng.random() < 0.5 else (1, 1 if rng.random() < 0.3 else 2)
            s = (gold, gold) if rng.random() < 0.9 else (other, other)
            for strategy, (f, sec) in (("V", v), ("S", s), ("N", v)):
                rows.append(
                    {
                        "judge": judge,
                        "strategy": strategy,
                        "idx": i,
                        "f": f,
                        "s": sec,
                        "gold": gold,
                        "len_1": 100 + 50 * (gold == 1),
                        "len_2": 100 + 50 * (gold == 2),
                    }
                )
    return pd.DataFrame(rows)


def test_compare_strategies_paired() -> None:
    df = strategy_table(150, seed=4)
    res = analyze(df, first="f", second="s", gold="gold", group="judge,strategy", compare_to="V")
    comp = res.comparison
    assert comp is not None and comp.within == ["judge"] and comp.match == ["idx"]
    d = comp.differences.set_index(["judge", "strategy", "figure"])
    for judge in ("J1", "J2"):
        same = d.loc[(judge, "N", "position_consistency")]
        assert same["difference"] == 0 and same["n_better"] == 0 and same["p_value"] == 1.0
        up = d.loc[(judge, "S", "position_consistency")]
        tab = res.table.set_index(["judge", "strategy"])
        assert close(
            up["difference"],
            tab.loc[(judge, "S"), "position_consistency"]
            - tab.loc[(judge, "V"), "position_consistency"],
        )
        assert up["ci_low"] > 0 and up["p_adjusted"] < 0.05
        acc = d.loc[(judge, "S", "accuracy")]
        assert close(
            acc["difference"], tab.loc[(judge, "S"), "accuracy"] - tab.loc[(judge, "V"), "accuracy"]
        )
        assert acc["ci_low"] < acc["difference"] < acc["ci_high"]
    # gold is always the longer answer here: P(prefers longer | gold shorter) has no pairs
    assert comp.length["n_gold_shorter"].eq(0).all() and comp.length["n_gold_longer"].eq(150).all()
    assert "comparison" in res.summary and res.summary["comparison"]["baseline"] == "V"


def test_compare_errors() -> None:
    df = strategy_table(20, seed=1)
    with pytest.raises(UsageError, match="did you mean 'V'"):
        analyze(df, first="f", second="s", group="judge,strategy", compare_to="v")
    with pytest.raises(UsageError, match="--compare-column"):
        analyze(df, first="f", second="s", compare_to="V", compare_column="prompt")
    with pytest.raises(UsageError, match="does not identify one pair"):
        analyze(df, first="f", second="s", group="strategy", compare_to="V", compare_within=[])


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"first": "nope", "second": "v_ba"}, "--first: column 'nope' not found"),
        ({"first": "v_ab", "second": "v_bb"}, "did you mean 'v_ba'"),
        ({"first": "v_ab", "second": "v_ba", "group": "judge,jduge"}, "--group: column 'jduge'"),
        ({"first": "v_ab", "second": "v_ba", "gold": "gld"}, "--gold"),
        ({"first": "idx", "second": "v_ba"}, "--first: most values are not verdicts"),
        ({"first": "v_ab"}, "--second"),
        ({"first": "v_ab", "second": "v_ba", "where": {"judge": "J3"}}, "no row has judge=J3"),
        ({"first": "v_ab", "second": "v_ba", "order": "o"}, "--first: not used"),
    ],
)
def test_input_errors_name_the_flag(kwargs: dict[str, Any], needle: str) -> None:
    with pytest.raises(InputError) as err:
        analyze(verdict_table(30, seed=1), source="v.csv", **kwargs)
    assert needle in str(err.value) and str(err.value).startswith("v.csv: ")


# --------------------------------------------------------------------------- files and CLI


def test_outputs_and_report_are_self_contained(tmp_path: Path) -> None:
    df = verdict_table(80, seed=9)
    df.loc[df.index[:40], "judge"] = "<script>alert(1)</script>"
    path = tmp_path / "v.csv"
    df.to_csv(path, index=False)
    res = run_analyze(path, "v_ab", "v_ba", "gold", "judge", out=tmp_path / "out")
    csv = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert list(csv.columns[: 1 + len(SUMMARY_COLUMNS)]) == ["judge", *SUMMARY_COLUMNS]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert (
        summary["n_groups"] == 3
        and summary["groups"][0]["position_consistency"]["ci_low"] is not None
    )
    assert summary == json.loads(json.dumps(res.summary))
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "<svg" in html


def test_cli_success_and_errors(tmp_path: Path) -> None:
    items, verdicts = _items_and_verdicts(60, seed=2)
    verdicts["strategy"] = "V"
    v2 = verdicts.assign(strategy="S")
    vpath, ipath = tmp_path / "verdicts.csv", tmp_path / "items.jsonl"
    pd.concat([verdicts, v2]).to_csv(vpath, index=False)
    items.to_json(ipath, orient="records", lines=True)
    out = tmp_path / "out"
    p = run_cli(
        "analyze",
        str(vpath),
        "--first",
        "w1",
        "--second",
        "w2",
        "--gold",
        "label",
        "--group",
        "strategy",
        "--items",
        str(ipath),
        "--compare-to",
        "V",
        "--out",
        str(out),
    )
    assert p.returncode == 0, p.stderr
    assert "wrote" in p.stdout
    assert {f.name for f in out.iterdir()} >= {"summary.csv", "summary.json", "report.html"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["comparison"]["differences"][0]["difference"] == 0

    assert_one_line_error(
        run_cli("analyze", str(vpath), "--first", "w9", "--second", "w2"),
        str(vpath),
        "--first",
        "w9",
    )
    assert_one_line_error(
        run_cli("analyze", str(vpath), "--first", "w1", "--second", "w2", "--group", "judge"),
        "--group",
        "'judge'",
    )
    assert_one_line_error(
        run_cli("analyze", str(tmp_path / "nope.csv"), "--first", "w1", "--second", "w2"),
        "nope.csv",
        "not found",
    )
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    assert_one_line_error(
        run_cli("analyze", str(bad), "--first", "w1", "--second", "w2"), "bad.parquet"
    )
    assert_one_line_error(
        run_cli(
            "analyze",
            str(vpath),
            "--first",
            "w1",
            "--second",
            "w2",
            "--items",
            str(tmp_path / "missing.jsonl"),
        ),
        "missing.jsonl",
    )
    assert_one_line_error(
        run_cli("analyze", str(vpath), "--first", "w1", "--second", "w2", "--where", "judge"),
        "--where",
    )


# --------------------------------------------------------------------------- replay


def _replay_fixture(tmp_path: Path, n: int = 60) -> tuple[Path, Path, pd.DataFrame]:
    pairs = make_pairs(n, seed=21)
    rng = random.Random(5)
    rows = []
    for p in pairs:
        rows.append(
            {"id": p["id"], "v1": rng.choice(LABELS), "v2": rng.choice(LABELS), "gold": p["gold"]}
        )
    pairs_path, verdicts_path = tmp_path / "pairs.jsonl", tmp_path / "recorded.csv"
    pd.DataFrame(pairs).to_json(pairs_path, orient="records", lines=True)
    table = pd.DataFrame(rows)
    table.to_csv(verdicts_path, index=False)
    return pairs_path, verdicts_path, table


def test_replay_audit_equals_analyze(tmp_path: Path) -> None:
    pairs_path, verdicts_path, table = _replay_fixture(tmp_path)
    spec = f"replay:{verdicts_path},first=v1,second=v2,items={pairs_path},on=id"
    p = run_cli(
        "audit",
        "--judge",
        spec,
        "--data",
        str(pairs_path),
        "--probes",
        "position",
        "--out",
        str(tmp_path / "run"),
        "--quiet",
        "--json",
        "--max-invalid",
        "0.5",  # the recorded verdicts hold unparseable ones on purpose (19 %)
    )
    assert p.returncode == 0, p.stderr
    audit = json.loads(p.stdout)
    pos = audit["probes"]["position"]
    ref = analyze(table, first="v1", second="v2", gold="gold").summary["groups"][0]
    assert audit["calls"]["failed"] == 0
    assert pos["n"] == ref["n_valid"] and pos["n_invalid"] == ref["n_invalid"]
    for key, name in (
        ("consistency", "position_consistency"),
        ("primacy", "primacy"),
        ("recency", "recency"),
        ("effect", "position_effect"),
        ("preference_fairness", "preference_fairness"),
    ):
        assert pos[key] == pytest.approx(ref[name]["value"]), key
    assert pos["ci_low"] == pytest.approx(ref["position_effect"]["ci_low"])
    assert audit["accuracy"] == pytest.approx(ref["accuracy"]["value"])
    assert pos["accuracy_first"] == pytest.approx(ref["accuracy_first"]["value"])


def test_replay_missing_record_is_failed_not_invented(tmp_path: Path) -> None:
    pairs_path, verdicts_path, table = _replay_fixture(tmp_path, n=30)
    table.iloc[5:].to_csv(verdicts_path, index=False)  # the first five pairs were never judged
    spec = f"replay:{verdicts_path},first=v1,second=v2,items={pairs_path}"
    p = run_cli(
        "audit",
        "--judge",
        spec,
        "--data",
        str(pairs_path),
        "--probes",
        "position",
        "--out",
        str(tmp_path / "run"),
        "--quiet",
        "--max-invalid",
        "0.5",  # ten pairs were never recorded, and some recorded verdicts are unreadable
        "--json",
    )
    assert p.returncode == 0, p.stderr
    audit = json.loads(p.stdout)
    assert audit["calls"]["failed"] == 10
    records = pd.read_parquet(tmp_path / "run" / "records.parquet")
    failed = records[records["status"] != "ok"]
    assert len(failed) == 10 and failed["verdict"].isna().all()
    assert failed["error"].str.contains("no recorded verdict for").all()


def test_replay_spec_errors(tmp_path: Path) -> None:
    from judgebias.judges.base import JudgeOptions
    from judgebias.judges.replay import ReplayJudge

    pairs_path, verdicts_path, table = _replay_fixture(tmp_path, n=10)
    with pytest.raises(SpecError, match="did you mean 'first'"):
        ReplayJudge(f"{verdicts_path},frist=v1,second=v2,items={pairs_path}", JudgeOptions())
    with pytest.raises(SpecError, match="answer texts"):
        ReplayJudge(f"{verdicts_path},first=v1,second=v2", JudgeOptions())
    with pytest.raises(InputError, match="replay option first="):
        ReplayJudge(f"{verdicts_path},first=v9,second=v2,items={pairs_path}", JudgeOptions())
    both = pd.concat([table.assign(judge="J1"), table.assign(judge="J2", v1="1", v2="1")])
    both.to_csv(verdicts_path, index=False)
    with pytest.raises(SpecError, match="judge"):
        ReplayJudge(f"{verdicts_path},first=v1,second=v2,items={pairs_path}", JudgeOptions())
    judge = ReplayJudge(
        f"{verdicts_path},first=v1,second=v2,items={pairs_path},judge=J2", JudgeOptions()
    )
    assert judge.model.startswith("replay-")


def test_items_to_pairs_roundtrip(tmp_path: Path) -> None:
    items, _ = _items_and_verdicts(5, seed=3)
    pairs = items_to_pairs(items, id_columns="subset,idx", gold="label")
    assert list(pairs.columns) == ["id", "instruction", "response_a", "response_b", "gold"]
    assert pairs["id"].iloc[0] == "s/0" and set(pairs["gold"]) <= {"a", "b"}
    from judgebias.tables.pairs import frame_to_pairs

    assert len(frame_to_pairs(pairs)) == 5


def test_replay_column_flags_on_audit(tmp_path: Path) -> None:
    """`audit --first/--second/--items` mean for a replay judge what they mean for analyze."""
    pairs_path, verdicts_path, _ = _replay_fixture(tmp_path)
    common = ["--data", str(pairs_path), "--probes", "position", "--quiet", "--json"]
    common += ["--max-invalid", "0.5"]  # the fixture holds unparseable verdicts on purpose
    by_spec = run_cli(
        "audit",
        "--judge",
        f"replay:{verdicts_path},first=v1,second=v2,items={pairs_path},on=id",
        "--out",
        str(tmp_path / "a"),
        *common,
    )
    by_flags = run_cli(
        "audit",
        "--judge",
        f"replay:{verdicts_path},on=id",
        "--first",
        "v1",
        "--second",
        "v2",
        "--items",
        str(pairs_path),
        "--out",
        str(tmp_path / "b"),
        *common,
    )
    assert by_spec.returncode == 0 and by_flags.returncode == 0, by_flags.stderr
    assert json.loads(by_spec.stdout)["probes"] == json.loads(by_flags.stdout)["probes"]
    wrong = run_cli(
        "audit", "--judge", "sim", "--first", "v1", *common, "--out", str(tmp_path / "c")
    )
    assert wrong.returncode == 2 and "--first" in wrong.stderr and "Traceback" not in wrong.stderr


def test_replay_columns_in_a_notebook_are_the_cli_flags(tmp_path: Path) -> None:
    """`jb.audit(judge="replay:FILE", first=, second=, items=)` runs the audit `audit --first
    --second --items` runs, and refuses them for other judges with the CLI's one line."""
    import judgebias as jb

    pairs_path, verdicts_path, _ = _replay_fixture(tmp_path, n=30)
    spec = f"replay:{verdicts_path},on=id"
    cli = run_cli(
        "audit",
        "--judge",
        spec,
        "--first",
        "v1",
        "--second",
        "v2",
        "--items",
        str(pairs_path),
        "--data",
        str(pairs_path),
        "--out",
        str(tmp_path / "cli"),
        "--quiet",
        "--json",
        "--max-invalid",
        "0.5",  # the fixture holds unparseable verdicts on purpose
    )
    assert cli.returncode == 0, cli.stderr
    by_cli = json.loads(cli.stdout)
    res = jb.audit(
        spec,
        str(pairs_path),
        first="v1",
        second="v2",
        items=str(pairs_path),
        out=str(tmp_path / "nb"),
        max_invalid=0.5,
    )
    by_nb = res.summary_json
    assert by_nb["judge"] == by_cli["judge"] == f"{spec},first=v1,second=v2,items={pairs_path}"
    assert by_nb["probes"] == by_cli["probes"]
    assert by_nb["probes"]["position"]["n"] > 0

    wrong = run_cli("audit", "--judge", "sim", "--second", "v2", "--out", str(tmp_path / "w1"))
    with pytest.raises(UsageError) as info:
        jb.audit("sim", second="v2", out=str(tmp_path / "w2"))
    assert str(info.value).startswith("--second: only for a replay:FILE judge")
    assert wrong.returncode == 2
    assert wrong.stderr.strip().splitlines() == [f"judgebias: error: {info.value}"]
    assert not (tmp_path / "w1").exists() and not (tmp_path / "w2").exists()


def test_notebook_analyze_is_the_cli_analyze(tmp_path: Path) -> None:
    """`jb.analyze(table, ...)` gives the figures `judgebias analyze FILE ...` writes."""
    import judgebias as jb

    df = verdict_table(90, seed=17)
    path = tmp_path / "v.csv"
    df.to_csv(path, index=False)
    p = run_cli(
        "analyze",
        str(path),
        "--first",
        "v_ab",
        "--second",
        "v_ba",
        "--gold",
        "gold",
        "--group",
        "judge",
        "--out",
        str(tmp_path / "out"),
        "--quiet",
    )
    assert p.returncode == 0, p.stderr
    by_cli = json.loads((tmp_path / "out" / "summary.json").read_text())
    res = jb.analyze(
        jb.read_table(str(path)), first="v_ab", second="v_ba", gold="gold", group="judge"
    )
    by_nb = json.loads(json.dumps(res.summary))
    assert by_nb["n_groups"] == by_cli["n_groups"] > 1
    assert by_nb["groups"] == by_cli["groups"]
    where = ("file", "command", "items")  # where the table came from: a file or a frame
    drop = {
        k: {x: y for x, y in v.items() if x not in where} if k == "source" else v
        for k, v in by_nb.items()
    }
    assert drop == {
        k: {x: y for x, y in v.items() if x not in where} if k == "source" else v
        for k, v in by_cli.items()
    }
    csv = pd.read_csv(tmp_path / "out" / "summary.csv")
    pd.testing.assert_frame_equal(
        res.summary_csv().reset_index(drop=True), csv, check_dtype=False, atol=1e-12
    )
