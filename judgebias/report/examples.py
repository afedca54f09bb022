"""Examples for the report: verdicts that moved, with the exact prompts and raw answers.

Model text (pairs, prompts, the judge's answers) is hostile until escaped. Every
piece of it leaves this module either as a plain ``str`` (the template's
autoescaping escapes it) or as :class:`markupsafe.Markup` built by
:func:`highlight`, which escapes the text *first* and only then wraps the
highlighted spans in ``<mark>``. Nothing here ever marks raw model text as safe.

The perturbed prompt is read from the run's store (``store.sqlite``), so the
example shows exactly what the judge was sent. The inserted text is found by
comparing it with the control prompt of the same pair in the same order: what
the perturbed prompt has and the control lacks is what the probe inserted.
"""

from __future__ import annotations

import difflib
import math
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from judgebias.report.runs import Run, stored_messages
from judgebias.stats.perturbation import perturbation_units
from judgebias.vocabulary import CREDIT

__all__ = [
    "diff_spans",
    "highlight",
    "position_examples",
    "probe_examples",
    "self_controlled_examples",
    "self_examples",
    "shown_letter",
]

TEXT_LIMIT = 6000
"""Characters of one prompt, response or raw answer shown in an example."""
RAW_LIMIT = 3000


def clip(text: Any, limit: int = TEXT_LIMIT) -> str | None:
    """Text cut to ``limit`` characters with a note of how much was left out; None stays None."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    s = str(text)
    if len(s) <= limit:
        return s
    return s[:limit] + f"\n… ({len(s) - limit} more characters)"


def diff_spans(before: str, after: str) -> list[tuple[int, int]]:
    """Character spans of ``after`` that ``before`` does not have (insertions and replacements)."""
    if before == after:
        return []
    # the shared head and tail are cut off first, so the diff itself stays small
    head = 0
    limit = min(len(before), len(after))
    while head < limit and before[head] == after[head]:
        head += 1
    tail = 0
    while tail < limit - head and before[len(before) - 1 - tail] == after[len(after) - 1 - tail]:
        tail += 1
    b_mid = before[head : len(before) - tail]
    a_mid = after[head : len(after) - tail]
    if not b_mid:
        return [(head, head + len(a_mid))] if a_mid else []
    spans: list[tuple[int, int]] = []
    sm = difflib.SequenceMatcher(None, b_mid, a_mid, autojunk=False)
    for op, _i1, _i2, j1, j2 in sm.get_opcodes():
        if op in ("insert", "replace") and j2 > j1:
            start, end = head + j1, head + j2
            if spans and spans[-1][1] == start:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
    return spans


def highlight(
    text: str, spans: list[tuple[int, int]], limit: int = TEXT_LIMIT, start: int = 0
) -> Markup:
    """``text[start:]`` escaped, with ``spans`` (positions in ``text``) wrapped in ``<mark>``.

    Each piece is escaped before any tag is added; the tags are the only markup.
    """
    end = min(len(text), start + limit)
    out: list[str] = []
    pos = start
    for s, e in sorted(spans):
        s, e = max(s, pos), min(e, end)
        if s >= e:
            continue
        out.append(str(escape(text[pos:s])))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    out.append(str(escape(text[pos:end])))
    if end < len(text):
        out.append(str(escape(f"\n… ({len(text) - end} more characters)")))
    return Markup("".join(out))


def _preamble_end(control: str, cue: str, instruction: str | None) -> int:
    """Where the shown prompt starts: the template text before the instruction is skipped."""
    if not instruction:
        return 0
    at = control.find(instruction)
    if at <= 0 or cue.find(instruction) != at or control[:at] != cue[:at]:
        return 0
    cut = control.rfind("\n\n", 0, at)
    return cut + 2 if cut >= 0 else 0


def shown_letter(label: Any, order: Any) -> str:
    """A pair label (a/b/tie) as the judge saw it in this order: Response A, Response B or tie."""
    if label == "tie":
        return "tie"
    if label not in ("a", "b"):
        return "no valid verdict"
    first = "a" if order == "ab" else "b"
    return "Response A" if label == first else "Response B"


def _message(msgs: list[tuple[str, str]] | None, role: str) -> str | None:
    if not msgs:
        return None
    for r, content in msgs:
        if r == role:
            return content
    return None


def _pair_lookup(run: Run) -> dict[str, dict[str, Any]]:
    if run.pairs.empty or "id" not in run.pairs.columns:
        return {}
    return {str(r["id"]): {str(k): v for k, v in r.items()} for r in run.pairs.to_dict("records")}


def position_examples(run: Run, limit: int = 3) -> list[dict[str, Any]]:
    """Pairs whose control verdict changed when the order was swapped."""
    rec = run.records
    if rec.empty or "kind" not in rec.columns:
        return []
    ctrl = rec[rec["kind"] == "control"]
    wide = ctrl.pivot_table(index="pair_id", columns="order", values="verdict", aggfunc="first")
    if not {"ab", "ba"} <= set(wide.columns):
        return []
    flipped = wide[wide["ab"].notna() & wide["ba"].notna() & (wide["ab"] != wide["ba"])]
    raw = ctrl.set_index(["pair_id", "order"])["raw"].to_dict()
    pairs = _pair_lookup(run)
    out = []
    for pid in sorted(flipped.index, key=str)[:limit]:
        p = pairs.get(str(pid), {})
        out.append(
            {
                "id": str(pid),
                "instruction": clip(p.get("instruction")),
                "response_a": clip(p.get("response_a")),
                "response_b": clip(p.get("response_b")),
                "gold": p.get("gold") if isinstance(p.get("gold"), str) else None,
                "verdict_ab": flipped.loc[pid, "ab"],
                "verdict_ba": flipped.loc[pid, "ba"],
                "raw_ab": clip(raw.get((pid, "ab")), RAW_LIMIT),
                "raw_ba": clip(raw.get((pid, "ba")), RAW_LIMIT),
            }
        )
    return out


def _spread(units: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Up to ``limit`` units, taking the phrasings (variants) in turn so several are shown."""
    groups = [g for _, g in units.groupby("variant", sort=True)]
    picked: list[pd.Series] = []
    i = 0
    while len(picked) < limit and any(i < len(g) for g in groups):
        for g in groups:
            if i < len(g) and len(picked) < limit:
                picked.append(g.iloc[i])
        i += 1
    return pd.DataFrame(picked)


