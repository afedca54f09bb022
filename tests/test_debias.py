"""Corrections of recorded judgments: swap, bpc, length, placebo (API and CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_DATA, assert_one_line_error, run_cli

import judgebias
import judgebias.corrections.debias
from judgebias.audits.pipeline import AuditConfig, run_audit
from judgebias.corrections.debias import debias
from judgebias.errors import InputError, UsageError

LLMBAR = SHARED_DATA / "llmbar" / "judgments.csv.gz"


def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6],
            "v_ab": ["1", "1", "2", "1", "tie", None],
            "v_ba": ["1", "2", "2", "tie", "tie", "1"],
            "gold": [1, 1, 2, 2, 1, 1],
            "model_a": ["x", "x", "y", "y", "x", "x"],
            "model_b": ["y", "y", "x", "x", "y", "y"],
            "grp": ["g1", "g1", "g1", "g2", "g2", "g2"],
        }
    )


# --------------------------------------------------------------------------- swap


def test_swap_hard() -> None:
    out, acc = debias(table(), "swap", first="v_ab", second="v_ba", gold="gold", group="grp")
    assert list(out["swap_verdict"][:5]) == ["1", "tie", "2", "tie", "tie"]
    assert pd.isna(out["swap_verdict"].iloc[5])  # an unparseable order: left empty
    assert list(out.columns[:7]) == list(table().columns)  # input rows, new column added
    o = acc["overall"]
    assert (o["n_valid"], o["n_missing"], o["n_consistent"], o["n_became_ties"]) == (5, 1, 3, 2)
    assert o["tie_share_before"] == pytest.approx(3 / 10)
    assert o["tie_share_after"] == pytest.approx(3 / 5)
    # answer 1's win rate: first order 1,1,0,1,.5 ; second 1,0,0,.5,.5 ; after 1,.5,0,.5,.5
    assert o["win_rate_1_first_order"] == pytest.approx(3.5 / 5)
    assert o["win_rate_1_second_order"] == pytest.approx(2 / 5)
    assert o["win_rate_1_after"] == pytest.approx(2.5 / 5)
    # credits before (two orders): 1, .5, 1, .25 (1 wrong + tie), .5 ; after: 1, .5, 1, .5, .5
    assert o["accuracy_before"] == pytest.approx(3.25 / 5)
    assert o["accuracy_after"] == pytest.approx(3.5 / 5)
    assert o["accuracy_after_strict"] == pytest.approx(2 / 5)
    assert o["accuracy_decided"] == 1.0
    assert [g["grp"] for g in acc["groups"]] == ["g1", "g2"]
    m = {r["model"]: r for r in acc["models"]}
    assert m["x"]["win_rate_after"] + m["y"]["win_rate_after"] == pytest.approx(1.0)


def test_swap_fallback_columns_and_custom_name() -> None:
    df = table().assign(synth=[None, "2", None, None, None, None])
    out, _ = debias(df, "swap", first="synth|v_ab", second="v_ba", column="fixed")
    assert out["fixed"].tolist()[:2] == ["1", "2"]


def test_swap_soft_probabilities_and_preferences() -> None:
    df = pd.DataFrame({"p_ab": [0.9, 0.8, 0.3, np.nan], "p_ba": [0.7, 0.2, 0.3, 0.5]})
    out, acc = debias(df, "swap", first="p_ab", second="p_ba")
    assert acc["mode"] == "soft" and acc["scale"] == "p1"
    assert out["swap_p1"].tolist()[:3] == pytest.approx([0.8, 0.5, 0.3])
    assert out["swap_verdict"].tolist()[:3] == ["1", "tie", "2"]
    assert pd.isna(out["swap_verdict"].iloc[3])
    # AlpacaEval preferences: 1 = answer 1, 2 = answer 2
    pref = pd.DataFrame({"pa": [1.2, 1.9], "pb": [1.0, 1.5]})
    out, acc = debias(pref, "swap", first="pa", second="pb")
    assert acc["scale"] == "pref"
    assert out["swap_p1"].tolist() == pytest.approx([0.9, 0.3])
    # labels 1/2 stay verdicts; --hard forbids the soft reading
    _, acc = debias(table(), "swap", first="v_ab", second="v_ba")
    assert acc["mode"] == "hard"
    with pytest.raises(InputError, match="not verdicts"):
        debias(df, "swap", first="p_ab", second="p_ba", soft=False)
    with pytest.raises(UsageError, match="--soft"):
        debias(table(), "swap", first="v_ab|id", second="v_ba", soft=True)


def test_swap_long_layout_from_run_records(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    o = run_audit(
        AuditConfig(
            judge="sim:position=0.3",
            data=str(pairs_file(50, seed=41)),
            out=str(tmp_path / "r"),
            quiet=True,
            write_report=False,
        )
    )
    out, acc = debias(
        o.records,
        "swap",
        order="order",
        verdict="verdict",
        pair="pair_id",
        where={"kind": "control"},
        gold="gold",
    )
    assert len(out) == 50
    pos = o.summary["probes"]["position"]
    assert acc["overall"]["n_became_ties"] == pos["n_primacy"] + pos["n_recency"]


def test_notebook_debias_is_the_function() -> None:
    """``judgebias.debias`` stays the function after the corrections module is imported."""
    assert judgebias.debias is debias
    out, _ = judgebias.debias(table(), "swap", first="v_ab", second="v_ba")
    assert "swap_verdict" in out


# --------------------------------------------------------------------------- bpc


def test_bpc_calibrates_scores() -> None:
    df = pd.DataFrame(
        {
            "a_ab": [8, 6, 7, 5],
            "b_ab": [6, 7, 7, None],
            "a_ba": [6, 6, 9, 5],
            "b_ba": [9, 5, 6, 5],
            "gold": [2, 1, 1, 1],
        }
    )
    out, acc = debias(df, "bpc", first="a_ab,b_ab", second="a_ba,b_ba", gold="gold")
    assert out["bpc_score_1"].tolist() == [7.0, 6.0, 8.0, 5.0]
    assert out["bpc_score_2"].tolist()[:3] == [7.5, 6.0, 6.5]
    assert out["bpc_verdict"].tolist()[:3] == ["2", "tie", "1"]
    assert pd.isna(out["bpc_verdict"].iloc[3])
    o = acc["overall"]
    assert o["n_valid"] == 3 and o["n_missing"] == 1
    assert o["accuracy_after_strict"] == pytest.approx(2 / 3)


def test_bpc_needs_two_score_columns() -> None:
    with pytest.raises(UsageError, match="two score columns"):
        debias(pd.DataFrame({"s": [1]}), "bpc", first="s", second="s")
    with pytest.raises(InputError, match="not a score"):
        debias(
            pd.DataFrame({"a": ["x"], "b": [1], "c": [1], "d": [1]}),
            "bpc",
            first="a,b",
            second="c,d",
        )


# --------------------------------------------------------------------------- length


def lc_table(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for m, skill, verb in (
        ("m1", 0.3, 400),
        ("m2", -0.2, 100),
        ("m3", 0.0, 250),
        ("m4", 0.1, 200),
        ("m5", -0.1, 300),
    ):
        for i in range(60):
            bl, ml = rng.integers(150, 350), max(20, int(rng.normal(verb, 60)))
            logit = skill + 0.004 * (ml - bl)
            p = 1 / (1 + np.exp(-logit))
            rows.append(
                {
                    "model": m,
                    "instruction_index": i,
                    "baseline_length": bl,
                    "model_length": ml,
                    "preference": 1.0 + float(rng.random() < p),
                }
            )
    return pd.DataFrame(rows)


def test_length_controlled_win_rates() -> None:
    from judgebias.stats.lc import lc_winrate

    t = lc_table()
    out, acc = debias(t, "length")
    ref = lc_winrate(t)
    assert out["lc_win_rate"].tolist() == pytest.approx(ref["lc_win_rate"].tolist())
    assert acc["n_models"] == 5
    moved = {m["model"]: m["moved_pp"] for m in acc["models"]}
    assert moved["m1"] < 0 < moved["m2"]  # the verbose model loses, the terse one gains


def test_length_from_two_order_verdicts() -> None:
    t = lc_table(1)
    v = t["preference"].map({1.0: "1", 2.0: "2"})
    both = t.drop(columns="preference").assign(v1=v, v2=v)
    out, acc = debias(both, "length", first="v1", second="v2")
    ref, _ = debias(t, "length")
    assert out["lc_win_rate"].tolist() == pytest.approx(ref["lc_win_rate"].tolist())
    assert acc["preference"].startswith("swap-averaged")


# --------------------------------------------------------------------------- placebo


def test_placebo_net_effects_match_the_audit(pairs_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    o = run_audit(
        AuditConfig(
            judge="sim:bandwagon=0.3,distraction=0.2",
            data=str(pairs_file(80, seed=42)),
            out=str(tmp_path / "r"),
            probes=["bandwagon", "distraction"],
            quiet=True,
            write_report=False,
        )
    )
    out, acc = debias(o.records, "placebo")
    row = out.set_index("probe")
    for p in ("bandwagon", "distraction"):
        assert row.loc[p, "effect"] == pytest.approx(o.summary["probes"][p]["effect"])
        assert row.loc[p, "flip_rate"] == pytest.approx(o.summary["probes"][p]["flip_rate"])
        assert acc["probes"][p]["moved"] == pytest.approx(-row.loc[p, "placebo_flip_rate"])
    assert row.loc["distraction", "direction"] == "away"
    p = run_cli("debias", str(tmp_path / "r"), "--method", "placebo", "--json")
    assert p.returncode == 0, p.stderr
    assert set(json.loads(p.stdout)["probes"]) == {"bandwagon", "distraction"}


# --------------------------------------------------------------------------- CLI


def test_cli_swap_writes_corrected_column(tmp_path: Path) -> None:
    f = tmp_path / "v.csv"
    table().to_csv(f, index=False)
    out = tmp_path / "fixed.csv"
    p = run_cli(
        "debias",
        str(f),
        "--method",
        "swap",
        "--first",
        "v_ab",
        "--second",
        "v_ba",
        "--gold",
        "gold",
        "--out",
        str(out),
        "--account",
        str(tmp_path / "acc.json"),
    )
    assert p.returncode == 0, p.stderr
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert got["swap_verdict"].tolist() == ["1", "tie", "2", "tie", "tie", ""]
    assert len(got) == 6 and "became ties 2" in p.stdout
    assert json.loads((tmp_path / "acc.json").read_text())["overall"]["n_valid"] == 5


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--method", "swop", "--first", "v_ab", "--second", "v_ba"], ("did you mean 'swap'",)),
        (["--method", "swap", "--first", "v_abc", "--second", "v_ba"], ("--first", "v_abc")),
        (["--method", "swap"], ("--first",)),
        (["--method", "bpc", "--first", "v_ab", "--second", "v_ba"], ("two score columns",)),
        (["--method", "length"], ("model",)),
        (["--method", "placebo"], ("records",)),
    ],
)
def test_cli_errors_are_one_line(tmp_path: Path, args: list[str], needles: tuple[str, ...]) -> None:
    f = tmp_path / "v.csv"
    table().to_csv(f, index=False)
    assert_one_line_error(run_cli("debias", str(f), *args), *needles)


def test_cli_missing_file(tmp_path: Path) -> None:
    assert_one_line_error(
        run_cli(
            "debias",
            str(tmp_path / "nope.csv"),
            "--method",
            "swap",
            "--first",
            "a",
            "--second",
            "b",
        ),
        "nope.csv",
    )


@pytest.mark.external
def test_llmbar_swap_gpt4_vanilla() -> None:
    if not LLMBAR.exists():
        pytest.skip(f"{LLMBAR} not found (shared data absent)")
    d = pd.read_csv(LLMBAR)
    d = d[(d["judge"] == "GPT-4") & (d["strategy"] == "Vanilla")]
    out, acc = debias(d, "swap", first="winner_noswap", second="winner_swap", gold="label")
    o = acc["overall"]
    inconsistent = int((d["winner_noswap"] != d["winner_swap"]).sum())
    assert o["n_became_ties"] == inconsistent
    assert (out["swap_verdict"] == "tie").sum() == inconsistent
    assert o["accuracy_decided"] > o["accuracy_before"]
