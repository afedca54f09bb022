"""The demo's planted profile: what ``judgebias demo`` audits, offline.

The simulated judge below has content accuracy 0.85 and a position bias of
0.25 (a quarter of the pairs are decided by which answer is shown first).
An audit must recover those numbers; the report says so plainly.
"""

from __future__ import annotations

DEMO_JUDGE = "sim:accuracy=0.85,position=0.25,seed=7"
DEMO_PROBES: tuple[str, ...] = ("position",)
