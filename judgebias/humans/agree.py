"""Agreement of a judge with humans: ``judgebias agree`` and ``judgebias.agreement``.

:func:`agreement` reads a table of human labels and the judge's labels
(:mod:`judgebias.humans.labels`), computes the figures of
:mod:`judgebias.stats.agreement` and :mod:`judgebias.stats.alt_test` for all items
and per group, and optionally the error-corrected win rate
(:mod:`judgebias.stats.correction`: items with a human majority label are the
labelled set, items with a judge label and no human label the unlabelled set) and the calibration of the judge's soft preferences
(:mod:`judgebias.stats.calibration`). :func:`write_outputs` writes
``DIR/summary.json``, ``DIR/summary.csv`` (one row per group, ``all`` first) and
``DIR/report.html``.

:func:`audit_agreement` is the same for an audit whose pairs carry human label
columns: the judge's label per pair is its control verdict, the two orders
combined (an order-inconsistent pair is a tie, as MT-Bench's GPT-4 pair verdicts
are).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from judgebias.errors import JudgebiasError, UsageError
from judgebias.humans.labels import HumanTable, read_votes
from judgebias.jsonsafe import json_safe
from judgebias.stats.agreement import Votes, agreement_figures, human_pairs, per_human
from judgebias.stats.alt_test import alt_test
from judgebias.stats.calibration import calibration
from judgebias.stats.correction import corrected_win_rate

__all__ = [
    "HUMAN_COLUMN",
    "AgreementResult",
    "agreement",
    "audit_agreement",
    "majority_labels",
    "summary_table",
    "write_outputs",
]

HUMAN_COLUMN = re.compile(r"(?i)^(human|annotator|rater)s?([ _-]?(label|vote)s?)?([ _-]?\w+)?$")
"""Pair columns an audit reads as human labels (``human_1``, ``annotator2``, ``humans`` ...)."""

_NOT_LABELS = re.compile(r"(?i)(^|[ _-])(id|ids|name|names|count|n)$")
"""... except those that name or count the annotators (``annotator_id``)."""


@dataclass
class AgreementResult:
    """What :func:`agreement` computed: ``summary`` (summary.json) and ``table`` (summary.csv)."""

    summary: dict[str, Any]
    table: pd.DataFrame
    data: HumanTable

    @property
    def per_human(self) -> pd.DataFrame:
        return pd.DataFrame(self.summary.get("per_human") or [])

    def to_html(self, title: str | None = None) -> str:
        from judgebias.report.agreement import render_agreement_html

        return render_agreement_html(self.summary, title=title)

    def _repr_html_(self) -> str:  # pragma: no cover - Jupyter only
        return self.to_html()


def _labelled(v: Votes) -> Votes:
    return v.subset(np.bincount(v.item, minlength=v.n_items) > 0)


def majority_labels(v: Votes) -> np.ndarray:
    """Per item the unique most frequent human label (index), else -1."""
    c = v.counts()
    top = c.max(axis=1)
    unique = (c.sum(axis=1) > 0) & ((c == top[:, None]).sum(axis=1) == 1)
    return np.where(unique, c.argmax(axis=1), -1)


def _win_rate(v: Votes, n_boot: int, seed: int) -> dict[str, Any] | None:
    """The corrected win rate: labelled = items with a unique human majority, unlabelled =
    items the judge labelled and no human did; an item with human votes but no majority
    (a 1-1-1 split) is in neither, and counted as ``n_no_majority``."""
    if v.scale != "pairwise":
        return None
    major = majority_labels(v)
    judged = v.judge >= 0
    labelled = judged & (major >= 0)
    unlabelled = judged & (np.bincount(v.item, minlength=v.n_items) == 0)
    if not labelled.any():
        return None
    names = np.array(v.categories, dtype=object)
    out = corrected_win_rate(
        names[v.judge[labelled]],
        names[major[labelled]],
        unlabelled_judge=names[v.judge[unlabelled]],
        n_boot=n_boot,
        seed=seed,
    )
    out["n_no_majority"] = int((judged & ~labelled & ~unlabelled).sum())
    return out


def _calibration(v: Votes, soft: pd.Series | None, seed: int) -> dict[str, Any] | None:
    if soft is None or v.scale != "pairwise":
        return None
    major = majority_labels(v)
    p = soft.reindex(v.items).to_numpy(dtype=float)
    names = np.array([*v.categories, None], dtype=object)
    return calibration(p, names[major], seed=seed)


def _block(
    v: Votes,
    soft: pd.Series | None,
    *,
    epsilon: float,
    n_boot: int,
    seed: int,
    min_items: int,
    few_items: Literal["skip", "wilcoxon"],
    win_rate: bool,
) -> dict[str, Any]:
    lab = _labelled(v)
    fig = agreement_figures(lab, n_boot=n_boot, seed=seed)
    out = {k: fig[k] for k in ("n_items", "n_humans", "agreement", "human_human", "kappa")}
    out["kappa_majority"] = fig["kappa_majority"]
    out["alpha_humans"] = fig["alpha_humans"]
    out["alt_test"] = alt_test(lab, epsilon=epsilon, min_items=min_items, few_items=few_items)
    out.update({k: v2 for k, v2 in fig.items() if k not in out})
    if win_rate:
        out["win_rate"] = _win_rate(v, n_boot, seed)
    cal = _calibration(lab, soft, seed)
    if cal is not None:
        out["calibration"] = cal
    return out


def agreement(
    data: pd.DataFrame | str | Path | Sequence[str | Path],
    *,
    judge: str,
    human: str | Sequence[str] | None = None,
    annotator: str | None = None,
    label: str | None = None,
    item: str | Sequence[str] | None = None,
    group: str | Sequence[str] | None = None,
    models: str | Sequence[str] | None = None,
    human_match: str | None = None,
    soft: str | None = None,
    scale: Literal["auto", "pairwise", "score"] = "auto",
    no_ties: bool = False,
    epsilon: float = 0.2,
    min_items: int = 30,
    few_items: Literal["skip", "wilcoxon"] = "skip",
    win_rate: bool = False,
    n_boot: int = 2000,
    seed: int = 0,
    command: str | None = None,
) -> AgreementResult:
    """Agreement of a judge with humans (see :mod:`judgebias.humans.labels` for the layouts).

    Wide: ``agreement(df, judge="gpt", human=["h1", "h2", "h3"])``. Long:
    ``agreement(df, annotator="judge", label="winner", item=["question_id", "turn"],
    judge="gpt4_pair", models="model_a,model_b", human_match="expert_.*")``.
    ``epsilon`` is the alt-test's margin (0.2 experts, 0.15 skilled, 0.1 crowd).
    """
    if not 0 <= epsilon < 1:
        raise UsageError(f"--epsilon: {epsilon:g} is outside [0, 1)")
    if n_boot < 0:
        raise UsageError("--n-boot: must be 0 or more")
    if few_items not in ("skip", "wilcoxon"):
        raise UsageError(f"--few-items: '{few_items}' is not one of skip, wilcoxon")
    table = read_votes(
        data,
        judge=judge,
        human=human,
        annotator=annotator,
        label=label,
        item=item,
        group=group,
        models=models,
        human_match=human_match,
        soft=soft,
        scale=scale,
        no_ties=no_ties,
    )
    opts: dict[str, Any] = {
        "epsilon": epsilon,
        "n_boot": n_boot,
        "seed": seed,
        "min_items": min_items,
        "few_items": few_items,
        "win_rate": win_rate,
    }
    v = table.votes
    summary = _block(v, table.soft, **opts)
    groups: dict[str, Any] = {}
    if v.groups is not None:
        for g in sorted(set(v.groups), key=_natural):
            keep = v.groups == g
            groups[g] = _block(v.subset(keep), table.soft, **opts)
    summary["groups"] = groups
    lab = _labelled(v)
    summary["per_human"] = per_human(lab, n_boot=n_boot, seed=seed)
    summary["human_pairs"] = human_pairs(lab, n_boot=n_boot, seed=seed)
    summary["scale"] = v.scale
    summary["labels"] = [_plain(c) for c in v.categories]
    summary["epsilon"] = epsilon
    summary["n_boot"] = n_boot
    summary["seed"] = seed
    summary["source"] = {**table.source, "layout": table.layout, "command": command}
    summary["unrecognized"] = table.unrecognized
    from judgebias import __version__

    summary["judgebias_version"] = __version__
    summary = json_safe(summary)
    return AgreementResult(summary=summary, table=summary_table(summary), data=table)


def _natural(text: str) -> tuple[Any, ...]:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text))


def _plain(x: Any) -> Any:
    return float(x) if isinstance(x, float | np.floating) else x


# --------------------------------------------------------------------------- outputs


def _row(name: str, b: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"group": name, "n_items": b["n_items"], "n_humans": b["n_humans"]}
    for prefix, key in (
        ("agreement", "agreement"),
        ("human", "human_human"),
        ("majority", "majority"),
    ):
        block = b.get(key) or {}
        for t in ("with_ties", "without_ties"):
            ci = block.get(f"{t}_ci") or [None, None]
            row[f"{prefix}_{t}"] = block.get(t)
            row[f"{prefix}_{t}_ci_low"], row[f"{prefix}_{t}_ci_high"] = ci
        row[f"{prefix}_pairs_with_ties"] = block.get("n_with_ties")
        row[f"{prefix}_pairs_without_ties"] = block.get("n_without_ties")
    for key in ("kappa", "kappa_majority", "kappa_humans", "alpha_humans"):
        ci = b.get(f"{key}_ci") or [None, None]
        row[key] = b.get(key)
        row[f"{key}_ci_low"], row[f"{key}_ci_high"] = ci
    alt = b.get("alt_test") or {}
    row["alt_epsilon"] = alt.get("epsilon")
    row["alt_winning_rate"] = alt.get("winning_rate")
    row["alt_advantage_probability"] = alt.get("advantage_probability")
    row["alt_passed"] = alt.get("passed")
    row["alt_status"] = alt.get("status", "not tested")
    row["alt_humans_tested"] = alt.get("n_humans_tested")
    wr = b.get("win_rate")
    if wr:
        row["win_rate_raw"] = wr["raw"]["estimate"]
        row["win_rate_labelled"] = wr["n_labelled"]
        row["win_rate_unlabelled"] = wr["n_unlabelled"]
        for k in ("corrected", "ppi", "human"):
            row[f"win_rate_{k}"] = wr[k]["estimate"]
            row[f"win_rate_{k}_ci_low"], row[f"win_rate_{k}_ci_high"] = wr[k]["ci"]
    cal = b.get("calibration")
    if cal:
        for k in ("ece", "brier", "ece_isotonic", "brier_isotonic", "ece_platt", "brier_platt"):
            row[k] = cal.get(k)
    return row


def summary_table(summary: dict[str, Any]) -> pd.DataFrame:
    """``summary.csv``: one row per group (``all`` first) with the same figures."""
    rows = [_row("all", summary)]
    rows += [_row(g, b) for g, b in (summary.get("groups") or {}).items()]
    return pd.DataFrame(rows)


def write_outputs(result: AgreementResult, out: str | Path, *, title: str | None = None) -> Path:
    """Write ``summary.json``, ``summary.csv`` and ``report.html`` into ``out``."""
    path = Path(out)
    try:
        path.mkdir(parents=True, exist_ok=True)
        (path / "summary.json").write_text(
            json.dumps(result.summary, indent=2) + "\n", encoding="utf-8"
        )
        result.table.to_csv(path / "summary.csv", index=False)
        (path / "report.html").write_text(result.to_html(title), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--out: cannot write to {path} ({exc.strerror or exc})") from None
    return path


# --------------------------------------------------------------------------- audits


def _judge_labels(records: pd.DataFrame) -> pd.DataFrame:
    """Per pair: the control verdict over both orders (disagreeing orders = tie) and P(a)."""
    ctrl = records[records["kind"] == "control"]
    verdict = ctrl.pivot_table(
        index="pair_id", columns="order", values="verdict", aggfunc="first", dropna=False
    ).reindex(columns=["ab", "ba"])
    ab, ba = verdict["ab"], verdict["ba"]
    label = ab.where(ab.notna(), ba)
    label = label.where(~(ab.notna() & ba.notna() & (ab != ba)), "tie")
    out = pd.DataFrame({"judge": label})
    if "p_first" in ctrl.columns and ctrl["p_first"].notna().any():
        p = ctrl.assign(
            p_a=np.where(ctrl["order"] == "ab", ctrl["p_first"], 1 - ctrl["p_first"].astype(float))
        )
        out["p_a"] = p.groupby("pair_id")["p_a"].mean().reindex(out.index)
    return out


def audit_agreement(
    records: pd.DataFrame,
    data: str,
    mapping: dict[str, str] | None = None,
    *,
    seed: int = 0,
    n_boot: int = 2000,
) -> dict[str, Any] | None:
    """Agreement figures for an audit whose pairs file has human label columns, else ``None``.

    Human columns are those whose name matches :data:`HUMAN_COLUMN` (one per annotator,
    or one holding a list of labels per pair).
    """
    from judgebias.tables.pairs import read_table

    pairs = read_table(data, mapping=mapping or None)
    cols = [
        str(c)
        for c in pairs.columns
        if HUMAN_COLUMN.match(str(c)) and not _NOT_LABELS.search(str(c))
    ]
    if not cols or "id" not in pairs.columns or records.empty:
        return None
    from judgebias.tables.verdicts import cell_key

    judge = _judge_labels(records)
    judge.index = judge.index.map(cell_key)
    frame = pairs[["id", *cols]].assign(id=pairs["id"].map(cell_key))
    frame = frame[frame["id"].isin(judge.index)]
    frame = frame.merge(judge, left_on="id", right_index=True, how="left")
    soft = "p_a" if "p_a" in frame.columns else None
    try:
        res = agreement(
            frame, judge="judge", human=cols, item="id", soft=soft, n_boot=n_boot, seed=seed
        )
    except JudgebiasError as exc:  # the audit stands; say why there is no agreement
        return {"error": str(exc), "human_columns": cols}
    out = {k: v for k, v in res.summary.items() if k not in ("groups", "source")}
    out["human_columns"] = cols
    return out
