"""Probes: which variants of each pair an audit asks the judge about.

Probe families are data: one YAML file per family in ``probes/`` (shipped in the
wheel as ``judgebias.probe_data``), plus any ``--probe-file`` of the user's. A file
has ``name``, ``kind`` (``position``, ``perturbation`` or ``self``), ``bias`` (the
simulated judge's parameter it tests), ``direction`` (``toward`` or ``away``),
``placement`` and lists of ``cues`` and ``placebos``, each an ``id`` and a ``text``
(optionally its own ``placement``). Texts may use ``{label}`` (the letter the
targeted answer has in the order shown), ``{instruction}``, ``{answer}`` (the
targeted answer's own text) and any list under ``vars`` (one value is drawn per
request, seeded).

Placements: ``prefix`` / ``suffix`` (the text goes before / after the targeted
answer, separated by a blank line), ``note`` (a paragraph after both answers in the
user message), ``system`` (appended to the system message) and, for placebos only,
``both`` (the same text as a suffix on both answers).

Design of a perturbation probe. Every pair is first judged unchanged in both orders
(the *controls*, shared by all probes). Then, for each order whose control verdict
names one answer, the cue is attached to the answer that verdict was against
(``toward`` probes) or to the one it favoured (``away`` probes), and, as a separate
request, the matched placebo: an edit of the same place and similar size with no
cue. The effect is the cue's flip rate minus the placebo's flip rate.

:func:`strip_edits` is the inverse, used by the simulated judge: it finds and
removes any text a built-in probe inserts and reports which cues it found where.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

from judgebias.errors import InputError, UsageError
from judgebias.prompts.fill import fill
from judgebias.registry import did_you_mean
from judgebias.types import Label, Order, Pair, Variant
from judgebias.yamlfile import read_yaml

__all__ = [
    "BIAS_AWARE_MARKER",
    "PROBE_ORDER",
    "Edits",
    "ProbeSpec",
    "ProbeText",
    "builtin_probes",
    "control_variant",
    "load_probe_file",
    "perturb",
    "probe_names",
    "resolve_probes",
    "seeded_pick",
    "single_edit",
    "strip_edits",
]

BIAS_AWARE_MARKER = "Judge impartially:"
"""First words of the bias-aware system prompt (``--mitigation system-prompt``)."""

Placement = Literal["prefix", "suffix", "note", "system", "both"]
_PLACEMENTS = ("prefix", "suffix", "note", "system", "both")
_KINDS = ("position", "perturbation", "self", "rewrite")
PROBE_ORDER = (
    "position",
    "length",
    "bandwagon",
    "authority",
    "reflection",
    "distraction",
    "compassion",
    "identity",
    "refinement",
    "citation",
    "sentiment",
    "fallacy",
    "self",
)


@dataclass(frozen=True)
class ProbeText:
    id: str
    text: str
    placement: Placement
    placebo: str | None = None
    """For a cue: the id of its matched placebo (e.g. one of the same length), if any."""
    direction: str | None = None
    """For a cue of a ``rewrite`` probe: ``toward`` or ``away``, overriding the probe's."""


@dataclass(frozen=True)
class ProbeSpec:
    name: str
    kind: str
    bias: str
    direction: Literal["toward", "away"] = "toward"
    description: str = ""
    cues: tuple[ProbeText, ...] = ()
    placebos: tuple[ProbeText, ...] = ()
    vars: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = ""
    formats: tuple[str, ...] = ("pair",)
    """Where the probe applies: ``pair`` (pairwise audits) and/or ``single`` (``--format single``)."""
    single_cues: tuple[ProbeText, ...] = ()
    single_placebos: tuple[ProbeText, ...] = ()
    """The texts used in ``--format single`` (from the file's ``single:`` section, else the
    pairwise ones); ``both`` placements are read as ``suffix`` there (one answer is shown)."""


def _probe_error(source: str, problem: str) -> InputError:
    return InputError(source, problem)


