"""``judgebias merge``: combine the stores of runs or shards
(:func:`judgebias.tables.runfolder.merge_stores`); this module only prints what was merged."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["MERGE_EPILOG", "merge"]

MERGE_EPILOG = """Example (an audit split over 4 machines, then summarised on one):

  judgebias audit --judge openai:M --base-url http://vllm-1:8000/v1 --data pairs.jsonl --shard 1/4 --out shard1

  ...

  judgebias merge shard1 shard2 shard3 shard4 --out full

  judgebias audit --judge openai:M --data pairs.jsonl --out full     # everything cached: sends nothing
"""


def merge(
    stores: Annotated[
        list[str], typer.Argument(help="Run folders or store files (store.sqlite) to combine.")
    ],
    out: Annotated[
        str,
        typer.Option(
            "--out", help="Run folder or .sqlite file to merge into (created if missing)."
        ),
    ] = "judgebias-merged",
) -> None:
    """Combine the stores of several runs or shards; answered requests are copied once."""
    from judgebias.tables.runfolder import merge_stores

    merged = merge_stores(stores, out)
    typer.echo(
        f"merged {len(merged.sources)} store(s) into {merged.target}: {merged.added} answers"
        f" added, {merged.total} in all"
    )
