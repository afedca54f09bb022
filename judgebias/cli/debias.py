"""``judgebias debias``: correct recorded verdicts (swap, bpc), win rates (length) or probe
effects (placebo) with :func:`judgebias.corrections.debias.debias`, and print its account.
No judge is called. Heavy imports happen inside the command.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from judgebias.cli.common import parse_map, parse_where
from judgebias.errors import UsageError

__all__ = ["DEBIAS_EPILOG", "debias_command"]

DEBIAS_EPILOG = """Examples:

  judgebias debias judgments.csv.gz --method swap --first winner_noswap --second winner_swap --gold label --group judge,strategy --out swapped.csv

  judgebias debias scores.csv --method bpc --first s1_ab,s2_ab --second s1_ba,s2_ba --out calibrated.csv

  judgebias debias annotations_*.json.gz --method length

  judgebias debias runs/gpt-4o-mini --method placebo

  swap writes the input rows with a new column (swap_verdict): 1 or 2 when both orders agree, tie when they disagree, empty when either verdict is unparseable.
"""


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
    from judgebias.corrections.debias import METHODS, debias, read_records, write_table
    from judgebias.tables.pairs import read_table
    from judgebias.tables.verdicts import VerdictColumns

    m = method.strip().lower()
    mapping = parse_map(map_) or None
    where_map = parse_where(where)
    if m == "placebo":
        df = read_records(file)
    elif m == "length" and first is None and second is None:
        from judgebias.stats.lc import load_lc_table

        df = load_lc_table(file, mapping=mapping)
    elif m in METHODS:
        df = read_table(file, mapping=mapping)
    else:
        df = None
    if df is None:
        from judgebias.registry import did_you_mean

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
