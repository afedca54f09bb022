"""judgebias: measure, test and correct the biases of LLM judges.

The notebook API (every name is imported on first use, so ``import judgebias`` is
fast)::

    import judgebias as jb
    res = jb.audit("sim:position=0.3", probes="position,length", out="runs/sim")
    res                           # in Jupyter: the scorecard
    res.summary                   # DataFrame, one row per probe; res.records: one per call
    res.plot(); res.to_html()     # forest plot (matplotlib), the full HTML report
    res = jb.load_run("runs/sim") # the same object from a stored run, no judge call
    pairs = jb.load_pairs("my_pairs.jsonl")                # list[Pair]
    lc = jb.lc_winrate(jb.load_lc_table("annotations.json.gz"))
    jb.position_stats(df, first="winner_noswap", second="winner_swap", gold="label")
    an = jb.analyze(df, first="winner_noswap", second="winner_swap", gold="label",
                    group="judge")  # recorded verdicts, as `judgebias analyze`
    an.table, an.summary          # one row per group; the content of summary.json
    fixed, account = jb.debias(df, "swap", first="winner_noswap", second="winner_swap")
    ag = jb.agreement(df, judge="gpt", human=["h1", "h2", "h3"])  # agreement with humans
    ag.summary["agreement"]["with_ties"], ag.summary["alt_test"]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "audit": "judgebias.api:audit",
    "load_run": "judgebias.audits.result:load_run",
    "AuditResult": "judgebias.audits.result:AuditResult",
    "AuditConfig": "judgebias.audits.pipeline:AuditConfig",
    "AuditOutcome": "judgebias.audits.pipeline:AuditOutcome",
    "load_pairs": "judgebias.tables.pairs:load_pairs",
    "read_table": "judgebias.tables.pairs:read_table",
    "Pair": "judgebias.types:Pair",
    "position_stats": "judgebias.stats.position:position_stats",
    "perturbation_stats": "judgebias.stats.perturbation:perturbation_stats",
    "lc_winrate": "judgebias.stats.lc:lc_winrate",
    "load_lc_table": "judgebias.stats.lc:load_lc_table",
    "dbg": "judgebias.stats.dbg:dbg",
    "preference_from_orders": "judgebias.stats.dbg:preference_from_orders",
    "factor_attribution": "judgebias.stats.factors:factor_attribution",
    "plan_sample_size": "judgebias.stats.power:plan_sample_size",
    "make_judge": "judgebias.judges.base:make_judge",
    "debias": "judgebias.corrections.debias:debias",
    "analyze": "judgebias.analysis:analyze",
    "compare_runs": "judgebias.report.compare:compare_runs",
    "JudgebiasError": "judgebias.errors:JudgebiasError",
    "agreement": "judgebias.humans.agree:agreement",
    "corrected_win_rate": "judgebias.stats.correction:corrected_win_rate",
    "calibration": "judgebias.stats.calibration:calibration",
}

__all__ = [
    "AuditConfig",
    "AuditOutcome",
    "AuditResult",
    "JudgebiasError",
    "Pair",
    "__version__",
    "agreement",
    "analyze",
    "audit",
    "calibration",
    "compare_runs",
    "corrected_win_rate",
    "dbg",
    "debias",
    "factor_attribution",
    "lc_winrate",
    "load_lc_table",
    "load_pairs",
    "load_run",
    "make_judge",
    "perturbation_stats",
    "plan_sample_size",
    "position_stats",
    "preference_from_orders",
    "read_table",
]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'judgebias' has no attribute {name!r}")
    module, _, attr = target.partition(":")
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover
    from judgebias.analysis import analyze
    from judgebias.api import audit
    from judgebias.audits.pipeline import AuditConfig, AuditOutcome
    from judgebias.audits.result import AuditResult, load_run
    from judgebias.corrections.debias import debias
    from judgebias.errors import JudgebiasError
    from judgebias.humans.agree import agreement
    from judgebias.judges.base import make_judge
    from judgebias.report.compare import compare_runs
    from judgebias.stats.calibration import calibration
    from judgebias.stats.correction import corrected_win_rate
    from judgebias.stats.dbg import dbg, preference_from_orders
    from judgebias.stats.factors import factor_attribution
    from judgebias.stats.lc import lc_winrate, load_lc_table
    from judgebias.stats.perturbation import perturbation_stats
    from judgebias.stats.position import position_stats
    from judgebias.stats.power import plan_sample_size
    from judgebias.tables.pairs import load_pairs, read_table
    from judgebias.types import Pair
