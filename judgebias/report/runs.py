"""Reading a run folder back: summary, records, pairs and (read-only) the stored prompts.

Everything the report shows comes from here; no judge is ever called. A run folder
is what ``judgebias audit --out DIR`` writes: ``summary.json``,
``records.parquet`` (or ``records.csv``), ``pairs.parquet`` and ``store.sqlite``.
Only ``summary.json`` is required; without records or pairs the report leaves out
the figures and examples that need them and says so.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from ..probes import PROBE_ORDER  # the order in which the report lists the probes

__all__ = ["PROBE_ORDER", "Run", "ordered_probes", "read_run", "stored_messages", "unique_labels"]

_RECORD_COLUMNS = {"pair_id", "probe", "kind", "order", "verdict"}
_OPTIONAL_COLUMNS = ("variant", "target", "raw", "request_key", "gold")


@dataclass
class Run:
    """One stored audit, as the report reads it."""

    path: Path
    summary: dict[str, Any]
    records: pd.DataFrame
    pairs: pd.DataFrame
    label: str
    """A short name for the run: its folder name (made unique in a comparison)."""

    @property
    def store_path(self) -> Path:
        return self.path / "store.sqlite"

    @property
    def probes(self) -> dict[str, dict[str, Any]]:
        probes = self.summary.get("probes")
        return probes if isinstance(probes, dict) else {}

    @property
    def run_info(self) -> dict[str, Any]:
        info = self.summary.get("run")
        return info if isinstance(info, dict) else {}

    @property
    def planted(self) -> dict[str, Any]:
        planted = self.run_info.get("planted")
        return planted if isinstance(planted, dict) else {}

    def planted_effect(self, name: str) -> Any:
        """The simulated judge's planted value that the probe's ``effect`` estimates, or None.

        For ``self`` only runs whose headline is the error asymmetry (it has an
        ``effect``): there it equals the planted value; older runs reported DBG, which
        is the planted value times a share of the comparisons.
        """
        fig = self.probes.get(name)
        if name == "self" and not (isinstance(fig, dict) and "effect" in fig):
            return None
        return self.planted.get(name)


def _read_table(path: Path) -> pd.DataFrame:
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except Exception as exc:  # pyarrow and pandas raise many kinds
        raise InputError(str(path), f"unreadable table ({type(exc).__name__}: {exc})") from None


def read_run(run: str | Path, label: str | None = None) -> Run:
    """Read a run folder written by ``judgebias audit``, with one-line errors naming the file."""
    path = Path(run)
    if not path.is_dir():
        what = "does not exist" if not path.exists() else "is a file"
        raise InputError(
            str(path), f"{what}; expected a run folder written by 'judgebias audit --out DIR'"
        )
    sp = path / "summary.json"
    if not sp.exists():
        raise InputError(
            str(sp),
            "missing: this folder holds no finished audit (re-run the same "
            "'judgebias audit' command to finish it)",
        )
    try:
        summary = json.loads(sp.read_text(encoding="utf-8"))
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise InputError(str(sp), f"unreadable summary ({exc})") from None
    if not isinstance(summary, dict) or not isinstance(summary.get("probes"), dict):
        raise InputError(
            str(sp),
            "not an audit summary (no 'probes'); 'judgebias analyze' folders "
            "already hold their report.html",
        )
    records = pd.DataFrame()
    for name in ("records.parquet", "records.csv"):
        if (path / name).exists():
            records = _read_table(path / name)
            break
    if not records.empty:
        if not _RECORD_COLUMNS.issubset(records.columns):
            records = pd.DataFrame()  # another tool's table: the report leaves out what needs it
        else:
            for col in _OPTIONAL_COLUMNS:
                if col not in records.columns:
                    records[col] = None
    pairs = (
        _read_table(path / "pairs.parquet") if (path / "pairs.parquet").exists() else pd.DataFrame()
    )
    return Run(
        path=path, summary=summary, records=records, pairs=pairs, label=label or path.resolve().name
    )


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


def stored_messages(store: Path, keys: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """The chat messages of the given request keys, read from a run's store without writing to it.

    Returns an empty mapping when the store is missing or unreadable: the report
    then shows verdicts and raw answers without the prompt texts.
    """
    wanted = list(dict.fromkeys(keys))
    if not wanted or not store.exists():
        return {}
    out: dict[str, list[tuple[str, str]]] = {}
    for uri in (f"{store.resolve().as_uri()}?mode=ro", f"{store.resolve().as_uri()}?immutable=1"):
        try:
            db = sqlite3.connect(uri, uri=True)
        except sqlite3.Error:
            continue
        try:
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for key, request in db.execute(
                    f"SELECT key, request FROM responses WHERE key IN ({marks})", chunk
                ):
                    try:
                        msgs = json.loads(request)["messages"]
                        out[key] = [(str(m["role"]), str(m["content"])) for m in msgs]
                    except (ValueError, KeyError, TypeError):
                        continue
            return out
        except sqlite3.Error:
            out.clear()
            continue
        finally:
            db.close()
    return out
