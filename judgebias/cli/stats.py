"""CLI commands over existing tables (no judge calls): ``lc``, ``dbg``, ``factors``, ``plan``.

Heavy imports happen inside the commands. Tables are written as CSV (or JSON with a
``.json`` suffix).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from judgebias.cli.common import parse_map
from judgebias.errors import UsageError

__all__ = [
    "DBG_EPILOG",
    "FACTORS_EPILOG",
    "LC_EPILOG",
    "PLAN_EPILOG",
    "dbg_command",
    "factors_command",
    "lc_command",
    "plan_command",
]

LC_EPILOG = """Examples:

  judgebias lc annotations_*.json.gz --out lc.csv

  judgebias lc judgments.csv.gz --map preference=pref --out lc.csv
"""

DBG_EPILOG = """Example:

  judgebias dbg self.csv --judge-col judge_pref --gold-col human_pref --item-col instruction
"""

FACTORS_EPILOG = """Example:

  judgebias factors pairs.csv --text-a output_1 --text-b output_2 --pref pref_a --gold human_a
"""

PLAN_EPILOG = """Example:

  judgebias plan --effect 0.05 --baseline-flip 0.1
"""


def _write(df: object, out: str | None) -> None:
    import pandas as pd

    assert isinstance(df, pd.DataFrame)
    if out is None:
        typer.echo(df.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
        return
    path = Path(out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".json":
            path.write_text(df.to_json(orient="records", indent=2), encoding="utf-8")
        else:
            df.to_csv(path, index=False)
    except OSError as exc:
        raise UsageError(f"--out: cannot write {path} ({exc.strerror or exc})") from None
    typer.echo(str(path))


def lc_command(
    files: Annotated[
        list[str],
        typer.Argument(
            help="AlpacaEval annotation JSON(.gz) files, or a table with model, instruction_index, baseline_length, model_length, preference."
        ),
    ],
    out: Annotated[
        str | None,
        typer.Option("--out", help="Write the table here (CSV; .json for JSON). Default: print."),
    ] = None,
    map_: Annotated[str | None, typer.Option("--map", help="Rename columns: new=old,...")] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline", help="Name of the baseline model (its self-comparisons are left out)."
        ),
    ] = None,
    difficulty: Annotated[
        str | None,
        typer.Option(
            "--difficulty", help="CSV of instruction_index,difficulty to reuse instead of fitting."
        ),
    ] = None,
    save_difficulty: Annotated[
        str | None,
        typer.Option(
            "--save-difficulty", help="Write the fitted instruction difficulty here (CSV)."
        ),
    ] = None,
    n_boot: Annotated[
        int,
        typer.Option(
            "--n-boot",
            help="Bootstrap resamples per model for lc_ci_low/lc_ci_high (0: no interval).",
        ),
    ] = 500,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
) -> None:
    """Length-controlled win rates (AlpacaEval 2.0's GLM), in percent, per model, with a
    bootstrap interval over instructions and a note where a fit is not identified."""
    import pandas as pd

    from judgebias.stats.lc import fit_instruction_difficulty, lc_winrate, load_lc_table
    from judgebias.tables.pairs import read_table

    table = load_lc_table(files if len(files) > 1 else files[0], mapping=parse_map(map_) or None)
    diff = None
    if difficulty:
        d = read_table(difficulty)
        if not {"instruction_index", "difficulty"} <= set(d.columns):
            raise UsageError(
                f"--difficulty: {difficulty} needs columns instruction_index, difficulty"
            )
        diff = d.set_index("instruction_index")["difficulty"]
    elif save_difficulty:
        diff = fit_instruction_difficulty(table, baseline=baseline)
    if save_difficulty and diff is not None:
        pd.DataFrame({"instruction_index": diff.index, "difficulty": diff.to_numpy()}).to_csv(
            save_difficulty, index=False
        )
    if n_boot < 0:
        raise UsageError(f"--n-boot: must be 0 or more, got {n_boot}")
    _write(lc_winrate(table, difficulty=diff, baseline=baseline, n_boot=n_boot, seed=seed), out)


def dbg_command(
    file: Annotated[
        str,
        typer.Argument(
            help="A table with one row per comparison of the judge's own response with another."
        ),
    ],
    judge_col: Annotated[
        str,
        typer.Option(
            "--judge-col", help="The judge's preference: a number in [0, 1] or a verdict label."
        ),
    ],
    gold_col: Annotated[str, typer.Option("--gold-col", help="The gold preference, same form.")],
    own_col: Annotated[
        str | None,
        typer.Option(
            "--own-col",
            help="Which response is the judge's own (a/b); without it the preferences are for the own response.",
        ),
    ] = None,
    item_col: Annotated[
        str | None,
        typer.Option("--item-col", help="Cluster rows by this column (e.g. the instruction)."),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="One row per value of this column (e.g. judge).")
    ] = None,
    n_boot: Annotated[int, typer.Option("--n-boot")] = 2000,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="How the preference columns are read: probability (0 = the other answer wins) or label (0 = tie). Default: numbers are probabilities, text is labels; a column holding only 0 and 1 (numbers or text) must be declared.",
        ),
    ] = None,
    map_: Annotated[str | None, typer.Option("--map", help="Rename columns: new=old,...")] = None,
    out: Annotated[str | None, typer.Option("--out")] = None,
) -> None:
    """DBG self-preference score (percentage points) with a bootstrap interval over items, and
    the noise-robust error asymmetry P(own | gold other) - P(other | gold own)."""
    from judgebias.stats.dbg import KINDS, dbg
    from judgebias.tables.pairs import read_table

    if kind is not None and kind not in KINDS:
        raise UsageError(f"--kind: '{kind}' is not one of {', '.join(KINDS)}")
    df = read_table(file, mapping=parse_map(map_) or None)
    _write(
        dbg(
            df,
            judge_col=judge_col,
            gold_col=gold_col,
            own_col=own_col,
            item_col=item_col,
            by=by,
            n_boot=n_boot,
            seed=seed,
            kind=kind,
        ),
        out,
    )


def factors_command(
    file: Annotated[
        str,
        typer.Argument(help="A table with the two responses' texts and the judge's preference."),
    ],
    text_a: Annotated[str, typer.Option("--text-a", help="Column with response a's text.")],
    text_b: Annotated[str, typer.Option("--text-b", help="Column with response b's text.")],
    pref: Annotated[
        str,
        typer.Option(
            "--pref", help="Judge's preference for response a: number in [0, 1] or a/b/tie label."
        ),
    ],
    gold: Annotated[
        str | None,
        typer.Option("--gold", help="Gold preference, same form, to compare factor influences."),
    ] = None,
    item: Annotated[
        str | None,
        typer.Option(
            "--item",
            help="Cluster standard errors by this column (default: 'instruction' when present).",
        ),
    ] = None,
    cluster: Annotated[
        bool,
        typer.Option("--cluster/--no-cluster", help="--no-cluster: per-row (HC0) standard errors."),
    ] = True,
    factors: Annotated[
        str | None, typer.Option("--factors", help="Comma-separated subset of factors.")
    ] = None,
    penalty: Annotated[
        float, typer.Option("--penalty", help="Ridge/Laplace penalty for the point estimates.")
    ] = 0.0,
    l1_wt: Annotated[
        float, typer.Option("--l1-wt", help="Share of L1 in the penalty (1 = Laplace).")
    ] = 0.0,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="How the preference columns are read: probability (0 = response b wins) or label (0 = tie). Default: numbers are probabilities, text is labels; a column holding only 0 and 1 (numbers or text) must be declared.",
        ),
    ] = None,
    map_: Annotated[str | None, typer.Option("--map", help="Rename columns: new=old,...")] = None,
    out: Annotated[str | None, typer.Option("--out")] = None,
) -> None:
    """PROFILE-style factor attribution: which response features move the judge (and gold)."""
    from judgebias.stats.dbg import KINDS
    from judgebias.stats.factors import factor_attribution
    from judgebias.tables.pairs import read_table

    if kind is not None and kind not in KINDS:
        raise UsageError(f"--kind: '{kind}' is not one of {', '.join(KINDS)}")
    df = read_table(file, mapping=parse_map(map_) or None)
    names = [f.strip() for f in factors.split(",")] if factors else None
    _write(
        factor_attribution(
            df,
            text_a=text_a,
            text_b=text_b,
            pref=pref,
            gold=gold,
            item=item,
            factors=names,
            penalty=penalty,
            l1_wt=l1_wt,
            cluster=cluster,
            kind=kind,
        ),
        out,
    )


def plan_command(
    effect: Annotated[
        float, typer.Option("--effect", help="Smallest bias worth detecting (fraction, e.g. 0.05).")
    ],
    baseline_flip: Annotated[
        float,
        typer.Option(
            "--baseline-flip",
            help="Placebo flip rate (probe design) or inconsistent share (position design).",
        ),
    ] = 0.1,
    power: Annotated[float, typer.Option("--power")] = 0.8,
    alpha: Annotated[float, typer.Option("--alpha")] = 0.05,
    design: Annotated[str, typer.Option("--design", help="probe or position.")] = "probe",
    usable: Annotated[
        float,
        typer.Option(
            "--usable",
            help="Share of units kept: control verdicts that name an answer and valid verdicts (default 1).",
        ),
    ] = 1.0,
    deff: Annotated[
        float,
        typer.Option(
            "--deff",
            help="Probe design: design effect of a pair's two orders, 1 (independent) to 2 (always agree; default, safe).",
        ),
    ] = 2.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """How many pairs an audit needs to detect a bias of a given size (exact McNemar power)."""
    from judgebias.stats.power import plan_sample_size

    if design not in ("probe", "position"):
        raise UsageError(f"--design: '{design}' is not one of probe, position")
    for flag, value, ok in (
        ("--usable", usable, 0.0 < usable <= 1.0),
        ("--deff", deff, 1.0 <= deff <= 2.0),
    ):
        if not ok:
            raise UsageError(f"{flag}: {value:g} is outside its range (see --help)")
    res = plan_sample_size(
        effect,
        baseline_flip=baseline_flip,
        power=power,
        alpha=alpha,
        design="probe" if design == "probe" else "position",
        usable=usable,
        deff=deff,
    )
    if as_json:
        typer.echo(json.dumps(res))
    else:
        typer.echo(
            f"{res['pairs']} pairs detect an effect of {effect:g} with power {power:g} "
            f"at alpha {alpha:g} ({design} design, baseline {baseline_flip:g}): "
            f"{res['units']} {res['unit']} give exact McNemar power "
            f"{res['achieved_power']:.3f} (the normal approximation would say "
            f"{res['connor_units']})."
            + (
                f" With --deff {deff:g} and --usable {usable:g} a pair gives "
                f"{2 * usable / deff:g} effective units."
                if design == "probe"
                else ""
            )
        )
