"""What the command modules share: the one-line failure, flag parsing, the gate's lines.

Kept apart from :mod:`judgebias.cli` (which imports every command module) so that no
command module imports the package that registers it.
"""

from __future__ import annotations

import shlex
import sys
from typing import Any, NoReturn

import typer

__all__ = ["command_line", "echo_gate", "fail", "parse_map", "parse_where"]


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``judgebias: error: MESSAGE`` on stderr and exit with ``code`` (2: usage or input)."""
    typer.echo(f"judgebias: error: {message}", err=True)
    raise typer.Exit(code)


def command_line(*, quoted: bool = False) -> str:
    """The command as the user typed it, for the run's records (a password in a URL,
    ``--base-url http://user:pw@host``, masked)."""
    from judgebias.judges.openai_compat import hide_url_credentials

    words = ["judgebias", *sys.argv[1:]]
    return hide_url_credentials(shlex.join(words) if quoted else " ".join(words))


def parse_map(text: str | None) -> dict[str, str]:
    """``--map new=old,...`` as a mapping (empty without the flag)."""
    if not text:
        return {}
    from judgebias.tables.pairs import parse_mapping

    return parse_mapping(text)


def parse_where(items: list[str] | None, *, example: str = "") -> dict[str, list[str]]:
    """``--where COL=VALUE`` (repeatable; several values of one column = any of them).
    ``example`` is appended to the message about a malformed item."""
    from judgebias.errors import UsageError

    out: dict[str, list[str]] = {}
    for item in items or []:
        col, eq, value = item.partition("=")
        if not eq or not col.strip():
            raise UsageError(f"--where: {item!r} is not of the form COLUMN=VALUE{example}")
        out.setdefault(col.strip(), []).append(value.strip())
    return out


def echo_gate(results: list[Any], *, quiet: bool, run: str | None = None) -> bool:
    """Print a --fail-on gate's outcome on stderr; True when it tripped (exit status 1)."""
    from judgebias.audits.gate import result_lines

    for line in result_lines(results, quiet=quiet, run=run):
        typer.echo(line, err=True)
    return any(r.tripped for r in results)