def _texts(
    raw: Any, default: str, source: str, key: str, allow_both: bool
) -> tuple[ProbeText, ...]:
    if not isinstance(raw, list) or not raw:
        raise _probe_error(source, f"'{key}' must be a non-empty list of {{id, text}} entries")
    out = []
    for i, item in enumerate(raw, 1):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("text"), str)
            or not item["text"].strip()
        ):
            raise _probe_error(source, f"'{key}' entry {i} needs a non-empty 'text'")
        placement = str(item.get("placement", default))
        allowed = _PLACEMENTS if allow_both else _PLACEMENTS[:-1]
        if placement not in allowed:
            raise _probe_error(
                source,
                f"'{key}' entry {i}: placement '{placement}' is not one of " + ", ".join(allowed),
            )
        matched = item.get("placebo")
        if matched is not None and (key != "cues" or not isinstance(matched, str)):
            raise _probe_error(
                source, f"'{key}' entry {i}: 'placebo' names a placebo id (cues only)"
            )
        direction = item.get("direction")
        if direction not in (None, "toward", "away"):
            raise _probe_error(source, f"'{key}' entry {i}: 'direction' must be toward or away")
        out.append(
            ProbeText(
                id=str(item.get("id", f"{key}-{i}")),
                text=item["text"].strip(),
                placement=cast(Placement, placement),
                placebo=matched,
                direction=direction,
            )
        )
    return tuple(out)


def parse_probe(raw: Any, source: str) -> ProbeSpec:
    """Validate one probe file's content."""
    if not isinstance(raw, dict):
        raise _probe_error(source, "a probe file must be a YAML mapping with name, kind, ...")
    name = raw.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise _probe_error(source, "'name' must be a lower-case identifier")
    kind = raw.get("kind", "perturbation")
    if kind not in _KINDS:
        raise _probe_error(source, f"'kind' must be one of {', '.join(_KINDS)}")
    direction = raw.get("direction", "toward")
    if direction not in ("toward", "away"):
        raise _probe_error(source, "'direction' must be 'toward' or 'away'")
    vars_raw = raw.get("vars") or {}
    if not isinstance(vars_raw, dict) or not all(
        isinstance(v, list) and v and all(isinstance(x, str | int | float) for x in v)
        for v in vars_raw.values()
    ):
        raise _probe_error(source, "'vars' must map names to non-empty lists of strings")
    spec = ProbeSpec(
        name=name,
        kind=kind,
        bias=str(raw.get("bias", name)),
        direction=direction,
        description=str(raw.get("description", "")),
        vars={str(k): tuple(str(x) for x in v) for k, v in vars_raw.items()},
        source=source,
    )
    if kind in ("perturbation", "rewrite"):
        default = str(raw.get("placement", "suffix"))
        cues = _texts(raw.get("cues"), default, source, "cues", allow_both=False)
        placebos = _texts(
            raw.get("placebos"),
            str(raw.get("placebo_placement", default)),
            source,
            "placebos",
            allow_both=True,
        )
        known = {"label", "instruction", "answer", *spec.vars}
        for t in (*cues, *placebos):
            for var in re.findall(r"\{(\w+)\}", t.text):
                if var not in known:
                    raise _probe_error(
                        source,
                        f"text '{t.id}' uses {{{var}}}, which is not defined "
                        "under 'vars' (built in: label, instruction, answer)",
                    )
        ids = {p.id for p in placebos}
        for c in cues:
            if c.placebo is not None and c.placebo not in ids:
                raise _probe_error(
                    source,
                    f"cue '{c.id}' names placebo '{c.placebo}', which is not among 'placebos'",
                )
        spec = replace(spec, cues=cues, placebos=placebos)
        spec = _single_section(raw, spec, default, source)
    elif kind == "self" and raw.get("placebos") is not None:
        # the rewriter's paraphrase prompt (see judgebias.probes.selfprobe)
        placebos = _texts(raw["placebos"], "prefix", source, "placebos", allow_both=False)
        spec = replace(spec, placebos=placebos)
    return spec


def _single_section(raw: dict[str, Any], spec: ProbeSpec, default: str, source: str) -> ProbeSpec:
    """``formats`` and the optional ``single:`` section (texts for one-answer grading)."""
    formats = raw.get("formats", ["pair"])
    if not isinstance(formats, list) or not formats or not set(formats) <= {"pair", "single"}:
        raise _probe_error(source, "'formats' must be a list of 'pair' and/or 'single'")
    section = raw.get("single") or {}
    if not isinstance(section, dict):
        raise _probe_error(source, "'single' must be a mapping with 'cues' and/or 'placebos'")
    cues = (
        _texts(section["cues"], default, source, "cues", allow_both=False)
        if "cues" in section
        else spec.cues
    )
    placebos = (
        _texts(section["placebos"], default, source, "placebos", allow_both=False)
        if "placebos" in section
        else spec.placebos
    )
    for t in (*cues, *placebos):
        if "{label}" in t.text and "single" in formats:
            raise _probe_error(
                source, f"text '{t.id}' uses {{label}}, which has no meaning for one answer"
            )
    placebos = tuple(
        replace(t, placement="suffix") if t.placement == "both" else t for t in placebos
    )
    return replace(spec, formats=tuple(formats), single_cues=cues, single_placebos=placebos)