def _by_unit(rows: pd.DataFrame) -> dict[tuple[Any, Any], dict[str, Any]]:
    """Records keyed by (pair_id, order); the first row of each unit wins."""
    out: dict[tuple[Any, Any], dict[str, Any]] = {}
    for r in rows.to_dict("records"):
        out.setdefault((r["pair_id"], r["order"]), {str(k): v for k, v in r.items()})
    return out


def probe_examples(
    run: Run, probe: str, direction: str = "toward", limit: int = 3
) -> dict[str, Any]:
    """Units of a perturbation probe whose verdict moved with the cue, prompts side by side.

    Returns ``{"items": [...], "n_flipped": int, "n": int, "prompts_missing": bool}``.
    Units where the cue moved the verdict but the placebo did not come first.
    """
    rec = run.records
    empty: dict[str, Any] = {"items": [], "n_flipped": 0, "n": 0, "prompts_missing": False}
    if rec.empty or "probe" not in rec.columns or not (rec["probe"] == probe).any():
        return empty
    units = perturbation_units(rec, probe, direction)
    units = units[units["valid"]]
    moved = units[units["flip"]].copy()
    if moved.empty:
        return {**empty, "n": len(units)}
    moved["_rank"] = moved["placebo_flip"].astype(int)
    moved = moved.sort_values(["_rank", "pair_id", "order"], kind="stable")
    chosen = _spread(moved[moved["_rank"] == 0], limit)
    if len(chosen) < limit:
        chosen = pd.concat([chosen, _spread(moved[moved["_rank"] == 1], limit - len(chosen))])

    mine = rec[rec["probe"] == probe]
    cue_rows = _by_unit(mine[mine["kind"] == "cue"])
    plc_rows = _by_unit(mine[mine["kind"] == "placebo"])
    ctrl_rows = _by_unit(rec[rec["kind"] == "control"])
    wanted = []
    for u in chosen.itertuples(index=False):
        k = (u.pair_id, u.order)
        for table in (cue_rows, ctrl_rows):
            if k in table:
                wanted.append(str(table[k]["request_key"]))
    msgs = stored_messages(run.store_path, wanted)
    pairs = _pair_lookup(run)
    items = []
    for u in chosen.itertuples(index=False):
        k = (u.pair_id, u.order)
        cue_r, ctrl_r, plc_r = cue_rows.get(k), ctrl_rows.get(k), plc_rows.get(k)
        cue_m = msgs.get(str(cue_r["request_key"])) if cue_r is not None else None
        ctrl_m = msgs.get(str(ctrl_r["request_key"])) if ctrl_r is not None else None
        item: dict[str, Any] = {
            "id": str(u.pair_id),
            "order": u.order,
            "variant": str(u.variant),
            "placebo_variant": None if plc_r is None else str(plc_r["variant"]),
            "target": shown_letter(u.target, u.order),
            "control": shown_letter(u.control, u.order),
            "cue": shown_letter(u.cue, u.order),
            "placebo": shown_letter(u.placebo, u.order),
            "raw_control": clip(None if ctrl_r is None else ctrl_r["raw"], RAW_LIMIT),
            "raw_cue": clip(None if cue_r is None else cue_r["raw"], RAW_LIMIT),
            "user_control": None,
            "user_cue": None,
            "system_control": None,
            "system_cue": None,
        }
        if cue_m and ctrl_m:
            instruction = pairs.get(str(u.pair_id), {}).get("instruction")
            cu, ku = _message(ctrl_m, "user") or "", _message(cue_m, "user") or ""
            start = _preamble_end(cu, ku, instruction if isinstance(instruction, str) else None)
            item["user_control"] = highlight(cu, [], start=start)
            item["user_cue"] = highlight(ku, diff_spans(cu, ku), start=start)
            cs, ks = _message(ctrl_m, "system") or "", _message(cue_m, "system") or ""
            if cs != ks:
                item["system_control"] = highlight(cs, [])
                item["system_cue"] = highlight(ks, diff_spans(cs, ks))
        items.append(item)
    return {
        "items": items,
        "n_flipped": len(moved),
        "n": len(units),
        "prompts_missing": any(i["user_cue"] is None for i in items),
    }


