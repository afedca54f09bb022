"""``--mitigation`` and ``--samples`` validated into a :class:`MitigationPlan`
(see :mod:`judgebias.corrections.mitigations` for what each mitigation does)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from judgebias.corrections.mitigations.prompts import (
    PROMPT_NAMES,
    PromptMitigation,
    builtin_prompt_mitigation,
    load_prompt_mitigation,
)
from judgebias.errors import UsageError
from judgebias.registry import did_you_mean

__all__ = [
    "DEFAULT_SAMPLES",
    "DEFAULT_TEMPERATURE",
    "FLAG",
    "MITIGATION_NAMES",
    "RULES",
    "MitigationPlan",
    "plan_mitigations",
    "split_mitigations",
]

WRAPPER_NAMES = ("swap", "multi-sample", "jury")
MITIGATION_NAMES: tuple[str, ...] = (*PROMPT_NAMES, *WRAPPER_NAMES)
"""The built-in mitigations (``jury`` takes specs: ``jury:SPEC1;SPEC2``)."""

RULES = ("majority", "mean")
DEFAULT_SAMPLES = 5
DEFAULT_TEMPERATURE = 0.7
FLAG = "--mitigation"


@dataclass(frozen=True)
class MitigationPlan:
    """What ``--mitigation`` and ``--samples`` asked for, validated; no judge built yet."""

    names: tuple[str, ...] = ()
    prompts: tuple[PromptMitigation, ...] = ()
    swap: bool = False
    samples: int = 1
    temperature: float = DEFAULT_TEMPERATURE
    sample_rule: str = "majority"
    jury: tuple[str, ...] = ()
    jury_rule: str = "majority"

    @property
    def wraps(self) -> bool:
        return self.swap or self.samples > 1 or bool(self.jury)

    @property
    def calls_per_verdict(self) -> int:
        return (2 if self.swap else 1) * self.samples * ((1 + len(self.jury)) if self.jury else 1)

    def describe(self) -> dict[str, Any]:
        """The ``run.mitigation`` section of summary.json."""
        return {
            "names": list(self.names),
            "prompts": {p.name: p.source for p in self.prompts},
            "swap": self.swap,
            "samples": self.samples,
            "temperature": self.temperature if self.samples > 1 else None,
            "sample_rule": self.sample_rule if self.samples > 1 else None,
            "jury": list(self.jury),
            "jury_rule": self.jury_rule if self.jury else None,
            "calls_per_verdict": self.calls_per_verdict,
        }


def _head(token: str) -> str:
    return token.split(":", 1)[0].strip().lower()


def _is_file(token: str) -> bool:
    return token.lower().endswith((".yaml", ".yml"))


def split_mitigations(text: str | Sequence[str] | None) -> list[str]:
    """Split ``--mitigation`` values on commas, keeping the commas inside a jury's specs
    (``jury:sim:position=0.3,seed=1;sim`` stays one item)."""
    if text is None:
        return []
    parts: list[str] = []
    for chunk in [text] if isinstance(text, str) else list(text):
        parts.extend(str(chunk).split(","))
    items: list[str] = []
    for part in parts:
        token = part.strip()
        if not token:
            continue
        starts = _head(token) in MITIGATION_NAMES or _is_file(token)
        if items and not starts and _head(items[-1]) == "jury":
            items[-1] += "," + token
        else:
            items.append(token)
    return items


def _unknown(token: str) -> UsageError:
    hint = did_you_mean(_head(token), MITIGATION_NAMES)
    return UsageError(
        f"{FLAG}: unknown mitigation '{token}'{hint}; choose from "
        "system-prompt, few-shot, reflect, swap, multi-sample, jury:SPEC;SPEC "
        "or a YAML file of your own"
    )


def _sample_options(token: str) -> tuple[str, float]:
    rule, temperature = "majority", DEFAULT_TEMPERATURE
    for opt in token.split(":")[1:]:
        opt = opt.strip().lower()
        if opt in RULES:
            rule = opt
        elif opt.startswith(("t=", "temperature=")):
            value = opt.split("=", 1)[1]
            try:
                temperature = float(value)
            except ValueError:
                raise UsageError(
                    f"{FLAG}: multi-sample temperature '{value}' is not a number"
                ) from None
            if not 0.0 < temperature <= 2.0 or math.isnan(temperature):
                raise UsageError(f"{FLAG}: multi-sample needs a temperature in (0, 2], got {value}")
        elif opt:
            raise UsageError(
                f"{FLAG}: multi-sample option '{opt}' is not one of majority, mean, t=TEMPERATURE"
            )
    return rule, temperature


def _jury_options(token: str) -> tuple[str, tuple[str, ...]]:
    rest = token.split(":", 1)[1] if ":" in token else ""
    rule = "majority"
    head, sep, tail = rest.partition(":")
    if sep and head.strip().lower() in RULES:
        rule, rest = head.strip().lower(), tail
    specs = tuple(s.strip() for s in rest.split(";") if s.strip())
    if not specs:
        raise UsageError(
            f"{FLAG}: jury needs at least one judge spec: "
            "jury:SPEC1;SPEC2 (the audited judge sits on the panel too)"
        )
    return rule, specs


def plan_mitigations(
    items: str | Sequence[str] | None,
    *,
    samples: int | None = None,
    mode: str = "verdict",
    self_probe: bool = False,
) -> MitigationPlan:
    """Validate ``--mitigation`` items (and ``--samples``) into a :class:`MitigationPlan`.

    ``--samples K`` with K >= 2 implies ``multi-sample``; errors are one-line
    :class:`UsageError` / :class:`InputError` naming the flag or file.
    """
    tokens = split_mitigations(items)
    if samples is not None and samples < 1:
        raise UsageError(f"--samples: must be at least 1, got {samples}")
    names: list[str] = []
    prompts: list[PromptMitigation] = []
    swap = False
    k = 1
    rule, temperature = "majority", DEFAULT_TEMPERATURE
    jury: tuple[str, ...] = ()
    jury_rule = "majority"
    seen: set[str] = set()
    for token in tokens:
        head = _head(token)
        key = token if _is_file(token) else head
        if key in seen:
            raise UsageError(f"{FLAG}: '{head}' is given twice")
        seen.add(key)
        if _is_file(token):
            pm = load_prompt_mitigation(token)
            prompts.append(pm)
            names.append(token)
        elif head in PROMPT_NAMES:
            if token.strip().lower() != head:
                raise UsageError(f"{FLAG}: '{head}' takes no options (got '{token}')")
            prompts.append(builtin_prompt_mitigation(head))
            names.append(head)
        elif head == "swap":
            if token.strip().lower() != head:
                raise UsageError(f"{FLAG}: 'swap' takes no options (got '{token}')")
            swap = True
            names.append(head)
        elif head == "multi-sample":
            rule, temperature = _sample_options(token)
            k = samples if samples is not None else DEFAULT_SAMPLES
            if k < 2:
                raise UsageError(f"--samples: multi-sample needs at least 2 samples, got {k}")
            names.append(token.strip())
        elif head == "jury":
            jury_rule, jury = _jury_options(token)
            names.append(token.strip())
        else:
            raise _unknown(token)
    if samples is not None and samples >= 2 and k == 1:
        k = samples
        names.append("multi-sample")
    if mode == "logprob" and any(p.name == "reflect" for p in prompts):
        raise UsageError(
            f"{FLAG}: reflect needs --mode verdict (a one-token logprob answer "
            "cannot reflect first)"
        )
    if jury and self_probe:
        raise UsageError(
            f"{FLAG}: a jury has no answers of its own for --probes self; leave "
            "out the self probe or the jury"
        )
    return MitigationPlan(
        names=tuple(names),
        prompts=tuple(prompts),
        swap=swap,
        samples=k,
        temperature=temperature,
        sample_rule=rule,
        jury=jury,
        jury_rule=jury_rule,
    )