def load_probe_file(path: str | Path) -> ProbeSpec:
    return parse_probe(read_yaml(path, "probe"), str(path))


@functools.cache
def builtin_probes() -> dict[str, ProbeSpec]:
    """The probe families shipped with judgebias, in report order."""
    found: dict[str, ProbeSpec] = {}
    for entry in resources.files("judgebias.probe_data").iterdir():
        if entry.name.endswith(".yaml"):
            with resources.as_file(entry) as p:
                spec = load_probe_file(p)
            found[spec.name] = spec
    return dict(
        sorted(
            found.items(),
            key=lambda kv: (PROBE_ORDER.index(kv[0]) if kv[0] in PROBE_ORDER else 99, kv[0]),
        )
    )


def probe_names() -> list[str]:
    return list(builtin_probes())


def resolve_probes(
    text: str | Sequence[str], extra: Sequence[ProbeSpec] = (), flag: str = "--probes"
) -> list[ProbeSpec]:
    """Turn ``"position,length"`` or ``"all"`` into validated probe specs (plus ``extra``)."""
    available = {**builtin_probes(), **{s.name: s for s in extra}}
    items = [t.strip().lower() for t in (text.split(",") if isinstance(text, str) else text)]
    items = [t for t in items if t]
    if not items and not extra:
        raise UsageError(f"{flag}: no probe named; choose from {', '.join(available)} or 'all'")
    if "all" in items:
        return list(available.values())
    unknown = [name for name in items if name not in available]
    if unknown:  # every typo at once, each with its suggestion
        words = [f"'{name}'{did_you_mean(name, available)}" for name in unknown]
        raise UsageError(
            f"{flag}: unknown probe{'s' if len(unknown) > 1 else ''} {', '.join(words)}; "
            f"available: {', '.join(available)}, all"
        )
    out: dict[str, ProbeSpec] = {}
    for name in items:
        out[name] = available[name]
    for s in extra:
        out.setdefault(s.name, s)
    return list(out.values())


def control_variant(pair: Pair) -> Variant:
    return Variant(
        pair_id=pair.id,
        probe="control",
        kind="control",
        instruction=pair.instruction,
        response_a=pair.response_a,
        response_b=pair.response_b,
    )


def seeded_pick(n: int, *parts: object) -> int:
    """An index below ``n`` drawn from ``parts`` alone: the same parts pick the same index
    on every machine and in every run (a hash, not a random state)."""
    blob = "\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(blob, digest_size=8).digest(), "big") % n


_NAME = re.compile(r"\{(\w+)\}")


def _fill(text: str, values: dict[str, str]) -> str:
    return fill(text, _NAME, values, keep_unknown=True)


def _picked(pair: Pair, spec: ProbeSpec, order: Order, seed: int) -> dict[str, str]:
    """The value of each of the probe's variables for this pair and order (its cue and
    its placebo share them)."""
    return {
        k: v[seeded_pick(len(v), seed, spec.name, k, pair.id, order)] for k, v in spec.vars.items()
    }


def _apply(
    pair: Pair,
    spec: ProbeSpec,
    t: ProbeText,
    kind: Literal["cue", "placebo"],
    target: Literal["a", "b"],
    order: Order,
    picked: dict[str, str],
) -> Variant:
    answer = pair.response_a if target == "a" else pair.response_b
    values = {**picked, "instruction": pair.instruction, "answer": answer}
    text = _fill(t.text, values)  # {label} stays: it depends on the order shown
    ra, rb = pair.response_a, pair.response_b
    user_note = system_note = None
    if t.placement == "prefix":
        ra, rb = (f"{text}\n\n{ra}", rb) if target == "a" else (ra, f"{text}\n\n{rb}")
    elif t.placement == "suffix":
        ra, rb = (f"{ra}\n\n{text}", rb) if target == "a" else (ra, f"{rb}\n\n{text}")
    elif t.placement == "both":
        ra, rb = f"{ra}\n\n{text}", f"{rb}\n\n{text}"
    elif t.placement == "note":
        user_note = text
    else:
        system_note = text
    return Variant(
        pair_id=pair.id,
        probe=spec.name,
        kind=kind,
        instruction=pair.instruction,
        response_a=ra,
        response_b=rb,
        variant=t.id if kind == "cue" else f"{t.id}",
        target=target,
        system_note=system_note,
        user_note=user_note,
        inserted=text,
        only_order=order,
    )


