"""``judgebias check``: a few calls per setting before a paid audit.

Each *setting* is a way to ask the judge (a ``--mode``, and each server-side constraint
of its answers, ``--constrain KIND``, resolved against the endpoint as the audit resolves
it: a kind the endpoint does not enforce is reported as not tried, with every form tried
and why); each is one entry of :func:`check_settings`,
a set of :class:`~judgebias.audits.config.AuditConfig` fields and the flags that give
them. Every setting asks the same few pairs (default 8, from the bundled pairs: easy
arithmetic with a known better answer) in both orders, through the audit's own runner,
store and strict reader, and reports:

- the share of answers the strict reader could read, and why the others could not;
- latency (median and slowest) and tokens (mean prompt and completion per call);
- whether the verdicts vary, in the positions shown (a judge that always names the same
  letter cannot show a bias or its absence);
- whether they follow the gold answer on these easy pairs (a one-sided binomial test
  against chance, :func:`scipy.stats.binomtest`).

A setting *passes* when it reads at least :data:`READABLE` of its answers. The
recommended setting is the passing one that follows the gold, then varies, then reads
most, earliest in the list on a tie (the defaults first).
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from judgebias.audits.calls import build_calls, build_records
from judgebias.audits.config import AuditConfig, runner_config
from judgebias.audits.settings import audit_generation
from judgebias.engine.runner import run_requests
from judgebias.engine.store import Store
from judgebias.errors import JudgebiasError
from judgebias.judges.base import Judge, JudgeOptions, make_judge
from judgebias.judges.constraints import constraint_kinds
from judgebias.judges.request_rules import check_options
from judgebias.probes.catalog import control_variant
from judgebias.prompts.answers import REASONS
from judgebias.prompts.templates import answer_reader, resolve_template
from judgebias.tables.pairs import bundled_pairs_path, load_pairs
from judgebias.types import Pair

__all__ = [
    "CHECK_PAIRS",
    "READABLE",
    "CheckReport",
    "Setting",
    "SettingResult",
    "check_settings",
    "run_check",
]

READABLE = 0.9
"""The least share of readable answers for a setting to pass."""
CHECK_PAIRS = 8
"""Pairs asked per setting by default (each in both orders)."""
FOLLOWS_ALPHA = 0.05
"""A setting follows the gold when its agreement is above chance at this level."""


@dataclass(frozen=True)
class Setting:
    """One way to ask the judge: audit settings and the flags that give them."""

    name: str
    fields: dict[str, Any]
    """:class:`AuditConfig` fields this setting sets."""
    flags: tuple[str, ...]
    """The ``judgebias audit`` flags that give it (none for the defaults)."""


def check_settings() -> list[Setting]:
    """The settings ``check`` tries, the defaults first. A new kind of setting (a
    server-side constraint of the answer) is one more entry, present when the audit
    configuration has the field it sets."""
    settings = [
        Setting("verdict", {"mode": "verdict"}, ()),
        Setting("logprob", {"mode": "logprob"}, ("--mode", "logprob")),
        Setting("score", {"mode": "score"}, ("--mode", "score")),
    ]
    known = {f.name for f in dataclasses.fields(AuditConfig)}
    if "constrain" in known:
        for c in (k for k in constraint_kinds() if k not in ("auto", "none")):
            settings.insert(
                len(settings) - 2,
                Setting(f"verdict, constrain {c}", {"constrain": c}, ("--constrain", c)),
            )
    return settings


@dataclass
class SettingResult:
    """What one setting's calls showed."""

    setting: str
    flags: list[str]
    n: int = 0
    readable: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    latency_median_s: float | None = None
    latency_max_s: float | None = None
    prompt_tokens: float | None = None
    completion_tokens: float | None = None
    verdicts: dict[str, int] = field(default_factory=dict)
    verdicts_vary: bool = False
    gold_n: int = 0
    gold_agreement: float | None = None
    gold_p_value: float | None = None
    follows_gold: bool = False
    passed: bool = False
    note: str | None = None
    """Why the setting could not be tried (it does not apply to this judge, or the
    endpoint enforces none of the constraint's forms)."""
    dialect: str | None = None
    """A constraint's request fields the endpoint enforced (``openai``, ``llamacpp``, ...)."""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class CheckReport:
    judge: str
    n_pairs: int
    threshold: float
    settings: list[SettingResult]
    recommended: SettingResult | None

    @property
    def exit_code(self) -> int:
        """0 when some setting reads at least :data:`READABLE` of its answers, else 3."""
        return 0 if self.recommended is not None else 3

    def as_dict(self) -> dict[str, Any]:
        rec = self.recommended
        return {
            "judge": self.judge,
            "n_pairs": self.n_pairs,
            "threshold": self.threshold,
            "settings": [s.as_dict() for s in self.settings],
            "recommended": None
            if rec is None
            else {"setting": rec.setting, "flags": rec.flags, "command_flags": " ".join(rec.flags)},
            "exit_code": self.exit_code,
        }


