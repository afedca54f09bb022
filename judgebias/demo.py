"""The demo's planted profile: what ``judgebias demo`` audits, offline.

The simulated judge below has content accuracy 0.85 and these planted biases
(each defined in :mod:`judgebias.judges.simulated` so that the audit's effect
estimate equals it in expectation):

- position 0.25: a quarter of the pairs are decided by which answer is shown first;
- length 0.20, bandwagon 0.30, authority 0.15, reflection 0.10, distraction 0.05:
  the rate at which each cue moves a verdict (net of its placebo);
- self 0.30: the rate at which its own answer wins a comparison it would have lost.

The gold judge of the self probe is a simulated judge with accuracy 1 and no bias.
"""

from __future__ import annotations

DEMO_JUDGE = (
    "sim:accuracy=0.85,position=0.25,length=0.2,bandwagon=0.3,authority=0.15,"
    "reflection=0.1,distraction=0.05,self=0.3,seed=7"
)
DEMO_GOLD_JUDGE = "sim:accuracy=1,seed=7"
DEMO_PROBES: tuple[str, ...] = ("all",)
