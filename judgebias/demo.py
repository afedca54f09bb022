"""The demo's planted profile: what ``judgebias demo`` audits, offline.

The simulated judge below has content accuracy 0.85 and these planted biases
(each defined in :mod:`judgebias.sim.params` so that the audit's effect
estimate equals it in expectation):

- position 0.25: a quarter of the pairs are decided by which answer is shown first;
- length 0.20, bandwagon 0.30, authority 0.15, reflection 0.10, distraction 0.05:
  the rate at which each cue moves a verdict (net of its placebo);
- compassion 0.10, refinement 0.15, citation 0.20, identity 0: the templated cues
  (a famous model's name, "refined from a draft", irrelevant references,
  an author identity statement), defined like the other cues; identity is planted
  at zero so the report shows what "not detected" looks like;
- self 0.30: the rate at which its own answer, in its own words, wins a comparison it
  would have lost as a paraphrase.

The gold judge of the self probe (also its rewriter, which paraphrases the judge's
answers) is a simulated judge with accuracy 1 and no bias.
"""

from __future__ import annotations

DEMO_JUDGE = (
    "sim:accuracy=0.85,position=0.25,length=0.2,bandwagon=0.3,authority=0.15,"
    "reflection=0.1,distraction=0.05,self=0.3,compassion=0.1,identity=0,refinement=0.15,"
    "citation=0.2,seed=7"
)
DEMO_GOLD_JUDGE = "sim:accuracy=1,seed=7"
DEMO_PROBES: tuple[str, ...] = ("all",)