def perturb(pair: Pair, spec: ProbeSpec, control: Label, order: Order, seed: int) -> list[Variant]:
    """The cue and placebo variants of one pair for one order, given that order's control verdict."""
    if spec.kind != "perturbation" or control == "tie":
        return []
    loser: Literal["a", "b"] = "b" if control == "a" else "a"
    target: Literal["a", "b"] = (
        loser if spec.direction == "toward" else ("a" if loser == "b" else "b")
    )
    cue = spec.cues[seeded_pick(len(spec.cues), seed, spec.name, "cue", pair.id, order)]
    same_place = [p for p in spec.placebos if p.placement == cue.placement] or list(spec.placebos)
    if cue.placebo is not None:  # the cue's own matched placebo
        same_place = [p for p in spec.placebos if p.id == cue.placebo]
    placebo = same_place[seeded_pick(len(same_place), seed, spec.name, "placebo", pair.id, order)]
    picked = _picked(pair, spec, order, seed)
    return [
        _apply(pair, spec, cue, "cue", target, order, picked),
        _apply(pair, spec, placebo, "placebo", target, order, picked),
    ]


def single_edit(pair: Pair, spec: ProbeSpec, target: Literal["a", "b"], seed: int) -> list[Variant]:
    """The cue and placebo variants of one answer graded alone (``--format single``).

    Not conditioned on a verdict: every answer gets the cue and, as a separate
    request, its placebo. The edited answer is the variant's ``response_a`` or
    ``response_b`` (``target``); notes and system texts are attached as for pairs.
    """
    if "single" not in spec.formats or not spec.single_cues:
        return []
    order: Order = "ab" if target == "a" else "ba"  # only varies the seeded choices
    cue = spec.single_cues[
        seeded_pick(len(spec.single_cues), seed, spec.name, "cue1", pair.id, order)
    ]
    pool = [p for p in spec.single_placebos if p.placement == cue.placement]
    if cue.placebo is not None:
        pool = [p for p in spec.single_placebos if p.id == cue.placebo]
    pool = pool or list(spec.single_placebos)
    placebo = pool[seeded_pick(len(pool), seed, spec.name, "placebo1", pair.id, order)]
    picked = _picked(pair, spec, order, seed)
    return [
        _apply(pair, spec, cue, "cue", target, order, picked),
        _apply(pair, spec, placebo, "placebo", target, order, picked),
    ]


# -- the inverse, for the simulated judge ------------------------------------------------


@dataclass(frozen=True)
class Edits:
    """What :func:`strip_edits` found: the answers without probe text, and the cues."""

    first: str
    second: str
    cues: list[tuple[str, str]] = field(default_factory=list)
    """(bias name, 'first' | 'second'): the answer each cue is attached to or names."""
    bias_aware: bool = False


def _pattern(text: str, values: dict[str, tuple[str, ...]] | None = None) -> str:
    """A regex for a probe text; a ``vars`` placeholder matches only one of its values,
    so a placebo never reads as a cue whose variable would swallow its wording."""
    values = values or {}
    parts = re.split(r"(\{\w+\})", text)
    out = []
    for part in parts:
        m = re.fullmatch(r"\{(\w+)\}", part)
        if not m:
            out.append(re.escape(part))
        elif m.group(1) == "label":
            out.append("(?P<label>[AB])")
        elif m.group(1) in values:
            out.append("(?:" + "|".join(re.escape(v) for v in values[m.group(1)]) + ")")
        else:
            out.append("(?:.+?)")
    return "".join(out)


