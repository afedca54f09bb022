"""The report's "Reasoning" section: what :mod:`judgebias.stats.reasoning` computed,
ready to draw. Shown only when the run's judge returned reasoning.

Reasoning is model text: it leaves this module as a plain ``str`` (escaped by the
template) or as :class:`markupsafe.Markup` from :func:`.examples.highlight`, which
escapes the text before it marks the cue words.
"""

from __future__ import annotations

import re
from typing import Any

from judgebias.report.examples import RAW_LIMIT, clip, highlight, shown_letter
from judgebias.report.runs import Run
from judgebias.stats.reasoning import cue_examples, cue_reasoning, has_reasoning, length_table

__all__ = ["reasoning_view"]


def _specs(run: Run) -> dict[str, Any]:
    """The probe definitions of the run's perturbation probes (built-in or its own files)."""
    from judgebias.probes.catalog import builtin_probes, load_probe_file

    specs: dict[str, Any] = dict(builtin_probes())
    for path in run.run_info.get("probe_files") or []:
        try:
            spec = load_probe_file(str(path))
        except Exception:  # a probe file moved since the audit: its figures are left out
            continue
        specs[spec.name] = spec
    return {n: s for n, s in specs.items() if n in run.probes and s.kind == "perturbation"}


def _marked(text: str, words: list[str]) -> Any:
    if not words:
        return clip(text, RAW_LIMIT)
    rx = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)
    return highlight(text, [m.span() for m in rx.finditer(text)], limit=RAW_LIMIT)


def reasoning_view(run: Run) -> dict[str, Any] | None:
    """Tables and examples of the Reasoning section; None when the run has no reasoning."""
    rec = run.records
    if rec.empty or not {"reasoning", "reasoning_tokens"} <= set(rec.columns):
        return None
    if not has_reasoning(rec):
        return None
    directions = {
        name: str(f.get("direction") or "toward")
        for name, f in run.probes.items()
        if isinstance(f, dict)
    }
    lengths = length_table(rec, directions)
    probes = []
    examples = []
    for name, spec in _specs(run).items():
        direction = directions.get(name, spec.direction)
        figs = cue_reasoning(rec, spec, direction)
        probes.append({"probe": name, **figs})
        for e in cue_examples(rec, spec, direction, limit=2):
            examples.append(
                {
                    **e,
                    "probe": name,
                    "control": shown_letter(e["control"], e["order"]),
                    "cue": shown_letter(e["cue"], e["order"]),
                    "reasoning_cue": _marked(str(e["reasoning_cue"]), e["words"]),
                    "reasoning_control": clip(e["reasoning_control"], RAW_LIMIT),
                }
            )
    reasoning_summary = run.summary.get("reasoning")
    info = reasoning_summary if isinstance(reasoning_summary, dict) else {}
    has_text = bool(rec["reasoning"].map(lambda t: isinstance(t, str) and bool(t)).any())
    return {
        "unit": str(lengths["unit"].iloc[0]) if len(lengths) else "",
        "lengths": lengths.to_dict("records"),
        "probes": probes,
        "examples": examples,
        "has_text": has_text,
        "n_unreadable": info.get("n_unreadable_after_reasoning"),
        "max_tokens": run.run_info.get("max_tokens"),
        "effort": run.run_info.get("reasoning_effort"),
    }
