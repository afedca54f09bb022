"""``judgebias schema summary``: print the JSON Schema of an audit's ``summary.json``
(:func:`judgebias.tables.summary.summary_schema`)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

__all__ = ["SCHEMAS", "SCHEMA_EPILOG", "schema_command"]

SCHEMAS = ("summary",)

SCHEMA_EPILOG = """Examples:

  judgebias schema summary > summary.schema.json

  python -m jsonschema -i runs/sim/summary.json summary.schema.json   # check a run's file
"""


def schema_command(
    what: Annotated[
        str, typer.Argument(help="Which file's schema: summary (an audit's summary.json).")
    ],
) -> None:
    """Print the JSON Schema of a file judgebias writes (every audit's summary.json validates)."""
    from judgebias.errors import UsageError

    if what not in SCHEMAS:
        raise UsageError(f"schema: '{what}' is not one of {', '.join(SCHEMAS)}")
    from judgebias.tables.summary import summary_schema

    typer.echo(json.dumps(summary_schema(), indent=2))
