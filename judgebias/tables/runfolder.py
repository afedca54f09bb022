"""A run folder, read and written in one place.

A run folder is what ``judgebias audit --out DIR`` writes: ``summary.json``,
``records.parquet`` (one row per judge call; ``records.csv`` is read too),
``pairs.parquet`` and the request store ``store.sqlite`` (:mod:`judgebias.engine.store`).
:func:`write_run_files` writes the tables, :func:`read_run` reads them back as a
:class:`Run` (the report, ``compare``, ``load_run`` and ``debias --method placebo``
all read through here), :func:`stored_messages` reads the prompts of recorded calls
from the store without writing to it. Only ``summary.json`` is required; without
records or pairs the readers leave out what needs them. :func:`merge_stores` combines the
stores of several runs or shards (``judgebias merge``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from judgebias.engine.store import STORE_NAME, Store, read_requests
from judgebias.errors import InputError

__all__ = [
    "RECORD_FILES",
    "Merged",
    "Run",
    "merge_stores",
    "read_records",
    "read_run",
    "stored_messages",
    "write_run_files",
]

SUMMARY_FILE = "summary.json"
RECORD_FILES = ("records.parquet", "records.csv")
PAIR_FILES = ("pairs.parquet", "pairs.csv")
_RECORD_COLUMNS = {"pair_id", "probe", "kind", "order", "verdict"}
_OPTIONAL_COLUMNS = ("variant", "target", "raw", "request_key", "gold")


@dataclass
class Run:
    """One stored audit: its summary, records and pairs (empty frames when absent)."""

    path: Path
    summary: dict[str, Any]
    records: pd.DataFrame
    pairs: pd.DataFrame
    label: str
    """A short name for the run: its folder name (made unique in a comparison)."""

    @property
    def store_path(self) -> Path:
        return self.path / STORE_NAME

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


# --------------------------------------------------------------------------- writing


def write_run_files(
    out: Path, summary: dict[str, Any], records: pd.DataFrame, pairs: pd.DataFrame
) -> None:
    """Write ``summary.json``, ``records.parquet`` and ``pairs.parquet`` into ``out``."""
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    records.to_parquet(out / RECORD_FILES[0], index=False)
    pairs.to_parquet(out / PAIR_FILES[0], index=False)


# --------------------------------------------------------------------------- reading


def _read_table(path: Path, as_text: bool = True) -> pd.DataFrame:
    try:  # through a file handle: a folder name with ':' is not a URI
        with path.open("rb") as fh:
            if path.suffix == ".parquet":
                # on this calling thread only: Arrow's reader threads can still be alive
                # when the interpreter exits, which aborts it (apache/arrow#34314)
                return pd.read_parquet(
                    fh,
                    engine="pyarrow",
                    use_threads=False,
                    pre_buffer=False,
                    to_pandas_kwargs={"use_threads": False},
                )
            if not as_text:
                return pd.read_csv(fh)
            return pd.read_csv(fh, dtype=str, keep_default_na=False, na_values=[""])
    except Exception as exc:  # pyarrow and pandas raise many kinds
        raise InputError(str(path), f"unreadable table ({type(exc).__name__}: {exc})") from None


def _first_table(folder: Path, names: Iterable[str], as_text: bool) -> pd.DataFrame | None:
    for name in names:
        if (folder / name).exists():
            return _read_table(folder / name, as_text)
    return None


def read_run(run: str | Path, label: str | None = None, *, as_text: bool = True) -> Run:
    """Read a run folder written by ``judgebias audit``, with one-line errors naming the file.

    A CSV table is read as text (``as_text``, what the report shows) or with the
    column types pandas infers (what ``compare`` computes with); parquet keeps its types.
    """
    path = Path(run)
    if not path.is_dir():
        what = "does not exist" if not path.exists() else "is a file"
        raise InputError(
            str(path), f"{what}; expected a run folder written by 'judgebias audit --out DIR'"
        )
    sp = path / SUMMARY_FILE
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
    records = _first_table(path, RECORD_FILES, as_text)
    if records is None or not _RECORD_COLUMNS.issubset(records.columns):
        records = pd.DataFrame()  # another tool's table: the readers leave out what needs it
    else:
        for col in _OPTIONAL_COLUMNS:
            if col not in records.columns:
                records[col] = None
    pairs = _first_table(path, PAIR_FILES, as_text)
    return Run(
        path=path,
        summary=summary,
        records=records,
        pairs=pd.DataFrame() if pairs is None else pairs,
        label=label or path.resolve().name,
    )


def read_records(path: str | Path) -> pd.DataFrame:
    """An audit's records: the run folder (``records.parquet`` or ``.csv`` inside) or the file."""
    from judgebias.tables.pairs import read_table

    p = Path(path)
    if p.is_dir():
        for name in RECORD_FILES:
            if (p / name).exists():
                return read_table(p / name)
        raise InputError(
            str(p),
            "not a run folder with records.parquet or records.csv (written by 'judgebias audit')",
        )
    return read_table(p)


def stored_messages(store: Path, keys: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """The chat messages of the given request keys, read from a run's store without writing to it.

    Returns an empty mapping when the store is missing or unreadable: the report
    then shows verdicts and raw answers without the prompt texts.
    """
    out: dict[str, list[tuple[str, str]]] = {}
    for key, request in read_requests(store, keys).items():
        try:
            out[key] = [(str(m["role"]), str(m["content"])) for m in request["messages"]]
        except (KeyError, TypeError):
            continue
    return out


@dataclass(frozen=True)
class Merged:
    """What :func:`merge_stores` did: the store written, the stores read, the answers it
    copied and how many answers the merged store holds."""

    target: Path
    sources: list[Path]
    added: int
    total: int


def _store_file(text: str | Path, must_exist: bool) -> Path:
    """A run folder's store, or the ``.sqlite`` file itself."""
    p = Path(text)
    if p.suffix != ".sqlite":
        p = p / STORE_NAME
    if must_exist and not p.exists():
        raise InputError(str(text), f"no judgebias store there (expected {p})")
    return p


def merge_stores(sources: Iterable[str | Path], out: str | Path) -> Merged:
    """Copy every answered request of the ``sources`` (run folders or store files) into the
    store of ``out`` (a run folder or ``.sqlite`` file, created if missing); an answer the
    target already has is copied once. Raises :class:`~judgebias.errors.InputError` naming
    the first source that has no store."""
    paths = [_store_file(s, True) for s in sources]
    target = _store_file(out, False)
    added = 0
    with Store(target) as dst:
        for src_path in paths:
            if src_path.resolve() == target.resolve():
                continue
            with Store(src_path) as src:
                added += dst.merge_from(src)
        total = dst.count().get("ok", 0)
    return Merged(target=target, sources=paths, added=added, total=total)
