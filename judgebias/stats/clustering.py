"""The unit an audit's intervals are clustered by.

Verdicts on pairs that share an instruction are not independent: a judge whose bias
differs from one instruction to the next moves them together. An audit's records carry
a ``cluster`` column (the key of each pair's cluster: by default its instruction, or the
value of the pairs file's column named by ``--cluster``); every interval that treats
correlated units as one cluster (position, the perturbation and rewrite probes, soft
position, self-preference, reasoning, pointwise shifts, ``judgebias compare``) takes its
clusters from there. Records without the column (runs written before it existed) are
clustered by pair, as they were.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CLUSTER_COLUMN",
    "cluster_keys",
    "cluster_values",
    "describe_clusters",
    "pair_clusters",
    "with_clusters",
]

CLUSTER_COLUMN = "cluster"
"""The records' column holding each pair's cluster key."""


def cluster_keys(frame: pd.DataFrame, cluster: str | None) -> np.ndarray:
    """One key per row of ``frame``: its value of the column ``cluster``, or the row itself
    (None, or an empty value: a cluster of its own)."""
    own = np.array([f"\x00row{i}" for i in range(len(frame))], dtype=object)
    if cluster is None:
        return own
    missing, values = cluster_values(frame, cluster)
    return np.where(missing, own, values).astype(object)


def cluster_values(frame: pd.DataFrame, cluster: str) -> tuple[np.ndarray, np.ndarray]:
    """The column ``cluster`` of ``frame`` as text, and where it is empty (such a row is a
    cluster of its own); a missing column is the user's ``--cluster`` naming nothing."""
    if cluster not in frame.columns:
        from judgebias.errors import UsageError

        raise UsageError(f"--cluster: no column {cluster!r} to cluster by")
    missing = pd.isna(frame[cluster]).to_numpy()
    return missing, frame[cluster].astype(str).to_numpy(dtype=object)


def pair_clusters(records: pd.DataFrame) -> pd.Series:
    """Cluster key per ``pair_id`` (the pair itself when the records carry no clusters)."""
    if records is None or records.empty or "pair_id" not in records.columns:
        return pd.Series(dtype=object)
    if CLUSTER_COLUMN not in records.columns:
        ids = pd.unique(records["pair_id"])
        return pd.Series(ids, index=ids, dtype=object)
    keys = records.groupby("pair_id", sort=False)[CLUSTER_COLUMN].first()
    return keys.where(keys.notna(), keys.index.to_series()).astype(object)


def with_clusters(frame: pd.DataFrame, records: pd.DataFrame, on: str = "pair_id") -> pd.DataFrame:
    """``frame`` with a ``cluster`` column: the cluster of each row's ``on`` (a pair id)."""
    keys = pair_clusters(records)
    mapped = frame[on].map(keys) if len(keys) else frame[on]
    return frame.assign(**{CLUSTER_COLUMN: mapped.where(mapped.notna(), frame[on]).to_numpy()})


def describe_clusters(info: dict[str, Any] | None) -> str:
    """``intervals clustered by instruction (80 clusters of 2,400 pairs)``: the unit named
    for reports, from summary.json's ``cluster`` (a run without one was clustered by pair)."""
    if not isinstance(info, dict) or not info:
        return "intervals clustered by pair (the two orders of a pair together)"
    unit = str(info.get("unit") or info.get("column") or "pair")
    k, n = info.get("n_clusters"), info.get("n_pairs")
    if unit == "pair":
        return "intervals clustered by pair (the two orders of a pair together)"
    count = ""
    if isinstance(k, int | np.integer):
        count = f" ({int(k):,} clusters" + (
            f" of {int(n):,} pairs)" if isinstance(n, int | np.integer) else ")"
        )
    return f"intervals clustered by {unit}{count}"
