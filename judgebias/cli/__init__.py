"""The ``judgebias`` command line (typer): the app, its entry point, and the commands.

Each command group lives in a module of its own that only converts flags and formats
output (the rules and the work are the library's): :mod:`.audit` (``audit``, ``demo``),
:mod:`.serve` (``serve-sim``), :mod:`.report` (``report``, ``compare``), :mod:`.analyze`,
:mod:`.store` (``merge``), :mod:`.stats` (``lc``, ``dbg``, ``factors``, ``plan``),
:mod:`.debias`, :mod:`.agree` and :mod:`.check` (``check``). What they share (the one-line failure, flag parsing, the
gate's lines) is in :mod:`.common`, so no command module imports this package. Heavy
imports happen inside the commands, so ``judgebias --help`` stays fast.

Exit status: 0 success, 1 a ``--fail-on`` gate tripped, 2 usage or input error
(one line on stderr naming the file, line or flag; never a traceback), 3 an audit that
failed closed (too many unreadable answers), 4 the judge could not be reached or its calls
failed (:data:`judgebias.errors.EXIT_UNREACHABLE`).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from judgebias.cli import agree, analyze, audit, check, debias, report, schema, serve, stats, store
from judgebias.errors import JudgebiasError

__all__ = ["app", "main"]

app = typer.Typer(
    name="judgebias",
    help="Measure, test and correct the biases of LLM judges.",
    epilog="""Examples:

  judgebias demo --out demo

  judgebias audit --judge openai:gpt-4o-mini --data pairs.jsonl --probes all --out runs/4o-mini

  judgebias report runs/4o-mini runs/llama-70b --out judges.html

  Exit status: 0 success; 1 a --fail-on gate tripped; 2 usage or input error; 3 the audit failed closed (too many unreadable answers, see --max-invalid); 4 the judge could not be reached or its calls failed (re-run to resume). 'judgebias COMMAND --help' shows each command's options and examples.
""",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# (name, function, examples) in the order --help lists them
_COMMANDS = (
    ("audit", audit.audit, audit.AUDIT_EPILOG),
    ("demo", audit.demo, audit.DEMO_EPILOG),
    ("check", check.check, check.CHECK_EPILOG),
    ("serve-sim", serve.serve_sim, serve.SERVE_SIM_EPILOG),
    ("report", report.report, report.REPORT_EPILOG),
    ("analyze", analyze.analyze, analyze.ANALYZE_EPILOG),
    ("merge", store.merge, store.MERGE_EPILOG),
    ("lc", stats.lc_command, stats.LC_EPILOG),
    ("dbg", stats.dbg_command, stats.DBG_EPILOG),
    ("factors", stats.factors_command, stats.FACTORS_EPILOG),
    ("plan", stats.plan_command, stats.PLAN_EPILOG),
    ("debias", debias.debias_command, debias.DEBIAS_EPILOG),
    ("compare", report.compare_command, report.COMPARE_EPILOG),
    ("agree", agree.agree_command, agree.EPILOG),
    ("schema", schema.schema_command, schema.SCHEMA_EPILOG),
)


def _show_version(value: bool) -> None:
    if value:
        from judgebias import __version__

        typer.echo(f"judgebias {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_show_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Measure, test and correct the biases of LLM judges."""


for _name, _command, _epilog in _COMMANDS:
    app.command(_name, epilog=_epilog)(_command)


def main() -> None:
    """Console entry point: run the app, turning judgebias errors into one line and exit 2."""
    try:
        app()
    except JudgebiasError as exc:
        typer.echo(f"judgebias: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("judgebias: interrupted; re-run the same command to resume", err=True)
        sys.exit(130)
