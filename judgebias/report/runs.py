"""The run folders the report draws, and the order it lists probes in.

Reading a run folder (summary, records, pairs, the stored prompts) is
:mod:`judgebias.tables.runfolder`'s job; its names are re-exported here. No judge is ever
called.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from judgebias.probes.catalog import PROBE_ORDER  # the order in which the report lists the probes
from judgebias.tables.runfolder import Run, read_run, stored_messages

__all__ = ["PROBE_ORDER", "Run", "ordered_probes", "read_run", "stored_messages", "unique_labels"]


def unique_labels(paths: list[Path]) -> list[str]:
    """Folder names, disambiguated by their parents when two runs share a name."""
    names = [p.resolve().name for p in paths]
    out = []
    for p, name in zip(paths, names, strict=True):
        if names.count(name) > 1:
            parts = p.resolve().parts
            name = "/".join(parts[-2:]) if len(parts) >= 2 else str(p)
        out.append(name)
    seen: dict[str, int] = {}
    final = []
    for name in out:
        seen[name] = seen.get(name, 0) + 1
        final.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return final


def ordered_probes(names: Iterable[str]) -> list[str]:
    """Built-in probes in report order, then custom ones alphabetically."""
    uniq = list(dict.fromkeys(names))
    known = [n for n in PROBE_ORDER if n in uniq]
    return known + sorted(n for n in uniq if n not in PROBE_ORDER)
