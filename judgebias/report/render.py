"""Render stored runs into one self-contained HTML page.

- :func:`render_report`: the report of one run (scorecard, figures, examples, the
  run, methods);
- :func:`render_comparison`: several runs side by side (scorecards next to each
  other, one forest plot with every run);
- :func:`scorecard_html`: the scorecard alone, for Jupyter's ``_repr_html_``.

Everything comes from the run folders; no judge is called. Jinja2 autoescaping
escapes every string; the only markup that is not escaped by the template is the
matplotlib SVG (its text escaped by matplotlib's XML writer) and the highlighted
examples (escaped first, see :mod:`judgebias.report.examples`). The page has no
script, loads nothing from outside, and its Content-Security-Policy forbids both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judgebias.errors import InputError
from judgebias.report.html import SEVERITY_WORDS, environment, to_svg
from judgebias.report.html import num as _num
from judgebias.report.next_steps import next_steps
from judgebias.report.runs import Run, ordered_probes, read_run, unique_labels
from judgebias.stats.clustering import describe_clusters
from judgebias.stats.validity import severity

__all__ = [
    "render_comparison",
    "render_html",
    "render_report",
    "scorecard_html",
    "scorecard_rows",
    "write_comparison",
    "write_html",
    "write_report",
]

_BAR_W = 180.0
_BAR_PAD = 6.0


def _pp(x: float | None, sign: bool = True) -> str:
    if x is None:
        return "–"
    return f"{100 * x:+.1f}" if sign else f"{100 * x:.1f}"


def _probe_description(name: str) -> str:
    try:
        from judgebias.probes.catalog import builtin_probes

        spec = builtin_probes().get(name)
    except Exception:  # the report must render even if the probe files cannot be read
        spec = None
    return spec.description if spec is not None else ""


def _soft_words(f: dict[str, Any]) -> str:
    """The soft shift of a cue probe (logprob and score modes), in plain words."""
    eff, lo, hi = (
        _num(f.get("soft_effect")),
        _num(f.get("soft_ci_low")),
        _num(f.get("soft_ci_high")),
    )
    if eff is None:
        return ""
    span = f" (95 % interval {_pp(lo)} to {_pp(hi)})" if lo is not None and hi is not None else ""
    return (
        f" In probability, the cue moved P(the answer the bias favours) by {_pp(eff)} "
        f"points net of the placebo{span}."
    )


def _self_words(f: dict[str, Any], effect: float, sev: str, span: str, k: int) -> str:
    """The controlled self-preference figure in plain words (see :mod:`..stats.selfpref`)."""
    fr, pr = _num(f.get("flip_rate")), _num(f.get("placebo_flip_rate"))
    rates = (
        f" Its own wording turned {100 * fr:.0f} % of the paraphrased own answer's losses into"
        f" wins; another answer's own wording, {100 * pr:.0f} % (the placebo)."
        if fr is not None and pr is not None
        else ""
    )
    if sev == "not detected":
        return (
            "No clear self-preference: shown in its own words rather than paraphrased, the "
            f"judge's own answer gains no more than another's does (the effect is {span}).{rates}"
        )
    way = "gains" if effect > 0 else "loses"
    return (
        f"The judge's own answer {way} about {k} points of its room to win when shown in its "
        f"own words rather than paraphrased by another model, net of the placebo.{rates}"
    )


def _words(name: str, f: dict[str, Any], effect: float | None, sev: str) -> str:
    """What the row means, in plain words (with the soft shift of a cue probe)."""
    soft = _soft_words(f) if name != "position" else ""
    if sev == "not measurable":
        return (
            f"Not measurable: {f.get('status_reason') or 'the judge did not judge'}. This is "
            f"not evidence that the bias is absent.{soft}"
        )
    return _figure_words(name, f, effect, sev) + (soft if sev != "not measured" else "")


def _figure_words(name: str, f: dict[str, Any], effect: float | None, sev: str) -> str:
    lo, hi = _num(f.get("ci_low")), _num(f.get("ci_high"))
    share = _num(f.get("invalid_share"))
    unread = (
        f" {100 * share:.0f} % of its units had an unreadable answer." if share is not None else ""
    )
    if sev == "not measured" or effect is None:
        return (
            f"Not measured: only {f.get('n') or 0} readable units ({f.get('n_invalid') or 0} "
            f"unreadable). This is not evidence that the bias is absent."
        )
    if sev == "inconclusive":
        return (
            f"Inconclusive: no clear effect among the readable answers, but{unread} "
            "The unreadable ones could hide the bias."
        )
    k = round(100 * abs(effect))
    span = (
        f"somewhere between {_pp(lo)} and {_pp(hi)} points"
        if lo is not None and hi is not None
        else ""
    )
    if name == "position" and f.get("candidates"):  # listwise
        first, exp = _num(f.get("primacy")), _num(f.get("expected_share"))
        shares = (
            f" The response shown first won {100 * first:.0f} % of the verdicts (uniform: "
            f"{100 * exp:.0f} %)."
            if first is not None and exp is not None
            else ""
        )
        if sev == "not detected":
            return f"No clear preference for the first or last position (the effect is {span}).{shares}"
        side = "first" if effect > 0 else "last"
        return f"The response shown {side} wins about {k} points more often than the one shown {'last' if side == 'first' else 'first'}.{shares}"
    if name == "position":
        cons = _num(f.get("consistency"))
        kept = (
            f" The verdict survived swapping the order in {100 * cons:.0f} % of pairs."
            if cons is not None
            else ""
        )
        if sev == "not detected":
            return f"No clear preference for either position (the effect is {span}).{kept}"
        side = "first" if effect > 0 else "second"
        return (
            f"About {k} pairs in 100 are won by the answer shown {side}, because it is shown "
            f"{side}.{kept}"
        )
    if f.get("measure") == "controlled" and not f.get("unit"):  # pointwise: a grade shift
        return _self_words(f, effect, sev, span, k)
    if name == "self" or "dbg" in f:  # runs from before the controlled figure
        jw, gw = _num(f.get("judge_win_rate")), _num(f.get("gold_win_rate"))
        rates = (
            (
                f" The judge gives its own answers {100 * jw:.0f} % of the wins; the gold judge "
                f"{100 * gw:.0f} %."
            )
            if jw is not None and gw is not None
            else ""
        )
        if "effect" not in f:  # a run from before the noise-robust headline: DBG only
            if sev == "not detected":
                return f"No clear self-preference (DBG is {span}).{rates}"
            more = "more" if effect > 0 else "fewer"
            return (
                f"The judge's own answers win about {k} points {more} than their quality "
                f"earns.{rates}"
            )
        p1, p2 = _num(f.get("p_own_given_gold_other")), _num(f.get("p_other_given_gold_own"))
        errs = (
            f" Where the gold judge prefers the other answer the judge still picks its own in "
            f"{100 * p1:.0f} % of verdicts; where the gold prefers the judge's own answer it "
            f"picks the other in {100 * p2:.0f} %."
            if p1 is not None and p2 is not None
            else ""
        )
        d = _num(f.get("dbg"))
        dbg_words = f" DBG, the raw win-rate gap, is {_pp(d)} points." if d is not None else ""
        if sev == "not detected":
            return (
                f"No clear self-preference: its errors favour its own answers no more than "
                f"the others' (the difference is {span}).{errs}{dbg_words}"
            )
        way = "toward" if effect > 0 else "away from"
        return f"About {k} verdicts in 100 move {way} the judge's own answer.{errs}{dbg_words}"
    if "accuracy_drop" in f:  # fallacy oversight
        acc = _num(f.get("accuracy"))
        picked = f" It chose the sound version {100 * acc:.0f} % of the time." if acc else ""
        if sev == "not detected":
            return f"No clear oversight of corrupted reasoning (the effect is {span}).{picked}"
        return (
            f"The judge overlooked corrupted reasoning: it lost {k} % of the way from always "
            f"noticing it to chance.{picked}"
        )
    if f.get("unit"):  # --format single, a grade shift
        unit = str(f["unit"])
        amount = f"{abs(effect):.2f} {unit}"
        if sev == "not detected":
            between = (
                f" (the effect is between {lo:+.2f} and {hi:+.2f} {unit})"
                if lo is not None and hi is not None
                else ""
            )
            return f"No clear shift of the grade{between}."
        if unit == "pull":
            return f"A stated reference grade pulled the grade {100 * abs(effect):.0f} % of the way toward it."
        way = "raised" if effect > 0 else "lowered"
        return f"The condition {way} the grade by {amount} on average, net of its placebo."
    flip, plc = _num(f.get("flip_rate")), _num(f.get("placebo_flip_rate"))
    rates = (
        f" ({100 * flip:.0f} % with the cue, {100 * plc:.0f} % with a neutral edit)"
        if flip is not None and plc is not None
        else ""
    )
    way = (
        "away from the answer it mentions"
        if f.get("direction") == "away"
        else "toward the cued answer"
    )
    if sev == "not detected":
        return f"The cue moved no clearly more verdicts than a neutral edit did{rates}; the effect is {span}."
    return f"The cue moved about {k} more verdicts in 100 {way} than a neutral edit did{rates}."


def _nice_scale(values: list[float]) -> float:
    top = max([abs(v) for v in values] or [0.1])
    for s in (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0):
        if top <= s:
            return s
    return max(1.0, top)


def _bar(
    lo: float | None, hi: float | None, eff: float | None, planted: float | None, scale: float
) -> dict[str, Any] | None:
    if eff is None:
        return None
    inner = _BAR_W - 2 * _BAR_PAD

    def x(v: float) -> float:
        return round(_BAR_PAD + inner * (0.5 + 0.5 * max(-scale, min(scale, v)) / scale), 1)

    return {
        "w": _BAR_W,
        "zero": x(0.0),
        "x0": x(lo) if lo is not None else None,
        "x1": x(hi) if hi is not None else None,
        "xe": x(eff),
        "xp": x(planted) if planted is not None else None,
        "left": f"{-100 * scale:.0f}",
        "right": f"+{100 * scale:.0f}",
    }


def scorecard_rows(run: Run, scale: float | None = None) -> list[dict[str, Any]]:
    """One view row per probe of a run: numbers, the drawn interval, severity and plain words."""
    probes = run.probes
    names = ordered_probes(probes)
    if scale is None:
        scale = _nice_scale(_scale_values([run]))
    rows = []
    for name in names:
        f = probes[name] if isinstance(probes[name], dict) else {}
        eff = _num(f.get("effect", f.get("dbg")))
        lo, hi, q = _num(f.get("ci_low")), _num(f.get("ci_high")), _num(f.get("p_adjusted"))
        sev = str(f.get("severity") or severity(eff, q, status=str(f.get("status") or "measured")))
        planted = _num(run.planted_effect(name))
        rows.append(
            {
                "probe": name,
                "effect": eff,
                "ci_low": lo,
                "ci_high": hi,
                "p_adjusted": q,
                "n": f.get("n"),
                "invalid_share": _num(f.get("invalid_share")),
                "status": f.get("status") or "measured",
                "robustness": _num(f.get("robustness_rate")),
                "unit": f.get("unit"),
                "severity": sev,
                "sev_class": sev.split()[0],
                "significant": None if q is None else q < 0.05,
                "metric": "DBG" if "dbg" in f and "effect" not in f else "effect",
                "planted": planted,
                "bar": _bar(lo, hi, eff, planted, scale),
                "words": _words(name, f, eff, sev),
                "description": _probe_description(name),
                "variants": [v for v in f.get("variants") or [] if isinstance(v, dict)],
            }
        )
    return rows


def _scale_values(runs: list[Run]) -> list[float]:
    vals: list[float] = []
    for r in runs:
        for name, f in r.probes.items():
            if not isinstance(f, dict):
                continue
            for k in ("ci_low", "ci_high", "effect", "dbg"):
                v = _num(f.get(k))
                if v is not None:
                    vals.append(v)
            p = _num(r.planted_effect(name))
            if p is not None:
                vals.append(p)
    return vals


def _mitigation_text(info: dict[str, Any]) -> str:
    """``run.mitigations`` (names) and ``run.mitigation`` (details) in a few words."""
    names = info.get("mitigations")
    raw = info.get("mitigation")
    detail: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if not isinstance(names, list | tuple):
        names = detail.get("names") or []
    if not names:
        return "none"
    extra: list[str] = []
    if detail.get("samples") and int(detail["samples"]) > 1:
        extra.append(
            f"{detail['samples']} samples per verdict"
            + (f" ({detail['sample_rule']})" if detail.get("sample_rule") else "")
        )
    if detail.get("jury"):
        extra.append("jury of " + ", ".join(str(j) for j in detail["jury"]))
    if detail.get("calls_per_verdict"):
        extra.append(f"{detail['calls_per_verdict']} calls per verdict")
    text = ", ".join(str(n) for n in names)
    return text + (f" ({'; '.join(extra)})" if extra else "")


def _rewriter_row(s: dict[str, Any]) -> tuple[str, str] | None:
    """The rewriter of the rewrite probes: its spec and the rewrites discarded."""
    rw = s.get("rewriter")
    if not isinstance(rw, dict):
        return None
    reasons = rw.get("discarded") or {}
    lost = "; ".join(
        f"{probe}: " + ", ".join(f"{n} {why}" for why, n in r.items())
        for probe, r in reasons.items()
        if isinstance(r, dict)
    )
    calls = rw.get("calls") if isinstance(rw.get("calls"), dict) else {}
    sent = (
        f" ({calls.get('sent', '?')} sent, {calls.get('cached', '?')} from the store, "
        f"{calls.get('failed', '?')} failed)"
        if calls
        else ""
    )
    return (
        "rewriter",
        f"{rw.get('spec', '?')}: {rw.get('requested', '?')} rewrites requested{sent}"
        + (
            f"; units discarded because a rewrite changed the content or failed: {lost}"
            if lost
            else "; none discarded"
        ),
    )


def _constraint_row(info: dict[str, Any]) -> tuple[str, str] | None:
    """The output constraint (``--constrain``), when one was asked for."""
    c = info.get("constraint")
    if not isinstance(c, dict):
        return None
    if c.get("kind") in (None, "none"):
        text = f"none: --constrain {c.get('requested')} fell back ({c.get('reason')})"
    else:
        text = f"{c['kind']} ({c.get('dialect')} request fields; --constrain {c.get('requested')})"
        if c.get("reasoning"):
            text += ", reasoning kept before the verdict"
    return ("output constraint", text)


def _run_rows(run: Run) -> list[tuple[str, str]]:
    """The run's facts as (label, text) rows; every value is plain text, escaped by the template."""
    s, info = run.summary, run.run_info
    calls: dict[str, Any] = s["calls"] if isinstance(s.get("calls"), dict) else {}
    tokens: dict[str, Any] = s["tokens"] if isinstance(s.get("tokens"), dict) else {}
    cost = _num(s.get("cost_usd"))
    mitigations = _mitigation_text(info)
    n_pairs = s.get("n_pairs")
    secs = _num(info.get("seconds"))
    rows = [
        ("judge", str(s.get("judge", "?"))),
        ("gold judge (self probe)", str(info["gold_judge"])) if info.get("gold_judge") else None,
        ("template", f"{info.get('template', '?')} (mode {info.get('mode', 'verdict')})"),
        ("mitigations", mitigations),
        _constraint_row(info),
        _rewriter_row(s),
        ("probes", ", ".join(str(p) for p in info.get("probes") or run.probes)),
        ("pairs", f"{n_pairs} from {info.get('data', '?')}"),
        (
            "clusters",
            "intervals clustered by item (every order of an item together)"
            if s.get("format") == "list"
            else describe_clusters(s.get("cluster")),
        ),
        (
            "calls",
            f"{calls.get('total', '?')} unique requests: {calls.get('sent', '?')} sent, "
            f"{calls.get('cached', '?')} answered from the store, {calls.get('failed', '?')} failed"
            + (f", {calls['retried']} retried" if calls.get("retried") else ""),
        ),
        (
            "tokens",
            f"{tokens.get('prompt', '?'):,} prompt + {tokens.get('completion', '?'):,} completion"
            if isinstance(tokens.get("prompt"), int) and isinstance(tokens.get("completion"), int)
            else "unknown",
        ),
        ("cost", "unknown (the backend reported no price)" if cost is None else f"${cost:.4f}"),
        (
            "time",
            f"started {info.get('started', '?')}, took {secs:.1f} s"
            if secs is not None
            else str(info.get("started", "?")),
        ),
        ("seed", str(info.get("seed", "?"))),
        ("judgebias", str(info.get("judgebias_version", "?"))),
        ("command", str(info.get("command") or "(not recorded: run from Python)")),
        ("run folder", str(run.path)),
    ]
    return [r for r in rows if r is not None]


