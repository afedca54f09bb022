"""Agreement of a judge with human annotators, and of the humans with each other.

Input is a :class:`Votes`: every human vote (item, annotator, label) and at most one
judge label per item, on one label scale:

* ``pairwise``: the labels ``a``, ``b``, ``tie`` (:func:`judgebias.vocabulary.pairwise_label` reads the
  spellings ``analyze`` reads, plus ``model_a``/``model_b`` and any label containing
  "tie", e.g. MT-Bench's ``tie (inconsistent)``);
* ``score``: numbers (e.g. 1-10 ratings); nothing is a tie.

Figures (the ones MT-Bench, FastChat's ``compute_agreement`` and the annotation
literature report):

* **Agreement** of the judge with the humans is pooled over every (judge vote, human
  vote) pair on the same item: agreeing pairs / pairs. **Human-human** agreement is
  pooled the same way over every pair of different humans' votes on the same item.
  "With ties" keeps a tie as a label (MT-Bench's setup S1); "without ties" drops a
  pair when either vote is a tie (S2). On the score scale both are exact-match
  agreement.
* **Majority**: the judge against the humans' majority label on items whose most
  frequent human label is unique.
* **Cohen's kappa** ``(p_o - p_e) / (1 - p_e)`` over the same pooled judge-human vote
  pairs (``kappa``) and judge against the majority (``kappa_majority``); on the score
  scale the weighted kappa with quadratic weights on the label values. The pooled
  human-human kappa (``kappa_humans``) is the ceiling it compares with.
* **Krippendorff's alpha** among the humans (nominal on the pairwise scale, interval
  on the score scale), from the coincidence matrix: items with one human add nothing.

Every figure has a percentile bootstrap interval over items: the items are
resampled with replacement (multinomial weights), and each figure is recomputed
from the resampled per-item counts, so an item's votes always move together.
Replicates in which a figure is undefined (no pairs, constant labels) are left out
of its interval.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from judgebias.vocabulary import PAIRWISE

__all__ = [
    "Votes",
    "agreement_figures",
    "finite",
    "human_pairs",
    "make_votes",
    "per_human",
    "percentile_ci",
]

Scale = Literal["pairwise", "score"]

_CHUNK_CELLS = 4_000_000  # bootstrap weights held in memory at once (replicates x items)


@dataclass(frozen=True)
class Votes:
    """Human votes (one entry per vote) and the judge's label per item.

    Labels are indices into ``categories``; ``judge`` is -1 where the judge has no
    (readable) vote. ``groups`` holds one group value per item, when asked.
    """

    items: np.ndarray
    item: np.ndarray
    rater: np.ndarray
    label: np.ndarray
    judge: np.ndarray
    categories: tuple[Any, ...]
    scale: Scale
    groups: np.ndarray | None = None

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def tie(self) -> int:
        """Index of the tie label (-1 on the score scale)."""
        return self.categories.index("tie") if self.scale == "pairwise" else -1

    @property
    def raters(self) -> list[str]:
        return sorted({str(r) for r in self.rater})

    def counts(self) -> np.ndarray:
        """Human votes per item and label: an (items x labels) matrix."""
        out = np.zeros((self.n_items, len(self.categories)))
        np.add.at(out, (self.item, self.label), 1.0)
        return out

    def subset(self, keep: np.ndarray) -> Votes:
        """The votes on the items where ``keep`` (a boolean per item) is true."""
        new_index = np.cumsum(keep) - 1
        on = keep[self.item]
        return Votes(
            items=self.items[keep],
            item=new_index[self.item[on]],
            rater=self.rater[on],
            label=self.label[on],
            judge=self.judge[keep],
            categories=self.categories,
            scale=self.scale,
            groups=None if self.groups is None else self.groups[keep],
        )


def make_votes(
    humans: pd.DataFrame,
    judge: pd.Series,
    scale: Scale,
    groups: pd.Series | None = None,
) -> Votes:
    """Build :class:`Votes` from normalised labels.

    ``humans`` has columns ``item``, ``rater``, ``label`` (``a``/``b``/``tie`` or
    numbers, missing labels already dropped); ``judge`` maps item -> label (missing
    = no judge vote); ``groups`` maps item -> group value. The items are those of
    ``humans`` and ``judge`` together.
    """
    keys = pd.Index(pd.unique(pd.concat([humans["item"], pd.Series(judge.index)])))
    if scale == "pairwise":
        categories: tuple[Any, ...] = PAIRWISE
    else:
        values = pd.concat([humans["label"], judge.dropna()]).astype(float)
        categories = tuple(float(v) for v in np.sort(values.unique()))
    code = {c: i for i, c in enumerate(categories)}
    j = np.full(len(keys), -1, dtype=int)
    jv = judge.dropna()
    if len(jv):
        j[keys.get_indexer(jv.index)] = [
            code[v if scale == "pairwise" else float(v)] for v in jv.to_numpy()
        ]
    lab = humans["label"].to_numpy()
    g = None
    if groups is not None:
        g = groups.reindex(keys).astype(object).where(lambda s: s.notna(), "–").astype(str)
    return Votes(
        items=keys.to_numpy(),
        item=keys.get_indexer(humans["item"]),
        rater=humans["rater"].astype(str).to_numpy(),
        label=np.array(
            [code[v if scale == "pairwise" else float(v)] for v in lab], dtype=int
        ).reshape(-1),
        judge=j,
        categories=categories,
        scale=scale,
        groups=None if g is None else g.to_numpy(),
    )


# --------------------------------------------------------------------------- per-item counts


@dataclass(frozen=True)
class _ItemStats:
    """Additive per-item statistics: every figure is a function of their sums."""

    jh: np.ndarray  # (n, 4): judge-human agree/pairs with ties, agree/pairs without
    hh: np.ndarray  # (n, 4): human-human, the same
    mj: np.ndarray  # (n, 4): judge vs majority, the same
    conf: np.ndarray  # (n, K*K): judge label x human label, pooled vote pairs
    conf_major: np.ndarray  # (n, K*K): judge label x majority label
    coinc: np.ndarray  # (n, K*K): Krippendorff coincidences among the humans
    hh_pairs: np.ndarray  # (n, K*K): ordered human-human vote pairs


def _item_stats(v: Votes) -> _ItemStats:
    k = len(v.categories)
    c = v.counts()
    m = c.sum(axis=1)
    t = v.tie
    n = v.n_items
    judged = v.judge >= 0
    jl = np.where(judged, v.judge, 0)
    hit = np.where(judged, c[np.arange(n), jl], 0.0)
    ties = c[:, t] if t >= 0 else np.zeros(n)
    judge_tie = judged & (v.judge == t) if t >= 0 else np.zeros(n, dtype=bool)
    jh = np.column_stack(
        [
            hit,
            np.where(judged, m, 0.0),
            np.where(judge_tie, 0.0, hit),
            np.where(judged & ~judge_tie, m - ties, 0.0),
        ]
    )
    same = (c * (c - 1) / 2).sum(axis=1)
    same_nt = same - (ties * (ties - 1) / 2 if t >= 0 else 0.0)
    m_nt = m - ties
    hh = np.column_stack([same, m * (m - 1) / 2, same_nt, m_nt * (m_nt - 1) / 2])

    top = c.max(axis=1)
    unique = (m > 0) & ((c == top[:, None]).sum(axis=1) == 1)
    major = np.where(unique, c.argmax(axis=1), -1)
    both = judged & unique
    eq = both & (v.judge == major)
    major_tie = (major == t) if t >= 0 else np.zeros(n, dtype=bool)
    nt = both & ~judge_tie & ~major_tie
    mj = np.column_stack([eq, both, eq & nt, nt]).astype(float)

    conf = np.zeros((n, k, k))
    conf[judged, jl[judged], :] = c[judged]
    conf_major = np.zeros((n, k, k))
    conf_major[both, v.judge[both], major[both]] = 1.0
    pairs = c[:, :, None] * c[:, None, :] - np.eye(k)[None] * c[:, :, None]
    coinc = np.where((m > 1)[:, None, None], pairs / np.maximum(m - 1, 1)[:, None, None], 0.0)
    return _ItemStats(
        jh=jh,
        hh=hh,
        mj=mj,
        conf=conf.reshape(n, k * k),
        conf_major=conf_major.reshape(n, k * k),
        coinc=coinc.reshape(n, k * k),
        hh_pairs=pairs.reshape(n, k * k),
    )


# --------------------------------------------------------------------------- figures from sums


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _disagreement(categories: tuple[Any, ...], scale: Scale) -> np.ndarray:
    """Squared distance between labels: 0/1 (nominal) or (v_c - v_k)^2 (interval)."""
    k = len(categories)
    if scale == "pairwise":
        return 1.0 - np.eye(k)
    vals = np.asarray(categories, dtype=float)
    return (vals[:, None] - vals[None, :]) ** 2


def kappa_from_tables(tables: np.ndarray, d2: np.ndarray) -> np.ndarray:
    """Cohen's kappa (weighted by ``1 - d2 / max d2``) of one or many (.., K, K) tables.

    With nominal ``d2`` this is Cohen's kappa; with squared value distances it is the
    quadratically weighted kappa. NaN where a table is empty or its expected
    disagreement is zero.
    """
    t = np.asarray(tables, dtype=float)
    n = t.sum(axis=(-2, -1))
    top = d2.max() if d2.size and d2.max() > 0 else 1.0
    w = d2 / top
    rows = t.sum(axis=-1)
    cols = t.sum(axis=-2)
    expected = rows[..., :, None] * cols[..., None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = (t * w).sum(axis=(-2, -1)) / n
        chance = (expected * w).sum(axis=(-2, -1)) / n**2
        out = 1.0 - observed / chance
    return np.where((n > 0) & (chance > 1e-12), out, np.nan)


def alpha_from_coincidences(coinc: np.ndarray, d2: np.ndarray) -> np.ndarray:
    """Krippendorff's alpha of one or many (.., K, K) coincidence matrices."""
    o = np.asarray(coinc, dtype=float)
    nc = o.sum(axis=-1)
    n = nc.sum(axis=-1)
    observed = (o * d2).sum(axis=(-2, -1))
    expected = (nc[..., :, None] * nc[..., None, :] * d2).sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = 1.0 - (n - 1) * observed / expected
    return np.where((n > 1) & (expected > 1e-12), out, np.nan)


