"""Corrections for judgments already made: ``judgebias.debias`` and ``judgebias debias``.

(The module is ``corrections`` so that ``judgebias.debias`` is always the function.)

:func:`debias` takes a table of recorded verdicts and returns the corrected table
and an *account* of what the correction changed. No judge is called.

Methods
-------
``swap`` (two-order verdicts; the columns of ``judgebias analyze``)
    ``first`` holds the verdict when answer 1 was shown first, ``second`` the
    verdict when the order was swapped, already mapped back to answers 1 and 2
    (``COL1|COL2``: the first non-empty of these columns; or the long layout with
    ``order``/``verdict``/``pair``). The corrected verdict, in a new column
    (``swap_verdict``), is ``1`` or ``2`` when both orders name that answer and
    ``tie`` when they disagree or either is a tie. A row with an unparseable or
    missing verdict in either order gets an empty corrected verdict: it is never
    guessed from the other order, which would bring the position bias back.

    *Soft version*: when the two columns hold probabilities (numbers in [0, 1] with
    some strictly between: P(answer 1 is better)) or AlpacaEval preferences
    (numbers in [1, 2] with some other than 1, 1.5 and 2: 1 = answer 1, 2 = answer 2),
    the two orders' P(answer 1) are averaged into ``swap_p1`` and the verdict is
    ``1`` above one half, ``2`` below, ``tie`` at exactly one half. ``soft=True`` /
    ``False`` declares either reading. Columns holding only the numbers 0 and 1 are
    refused unless the reading is declared: as probabilities 0 means answer 2 wins,
    as verdict labels it means a tie, and the two corrections disagree. The account
    says which reading was used (``reading``).

``bpc`` (Balanced Position Calibration, Wang et al. 2023, for scores)
    ``first`` names two score columns, ``"S1,S2"``: the scores of answers 1 and 2
    when answer 1 was shown first; ``second`` the same two scores when the order was
    swapped. Each answer's calibrated score is its mean over both orders
    (``bpc_score_1``, ``bpc_score_2``); the corrected verdict (``bpc_verdict``) is
    the answer with the higher calibrated score, ``tie`` when equal, empty when a
    score is missing.

``length`` (length-controlled win rates per model, :mod:`judgebias.stats.lc`)
    Either the long table of :func:`judgebias.stats.lc.load_lc_table` (``model,
    instruction_index, baseline_length, model_length, preference``, the command
    also reads AlpacaEval annotation files), or those columns without
    ``preference`` plus two-order verdicts in ``first``/``second`` where answer 1 is
    the baseline and answer 2 the model: the preference is then the swap-averaged
    credit of the model (1 win, 0.5 tie, over the valid orders). The corrected
    table is :func:`~judgebias.stats.lc.lc_winrate`'s, one row per model.

``placebo`` (probe effects net of their placebos)
    The records of an audit (``RUN/records.parquet``, or the run folder itself on
    the command line): for each perturbation probe, the raw flip rate toward the
    cue next to the effect net of the matched placebo (the audit's own figure,
    :func:`judgebias.stats.perturbation.perturbation_stats`).

The account
-----------
A dict, JSON-ready. For ``swap`` and ``bpc``, over the rows whose two verdicts are
both valid (the same rows before and after): how many were consistent, how many
became ties, the tie share and answer 1's win rate (ties count one half) in each
order, over both orders and after the correction, and with ``gold`` the accuracy in
each order, before (mean credit over both orders, as ``analyze`` counts it) and
after (ties one half; ``accuracy_after_strict`` counts a tie as wrong and
``accuracy_decided`` is the accuracy of the non-tie corrected verdicts). With ties
worth one half, ``swap`` leaves the two-order mean accuracy unchanged for a judge
that never says tie (an inconsistent pair scored 1 and 0 becomes a tie scored one
half; a tie next to a wrong verdict gains a quarter, next to a right one loses a
quarter): what it buys is a verdict that no longer depends on the order, at the
price of ties; with
``models`` each model's win rate before and after; with ``group`` the same per
group. For ``length``: each model's raw and length-controlled win rate and the
move. For ``placebo``: each probe's raw flip rate, placebo flip rate and net effect.

Size: about 740 lines, the four methods and their shared account; each method is
short, and splitting them would scatter the one account they all fill.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from judgebias.errors import InputError, UsageError
from judgebias.registry import did_you_mean
from judgebias.stats.dbg import ambiguous_zero_one
from judgebias.tables.runfolder import read_records
from judgebias.tables.verdicts import VerdictColumns, split_names
from judgebias.vocabulary import CREDIT, NUMBERED, normalize_label

__all__ = ["METHODS", "debias", "read_records", "write_table"]

METHODS = ("swap", "bpc", "length", "placebo")
_READING = {
    "p1": "probabilities of answer 1 (0 = answer 2 wins)",
    "pref": "AlpacaEval preferences in [1, 2] (1 = answer 1, 2 = answer 2)",
    "labels": "verdict labels (1, 2; 0, 3 or tie = a tie)",
}


def _out_labels(v: pd.Series) -> np.ndarray:
    """a/b/tie -> "1"/"2"/"tie"; missing stays None (an empty cell in CSV)."""
    return np.array([NUMBERED.get(x) if isinstance(x, str) else None for x in v], dtype=object)


# --------------------------------------------------------------------------- helpers


def _gold_and_groups(
    df: pd.DataFrame, gold: str | None, group: Any, source: str
) -> tuple[pd.Series | None, list[str]]:
    """The normalised gold labels (or None) and the checked group columns."""
    g = None
    if gold is not None:
        need_columns(df, [gold], "--gold", source)
        g = df[gold].map(normalize_label)
    grp = split_names(group)
    need_columns(df, grp, "--group", source)
    return g, grp


def need_columns(df: pd.DataFrame, cols: Sequence[str], flag: str, source: str) -> None:
    for c in cols:
        if c not in df.columns:
            names = [str(x) for x in df.columns]
            hint = did_you_mean(c, names, inline=True)
            raise InputError(
                source,
                f"{flag}: column '{c}' not found{hint} (columns: "
                f"{', '.join(names[:15])}{' ...' if len(names) > 15 else ''})",
            )


def _f(x: Any) -> float | None:
    """A JSON-safe float (NaN -> None)."""
    if x is None:
        return None
    v = float(x)
    return None if math.isnan(v) or math.isinf(v) else v


def _mean(s: pd.Series) -> float | None:
    s = s.dropna()
    return _f(s.mean()) if len(s) else None


def _numeric_scale(raw: pd.Series) -> str | None:
    """``p1`` (P(answer 1) in [0, 1]), ``pref`` (AlpacaEval 1..2) or None (labels)."""
    present = raw[raw.notna() & (raw.astype(str).str.strip() != "")]
    if present.empty:
        return None
    x = pd.to_numeric(present, errors="coerce")
    if x.isna().any():
        return None
    frac = (x % 1) != 0
    if ((x >= 0) & (x <= 1)).all() and frac.any():
        return "p1"
    if ((x >= 1) & (x <= 2)).all() and (frac & (x != 1.5)).any():
        return "pref"
    return None


def _to_p1(raw: pd.Series, scale: str) -> pd.Series:
    x = pd.to_numeric(raw, errors="coerce").astype(float)
    return x if scale == "p1" else 2.0 - x


def _verdict_from_p1(p: pd.Series) -> pd.Series:
    out = pd.Series([None] * len(p), index=p.index, dtype=object)
    out[p > 0.5] = "a"
    out[p < 0.5] = "b"
    out[np.isclose(p.fillna(-1.0), 0.5)] = "tie"
    return out


# --------------------------------------------------------------------------- account


def _figures(
    first: pd.Series, second: pd.Series, after: pd.Series, gold: pd.Series | None
) -> dict[str, Any]:
    """Before/after figures over the rows whose two verdicts are both valid."""
    both = first.notna() & second.notna()
    f, s, a = first[both], second[both], after[both]
    n = int(both.sum())
    out: dict[str, Any] = {"n_rows": len(first), "n_valid": n, "n_missing": len(first) - n}
    if n == 0:
        return out
    consistent = f == s
    ties_before = float(((f == "tie").sum() + (s == "tie").sum()) / (2 * n))
    new_ties = int(((a == "tie") & ~((f == "tie") & (s == "tie"))).sum())
    wf, ws, wa = f.map(CREDIT), s.map(CREDIT), a.map(CREDIT)
    out.update(
        {
            "n_consistent": int(consistent.sum()),
            "n_inconsistent": int((~consistent).sum()),
            "n_became_ties": new_ties,
            "n_changed_from_first": int((a != f).sum()),
            "n_changed_from_second": int((a != s).sum()),
            "tie_share_before": ties_before,
            "tie_share_after": _f((a == "tie").mean()),
            "win_rate_1_first_order": _mean(wf),
            "win_rate_1_second_order": _mean(ws),
            "win_rate_1_before": _mean(pd.concat([wf, ws])),
            "win_rate_1_after": _mean(wa),
        }
    )
    out["win_rate_1_moved"] = (
        None
        if out["win_rate_1_after"] is None or out["win_rate_1_before"] is None
        else out["win_rate_1_after"] - out["win_rate_1_before"]
    )
    if gold is not None:
        g = gold[both]
        has = g.isin(["a", "b"])
        if has.any():

            def credit(v: pd.Series) -> pd.Series:
                c = (v[has] == g[has]).astype(float)
                return c.where(v[has] != "tie", 0.5)

            acc_before = _mean(pd.concat([credit(f), credit(s)]))
            acc_after = _mean(credit(a))
            decided = a[has] != "tie"
            out.update(
                {
                    "n_gold": int(has.sum()),
                    "accuracy_first_order": _mean(credit(f)),
                    "accuracy_second_order": _mean(credit(s)),
                    "accuracy_before": acc_before,
                    "accuracy_after": acc_after,
                    "accuracy_moved": None
                    if acc_before is None or acc_after is None
                    else acc_after - acc_before,
                    "accuracy_after_strict": _f((a[has] == g[has]).mean()),
                    "accuracy_decided": _f((a[has][decided] == g[has][decided]).mean())
                    if decided.any()
                    else None,
                }
            )
    return out


def _model_rates(
    first: pd.Series, second: pd.Series, after: pd.Series, m1: pd.Series, m2: pd.Series
) -> list[dict[str, Any]]:
    both = first.notna() & second.notna()
    rows = []
    c_before = (first[both].map(CREDIT) + second[both].map(CREDIT)) / 2.0
    c_after = after[both].map(CREDIT)
    long = pd.concat(
        [
            pd.DataFrame({"model": m1[both], "before": c_before, "after": c_after}),
            pd.DataFrame({"model": m2[both], "before": 1.0 - c_before, "after": 1.0 - c_after}),
        ]
    )
    for model, g in long.groupby("model", sort=True):
        b, a = _mean(g["before"]), _mean(g["after"])
        rows.append(
            {
                "model": str(model),
                "n": len(g),
                "win_rate_before": b,
                "win_rate_after": a,
                "moved": None if a is None or b is None else a - b,
            }
        )
    return rows


def _account(
    method: str,
    frame: pd.DataFrame,
    first: pd.Series,
    second: pd.Series,
    after: pd.Series,
    gold: pd.Series | None,
    group: list[str],
    models: tuple[str, str] | None,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    acc: dict[str, Any] = {
        "method": method,
        **extra,
        "overall": _figures(first, second, after, gold),
    }
    if models is not None:
        acc["models"] = _model_rates(first, second, after, frame[models[0]], frame[models[1]])
    if group:
        rows = []
        for values, part in frame.groupby(group, dropna=False, sort=True):
            idx = part.index
            vals = values if isinstance(values, tuple) else (values,)
            key: dict[str, Any] = {
                k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else v)
                for k, v in zip(group, vals, strict=True)
            }
            rows.append(
                {
                    **key,
                    **_figures(
                        first.loc[idx],
                        second.loc[idx],
                        after.loc[idx],
                        None if gold is None else gold.loc[idx],
                    ),
                }
            )
        acc["groups"] = rows
    return acc


def _models(
    df: pd.DataFrame, models: str | Sequence[str] | None, source: str
) -> tuple[str, str] | None:
    names = split_names(models)
    if not names:
        for a, b in (
            ("model_a", "model_b"),
            ("model_1", "model_2"),
            ("generator_1", "generator_2"),
        ):
            if a in df.columns and b in df.columns:
                return a, b
        return None
    if len(names) != 2:
        raise UsageError(f"--models: give two columns, MODEL_1,MODEL_2 (got {len(names)})")
    need_columns(df, names, "--models", source)
    return names[0], names[1]


# --------------------------------------------------------------------------- methods


def _swap(
    df: pd.DataFrame,
    columns: VerdictColumns,
    *,
    models: Any,
    column: str | None,
    soft: bool | None,
    source: str,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    from judgebias.tables.verdicts import FIRST, GOLD, SECOND, prepare

    first, second, gold, group = columns.first, columns.second, columns.gold, columns.group
    long = any((columns.order, columns.verdict, columns.pair, columns.order_values, columns.where))
    col = column or "swap_verdict"
    firsts, seconds = split_names(first, "|"), split_names(second, "|")
    scale: str | None = None
    if soft is not False and not long and len(firsts) == 1 and len(seconds) == 1:
        need_columns(df, firsts, "--first", source)
        need_columns(df, seconds, "--second", source)
        if soft is None and ambiguous_zero_one(pd.concat([df[firsts[0]], df[seconds[0]]])):
            raise UsageError(
                f"--first/--second: columns '{firsts[0]}' and '{seconds[0]}' hold only 0 and 1, "
                "which read two ways: probabilities of answer 1 (0 = answer 2 wins; pass "
                "--soft) or verdict labels (0 = a tie; pass --hard)"
            )
        s1, s2 = _numeric_scale(df[firsts[0]]), _numeric_scale(df[seconds[0]])
        scale = s1 or s2
        if scale and s1 and s2 and s1 != s2:
            raise InputError(
                source,
                f"--first and --second hold different scales ({s1}, {s2}); "
                "both must be P(answer 1) in [0, 1] or preferences in [1, 2]",
            )
    if soft is True and scale is None:
        if long or len(firsts) != 1 or len(seconds) != 1:
            raise UsageError("--soft: needs one numeric column each for --first and --second")
        for c in (firsts[0], seconds[0]):
            x = pd.to_numeric(df[c], errors="coerce")
            if x.notna().sum() < df[c].notna().sum():
                raise InputError(source, f"--soft: column '{c}' is not numeric")
        both = pd.concat(
            [
                pd.to_numeric(df[firsts[0]], errors="coerce"),
                pd.to_numeric(df[seconds[0]], errors="coerce"),
            ]
        ).dropna()
        scale = (
            "p1"
            if ((both >= 0) & (both <= 1)).all()
            else ("pref" if ((both >= 1) & (both <= 2)).all() else None)
        )
        if scale is None:
            raise InputError(
                source, "--soft: values must be probabilities in [0, 1] or preferences in [1, 2]"
            )
    if scale is not None:
        out = df.copy()
        p_first, p_second = _to_p1(df[firsts[0]], scale), _to_p1(df[seconds[0]], scale)
        bad = ((p_first < 0) | (p_first > 1) | (p_second < 0) | (p_second > 1)).to_numpy()
        if bad.any():
            row = int(np.argmax(bad)) + 1
            raise InputError(source, "a probability outside [0, 1]", row=row)
        p = (p_first + p_second) / 2.0
        after = _verdict_from_p1(p)
        out[col.replace("verdict", "p1") if "verdict" in col else f"{col}_p1"] = p.to_numpy()
        out[col] = _out_labels(after)
        v1, v2 = _verdict_from_p1(p_first), _verdict_from_p1(p_second)
        g, grp = _gold_and_groups(df, gold, group, source)
        acc = _account(
            "swap",
            out,
            v1,
            v2,
            after,
            g,
            grp,
            _models(df, models, source),
            {
                "mode": "soft",
                "reading": _READING[scale],
                "scale": scale,
                "column": col,
                "mean_shift_p1": _f((p - p_first).abs().mean()),
            },
        )
        return out, acc
    prep = prepare(df, columns, source=source)
    frame = prep.frame
    f, s = frame[FIRST], frame[SECOND]
    after = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    both = f.notna() & s.notna()
    after[both & (f == s)] = f[both & (f == s)]
    after[both & (f != s)] = "tie"
    out = frame.drop(columns=[c for c in frame.columns if str(c).startswith("jb_")])
    out[col] = _out_labels(after)
    acc = _account(
        "swap",
        frame,
        f,
        s,
        after,
        frame[GOLD] if prep.has_gold else None,
        prep.group,
        _models(frame, models, source),
        {
            "mode": "hard",
            "reading": _READING["labels"],
            "column": col,
            "layout": prep.layout,
            "unrecognized": prep.unrecognized,
        },
    )
    return out, acc


def _bpc(
    df: pd.DataFrame,
    *,
    first: Any,
    second: Any,
    gold: str | None,
    group: Any,
    models: Any,
    column: str | None,
    source: str,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    col = column or "bpc_verdict"
    pairs = []
    for flag, value in (("--first", first), ("--second", second)):
        names = split_names(value)
        if len(names) != 2:
            raise UsageError(
                f"{flag}: bpc needs two score columns, SCORE_1,SCORE_2 (the scores "
                "of answers 1 and 2 in that order)"
            )
        need_columns(df, names, flag, source)
        pairs.append(names)
    scores = {}
    for names in pairs:
        for c in names:
            x = pd.to_numeric(df[c], errors="coerce").astype(float)
            bad = (x.isna() & df[c].notna() & (df[c].astype(str).str.strip() != "")).to_numpy()
            if bad.any():
                raise InputError(
                    source,
                    f"column '{c}' holds a value that is not a score "
                    f"({df[c].to_numpy()[int(np.argmax(bad))]!r})",
                    row=int(np.argmax(bad)) + 1,
                )
            scores[c] = x
    (a1, b1), (a2, b2) = pairs
    cal1 = (scores[a1] + scores[a2]) / 2.0
    cal2 = (scores[b1] + scores[b2]) / 2.0

    def verdict(x: pd.Series, y: pd.Series) -> pd.Series:
        out = pd.Series([None] * len(x), index=x.index, dtype=object)
        ok = x.notna() & y.notna()
        out[ok & (x > y)] = "a"
        out[ok & (x < y)] = "b"
        out[ok & (x == y)] = "tie"
        return out

    v1, v2 = verdict(scores[a1], scores[b1]), verdict(scores[a2], scores[b2])
    after = verdict(cal1, cal2)
    out = df.copy()
    out["bpc_score_1"] = cal1.to_numpy()
    out["bpc_score_2"] = cal2.to_numpy()
    out[col] = _out_labels(after)
    g, grp = _gold_and_groups(df, gold, group, source)
    acc = _account(
        "bpc",
        out,
        v1,
        v2,
        after,
        g,
        grp,
        _models(df, models, source),
        {"column": col, "scores_first": [a1, b1], "scores_second": [a2, b2]},
    )
    return out, acc


def _length(
    df: pd.DataFrame, *, first: Any, second: Any, baseline: str | None, source: str
) -> tuple[pd.DataFrame, dict[str, Any]]:
    from judgebias.stats.lc import LC_COLUMNS, lc_winrate

    table = df
    if first is not None or second is not None:
        if first is None or second is None:
            raise UsageError(
                "--first/--second: the length method needs both (answer 1 = the "
                "baseline, answer 2 = the model) or neither (a preference column)"
            )
        need = [c for c in LC_COLUMNS if c != "preference"]
        need_columns(df, need, "--method length", source)
        need_columns(df, [str(first)], "--first", source)
        need_columns(df, [str(second)], "--second", source)
        f, s = df[str(first)].map(normalize_label), df[str(second)].map(normalize_label)
        credit = {"a": 0.0, "b": 1.0, "tie": 0.5}
        pref = pd.concat([f.map(credit), s.map(credit)], axis=1).mean(axis=1, skipna=True)
        table = df[need].assign(preference=1.0 + pref)
    else:
        need_columns(df, list(LC_COLUMNS), "--method length", source)
    lc = lc_winrate(table, baseline=baseline)
    lc = lc.assign(moved=lc["lc_win_rate"] - lc["win_rate"])
    models: list[dict[str, Any]] = [
        {
            "model": str(r["model"]),
            "n": int(r["n"]),
            "win_rate": _f(r["win_rate"]),
            "lc_win_rate": _f(r["lc_win_rate"]),
            "moved_pp": _f(r["moved"]),
            "length_coefficient": _f(r["length_coefficient"]),
            "flagged": bool(r["flagged"]),
            "lc_ci_low": _f(r["lc_ci_low"]),
            "lc_ci_high": _f(r["lc_ci_high"]),
            "note": str(r["note"] or ""),
        }
        for r in lc.to_dict("records")
    ]
    moves = [abs(float(m["moved_pp"])) for m in models if m["moved_pp"] is not None]
    acc = {
        "method": "length",
        "n_models": len(models),
        "preference": "swap-averaged from --first/--second"
        if first is not None
        else "column preference",
        "mean_abs_move_pp": _f(np.mean(moves)) if moves else None,
        "n_flagged": sum(1 for m in models if m["flagged"]),
        "models": models,
    }
    return lc, acc


def _placebo(
    records: pd.DataFrame, *, directions: Mapping[str, str] | None, source: str
) -> tuple[pd.DataFrame, dict[str, Any]]:
    from judgebias.probes.catalog import builtin_probes
    from judgebias.stats.intervals import wilson
    from judgebias.stats.perturbation import perturbation_stats

    need = ["pair_id", "probe", "kind", "order", "verdict", "target", "variant"]
    missing = [c for c in need if c not in records.columns]
    if missing:
        raise InputError(
            source,
            "--method placebo: needs the records of an audit (a run folder "
            f"or its records.parquet); column '{missing[0]}' not found",
        )
    probes = [str(p) for p in records.loc[records["kind"] == "cue", "probe"].dropna().unique()]
    if not probes:
        raise InputError(
            source,
            "--method placebo: these records hold no perturbation probe "
            "(no rows of kind 'cue'); audit with e.g. --probes length,bandwagon",
        )
    known: dict[str, str] = {name: spec.direction for name, spec in builtin_probes().items()}
    known.update(directions or {})
    rows = []
    for name in sorted(probes):
        direction = known.get(name, "toward")
        fig = perturbation_stats(records, name, direction)
        n = int(fig["n"])
        flip = fig.get("flip_rate", math.nan)
        lo, hi = wilson(flip * n, n) if n else (math.nan, math.nan)
        rows.append(
            {
                "probe": name,
                "direction": direction,
                "n": n,
                "flip_rate": flip,
                "flip_ci_low": lo,
                "flip_ci_high": hi,
                "placebo_flip_rate": fig.get("placebo_flip_rate", math.nan),
                "effect": fig.get("effect", math.nan),
                "ci_low": fig.get("ci_low", math.nan),
                "ci_high": fig.get("ci_high", math.nan),
                "p_value": fig.get("p_value", math.nan),
                "attributable_rate": fig.get("attributable_rate", math.nan),
                "moved": fig.get("effect", math.nan) - flip,
            }
        )
    table = pd.DataFrame(rows)
    acc = {
        "method": "placebo",
        "probes": {
            r["probe"]: {
                "raw_flip_rate": _f(r["flip_rate"]),
                "placebo_flip_rate": _f(r["placebo_flip_rate"]),
                "net_effect": _f(r["effect"]),
                "moved": _f(r["moved"]),
                "n": r["n"],
            }
            for r in rows
        },
    }
    return table, acc


# --------------------------------------------------------------------------- the API


def debias(
    df: pd.DataFrame,
    method: str = "swap",
    columns: VerdictColumns | None = None,
    *,
    models: str | Sequence[str] | None = None,
    column: str | None = None,
    soft: bool | None = None,
    baseline: str | None = None,
    directions: Mapping[str, str] | None = None,
    source: str = "<frame>",
    **names: Any,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Correct recorded judgments; return ``(corrected table, account)``.

    ``method`` is ``swap``, ``bpc``, ``length`` or ``placebo`` (see the module
    docstring for what each reads and writes). ``columns``
    (:class:`~judgebias.tables.verdicts.VerdictColumns`, or its fields as keywords:
    ``first``/``second``/``gold``/``group`` and the long layout ``order``,
    ``verdict``, ``pair``, ``order_values``, ``where``) follow
    :func:`judgebias.analysis.analyze`;
    ``models`` names the columns with the models of answers 1 and 2 (default:
    ``model_a,model_b`` when present); ``column`` the new verdict column;
    ``soft`` forces (True) or forbids (False) the probability reading of ``swap``;
    ``baseline`` is passed to the LC fit; ``directions`` gives custom probes'
    directions for ``placebo``. Problems raise one-line
    :class:`~judgebias.errors.UsageError` / :class:`~judgebias.errors.InputError`.

    Example::

        fixed, account = judgebias.debias(df, "swap", first="winner_noswap",
                                          second="winner_swap", gold="label")
    """
    if not isinstance(df, pd.DataFrame):
        raise UsageError(f"debias: expected a pandas DataFrame, got {type(df).__name__}")
    m = str(method).strip().lower()
    if m not in METHODS:
        hint = did_you_mean(m, METHODS)
        raise UsageError(f"--method: '{method}' is not one of {', '.join(METHODS)}{hint}")
    if df.empty:
        raise InputError(source, "no rows; nothing to correct")
    df = df.copy()
    df.columns = [str(c) for c in df.columns]
    if column is not None and not str(column).strip():
        raise UsageError("--column: give a column name")
    cols = VerdictColumns.of(columns, **names)
    first, second, gold, group = cols.first, cols.second, cols.gold, cols.group
    if m == "swap":
        if first is None and second is None and cols.order is None and cols.verdict is None:
            raise UsageError(
                "--first/--second: name the two-order verdict columns (swap needs "
                "the verdict in each order)"
            )
        return _swap(df, cols, models=models, column=column, soft=soft, source=source)
    if m == "bpc":
        return _bpc(
            df,
            first=first,
            second=second,
            gold=gold,
            group=group,
            models=models,
            column=column,
            source=source,
        )
    if m == "length":
        return _length(df, first=first, second=second, baseline=baseline, source=source)
    return _placebo(df, directions=directions, source=source)


# --------------------------------------------------------------------------- files


def write_table(df: pd.DataFrame, out: str | Path) -> Path:
    """Write a table by suffix: .csv (default), .tsv, .json, .jsonl, .parquet."""
    path = Path(out)
    suffix = path.suffix.lower()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".json":
            path.write_text(
                df.to_json(orient="records", indent=2, force_ascii=False), encoding="utf-8"
            )
        elif suffix == ".jsonl":
            path.write_text(
                df.to_json(orient="records", lines=True, force_ascii=False), encoding="utf-8"
            )
        elif suffix == ".parquet":
            df.to_parquet(path, index=False)
        elif suffix == ".tsv":
            df.to_csv(path, index=False, sep="\t")
        else:
            df.to_csv(path, index=False)
    except OSError as exc:
        raise UsageError(f"--out: cannot write {path} ({exc.strerror or exc})") from None
    return path