def _figures(runs: list[Run]) -> dict[str, Any]:
    from judgebias.report.plots import (
        dbg_figure,
        factor_figure,
        forest_figure,
        length_figure,
        position_figure,
    )

    out: dict[str, Any] = {"forest": to_svg(forest_figure(runs), "forest")}
    pos = position_figure(runs)
    out["position"] = to_svg(pos, "position") if pos is not None else None
    length, tables = length_figure(runs)
    out["length"] = to_svg(length, "length") if length is not None else None
    out["length_tables"] = tables
    factors, ftables, fnotes = factor_figure(runs)
    out["factors"] = to_svg(factors, "factors") if factors is not None else None
    out["factor_notes"] = fnotes
    out["factor_tables"] = ftables
    dbg = dbg_figure(runs)
    out["dbg"] = to_svg(dbg, "dbg") if dbg is not None else None
    return out


def _factor_rows(table: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if table is None:
        return rows
    t = table[(table["factor"] != "(intercept)") & table["coef"].notna()]
    t = t.reindex(t["coef"].abs().sort_values(ascending=False).index)
    for r in t.to_dict("records"):
        rows.append(
            {
                "factor": r["factor"],
                "coef": _num(r.get("coef")),
                "ci_low": _num(r.get("ci_low")),
                "ci_high": _num(r.get("ci_high")),
                "p": _num(r.get("p_value")),
                "gold": _num(r.get("coef_gold")),
                "diff_p": _num(r.get("diff_p_value")),
                "note": r.get("note") or "",
            }
        )
    return rows


def _length_words(table: Any) -> str:
    from judgebias.stats.run_figures import length_overall

    overall = length_overall(table) if table is not None else {}
    if not overall:
        return ""
    text = (
        f"Over {overall['n']} pairs of unequal length, the judge gave the longer answer "
        f"{100 * overall['judge']:.0f} % of its verdicts (ties count half)"
    )
    if overall.get("gold") is not None:
        text += f"; the gold labels give it {100 * overall['gold']:.0f} %"
    return text + "."


def render_report(run: Run) -> str:
    """The report of one run as an HTML string."""
    from judgebias.report.examples import (
        position_examples,
        probe_examples,
        self_controlled_examples,
        self_examples,
    )
    from judgebias.report.formats import is_format_run, render_format_report
    from judgebias.report.reasoning import reasoning_view

    if is_format_run(run):  # listwise or pointwise: their own page
        return render_format_report(run, environment(), scorecard_rows(run), _run_rows(run))
    figs = _figures([run])
    rows = scorecard_rows(run)
    examples = []
    for row in rows:
        name = row["probe"]
        f = run.probes.get(name) or {}
        if name == "position":
            continue
        if isinstance(f, dict) and f.get("measure") == "controlled":
            ex, kind = self_controlled_examples(run), "self-controlled"
        elif name == "self" or (isinstance(f, dict) and "dbg" in f and "effect" not in f):
            ex = self_examples(run)
            kind = "self"
        elif isinstance(f, dict) and "accuracy_drop" in f:  # fallacy oversight
            from judgebias.report.formats import fallacy_examples

            ex, kind = fallacy_examples(run, name), "fallacy"
        else:
            ex = probe_examples(run, name, str(f.get("direction") or "toward"))
            kind = "perturbation"
        examples.append({"probe": name, "kind": kind, "description": row["description"], **ex})
    ftable = figs["factor_tables"].get(run.label)
    tpl = environment().get_template("report.html.j2")
    return str(
        tpl.render(
            s=run.summary,
            run=run.run_info,
            label=run.label,
            folder=run_folder_arg(run),
            next_steps=next_steps(run.summary, str(run.path)),
            rows=rows,
            figs=figs,
            pos=run.probes.get("position")
            if isinstance(run.probes.get("position"), dict)
            else None,
            position_examples=position_examples(run) if "position" in run.probes else [],
            examples=examples,
            run_rows=_run_rows(run),
            planted=run.planted,
            simulated=bool(run.run_info.get("simulated")),
            factor_rows=_factor_rows(ftable),
            factor_note=figs["factor_notes"].get(run.label, ""),
            factor_gold=ftable is not None and "coef_gold" in ftable.columns,
            length_words=_length_words(figs["length_tables"].get(run.label)),
            self_stats=run.probes.get("self") if isinstance(run.probes.get("self"), dict) else None,
            severity_words=SEVERITY_WORDS,
            reasoning=reasoning_view(run),
            clusters=describe_clusters(run.summary.get("cluster")),
        )
    )


def render_comparison(runs: list[Run]) -> str:
    """Several runs on one page: scorecards side by side, one forest plot with every run."""
    from judgebias.report.plots import COLORS

    if len(runs) < 2:
        raise InputError("report", "a comparison needs at least two runs")
    from judgebias.report.formats import common_format, format_figures

    fmt = common_format(runs)
    scale = _nice_scale(_scale_values(runs))
    names = ordered_probes(n for r in runs for n in r.probes)
    cards = {r.label: {row["probe"]: row for row in scorecard_rows(r, scale)} for r in runs}
    figs = _figures(runs) if fmt == "pair" else format_figures(runs, fmt)
    pair_sets = {
        tuple(sorted(r.pairs["id"].astype(str))) if "id" in r.pairs.columns else () for r in runs
    }
    tpl = environment().get_template("compare.html.j2")
    return str(
        tpl.render(
            runs=runs,
            names=names,
            cards=cards,
            figs=figs,
            run_rows=[(r.label, dict(_run_rows(r))) for r in runs],
            run_keys=[k for k, _ in _run_rows(runs[0])],
            same_pairs=len(pair_sets) == 1,
            colors=COLORS,
            length_words={r.label: _length_words(figs["length_tables"].get(r.label)) for r in runs},
            factor_notes=figs["factor_notes"],
            severity_words=SEVERITY_WORDS,
            fmt=fmt,
        )
    )


def run_folder_arg(run: Run) -> str:
    """The run folder as a shell argument, as it was given (``runs/t1``, not ``t1``)."""
    import shlex

    return shlex.quote(str(run.path))


def scorecard_html(run: Run) -> str:
    """The scorecard as an HTML fragment with its own scoped style (Jupyter's rich display)."""
    tpl = environment().get_template("scorecard.html.j2")
    return str(
        tpl.render(
            s=run.summary,
            label=run.label,
            folder=run_folder_arg(run),
            rows=scorecard_rows(run),
            severity_words=SEVERITY_WORDS,
        )
    )


def write_html(html: str, target: Path) -> Path:
    """Write a rendered report, with a one-line error when the file cannot be written."""
    return _write(html, target)


def _write(html: str, target: Path) -> Path:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise InputError(str(target), f"cannot write the report ({exc.strerror or exc})") from None
    return target


def render_html(run: Path) -> str:
    """The report of the run folder ``run`` as an HTML string."""
    return render_report(read_run(run))


def write_report(run: Path, out: Path | None = None) -> Path:
    """Write the report of one run folder to ``out`` (default ``RUN/report.html``); return the path."""
    r = read_run(run)
    return _write(render_report(r), out or (r.path / "report.html"))


def write_comparison(runs: list[Path], out: Path) -> Path:
    """Write one page comparing several run folders; return its path."""
    labels = unique_labels(runs)
    return _write(
        render_comparison([read_run(p, label) for p, label in zip(runs, labels, strict=True)]), out
    )