@dataclass(frozen=True)
class _Matcher:
    """One built-in probe text as the sim looks for it: the regex, and the literal text
    that any match starts (``head``) and ends (``tail``) with, and a literal the match
    holds where the inserted text meets the answer (``joint``: the blank line and the
    text's edge), all checked first because that is much cheaper than the regex and
    rules out almost every answer (one whose last sentence ends in the probe text's
    last character too)."""

    order: int
    """Its turn: matchers are tried, and the cues they find listed, in this order."""
    bias: str
    is_cue: bool
    placement: str
    rx: re.Pattern[str]
    head: str
    tail: str
    joint: str

    def could_be_in(self, text: str) -> bool:
        if self.placement == "prefix":
            return text.startswith(self.head) and self.joint in text
        if self.placement == "note":
            return text.startswith(self.head) and text.endswith(self.tail)
        return text.endswith(self.tail) and self.joint in text


_Matchers = tuple[_Matcher, ...]


@functools.cache
def _matchers() -> tuple[_Matchers, _Matchers, _Matchers]:
    """A matcher for every built-in probe text that is inserted into a request, by the
    place it is looked for in: (an answer, the note, the system prompt)."""
    out: list[_Matcher] = []
    for spec in builtin_probes().values():
        if spec.kind == "rewrite":  # its texts are prompts to the rewriter, never inserted
            continue
        groups: list[tuple[bool, tuple[ProbeText, ...]]] = [
            (True, spec.cues),
            (False, spec.placebos),
        ]
        if "single" in spec.formats:
            groups += [(True, spec.single_cues), (False, spec.single_placebos)]
        for is_cue, texts in groups:
            for t in texts:
                pat = _pattern(t.text, spec.vars)
                literal = re.split(r"\{\w+\}", t.text)
                if t.placement == "prefix":
                    rx = re.compile(rf"\A{pat}\n\n", re.DOTALL)
                    head, tail, joint = literal[0], "\n\n", literal[-1] + "\n\n"
                elif t.placement in ("suffix", "both", "system"):
                    rx = re.compile(rf"\n\n{pat}\Z", re.DOTALL)
                    head, tail, joint = "\n\n", literal[-1], "\n\n" + literal[0]
                else:
                    rx = re.compile(rf"\A{pat}\Z", re.DOTALL)
                    head, tail, joint = literal[0], literal[-1], ""
                out.append(
                    _Matcher(len(out), spec.bias, is_cue, t.placement, rx, head, tail, joint)
                )
    places = (("prefix", "suffix", "both"), ("note",), ("system",))
    answer, note, system = (tuple(m for m in out if m.placement in p) for p in places)
    return answer, note, system


def _strip(text: str, matchers: _Matchers) -> tuple[str, list[tuple[_Matcher, re.Match[str]]]]:
    """``text`` without what each matcher in turn finds in it as it stands then, and
    (matcher, match) for each one found."""
    found: list[tuple[_Matcher, re.Match[str]]] = []
    for mt in matchers:
        if not mt.could_be_in(text):
            continue
        m = mt.rx.search(text)
        if m:
            text = (
                text[: m.start()]
                if mt.placement == "system"
                else text[: m.start()] + text[m.end() :]
            )
            found.append((mt, m))
    return text, found


def strip_edits(*, system: str, first: str, second: str, note: str) -> Edits:
    """Remove probe-inserted text from a rendered request and say which cues were there,
    in the order of the matchers that found them (the first answer before the second)."""
    on_answer, on_note, on_system = _matchers()
    events: list[tuple[int, int, str, str]] = []
    stripped = []
    for rank, (where, text) in enumerate((("first", first), ("second", second))):
        # every answer matcher's text meets the answer at a blank line
        text, found = _strip(text, on_answer) if "\n\n" in text else (text, [])
        stripped.append(text)
        events += [(mt.order, rank, mt.bias, where) for mt, _ in found if mt.is_cue]
    _, found = _strip(note, on_note) if note else ("", [])
    system, found_system = _strip(system, on_system)
    for mt, m in found + found_system:
        if mt.is_cue:  # a note without {label} names the only answer (--format single)
            label = m.groupdict().get("label")
            events.append((mt.order, 0, mt.bias, "second" if label == "B" else "first"))
    events.sort()
    return Edits(
        first=stripped[0],
        second=stripped[1],
        cues=[(bias, where) for _, _, bias, where in events],
        bias_aware=BIAS_AWARE_MARKER in system,
    )
