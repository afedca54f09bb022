"""What a reasoning judge's reasoning did: its length, and whether a cue changed it.

Takes a run's records (one row per judge call, with ``reasoning`` text and
``reasoning_tokens``) and returns tables and figures; nothing here reads a store or
calls a judge.

- **Length** of a call's reasoning: the provider's ``reasoning_tokens`` when every
  answered call of the run reports it (OpenAI), else the reasoning text's characters
  divided by 4 (an estimate in tokens; servers that return reasoning inline report no
  count). The distribution is given by probe, kind and **outcome**: ``readable`` (a
  control call with a verdict);
  ``flipped`` (a cue or placebo call whose verdict moved the way the probe's bias
  predicts, relative to the control verdict of the same pair and order); ``not
  flipped``; ``unreadable`` (no verdict could be read, with the record's
  ``invalid_reason`` when the run has one).
- **Does the cue change the reasoning?** For each perturbation probe, over its units
  (a pair in one order with a control, a cue and a placebo call):
  ``length_effect`` = mean (cue length - placebo length) with a 95 % interval and
  p-value from an intercept-only OLS with standard errors clustered by the run's
  clusters (pairs, or the pairs of one instruction; statsmodels);
  ``mention_cue``/``mention_placebo``/``mention_control`` = the share of those calls
  whose reasoning mentions the cue, and ``mention_effect`` = cue - placebo
  (paired, clustered Newcombe interval as for flip rates); ``mention_flipped`` and
  ``mention_not_flipped`` split the cued calls by whether the verdict flipped; and,
  next to them, the verdict's ``flip_rate`` and ``placebo_flip_rate``.
- **Mentions the cue** means the reasoning contains, as a whole word (any case), one of
  the probe's cue words: the words of four or more letters in its cue texts (with every
  value of their variables) that appear in none of its placebo texts and are not on a
  list of words any judge's reasoning uses (:data:`COMMON_WORDS`). For the bandwagon
  note these are words such as "panel", "reviewers", "annotators"; for the fake citation
  the journal's and the experts' names, "Source", "confirmed". Reasoning-like cues
  (``reflection``) leave few words that reasoning would not use anyway: compare their
  mention rate with the placebo's, never read it alone.
- **Examples**: cued calls whose verdict flipped and whose reasoning mentions the cue.

Reasoning hidden by the provider (OpenAI returns only its token count) has a length but
no text: the mention figures are then not computed (``None``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from judgebias.stats.intervals import clustered_paired_diff
from judgebias.stats.perturbation import perturbation_units

__all__ = [
    "COMMON_WORDS",
    "cue_examples",
    "cue_reasoning",
    "cue_words",
    "has_reasoning",
    "length_table",
    "mentions",
    "reasoning_length",
    "reasoning_summary",
]

COMMON_WORDS = frozenset(
    """
    about above after again also answer answered answering answers another back been before
    being best better both cannot careful carefully check clear clearly compare compared
    comparison could does each either even every fact final first from good have here
    hmm into item just know last least less like look make maybe more most much must need
    note okay once only other over question rather really reason reasoning reply request
    response responses right same second seems should shown since some something step still
    such sure than that their them then there these they thing think this those though
    through time upon very wait well were what when where which while whole will with
    within without would wrong your instruction above below given thinking anything
    point following complete completeness clarity today play went written asked learning
    results standard stated study already earlier
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
"""Words too common in any judge's reasoning to count as mentioning a cue."""

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")
_VAR = re.compile(r"\{(\w+)\}")
_OTHER = {"a": "b", "b": "a"}


def _words(texts: Iterable[str], variables: dict[str, tuple[str, ...]]) -> set[str]:
    out: set[str] = set()
    for text in texts:
        out |= {w.lower().strip("'-") for w in _WORD.findall(_VAR.sub(" ", text))}
        for name in _VAR.findall(text):
            for value in variables.get(name, ()):
                out |= {w.lower().strip("'-") for w in _WORD.findall(value)}
    return {w for w in out if len(w) >= 4}


