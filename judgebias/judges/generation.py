"""Generation settings: how a judge is asked, resolved once per judge of an audit.

:class:`GenerationSettings` holds the completion budgets, reasoning effort, temperature,
transport and output constraint of one judge. :func:`resolve_generation` decides them in
one place from the user's flags and the judge's provider defaults
(:func:`judgebias.judges.request_rules.default_max_tokens`: each model family's own);
every request an audit builds comes from :meth:`GenerationSettings.request`, so no
module decides a budget of its own. The audited judge gets the flags; a gold judge gets
its own model's defaults (:func:`resolve_generation` with no flags).
"""

from __future__ import annotations

from dataclasses import dataclass

from judgebias.judges.constraints import ConstraintChoice
from judgebias.judges.request_rules import default_max_tokens
from judgebias.prompts.constrained import ConstrainedForm
from judgebias.types import ChatRequest

__all__ = ["GenerationSettings", "resolve_generation"]


@dataclass(frozen=True)
class GenerationSettings:
    """How one judge is asked (see the module docstring)."""

    model: str
    mode: str = "verdict"
    max_tokens: int = 512
    """The budget of a judging request (reasoning included)."""
    generate_tokens: int = 1024
    """The budget of the judge model's own answers (the self probe)."""
    reasoning_effort: str | None = None
    temperature: float = 0.0
    transport: str | None = None
    constraint: ConstraintChoice | None = None
    """The output constraint (``--constrain``) after ``auto`` was resolved; None: none."""
    reasoning_first: bool = False
    """The template asks for its reasoning before the verdict, kept within a JSON constraint."""

    @property
    def constrained(self) -> bool:
        return self.constraint is not None and self.constraint.kind != "none"

    def answer_form(self, key: str = "verdict") -> ConstrainedForm | None:
        """The form of a constrained answer, for the strict reader (None: unconstrained)."""
        if not self.constrained:
            return None
        assert self.constraint is not None
        label = self.constraint.kind in ("choice", "logit-bias")
        return ConstrainedForm("label" if label else "json", key)

    def request(
        self,
        messages: tuple[tuple[str, str], ...],
        labels: tuple[str, ...] = (),
        key: str = "verdict",
        logprobs: bool = False,
    ) -> ChatRequest:
        """A judging request; constrained to ``labels`` when the settings constrain."""
        constraint = (
            self.constraint.constraint(labels, key, self.reasoning_first)
            if self.constrained and labels and self.constraint is not None
            else None
        )
        budget = (
            1 if constraint is not None and constraint.kind == "logit-bias" else self.max_tokens
        )
        return ChatRequest(
            model=self.model,
            messages=messages,
            temperature=self.temperature,
            max_tokens=budget,
            logprobs=logprobs,
            top_logprobs=5 if logprobs else None,
            reasoning_effort=self.reasoning_effort,
            constraint=constraint,
        )

    def generation_request(self, prompt: str) -> ChatRequest:
        """A request for the judge model's own answer to an instruction (never constrained)."""
        return ChatRequest(
            model=self.model,
            messages=(("user", prompt),),
            temperature=self.temperature,
            max_tokens=self.generate_tokens,
            reasoning_effort=self.reasoning_effort,
        )


def resolve_generation(
    model: str,
    mode: str = "verdict",
    max_tokens: int | None = None,
    reasoning_effort: str | None = None,
    transport: str | None = None,
    constraint: ConstraintChoice | None = None,
    reasoning_first: bool = False,
) -> GenerationSettings:
    """The settings of a judge from the user's flags (None: the provider's defaults)."""
    return GenerationSettings(
        model=model,
        mode=mode,
        max_tokens=max_tokens or default_max_tokens(model, mode, reasoning_effort),
        generate_tokens=max_tokens or default_max_tokens(model, "generate", reasoning_effort),
        reasoning_effort=reasoning_effort,
        transport=transport,
        constraint=constraint,
        reasoning_first=reasoning_first,
    )
