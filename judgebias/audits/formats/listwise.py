"""Listwise position bias (``judgebias audit --candidates 3|4``; CALM's multi-candidate
position bias).

Every item has ``k`` candidate responses (fields ``response_a`` ... ``response_d``;
optional ``gold``, the letter of the best one). The judge sees all ``k`` in one prompt
and names the best; every item is asked in each row of a balanced Latin square of
presentation orders (Williams' design: ``k`` orders for even ``k``, ``2k`` for odd
``k``), so each candidate is shown in each position equally often and, for even
``k``, follows each other candidate equally often. The figures are in
:mod:`judgebias.stats.listwise`.

The calls go through the audit's session (:mod:`judgebias.audits.session`): the same
runner, store, cache, retries and cost cap as every other audit; the run folder has the
same files. The prompt itself is :mod:`judgebias.prompts.listwise`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from judgebias.audits.calls import answer_columns
from judgebias.audits.formats.base import FormatRun, Roles
from judgebias.audits.settings import plain_generation
from judgebias.engine.runner import RunnerConfig, estimate_tokens, price
from judgebias.errors import InputError, UsageError
from judgebias.judges.generation import GenerationSettings
from judgebias.prompts.answers import AnswerReader
from judgebias.prompts.answers_formats import FORMAT_ADVICE, FORMAT_REASONS, LETTERS, read_choice
from judgebias.prompts.listwise import ListTemplate, list_reader, list_template, render_list
from judgebias.stats.clustering import CLUSTER_COLUMN
from judgebias.stats.informative import listwise_position_informative, run_informative
from judgebias.stats.listwise import listwise_position_stats
from judgebias.stats.validity import fail_closed, run_invalid, severity
from judgebias.types import ChatRequest

if TYPE_CHECKING:
    from judgebias.audits.config import AuditConfig
    from judgebias.audits.session import AuditSession

__all__ = [
    "CANDIDATES",
    "ListItem",
    "Listwise",
    "list_records",
    "list_requests",
    "load_lists",
    "williams_orders",
]

CANDIDATES = (3, 4)


@dataclass(frozen=True)
class ListItem:
    id: str
    instruction: str
    candidates: tuple[str, ...]
    gold: int | None = None
    """Index of the best candidate, when the data say."""


def williams_orders(k: int) -> list[tuple[int, ...]]:
    """A balanced Latin square: presentation orders (candidate indices by shown position).

    Each candidate appears in each position equally often; for even ``k`` the ``k``
    rows are Williams' square (each candidate also follows every other exactly once),
    for odd ``k`` the ``k`` rows and their reverses (``2k`` rows).
    """
    if k < 2:
        raise ValueError("k must be at least 2")
    first = [0]
    lo, hi = 1, k - 1
    while len(first) < k:
        if len(first) % 2:
            first.append(lo)
            lo += 1
        else:
            first.append(hi)
            hi -= 1
    rows = [tuple((x + r) % k for x in first) for r in range(k)]
    if k % 2:
        rows += [tuple(reversed(r)) for r in rows]
    return rows


def load_lists(path: str, k: int, mapping: dict[str, str] | None = None) -> list[ListItem]:
    """Items with ``k`` candidates from a JSONL/CSV/Parquet file (see the module docstring)."""
    from judgebias.tables.pairs import read_table

    df = read_table(path, mapping)
    fields = ["id", "instruction", *(f"response_{c}" for c in "abcd"[:k])]
    missing = [f for f in fields if f not in df.columns]
    if missing:
        raise InputError(
            path,
            f"--candidates {k} needs the columns {', '.join(fields)}; missing "
            f"{', '.join(missing)} (rename with --map new=old)",
        )
    items: list[ListItem] = []
    seen: set[str] = set()
    for i, row in enumerate(df.to_dict("records"), 1):
        where = f"record {i}"
        texts = []
        for f in fields:
            v = row.get(f)
            if f == "id" and isinstance(v, int | float) and v == v and float(v).is_integer():
                v = str(int(v))
            if not isinstance(v, str) or not v.strip():
                raise InputError(path, f"{where}: field '{f}' must be a non-empty string")
            texts.append(v)
        if texts[0] in seen:
            raise InputError(path, f"{where}: duplicate id {texts[0]!r}; ids must be unique")
        seen.add(texts[0])
        gold = row.get("gold")
        gold_ix: int | None = None
        if isinstance(gold, str) and gold.strip():
            g = gold.strip().lower()
            if len(g) != 1 or g not in "abcd"[:k]:
                raise InputError(
                    path, f"{where}: gold {gold!r} is not one of {', '.join('abcd'[:k])}"
                )
            gold_ix = "abcd".index(g)
        items.append(ListItem(texts[0], texts[1], tuple(texts[2:]), gold_ix))
    if not items:
        raise InputError(path, "no records; nothing to read")
    return items


def list_requests(
    items: list[ListItem], t: ListTemplate, settings: GenerationSettings, k: int
) -> list[tuple[ListItem, int, tuple[int, ...], ChatRequest]]:
    """Every order of every item as a request (``settings``: the judge's resolved budget,
    effort and constraint, the answer one of the ``k`` letters)."""
    out = []
    for item in items:
        for r, order in enumerate(williams_orders(k)):
            msgs = render_list(t, item.instruction, [item.candidates[i] for i in order])
            out.append((item, r, order, settings.request(msgs, tuple(LETTERS[:k]))))
    return out


def list_records(
    calls: list[tuple[ListItem, int, tuple[int, ...], ChatRequest]],
    store: Any,
    k: int,
    reader: AnswerReader | None = None,
) -> pd.DataFrame:
    """One row per listwise call: the shown position (1..k) and candidate chosen, or why
    the answer could not be read (``invalid_reason``, strict: nothing is guessed)."""
    stored = store.get_many(req.key() for *_, req in calls)
    rows: list[dict[str, Any]] = []
    for item, r, order, req in calls:
        s = stored.get(req.key())
        comp = s.completion if s is not None and s.status == "ok" else None
        reading = read_choice(comp, k, reader)
        ix = reading.index
        rows.append(
            {
                "pair_id": item.id,
                "probe": "position",
                "kind": "list",
                "variant": f"r{r}",
                "order": "".join("abcd"[i] for i in order),
                "first_shown": "abcd"[order[0]],
                "shown": None if ix is None else ix + 1,
                "verdict": None if ix is None else "abcd"[order[ix]],
                "valid": ix is not None,
                "invalid_reason": reading.reason,
                "gold": None if item.gold is None else "abcd"[item.gold],
                **answer_columns(s, req.key()),
            }
        )
    df = pd.DataFrame(rows)
    df["shown"] = df["shown"].astype("Int64")
    return df


_ORDINAL = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


def _candidates(cfg: AuditConfig) -> int:
    return cfg.candidates or 0


class Listwise:
    """Several answers per prompt, the judge names the best (``--candidates 3|4``)."""

    name = "list"
    report_section = "list"

    def check(self, cfg: AuditConfig) -> None:
        """The flags a listwise audit accepts."""
        k = _candidates(cfg)
        if k not in CANDIDATES:
            raise UsageError(f"--candidates: {k} is not one of 3, 4")
        wanted = [p.strip() for p in cfg.probes if p.strip()]
        if wanted not in (["position"], ["all"]) or cfg.probe_files:
            raise UsageError(
                "--candidates: only the position probe is measured listwise; use --probes position"
            )
        if cfg.mitigations or cfg.mode != "verdict" or cfg.gold_judge:
            raise UsageError(
                "--candidates: works with --mode verdict, no --mitigation, no --gold-judge"
            )
        if not cfg.data:
            raise UsageError(
                f"--candidates {k}: needs --data with the fields response_a ... "
                f"response_{'abcd'[k - 1]}"
            )

    def roles(self, cfg: AuditConfig) -> Roles:
        return Roles(mode="verdict", labels=tuple(LETTERS[: _candidates(cfg)]))

    def plan(self, cfg: AuditConfig) -> dict[str, Any]:
        """The calls of a listwise audit are known exactly."""
        k = _candidates(cfg)
        assert cfg.data is not None
        items = load_lists(cfg.data, k, cfg.mapping or None)[: cfg.limit or None]
        calls = list_requests(items, list_template(cfg.template), plain_generation("model"), k)
        pt = sum(estimate_tokens(c[3])[0] for c in calls)
        ct = sum(estimate_tokens(c[3])[1] for c in calls)
        cost = price(RunnerConfig(price_in=cfg.price_in, price_out=cfg.price_out), pt, ct)
        return {
            "judge": cfg.judge,
            "n_pairs": len(items),
            "probes": ["position"],
            "calls": {
                "controls": len(calls),
                "probes_at_most": 0,
                "self_at_most": 0,
                "total_at_most": len(calls),
                "cached_controls": 0,
            },
            "tokens_estimate": {"prompt": pt, "completion_at_most": ct},
            "cost_usd_at_most": cost,
        }

    async def run(self, session: AuditSession) -> FormatRun:
        """Every item in every order of the Latin square, then the figures."""
        cfg = session.cfg
        k = _candidates(cfg)
        assert cfg.data is not None
        items = load_lists(cfg.data, k, cfg.mapping or None)[: cfg.limit or None]
        template = list_template(cfg.template)
        settings = session.settings
        calls = list_requests(items, template, settings, k)
        await session.ask([c[3] for c in calls], "listwise")
        reader = list_reader(template, k).with_constraint(settings.answer_form())
        records = list_records(calls, session.store, k, reader)
        # the lists of one instruction are one cluster (an instruction's lists share what
        # favours a position as much as one list's rotations do)
        records = records.assign(
            **{CLUSTER_COLUMN: records["pair_id"].map({it.id: it.instruction for it in items})}
        )
        fig = listwise_position_stats(records, k)
        # the units are items: an item with no complete rotation read is an invalid unit
        fail_closed(fig, int(fig.get("n") or 0), int(fig.get("n_invalid") or 0))
        if fig["status"] == "not_measured":  # too few usable items: no figure at all
            for key in ("primacy", "recency", "chi2", "chi2_f", "chi2_p", "consistency"):
                fig[key] = math.nan
            fig["shares"] = [
                {**sh, "share": math.nan, "ci_low": math.nan, "ci_high": math.nan}
                for sh in fig["shares"]
            ]
        listwise_position_informative(fig, records["shown"], k)
        # one probe: nothing to adjust across (and no family at all when it is uninformative)
        fig["p_adjusted"] = fig["p_value"] if fig["status"] == "measured" else math.nan
        fig["severity"] = severity(
            fig["effect"],
            fig["p_adjusted"],
            status=fig["status"],
            invalid_share=fig["invalid_share"],
            max_invalid=cfg.max_invalid,
        )
        core: dict[str, Any] = {
            "n_pairs": len(items),
            "candidates": k,
            "accuracy": fig.pop("accuracy"),
            "accuracy_ci": [fig.pop("accuracy_ci_low"), fig.pop("accuracy_ci_high")],
            "probes": {"position": fig},
            "invalid": run_invalid(
                records, cfg.max_invalid, meanings=FORMAT_REASONS, advice_for=FORMAT_ADVICE
            ),
        }
        # a judge that always picks one shown position: position says so, the block too
        shown = {j: f"chose the response shown {_ORDINAL[j - 1]}" for j in range(1, k + 1)}
        shown[k] = "chose the response shown last"
        core["informative"] = run_informative(
            records["shown"].dropna().astype(int),
            (core["accuracy"], *core["accuracy_ci"]),
            core["probes"],
            consequence="so only the position figure can show a bias",
            chance=1 / k,
            phrase=shown,
        )
        run_info: dict[str, Any] = {
            "data": cfg.data,
            "template": cfg.template or "bundled:" + template.name,
            "format": "list",
            "candidates": k,
            "orders": ["".join("abcd"[i] for i in o) for o in williams_orders(k)],
            "probes": ["position"],
        }
        pairs_frame = pd.DataFrame(
            {
                "id": [i.id for i in items],
                "instruction": [i.instruction for i in items],
                **{
                    f"response_{c}": [i.candidates[j] for i in items]
                    for j, c in enumerate("abcd"[:k])
                },
                "gold": [None if i.gold is None else "abcd"[i.gold] for i in items],
            }
        )
        return FormatRun(records=records, pairs_frame=pairs_frame, summary=core, run=run_info)