def cue_words(spec: Any) -> frozenset[str]:
    """The words whose presence in reasoning counts as mentioning ``spec``'s cue.

    ``spec`` is a :class:`judgebias.probes.catalog.ProbeSpec` (anything with ``cues``,
    ``placebos`` and ``vars``)."""
    variables = dict(getattr(spec, "vars", {}) or {})
    cue = _words((t.text for t in spec.cues), variables)
    placebo = _words((t.text for t in spec.placebos), variables)
    return frozenset(cue - placebo - COMMON_WORDS)


def mentions(reasoning: pd.Series, words: frozenset[str]) -> pd.Series:
    """Per row: whether the reasoning contains one of ``words`` (None without reasoning text)."""
    if not words:
        return pd.Series([None] * len(reasoning), index=reasoning.index, dtype=object)
    rx = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, words))) + r")\b", re.IGNORECASE)
    return reasoning.map(lambda t: bool(rx.search(t)) if isinstance(t, str) and t else None)


def has_reasoning(records: pd.DataFrame) -> bool:
    """Whether any call of the run came back with reasoning (text or a token count > 0)."""
    if records.empty:
        return False
    text = records["reasoning"] if "reasoning" in records.columns else pd.Series(dtype=object)
    tokens = (
        pd.to_numeric(records["reasoning_tokens"], errors="coerce")
        if "reasoning_tokens" in records.columns
        else pd.Series(dtype=float)
    )
    return bool(text.map(lambda t: isinstance(t, str) and bool(t)).any() or (tokens > 0).any())


def reasoning_length(records: pd.DataFrame) -> tuple[pd.Series, str]:
    """(each record's reasoning length, its unit): reported tokens, or characters / 4."""
    answered = records["status"] == "ok" if "status" in records.columns else records.index >= 0
    raw = records["reasoning_tokens"] if "reasoning_tokens" in records.columns else None
    tokens = pd.to_numeric(raw, errors="coerce") if raw is not None else None
    if tokens is not None and len(records) and tokens[answered].notna().all():
        return tokens.where(answered), "tokens (reported)"
    text = records["reasoning"] if "reasoning" in records.columns else pd.Series(dtype=object)
    chars = text.map(lambda t: len(t) if isinstance(t, str) else math.nan).astype(float)
    return (chars / 4.0).where(answered), "tokens (estimated: characters / 4)"


def _outcomes(records: pd.DataFrame, directions: dict[str, str]) -> pd.Series:
    key = ["pair_id", "order"]
    ctrl = records[records["kind"] == "control"].drop_duplicates(key).set_index(key)["verdict"]
    control = pd.Series(
        [ctrl.get((p, o)) for p, o in zip(records["pair_id"], records["order"], strict=True)],
        index=records.index,
        dtype=object,
    )
    goal = records["target"].where(
        records["probe"].map(lambda p: directions.get(p, "toward")) == "toward",
        records["target"].map(_OTHER),
    )
    out = pd.Series("not flipped", index=records.index, dtype=object)
    out[records["kind"] == "control"] = "readable"
    moved = records["kind"].isin(["cue", "placebo"]) & (records["verdict"] == goal)
    out[moved & (control != goal)] = "flipped"
    bad = records["verdict"].isna()
    if "invalid_reason" in records.columns:
        reason = records["invalid_reason"].map(lambda r: f" ({r})" if isinstance(r, str) else "")
        out[bad] = "unreadable" + reason[bad]
    else:
        out[bad] = "unreadable"
    return out


