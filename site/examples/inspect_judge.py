"""inspect_ai's model-graded scorer (``model_graded_qa``) as a judgebias judge.

The scorer is inspect_ai's own: its prompt template, its model client (``openai-api``,
any OpenAI-compatible endpoint) and its grade pattern. The template shows the two
answers of a pair; judgebias calls ``judge`` for each pair in both orders, with every
probe's edits, and measures the biases of the grader you actually run::

    pip install 'judgebias[frameworks]'
    judgebias serve-sim --judge "sim:position=0.3" --port 8000 &
    export JUDGE_BASE_URL=http://127.0.0.1:8000/v1
    judgebias audit --judge python:inspect_judge:judge --probes position --out runs/inspect

(``inspect_judge.py`` in the current directory, or anywhere on ``PYTHONPATH``.) Point
``JUDGE_BASE_URL`` and ``JUDGE_MODEL`` at your grader's endpoint and model to audit it.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from inspect_ai.model import ModelOutput, get_model
from inspect_ai.scorer import Scorer, Target, model_graded_qa
from inspect_ai.solver import TaskState

TEMPLATE = """{instructions}

[Instruction]
{question}

[Response A]
{response_a}
[End of Response A]

[Response B]
{response_b}
[End of Response B]
"""

INSTRUCTIONS = (
    "Decide which of the two responses below better answers the instruction. Explain "
    "your reasoning in one or two sentences, then give your verdict on the last line "
    "exactly as [[A]] if Response A is better, [[B]] if Response B is better, or [[C]] "
    "for a tie."
)

_scorers: dict[int, Scorer] = {}


def _scorer() -> Scorer:
    """One scorer per event loop (its HTTP client belongs to the loop that made it)."""
    loop = id(asyncio.get_running_loop())
    if loop not in _scorers:
        model = get_model(
            os.environ.get("JUDGE_MODEL", "openai-api/judge/judge"),
            base_url=os.environ["JUDGE_BASE_URL"],
            api_key=os.environ.get("JUDGE_API_KEY", "none"),
            memoize=False,
        )
        _scorers[loop] = model_graded_qa(
            template=TEMPLATE,
            instructions=INSTRUCTIONS,
            grade_pattern=r"(?s).*\[\[([ABC])\]\]",
            model=model,
        )
    return _scorers[loop]


async def judge(instruction: str, response_a: str, response_b: str) -> dict[str, Any]:
    """inspect_ai's grade of one pair, ``response_a`` shown first."""
    state = TaskState(
        model="judgebias/audit",  # type: ignore[arg-type]
        sample_id="pair",
        epoch=1,
        input=instruction,
        messages=[],
        output=ModelOutput(),
        metadata={"response_a": response_a, "response_b": response_b},
    )
    score = await _scorer()(state, Target(""))
    grade = score.value if score is not None else None
    return {
        "verdict": grade if grade in ("A", "B", "C") else "unscored",
        "raw": (score.explanation if score is not None else None) or "",
    }


judge.version = "model_graded_qa-1"  # type: ignore[attr-defined]
