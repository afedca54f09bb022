"""CLI commands for corrections and comparisons: ``debias`` and ``compare``.

Registered on the app in :mod:`judgebias.cli`. No judge is called. Heavy imports
happen inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from .errors import UsageError

__all__ = ["compare_command", "debias_command"]


def _pct(x: Any) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _echo_account(acc: dict[str, Any]) -> None:
    method = acc["method"]
    if method in ("swap", "bpc"):
        o = acc["overall"]
        typer.echo(
            f"{method}: {o['n_rows']} rows, {o['n_valid']} with both verdicts valid "
            f"({o['n_missing']} left empty)"
        )
        if acc.get("reading"):
            typer.echo(f"  read as {acc['reading']}")
        if o["n_valid"]:
            typer.echo(
                f"  consistent {o['n_consistent']}, became ties {o['n_became_ties']}; "
                f"tie share {_pct(o['tie_share_before'])} -> {_pct(o['tie_share_after'])}"
            )
            typer.echo(
                f"  answer 1 win rate: first order {_pct(o['win_rate_1_first_order'])}, "
                f"second order {_pct(o['win_rate_1_second_order'])}, both "
                f"{_pct(o['win_rate_1_before'])} -> {_pct(o['win_rate_1_after'])}"
            )
        if o.get("n_gold"):
            typer.echo(
                f"  accuracy: first order {_pct(o['accuracy_first_order'])}, second "
                f"order {_pct(o['accuracy_second_order'])}, after "
                f"{_pct(o['accuracy_after'])} (ties 1/2; ties as wrong "
                f"{_pct(o['accuracy_after_strict'])}, decided "
                f"{_pct(o['accuracy_decided'])})"
            )
        for m in acc.get("models", [])[:20]:
            typer.echo(
                f"  {m['model']}: win rate {_pct(m['win_rate_before'])} -> "
                f"{_pct(m['win_rate_after'])}"
            )
        if acc.get("groups"):
            typer.echo(f"  {len(acc['groups'])} groups: per-group figures with --json")
    elif method == "length":
        for m in acc["models"][:40]:
            flag = "  (flagged)" if m["flagged"] else ""
            if m["lc_win_rate"] is None:
                typer.echo(
                    f"{m['model']}: win rate {m['win_rate']:.1f}% -> LC not estimated "
                    f"({m.get('note') or 'no finite fit'})"
                )
                continue
            typer.echo(
                f"{m['model']}: win rate {m['win_rate']:.1f}% -> LC "
                f"{m['lc_win_rate']:.1f}% ({m['moved_pp']:+.1f} pp){flag}"
            )
    else:
        for name, p in acc["probes"].items():
            typer.echo(
                f"{name}: raw flip rate {_pct(p['raw_flip_rate'])}, placebo "
                f"{_pct(p['placebo_flip_rate'])}, net effect {_pct(p['net_effect'])} "
                f"(n {p['n']})"
            )


def debias_command(
    file: Annotated[
        str,
        typer.Argument(
            help="Table of recorded verdicts (CSV, TSV, JSONL, JSON, Parquet; .gz ok); for --method placebo a run folder or its records file; for --method length also AlpacaEval annotation files."
        ),
    ],
    method: Annotated[str, typer.Option("--method", help="swap, bpc, length or placebo.")],
    first: Annotated[
        str | None,
        typer.Option(
            "--first",
            help="Verdict column when answer 1 was shown first (COL or COL1|COL2); bpc: the two score columns S1,S2 in that order.",
        ),
    ] = None,
    second: Annotated[
        str | None,
        typer.Option(
            "--second",
            help="Verdict column when the order was swapped, mapped back to 1/2; bpc: the two score columns S1,S2.",
        ),
    ] = None,
    gold: Annotated[
        str | None,
        typer.Option("--gold", help="Gold label column (1/2, a/b): accuracy before and after."),
    ] = None,
    group: Annotated[
        str | None, typer.Option("--group", help="Comma-separated columns: the account per group.")
    ] = None,
    models: Annotated[
        str | None,
        typer.Option(
            "--models",
            help="Columns with the models of answers 1 and 2 (MODEL_1,MODEL_2; default model_a,model_b when present): win rate per model.",
        ),
    ] = None,
    column: Annotated[
        str | None,
        typer.Option(
            "--column",
            help="Name of the corrected verdict column (default swap_verdict / bpc_verdict).",
        ),
    ] = None,
    soft: Annotated[
        bool | None,
        typer.Option(
            "--soft/--hard",
            help="swap: read the columns as probabilities of answer 1 (--soft) or as verdicts (--hard); default: decided by the values.",
        ),
    ] = None,
    order: Annotated[
        str | None, typer.Option("--order", help="Long layout: column telling the order shown.")
    ] = None,
    verdict: Annotated[
        str | None, typer.Option("--verdict", help="Long layout: verdict column.")
    ] = None,
    pair: Annotated[
        str | None, typer.Option("--pair", help="Long layout: columns identifying a pair.")
    ] = None,
    where: Annotated[
        list[str] | None, typer.Option("--where", help="Keep rows with COLUMN=VALUE (repeatable).")
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline", help="length: the baseline model (its self-comparisons are left out)."
        ),
    ] = None,
    map_: Annotated[str | None, typer.Option("--map", help="Rename columns: new=old,...")] = None,
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            help="Write the corrected table (CSV; .tsv, .json, .jsonl, .parquet by suffix).",
        ),
    ] = None,
    account: Annotated[
        str | None,
        typer.Option("--account", help="Also write the account of what changed as JSON."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the account as JSON.")] = False,
) -> None:
    """Correct recorded verdicts (swap, bpc), win rates (length) or probe effects (placebo)."""
    from .corrections import METHODS, debias, read_records, write_table
    from .data import parse_mapping, read_table
    from .verdicts import VerdictColumns

    m = method.strip().lower()
    mapping = parse_mapping(map_) if map_ else None
    where_map: dict[str, list[str]] = {}
    for item in where or []:
        col, eq, value = item.partition("=")
        if not eq or not col.strip():
            raise UsageError(f"--where: {item!r} is not of the form COLUMN=VALUE")
        where_map.setdefault(col.strip(), []).append(value.strip())
    if m == "placebo":
        df = read_records(file)
    elif m == "length" and first is None and second is None:
        from .stats.lc import load_lc_table

        df = load_lc_table(file, mapping=mapping)
    elif m in METHODS:
        df = read_table(file, mapping=mapping)
    else:
        df = None
    if df is None:
        from .registry import did_you_mean

        hint = did_you_mean(m, METHODS)
        raise UsageError(f"--method: '{method}' is not one of {', '.join(METHODS)}{hint}")
    columns = VerdictColumns(
        first=first,
        second=second,
        gold=gold,
        group=group,
        order=order,
        verdict=verdict,
        pair=pair,
        where=where_map or None,
    )
    table, acc = debias(
        df,
        m,
        columns,
        models=models,
        column=column,
        soft=soft,
        baseline=baseline,
        source=file,
    )
    acc = json.loads(json.dumps(acc, default=str))
    if account:
        try:
            Path(account).parent.mkdir(parents=True, exist_ok=True)
            Path(account).write_text(json.dumps(acc, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--account: cannot write {account} ({exc.strerror or exc})") from None
    if out:
        path = write_table(table, out)
    if as_json:
        typer.echo(json.dumps(acc, indent=2))
        return
    _echo_account(acc)
    if out:
        typer.echo(f"wrote {path} ({len(table)} rows)")
    elif m in ("length", "placebo"):
        typer.echo(table.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    else:
        typer.echo(f"(give --out FILE to write the {len(table)} corrected rows)")


def compare_command(
    run_a: Annotated[
        str, typer.Argument(help="Run folder A (before), written by 'judgebias audit'.")
    ],
    run_b: Annotated[str, typer.Argument(help="Run folder B (after).")],
    out: Annotated[
        str | None,
        typer.Option(
            "--out", help="Write the comparison: .html (one self-contained page), .json, or CSV."
        ),
    ] = None,
    n_boot: Annotated[
        int, typer.Option("--n-boot", help="Bootstrap draws and permutations for paired runs.")
    ] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
) -> None:
    """Two runs side by side: every probe's effect in both, the difference with its interval and p-value, accuracy and cost."""
    from .compare import compare_runs, comparison_json, write_compare

    result = compare_runs(run_a, run_b, n_boot=n_boot, seed=seed)
    if out:
        path = write_compare(result, out)
    if as_json:
        typer.echo(json.dumps(comparison_json(result), indent=2))
        return
    a, b = result["runs"]["a"], result["runs"]["b"]
    for key, r in (("A", a), ("B", b)):
        mit = ", ".join(r["mitigations"]) or "none"
        cost = "–" if r["cost_usd"] is None else f"${r['cost_usd']:.4f}"
        effort = f", reasoning effort {r['reasoning_effort']}" if r.get("reasoning_effort") else ""
        typer.echo(
            f"{key} {r['label']}: {r['judge']} (mitigations: {mit}{effort}); "
            f"{r['calls']} backend requests, {r['calls_per_verdict']} per verdict, "
            f"{r['tokens']} tokens, cost {cost}"
        )
    t = result["table"]

    scale = {"accuracy": 100.0} if result.get("format") == "single" else {}

    def pp(x: float, figure: str = "") -> str:  # pointwise shifts are in grade points
        if x != x:
            return "–"
        return (
            f"{x:+.2f}"
            if result.get("format") == "single" and not scale.get(figure)
            else f"{100 * x:+.1f}"
        )

    typer.echo(f"{'figure':<13}{'A':>8}{'B':>8}{'B-A':>8}  {'95% CI of B-A':<17}{'p':>8}")
    for r in t.to_dict(orient="records"):
        f = r["figure"]
        ci = f"[{pp(r['diff_ci_low'], f)}, {pp(r['diff_ci_high'], f)}]"
        p = "–" if r["p_value"] != r["p_value"] else f"{r['p_value']:.3g}"
        typer.echo(
            f"{f:<13}{pp(r['effect_a'], f):>8}{pp(r['effect_b'], f):>8}"
            f"{pp(r['difference'], f):>8}  {ci:<17}{p:>8}"
        )
    how = (
        f"paired over {result['n_shared']} shared pairs"
        if result["paired"]
        else "independent runs (Newcombe)"
    )
    typer.echo(f"{result.get('unit_note', 'percentage points')}; {how}")
    if out:
        typer.echo(f"wrote {path}")