def length_table(records: pd.DataFrame, directions: dict[str, str] | None = None) -> pd.DataFrame:
    """The distribution of reasoning length by probe, kind and outcome (one row each):
    ``n``, ``mean``, ``q25``, ``median``, ``q75``, ``max``, ``unit``."""
    cols = ["probe", "kind", "outcome", "n", "mean", "q25", "median", "q75", "max", "unit"]
    perturbed = records[records["kind"].isin(["control", "cue", "placebo"])]
    if perturbed.empty or not has_reasoning(perturbed):
        return pd.DataFrame(columns=cols)
    length, unit = reasoning_length(perturbed)
    frame = pd.DataFrame(
        {
            "probe": perturbed["probe"].where(perturbed["kind"] != "control", "control"),
            "kind": perturbed["kind"],
            "outcome": _outcomes(perturbed, directions or {}),
            "length": length,
        }
    ).dropna(subset=["length"])
    rows = []
    for (probe, kind, outcome), g in frame.groupby(["probe", "kind", "outcome"], sort=True):
        q = g["length"].quantile([0.25, 0.5, 0.75])
        rows.append(
            {
                "probe": probe,
                "kind": kind,
                "outcome": outcome,
                "n": len(g),
                "mean": float(g["length"].mean()),
                "q25": float(q[0.25]),
                "median": float(q[0.5]),
                "q75": float(q[0.75]),
                "max": float(g["length"].max()),
                "unit": unit,
            }
        )
    table = pd.DataFrame(rows, columns=cols)
    first = table["probe"] != "control"
    return table.assign(_o=first).sort_values(["_o", "probe", "kind"]).drop(columns="_o")


def _units(records: pd.DataFrame, probe: str, direction: str) -> pd.DataFrame:
    """The probe's units with each call's reasoning and length (control, cue, placebo)."""
    key = ["pair_id", "order"]
    units = perturbation_units(records, probe, direction)
    length, _ = reasoning_length(records)
    rec = records.assign(_len=length)
    for kind, suffix in (("control", "control"), ("cue", "cue"), ("placebo", "placebo")):
        sel = (
            rec[rec["kind"] == kind]
            if kind == "control"
            else rec[(rec["probe"] == probe) & (rec["kind"] == kind)]
        )
        part = sel.drop_duplicates(key)[[*key, "reasoning", "_len"]].rename(
            columns={"reasoning": f"reasoning_{suffix}", "_len": f"len_{suffix}"}
        )
        units = units.merge(part, on=key, how="left")
    return units


def _clustered_mean(d: np.ndarray, clusters: np.ndarray) -> dict[str, float]:
    import statsmodels.api as sm

    nan = math.nan
    if len(d) < 2 or len(np.unique(clusters)) < 2:
        return {
            "effect": float(d.mean()) if len(d) else nan,
            "ci_low": nan,
            "ci_high": nan,
            "p_value": nan,
        }
    if np.all(d == d[0]):
        return {
            "effect": float(d[0]),
            "ci_low": float(d[0]),
            "ci_high": float(d[0]),
            "p_value": nan,
        }
    codes = np.unique(clusters, return_inverse=True)[1]
    fit = sm.OLS(d, np.ones((len(d), 1))).fit(cov_type="cluster", cov_kwds={"groups": codes})
    lo, hi = fit.conf_int()[0]
    return {
        "effect": float(fit.params[0]),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "p_value": float(fit.pvalues[0]),
    }


def _rate(values: pd.Series) -> float | None:
    v = values.dropna()
    return float(v.astype(bool).mean()) if len(v) else None