def _mean(values: pd.Series) -> float | None:
    v = pd.to_numeric(values, errors="coerce").dropna()
    return float(v.mean()) if len(v) else None


def _summarise(result: SettingResult, records: pd.DataFrame) -> None:
    from scipy.stats import binomtest

    result.n = len(records)
    valid = records[records["valid"].astype(bool)]
    result.readable = len(valid) / len(records) if len(records) else 0.0
    result.reasons = {
        str(k): int(v) for k, v in records["invalid_reason"].dropna().value_counts().items()
    }
    result.errors = sorted({str(e) for e in records["error"].dropna()})[:3]
    latency = pd.to_numeric(records["latency_s"], errors="coerce").dropna()
    if len(latency):
        result.latency_median_s = float(latency.median())
        result.latency_max_s = float(latency.max())
    result.prompt_tokens = _mean(records["prompt_tokens"])
    result.completion_tokens = _mean(records["completion_tokens"])
    # in positions shown: a judge that names the first answer every time does not vary
    result.verdicts = {str(k): int(v) for k, v in valid["verdict_position"].value_counts().items()}
    result.verdicts_vary = len(result.verdicts) > 1
    graded = valid[valid["gold"].isin(["a", "b"])]
    result.gold_n = len(graded)
    if len(graded):
        agree = int((graded["verdict"] == graded["gold"]).sum())
        result.gold_agreement = agree / len(graded)
        result.gold_p_value = float(binomtest(agree, len(graded), 0.5, "greater").pvalue)
        result.follows_gold = result.gold_p_value < FOLLOWS_ALPHA
    result.passed = result.readable >= READABLE


async def _try(
    base: AuditConfig, setting: Setting, judge: Judge, pairs: list[Pair], store: Store
) -> SettingResult:
    result = SettingResult(setting.name, list(setting.flags))
    cfg = dataclasses.replace(base, **setting.fields)
    try:
        check_options(judge.model, cfg.mode, cfg.reasoning_effort, cfg.max_tokens)
        template = resolve_template(cfg.template)
        # the audit's own settings: a constraint is resolved against the endpoint (a probe
        # request per form tried) and refused when none of its forms is enforced
        settings = await audit_generation(cfg, judge, reasoning_first=template.reasoning_first)
    except JudgebiasError as exc:
        if base.template is not None and "template" in str(exc):
            raise
        result.note = str(exc)
        return result
    if settings.constraint is not None:
        result.dialect = settings.constraint.dialect
    calls = build_calls([control_variant(p) for p in pairs], template, settings)
    await run_requests([c.request for c in calls], judge, store, runner_config(cfg), setting.name)
    reader = answer_reader(template, cfg.mode).with_constraint(settings.answer_form())
    records = build_records(calls, store, pairs, cfg.mode, reader=reader)
    _summarise(result, records)
    return result


def _rank(results: list[SettingResult]) -> SettingResult | None:
    passing = [(i, r) for i, r in enumerate(results) if r.passed]
    if not passing:
        return None
    return max(
        passing,
        key=lambda ir: (ir[1].follows_gold, ir[1].verdicts_vary, round(ir[1].readable, 2), -ir[0]),
    )[1]


async def run_check(
    cfg: AuditConfig, n_pairs: int = CHECK_PAIRS, settings: list[Setting] | None = None
) -> CheckReport:
    """Try every setting on ``n_pairs`` pairs of ``cfg.data`` (the bundled pairs by default).

    Answers go to the store in ``cfg.out`` when it is set (a re-run asks nothing again),
    else to a temporary folder."""
    data = cfg.data or str(bundled_pairs_path())
    pairs = load_pairs(data, mapping=cfg.mapping or None, limit=n_pairs)
    options = JudgeOptions(base_urls=cfg.base_urls, timeout=cfg.timeout)
    judge = make_judge(cfg.judge, options)
    results: list[SettingResult] = []
    with tempfile.TemporaryDirectory(prefix="judgebias-check-") as tmp:
        folder = Path(cfg.out) if cfg.out else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            with Store(folder / "check.sqlite") as store:
                for setting in settings or check_settings():
                    results.append(await _try(cfg, setting, judge, pairs, store))
        finally:
            await judge.aclose()
    return CheckReport(judge.spec, len(pairs), READABLE, results, _rank(results))


def reason_words(reason: str) -> str:
    """A reason in plain words (for the console)."""
    return REASONS.get(reason, reason)