def self_examples(run: Run, limit: int = 3) -> dict[str, Any]:
    """Comparisons where the judge preferred its own answer more than the gold judge did."""
    rec = run.records
    empty: dict[str, Any] = {"items": [], "n_flipped": 0, "n": 0, "prompts_missing": False}
    if rec.empty or "kind" not in rec.columns:
        return empty
    mine = rec[rec["kind"].isin(["self", "self-gold"])].copy()
    if mine.empty:
        return empty
    mine["own"] = mine["verdict"].map(CREDIT)
    pref = mine.pivot_table(
        index=["pair_id", "variant"], columns="kind", values="own", aggfunc="mean"
    )
    if not {"self", "self-gold"} <= set(pref.columns):
        return empty
    pref = pref.dropna()
    favoured = pref[pref["self"] > pref["self-gold"]].sort_index()
    chosen: list[tuple[Any, Any]] = [(k[0], k[1]) for k in favoured.index[:limit]]
    rows: Any = mine.drop_duplicates(["pair_id", "variant", "kind", "order"]).set_index(
        ["pair_id", "variant", "kind", "order"]
    )
    keys = [
        str(rows.loc[(p, v, "self", "ab"), "request_key"])
        for p, v in chosen
        if (p, v, "self", "ab") in rows.index
    ]
    msgs = stored_messages(run.store_path, keys)
    items = []
    for p, v in chosen:

        def raw(kind: str, order: str, p: Any = p, v: Any = v) -> str | None:
            k = (p, v, kind, order)
            return clip(rows.loc[k, "raw"], RAW_LIMIT) if k in rows.index else None

        k_ab = (p, v, "self", "ab")
        m = msgs.get(str(rows.loc[k_ab, "request_key"])) if k_ab in rows.index else None
        user = _message(m, "user")
        items.append(
            {
                "id": str(p),
                "variant": str(v),
                "judge_pref": float(favoured.loc[(p, v), "self"]),
                "gold_pref": float(favoured.loc[(p, v), "self-gold"]),
                "user": None if user is None else highlight(user, []),
                "raw_ab": raw("self", "ab"),
                "raw_ba": raw("self", "ba"),
                "gold_ab": raw("self-gold", "ab"),
                "gold_ba": raw("self-gold", "ba"),
            }
        )
    return {
        "items": items,
        "n_flipped": len(favoured),
        "n": len(pref),
        "prompts_missing": any(i["user"] is None for i in items),
    }


