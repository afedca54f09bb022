"""The ``sim`` backend: the simulated judge, in process.

The simulated judge itself (its parameters, how it decides, its checkers, reasoning,
misbehaviour and formats, and ``serve-sim``) is the package :mod:`judgebias.sim`; this
module is only its entry in the backend registry. The names below stay importable from
here for the code and scripts that import them from this module.
"""

from __future__ import annotations

from judgebias.judges.base import JudgeOptions
from judgebias.sim.constrained import constrained_answer
from judgebias.sim.params import (
    BIAS_KEYS,
    MISBEHAVIOUR_KEYS,
    SIM_SIGNATURE,
    SimParams,
    parse_sim_params,
)
from judgebias.sim.reply import simulate
from judgebias.types import ChatRequest, Completion

__all__ = [
    "BIAS_KEYS",
    "MISBEHAVIOUR_KEYS",
    "SIM_SIGNATURE",
    "SimJudge",
    "SimParams",
    "parse_sim_params",
    "simulate",
]


class SimJudge:
    """``sim[:key=value,...]``: the simulated judge, in process."""

    def __init__(self, rest: str, options: JudgeOptions):
        self.params = parse_sim_params(rest)
        self.spec = "sim:" + rest if rest else "sim"
        # the model name is part of every request's cache key: two differently
        # planted sims (a judge and a gold judge) must never share answers
        self.model = self.params.spec()

    async def complete(self, request: ChatRequest) -> Completion:
        answer = simulate(request, self.params)
        if request.constraint is not None:  # in process, every constraint is enforced
            return constrained_answer(answer, request.constraint, self.params.seed)
        return answer

    async def aclose(self) -> None:
        return None