def _weights(n: int, n_boot: int, seed: int) -> Iterator[np.ndarray]:
    """Bootstrap replicate weights over ``n`` items, a chunk of replicates at a time."""
    rng = np.random.default_rng(seed)
    size = max(1, min(n_boot, _CHUNK_CELLS // max(n, 1)))
    done = 0
    while done < n_boot:
        b = min(size, n_boot - done)
        yield rng.multinomial(n, np.full(n, 1.0 / n), size=b).astype(float)
        done += b


def percentile_ci(reps: np.ndarray, alpha: float = 0.05) -> list[float | None]:
    """Percentile interval of bootstrap replicates, leaving out undefined ones (NaN)."""
    r = reps[np.isfinite(reps)]
    if r.size < 2:
        return [None, None]
    lo, hi = np.quantile(r, [alpha / 2, 1 - alpha / 2])
    return [float(lo), float(hi)]


def finite(x: float) -> float | None:
    """``x`` as a float, or ``None`` when it is NaN or infinite."""
    return float(x) if math.isfinite(x) else None


def _share_block(sums: np.ndarray, reps: np.ndarray, alpha: float) -> dict[str, Any]:
    """The ``agreement`` block: with/without ties, intervals and pair counts."""
    return {
        "with_ties": finite(float(_ratio(sums[0], sums[1]))),
        "without_ties": finite(float(_ratio(sums[2], sums[3]))),
        "with_ties_ci": percentile_ci(_ratio(reps[:, 0], reps[:, 1]), alpha),
        "without_ties_ci": percentile_ci(_ratio(reps[:, 2], reps[:, 3]), alpha),
        "n_with_ties": round(float(sums[1])),
        "n_without_ties": round(float(sums[3])),
    }


def agreement_figures(
    v: Votes, *, n_boot: int = 2000, seed: int = 0, alpha: float = 0.05
) -> dict[str, Any]:
    """Every agreement figure of ``v`` with its bootstrap interval (see the module doc)."""
    k = len(v.categories)
    d2 = _disagreement(v.categories, v.scale)
    s = _item_stats(v)
    blocks = [s.jh, s.hh, s.mj, s.conf, s.conf_major, s.coinc, s.hh_pairs]
    stacked = np.hstack(blocks)
    edges = np.cumsum([0, *(b.shape[1] for b in blocks)])
    total = stacked.sum(axis=0)
    reps = (
        np.vstack([w @ stacked for w in _weights(v.n_items, n_boot, seed)])
        if v.n_items > 0 and n_boot > 0
        else np.zeros((0, stacked.shape[1]))
    )

    def part(arr: np.ndarray, i: int) -> np.ndarray:
        return arr[..., edges[i] : edges[i + 1]]

    def square(arr: np.ndarray) -> np.ndarray:
        return arr.reshape(*arr.shape[:-1], k, k)

    def stat(fn: Any, i: int) -> tuple[float | None, list[float | None]]:
        point = float(fn(square(part(total, i)), d2))
        return finite(point), percentile_ci(fn(square(part(reps, i)), d2), alpha)

    kappa, kappa_ci = stat(kappa_from_tables, 3)
    kappa_major, kappa_major_ci = stat(kappa_from_tables, 4)
    alpha_h, alpha_h_ci = stat(alpha_from_coincidences, 5)
    kappa_h, kappa_h_ci = stat(kappa_from_tables, 6)
    return {
        "n_items": int(v.n_items),
        "majority_macro": _macro(square(part(total, 4)), v.categories),
        "n_humans": len(v.raters),
        "n_votes": len(v.item),
        "n_judged": int((v.judge >= 0).sum()),
        "agreement": _share_block(part(total, 0), part(reps, 0), alpha),
        "human_human": _share_block(part(total, 1), part(reps, 1), alpha),
        "majority": _share_block(part(total, 2), part(reps, 2), alpha),
        "kappa": kappa,
        "kappa_ci": kappa_ci,
        "kappa_majority": kappa_major,
        "kappa_majority_ci": kappa_major_ci,
        "kappa_humans": kappa_h,
        "kappa_humans_ci": kappa_h_ci,
        "alpha_humans": alpha_h,
        "alpha_humans_ci": alpha_h_ci,
    }


def _macro(table: np.ndarray, categories: tuple[Any, ...]) -> dict[str, float | None]:
    """Macro-averaged precision, recall and F1 of the judge (rows) against the majority
    (columns), over the labels the majority uses: the figures PandaLM reports."""
    used = table.sum(axis=0) > 0
    if not used.any():
        return {"precision": None, "recall": None, "f1": None}
    diag = np.diag(table)
    with np.errstate(invalid="ignore", divide="ignore"):
        prec = np.where(table.sum(axis=1) > 0, diag / table.sum(axis=1), 0.0)
        rec = diag / table.sum(axis=0)
        f1 = np.where(prec + rec > 0, 2 * prec * rec / (prec + rec), 0.0)
    return {
        "precision": float(prec[used].mean()),
        "recall": float(rec[used].mean()),
        "f1": float(f1[used].mean()),
    }


def _two_raters(
    x: np.ndarray, y: np.ndarray, v: Votes, n_boot: int, seed: int, alpha: float
) -> dict[str, Any]:
    """Agreement and kappa of two label vectors on the same items, with intervals."""
    k = len(v.categories)
    t = v.tie
    n = len(x)
    eq = (x == y).astype(float)
    keep = (x != t) & (y != t) if t >= 0 else np.ones(n, dtype=bool)
    cells = np.zeros((n, k * k))
    cells[np.arange(n), x * k + y] = 1.0
    per_item = np.column_stack([eq, np.ones(n), eq * keep, keep.astype(float), cells])
    total = per_item.sum(axis=0)
    reps = (
        np.vstack([w @ per_item for w in _weights(n, n_boot, seed)])
        if n > 0 and n_boot > 0
        else np.zeros((0, per_item.shape[1]))
    )
    d2 = _disagreement(v.categories, v.scale)
    block = _share_block(total[:4], reps[:, :4], alpha)
    block["n"] = n
    block["kappa"] = finite(float(kappa_from_tables(total[4:].reshape(k, k), d2)))
    block["kappa_ci"] = percentile_ci(kappa_from_tables(reps[:, 4:].reshape(-1, k, k), d2), alpha)
    return block


def per_human(
    v: Votes, *, n_boot: int = 2000, seed: int = 0, alpha: float = 0.05
) -> list[dict[str, Any]]:
    """The judge against each human on the items both labelled (agreement, kappa)."""
    out = []
    for i, name in enumerate(v.raters):
        mine = (v.rater == name) & (v.judge[v.item] >= 0)
        items = v.item[mine]
        if items.size == 0:
            out.append({"human": name, "n": 0})
            continue
        fig = _two_raters(v.judge[items], v.label[mine], v, n_boot, seed + i, alpha)
        out.append({"human": name, **fig})
    return out


def human_pairs(
    v: Votes, *, min_items: int = 10, max_humans: int = 12, n_boot: int = 2000, seed: int = 0
) -> list[dict[str, Any]]:
    """Agreement and kappa of every pair of humans sharing at least ``min_items`` items.

    Only when there are at most ``max_humans`` humans (the table grows quadratically).
    """
    names = v.raters
    if len(names) > max_humans:
        return []
    frame = pd.DataFrame({"item": v.item, "rater": v.rater, "label": v.label})
    wide = frame.pivot_table(index="item", columns="rater", values="label", aggfunc="first")
    out = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            both = wide[[a, b]].dropna()
            if len(both) < min_items:
                continue
            fig = _two_raters(
                both[a].to_numpy(int), both[b].to_numpy(int), v, n_boot, seed + i, 0.05
            )
            out.append({"human_a": a, "human_b": b, **fig})
    return out