def cue_reasoning(records: pd.DataFrame, spec: Any, direction: str = "toward") -> dict[str, Any]:
    """Whether the cue of one perturbation probe changed the reasoning (see the module
    docstring), next to whether it changed the verdict."""
    units = _units(records, spec.name, direction)
    units = units[units["valid"]]
    words = cue_words(spec)
    out: dict[str, Any] = {
        "n": len(units),
        "flip_rate": float(units["flip"].mean()) if len(units) else None,
        "placebo_flip_rate": float(units["placebo_flip"].mean()) if len(units) else None,
        "cue_words": sorted(words),
    }
    both = units.dropna(subset=["len_cue", "len_placebo"])
    lengths = _clustered_mean(
        (both["len_cue"] - both["len_placebo"]).to_numpy(float), both["cluster"].to_numpy()
    )
    out.update({f"length_{k}": v for k, v in lengths.items()})
    out["length_n"] = len(both)
    for kind in ("control", "cue", "placebo"):
        col = f"len_{kind}"
        out[f"length_mean_{kind}"] = float(units[col].mean()) if units[col].notna().any() else None
    m = {k: mentions(units[f"reasoning_{k}"], words) for k in ("control", "cue", "placebo")}
    paired = units.assign(mc=m["cue"], mp=m["placebo"]).dropna(subset=["mc", "mp"])
    out["mention_n"] = len(paired)
    if len(paired) == 0:
        for k in ("cue", "placebo", "control", "flipped", "not_flipped", "effect"):
            out[f"mention_{k}"] = None
        out.update(mention_ci_low=None, mention_ci_high=None, mention_p_value=None)
        return out
    out["mention_cue"] = _rate(m["cue"])
    out["mention_placebo"] = _rate(m["placebo"])
    out["mention_control"] = _rate(m["control"])
    out["mention_flipped"] = _rate(m["cue"][units["flip"]])
    out["mention_not_flipped"] = _rate(m["cue"][~units["flip"]])
    diff = clustered_paired_diff(
        paired["mc"].astype(float).to_numpy(),
        paired["mp"].astype(float).to_numpy(),
        paired["cluster"].to_numpy(),
    )
    out["mention_effect"] = diff["effect"]
    out["mention_ci_low"] = diff["ci_low"]
    out["mention_ci_high"] = diff["ci_high"]
    out["mention_p_value"] = diff["p_value"]
    return out


def cue_examples(
    records: pd.DataFrame, spec: Any, direction: str = "toward", limit: int = 3
) -> list[dict[str, Any]]:
    """Cued calls whose verdict flipped and whose reasoning mentions the cue (first
    ``limit`` by pair id), with the cue words found in each."""
    units = _units(records, spec.name, direction)
    words = cue_words(spec)
    hit = mentions(units["reasoning_cue"], words)
    chosen = units[units["flip"] & (hit == True)].sort_values(["pair_id", "order"])  # noqa: E712
    rx = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, words))) + r")\b", re.IGNORECASE)
    out = []
    for r in chosen.head(limit).itertuples(index=False):
        found = sorted({w.lower() for w in rx.findall(str(r.reasoning_cue))})
        out.append(
            {
                "pair_id": r.pair_id,
                "order": r.order,
                "variant": r.variant,
                "target": r.target,
                "control": r.control,
                "cue": r.cue,
                "reasoning_cue": r.reasoning_cue,
                "reasoning_control": r.reasoning_control,
                "words": found,
            }
        )
    return out


def reasoning_summary(records: pd.DataFrame, probes: Iterable[Any]) -> dict[str, Any] | None:
    """The reasoning figures of a run (``summary.json``'s ``reasoning``); None without reasoning."""
    if not has_reasoning(records):
        return None
    length, unit = reasoning_length(records)
    valid = length.dropna()
    unreadable = records["verdict"].isna() & (records.get("status") == "ok")
    text = records["reasoning"].map(lambda t: isinstance(t, str) and bool(t))
    tokens = pd.to_numeric(records["reasoning_tokens"], errors="coerce")
    out: dict[str, Any] = {
        "unit": unit,
        "n_calls": len(records),
        "n_with_reasoning": int((text | (tokens > 0)).sum()),
        "length_mean": float(valid.mean()) if len(valid) else None,
        "length_median": float(valid.median()) if len(valid) else None,
        "n_unreadable_after_reasoning": int((unreadable & (text | (tokens > 0))).sum()),
        "probes": {},
    }
    for spec in probes:
        if getattr(spec, "kind", "") == "perturbation" and (records["probe"] == spec.name).any():
            out["probes"][spec.name] = cue_reasoning(records, spec, spec.direction)
    return out