def self_controlled_examples(run: Run, limit: int = 3) -> dict[str, Any]:
    """Units where the judge's own answer fared better in its own words than paraphrased,
    the two prompts side by side (units whose placebo did not move come first)."""
    from judgebias.stats.selfpref import CONTROLLED_COLUMNS, controlled_units

    rec = run.records
    empty: dict[str, Any] = {"items": [], "n_flipped": 0, "n": 0, "prompts_missing": False}
    if rec.empty or "kind" not in rec.columns:
        return empty
    units = controlled_units(rec).dropna(subset=list(CONTROLLED_COLUMNS))
    moved = units[units["own"] > units["own_para"]].copy()
    if moved.empty:
        return {**empty, "n": len(units)}
    moved["placebo_moved"] = (moved["other"] > moved["other_para"]).astype(int)
    moved = moved.sort_values(["placebo_moved", "pair_id", "variant", "order"], kind="stable")
    chosen = _spread(moved, limit)
    mine = rec[rec["probe"] == "self"].drop_duplicates(["pair_id", "variant", "kind", "order"])
    rows: Any = mine.set_index(["pair_id", "variant", "kind", "order"])

    def row(u: Any, kind: str) -> Any:
        k = (u.pair_id, u.variant, kind, u.order)
        return rows.loc[k] if k in rows.index else None

    wanted = [
        str(r["request_key"])
        for u in chosen.itertuples(index=False)
        for r in (row(u, "self"), row(u, "self-paraphrased"))
        if r is not None
    ]
    msgs = stored_messages(run.store_path, wanted)
    items = []
    for u in chosen.itertuples(index=False):
        own_r, para_r = row(u, "self"), row(u, "self-paraphrased")
        own_m = msgs.get(str(own_r["request_key"])) if own_r is not None else None
        para_m = msgs.get(str(para_r["request_key"])) if para_r is not None else None
        pu, ou = _message(para_m, "user"), _message(own_m, "user")
        items.append(
            {
                "id": str(u.pair_id),
                "variant": str(u.variant),
                "order": u.order,
                "own": shown_letter(None if own_r is None else own_r["verdict"], u.order),
                "paraphrased": shown_letter(None if para_r is None else para_r["verdict"], u.order),
                "placebo_moved": bool(u.placebo_moved),
                "user_para": None if pu is None else highlight(pu, []),
                "user_own": None if ou is None or pu is None else highlight(ou, diff_spans(pu, ou)),
                "raw_para": clip(None if para_r is None else para_r["raw"], RAW_LIMIT),
                "raw_own": clip(None if own_r is None else own_r["raw"], RAW_LIMIT),
            }
        )
    return {
        "items": items,
        "n_flipped": len(moved),
        "n": len(units),
        "prompts_missing": any(i["user_own"] is None for i in items),
    }
