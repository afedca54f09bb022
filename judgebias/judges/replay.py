"""``replay:FILE[,key=value,...]``: a judge that answers from verdicts recorded earlier.

It lets ``judgebias audit`` run its position probe on verdicts a real judge
already gave (``judgebias analyze`` tables), with no new call: for each request
it reads (instruction, first-shown, second-shown) out of the prompt
(:func:`judgebias.prompts.templates.extract_pair`), finds the recorded pair by its texts in
either order, and answers ``[[A]]``, ``[[B]]`` or ``[[C]]`` (tie) for the verdict
recorded *for that order*, mapped to positions. A recorded verdict that was
unparseable is replayed as an unparseable answer. A request it has no record
for (another pair, or a probe that edited the texts) raises
:class:`NoRecordError` (not retried), so the audit reports the call as failed:
nothing is invented.

Spec syntax: the file comes first, then comma-separated ``key=value`` items.
The keys mean what the ``judgebias analyze`` flags of the same name mean:

* ``first``, ``second``: wide layout verdict columns (``COL1|COL2`` = the first
  non-empty of them);
* ``order``, ``verdict``, ``pair``, ``order_values``: long layout;
* ``items``: a table of the pairs' texts, joined on ``on`` (default: the shared
  columns); ``texts``: its two answer columns; without ``items`` the table itself
  must hold the texts (``response_a``/``response_b``, ``output_1``/``output_2`` ...);
  the instruction column is found by name (``instruction``, ``input``, ``prompt``,
  ``question``) and, when present, must match too;
* ``gold``, ``lengths``: accepted and ignored (the audit takes gold from ``--data``);
* any other ``COLUMN=VALUE``: keep only the rows of FILE with that value, e.g.
  ``judge=GPT-4,strategy=Vanilla`` (options win over columns of the same name).

Lists inside the spec are joined with ``+`` (``on=subset+idx``); a path or value
cannot contain a comma. Example::

    judgebias audit --probes position --data llmbar_natural.jsonl --judge \\
      "replay:judgments.csv.gz,first=winner_noswap,second=winner_swap,items=items.jsonl.gz,judge=GPT-4,strategy=Vanilla,subset=LLMBar/Natural"

If two recorded pairs have the same texts but different verdicts (the same pair
judged under several judges or strategies), the spec is refused: add filters.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from judgebias.errors import NoRecordError, SpecError
from judgebias.judges.base import JudgeOptions
from judgebias.prompts.answers import VERDICT_LABELS, VERDICT_TAGS, Position
from judgebias.prompts.templates import PAIR_MARKERS, extract_pair
from judgebias.registry import did_you_mean
from judgebias.tables.pairs import read_table
from judgebias.tables.verdicts import (
    FIRST,
    INSTRUCTION,
    SECOND,
    TEXT_A,
    TEXT_B,
    VerdictColumns,
    prepare,
)
from judgebias.types import ChatRequest, Completion, Label

__all__ = ["NoRecordError", "ReplayJudge", "ReplaySpec", "parse_replay_spec"]

OPTION_KEYS = (
    "first",
    "second",
    "gold",
    "items",
    "on",
    "texts",
    "lengths",
    "order",
    "verdict",
    "pair",
    "order_values",
)


@dataclass(frozen=True)
class ReplaySpec:
    file: str
    options: dict[str, str]
    filters: dict[str, str]


def parse_replay_spec(rest: str) -> ReplaySpec:
    """Split ``FILE[,key=value,...]`` into the file, the options and the row filters.

    Whether a non-option key names a column is checked later, against the file.
    """
    parts = [p.strip() for p in rest.split(",")]
    if not parts or not parts[0]:
        raise SpecError(
            "--judge: replay needs a file: replay:FILE[,first=COL,second=COL,items=FILE,...]"
        )
    if "=" in parts[0] and not Path(parts[0]).exists():
        raise SpecError(f"--judge: replay spec must start with the file, not {parts[0]!r}")
    options: dict[str, str] = {}
    filters: dict[str, str] = {}
    for item in parts[1:]:
        if not item:
            continue
        key, eq, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not eq or not key:
            raise SpecError(f"--judge: replay option {item!r} is not of the form key=value")
        target = options if key in OPTION_KEYS else filters
        if key in target:
            raise SpecError(f"--judge: replay option {key}= given twice")
        target[key] = value
    return ReplaySpec(file=parts[0], options=options, filters=filters)


def _norm(text: object) -> str:
    return str(text).strip()


class ReplayJudge:
    """Answers pairwise requests from a table of recorded verdicts (see the module docstring)."""

    def __init__(self, rest: str, options: JudgeOptions):
        spec = parse_replay_spec(rest)
        self.file = spec.file
        self.spec = "replay:" + rest
        table = read_table(spec.file)
        for key in spec.filters:
            if key not in table.columns:
                names = [*OPTION_KEYS, *map(str, table.columns)]
                hint = did_you_mean(key, names)
                raise SpecError(
                    f"--judge: replay key '{key}' is neither an option ({', '.join(OPTION_KEYS)}) "
                    f"nor a column of {spec.file}{hint}"
                )
        o = spec.options
        items_path = o.get("items")
        items = read_table(items_path) if items_path else None
        columns = VerdictColumns(
            first=o.get("first"),
            second=o.get("second"),
            gold=o.get("gold"),
            on=o.get("on"),
            texts=o.get("texts"),
            lengths=o.get("lengths"),
            order=o.get("order"),
            verdict=o.get("verdict"),
            pair=o.get("pair"),
            order_values=o.get("order_values"),
            where=spec.filters or None,
        )
        prep = prepare(
            table,
            columns,
            items=items,
            source=spec.file,
            items_source=items_path or "<items>",
            flag_style=lambda n: f"replay option {n}=",
            list_sep="+",
        )
        frame = prep.frame
        if TEXT_A not in frame.columns:
            raise SpecError(
                f"--judge: replay needs the answer texts to recognise requests; {spec.file} has "
                "none: add items=FILE (the pairs' texts) or use a table with response_a/response_b"
            )
        self._use_instruction = INSTRUCTION in frame.columns and bool(
            frame[INSTRUCTION].notna().all()
        )
        self._records = self._index(frame)
        digest = hashlib.blake2b(digest_size=6)
        digest.update(Path(spec.file).read_bytes())
        if items_path:
            digest.update(Path(items_path).read_bytes())
        digest.update(repr(sorted({**spec.options, **spec.filters}.items())).encode())
        self.model = f"replay-{digest.hexdigest()}"

    def _index(
        self, frame: pd.DataFrame
    ) -> dict[tuple[str, str, str], tuple[Label | None, Label | None]]:
        frame = frame[frame[TEXT_A].notna() & frame[TEXT_B].notna()]
        out: dict[tuple[str, str, str], tuple[Label | None, Label | None]] = {}
        where: dict[tuple[str, str, str], int] = {}
        conflicts: list[tuple[int, int]] = []
        instr = frame[INSTRUCTION] if self._use_instruction else pd.Series("", index=frame.index)
        for pos, (i, a, b, f, s) in enumerate(
            zip(instr, frame[TEXT_A], frame[TEXT_B], frame[FIRST], frame[SECOND], strict=True)
        ):
            key = (_norm(i), _norm(a), _norm(b))
            value = (f, s)
            if key in out and out[key] != value:
                conflicts.append((where[key], pos))
                continue
            out[key] = value
            where[key] = pos
        if conflicts:
            r1, r2 = frame.iloc[conflicts[0][0]], frame.iloc[conflicts[0][1]]
            cols = [
                c
                for c in frame.columns
                if not str(c).startswith("jb_")
                and str(r1[c]) != str(r2[c])
                and c not in (FIRST, SECOND)
            ]
            differ = [c for c in cols if frame[c].nunique() < 50][:3]
            example = ",".join(f"{c}={r1[c]}" for c in differ)
            hint = (
                f" (rows differ in {', '.join(differ)}); keep one with e.g. {example}"
                if differ
                else ""
            )
            raise SpecError(
                f"--judge: replay: {len(conflicts)} recorded pairs in {self.file} have the same texts "
                f"but different verdicts{hint}"
            )
        return out

    async def complete(self, request: ChatRequest) -> Completion:
        user = "\n".join(c for r, c in request.messages if r == "user")
        parsed = extract_pair(user)
        if parsed is None:
            raise NoRecordError(
                "no recorded verdict for this request: it is not a pairwise prompt with the "
                f"{'/'.join(PAIR_MARKERS[:3])} markers"
            )
        instruction, shown_first, shown_second = (_norm(t) for t in parsed)
        if not self._use_instruction:
            instruction = ""
        rec = self._records.get((instruction, shown_first, shown_second))
        order = "ab"
        if rec is None:
            rec = self._records.get((instruction, shown_second, shown_first))
            order = "ba"
        if rec is None:
            raise NoRecordError(
                f"no recorded verdict for the pair with instruction {instruction[:60]!r} "
                f"(first-shown answer {shown_first[:40]!r}) in {self.file}"
            )
        label = rec[0] if order == "ab" else rec[1]
        if label is None:
            text = (
                f"(replayed from {self.file}: the recorded verdict for this order was unparseable)"
            )
        else:
            position: Position = (
                "tie"
                if label == "tie"
                else ("first" if (label == "a") == (order == "ab") else "second")
            )
            text = (
                VERDICT_LABELS[position]
                if request.logprobs
                else f"Recorded verdict, replayed from {self.file}.\n{VERDICT_TAGS[position]}"
            )
        return Completion(
            text=text,
            prompt_tokens=None,
            completion_tokens=None,
            model=self.model,
            finish_reason="stop",
            cost_usd=0.0,
        )

    async def aclose(self) -> None:
        return None
