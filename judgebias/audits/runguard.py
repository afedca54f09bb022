"""A run folder is never overwritten by another run without ``--force``.

Re-using ``--out`` resumes the run in it: the store answers what was asked before and only
the missing requests are sent. That is only right for the *same* run. Before an audit
writes anything, :func:`guard_run_folder` compares the settings that define the run with
those of the run already in the folder (its ``summary.json``, or for an unfinished run its
store's judge) and refuses, naming the folder and the settings that differ, when they are
not the same:

- ``judge`` (the judge spec), ``data`` (the pairs file), ``mode``, ``template``, ``format``
  (``pair``, ``single`` or ``list``) and ``mitigations``.

Probes, ``--limit`` and the like may change between runs in one folder: adding a probe or
more pairs to a run re-uses its answers, which is what resuming is for.

With ``force`` (``--force``, ``jb.audit(force=True)``) the folder's run outputs (summary,
records, pairs, report) are removed first. The store stays: an answer is keyed by its whole
request, so the new run never reads another judge's answers, and returning to the earlier
settings later still finds theirs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from judgebias.errors import UsageError

__all__ = ["RUN_FILES", "guard_run_folder", "run_settings", "stored_settings"]

RUN_FILES = (
    "summary.json",
    "records.parquet",
    "records.csv",
    "pairs.parquet",
    "pairs.csv",
    "report.html",
)
"""The run's outputs in its folder (what ``--force`` removes). The store stays: its
answers are keyed by the whole request (model and messages), so another judge's answers
are never read as this judge's, and going back to the earlier settings resumes them."""


def _spec(text: Any) -> str | None:
    """A judge spec compared without spaces and with its kind in lower case."""
    if not text:
        return None
    kind, sep, rest = str(text).strip().partition(":")
    return kind.lower() + sep + "".join(rest.split())


def _path(text: Any) -> str | None:
    """A pairs file compared as an absolute path; the bundled pairs are ``None`` (the
    default, recorded as a path by some formats and not at all by others)."""
    if not text:
        return None
    from judgebias.tables.pairs import bundled_pairs_path

    try:
        path = str(Path(str(text)).expanduser().resolve())
        return None if path == str(Path(bundled_pairs_path()).resolve()) else path
    except OSError:
        return str(text)


def run_settings(
    *,
    judge: str,
    data: str | None,
    mode: str,
    template: str | None,
    fmt: str,
    mitigations: list[str],
) -> dict[str, Any]:
    """The settings that define a run, normalised for comparison."""
    return {
        "judge": _spec(judge),
        "data": _path(data),
        "mode": mode,
        "template": template or None,
        "format": fmt,
        "mitigations": sorted(m for item in mitigations for m in str(item).split(",") if m),
    }


def stored_settings(folder: Path) -> dict[str, Any] | None:
    """The settings of the run already in ``folder`` (None: no run there).

    From ``summary.json`` when the run finished; else only the judge, from the store."""
    summary_path = folder / "summary.json"
    if summary_path.exists():
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            summary = None
        if isinstance(summary, dict) and isinstance(summary.get("probes"), dict):
            info = summary.get("run")
            run: dict[str, Any] = info if isinstance(info, dict) else {}
            template = run.get("template")
            fmt = summary.get("format") or run.get("format") or "pair"
            return {
                "judge": _spec(summary.get("judge")),
                "data": _path(run.get("data")),
                "mode": run.get("mode"),
                "template": None
                if not template or str(template).startswith("bundled:")
                else template,
                "format": fmt,
                "mitigations": sorted(run.get("mitigations") or []),
            }
    store = folder / "store.sqlite"
    if store.exists():
        from judgebias.engine.store import Store

        try:
            with Store(store) as s:
                judge = s.get_meta("judge")
        except Exception:  # an unreadable store: nothing to compare, the audit reports it
            return None
        if judge:
            return {"judge": _spec(judge)}
    return None


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(value) or "none"
    return "default" if value is None else str(value)


def guard_run_folder(folder: Path, settings: dict[str, Any], *, force: bool) -> None:
    """Refuse to write a run into ``folder`` when it holds a run with other settings;
    with ``force``, clear the folder's run files instead."""
    if not folder.is_dir():
        return
    before = stored_settings(folder)
    if before is None:
        return
    differ = [k for k, v in before.items() if k in settings and v != settings[k]]
    if not differ:
        return
    if force:
        for name in RUN_FILES:
            (folder / name).unlink(missing_ok=True)
        return
    what = "; ".join(f"{k} {_shown(before[k])} there, {_shown(settings[k])} now" for k in differ)
    raise UsageError(
        f"--out: {folder} holds another run ({what}); re-using it would replace that run's "
        "report. Choose another --out, or add --force to replace it (out=, force=True in Python)"
    )
