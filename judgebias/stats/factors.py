"""Factor-level attribution of a judge's preferences (PROFILE / Preference Dissection style).

Each response is described by interpretable, deterministic factors (below). For a
pair (a, b) the model takes the difference ``factor(a) - factor(b)`` of each,
divides it by its standard deviation over the pairs (no centring: a zero
difference stays zero), and fits a logistic GLM of the judge's preference for a on
those standardised differences plus an intercept (which absorbs anything that
favours the a side: its position, or a stronger baseline always placed there).

A factor's coefficient is the change in the log-odds of preferring a response when
that factor is one standard deviation (of its pairwise difference) higher, the
other factors held equal. Fitting the same model to gold (human or reference)
labels and comparing the two coefficient vectors gives factor-level alignment.

Fitting: statsmodels ``GLM`` (binomial) on the preference itself, so soft
preferences in [0, 1] (ties 0.5, averaged orders, probabilities) are used as they
are (the fractional-logit quasi-likelihood, whose estimates equal those of the
duplicated-row weighting y=1/p, y=0/1-p). Standard errors are the sandwich
(heteroskedasticity-robust) ones, clustered by item: by ``item`` when given, else by
the table's ``instruction`` column when it has one (pairs that share an instruction
are not independent: on AlpacaEval's annotations per-row standard errors are about
20 % too small, length 0.090 against 0.112), else per row (HC0); ``cluster=False``
asks for per-row ones. The ``se_type`` column says which were used. With a single
cluster the clustered standard errors are undefined: the estimates come without
intervals, and the note says so. With
``penalty > 0`` the reported ``coef`` is the penalised estimate of
``GLM.fit_regularized`` (elastic net: ``l1_wt=0`` ridge, ``l1_wt=1`` Laplace/L1,
as in Preference Dissection's Laplace prior), while ``se``, the interval and the
p-value come from the unpenalised fit (``coef_mle``). When the unpenalised fit does
not converge (e.g. complete separation) the coefficients come from a lightly
penalised fit and the intervals are left empty, with a note.

With gold labels, ``diff`` = judge coefficient - gold coefficient and its p-value
come from one stacked fit of both label sets with factor-by-source interactions,
clustered by pair (or item), which accounts for both fits sharing the same pairs;
``agreement_spearman`` is the Spearman correlation of the two coefficient vectors
over the factors (the intercept excluded).

Factors (``FACTORS``; text is read as-is, case-insensitively for phrases):

- ``length``: log(1 + words), words = whitespace tokens; its difference is the log
  ratio of the lengths;
- ``chars_per_word``: characters / words (with ``length``, the length in
  characters);
- ``list_items``, ``headers`` (``#`` lines and lines that are entirely bold),
  ``emphasis`` (bold and italic spans), ``code_blocks`` (fenced blocks),
  ``links_citations`` (URLs, ``[1]``-style and (Author, 2020)-style citations,
  "according to", "source:"), ``numbers``: log(1 + count);
- ``hedging``, ``reasoning_markers``, ``politeness``, ``positive_words``: log(1 +
  number of phrases from the lists below);
- ``questions`` (``?``), ``exclamations`` (``!``): log(1 + count);
- ``refusal``: 1 if a refusal or apology phrase occurs, else 0;
- ``readability``: Flesch reading ease (syllables counted by vowel groups).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as sst

from judgebias.errors import UsageError
from judgebias.stats.dbg import read_preference, refuse_zero_one_numbers, to_preference

__all__ = ["FACTORS", "extract_factors", "factor_attribution"]

FACTORS: dict[str, str] = {
    "length": "log(1 + words)",
    "chars_per_word": "characters per word",
    "list_items": "log(1 + bulleted or numbered list lines)",
    "headers": "log(1 + markdown headers and bold-only lines)",
    "emphasis": "log(1 + bold and italic spans)",
    "code_blocks": "log(1 + fenced code blocks)",
    "links_citations": "log(1 + URLs, [n] and (Author, year) citations, 'according to', 'source:')",
    "numbers": "log(1 + numbers)",
    "hedging": "log(1 + hedging phrases)",
    "refusal": "1 if a refusal or apology phrase occurs",
    "reasoning_markers": "log(1 + reasoning markers: 'let me think', 'step by step', 'wait', ...)",
    "questions": "log(1 + question marks)",
    "exclamations": "log(1 + exclamation marks)",
    "politeness": "log(1 + politeness phrases)",
    "positive_words": "log(1 + enthusiastic or positive words)",
    "readability": "Flesch reading ease",
}

HEDGING_PHRASES: tuple[str, ...] = (
    "may",
    "might",
    "could",
    "perhaps",
    "possibly",
    "probably",
    "likely",
    "unlikely",
    "generally",
    "typically",
    "usually",
    "often",
    "somewhat",
    "approximately",
    "roughly",
    "it depends",
    "depending on",
    "it seems",
    "seems to",
    "appears to",
    "i think",
    "i believe",
    "not sure",
    "uncertain",
    "in some cases",
    "tends to",
    "can vary",
    "may vary",
    "it is possible",
    "it's possible",
)
REFUSAL_PHRASES: tuple[str, ...] = (
    "i can't",
    "i cannot",
    "i can not",
    "i'm unable",
    "i am unable",
    "i'm not able",
    "i am not able",
    "i won't",
    "i will not",
    "as an ai",
    "as a language model",
    "as an ai language model",
    "i'm sorry",
    "i am sorry",
    "i apologize",
    "i apologise",
    "my apologies",
    "i don't have access",
    "i do not have access",
    "cannot provide",
    "can't provide",
    "can't help with",
    "cannot help with",
    "not able to provide",
    "i must decline",
    "i'm not comfortable",
)
REASONING_PHRASES: tuple[str, ...] = (
    "let me think",
    "let's think",
    "step by step",
    "step-by-step",
    "wait",
    "hmm",
    "let me double-check",
    "let me double check",
    "let me check",
    "let me verify",
    "on second thought",
    "let's break",
    "break it down",
    "first,",
    "second,",
    "third,",
    "finally,",
    "therefore",
    "thus",
    "hence",
    "because",
    "as a result",
    "it follows",
)
POLITENESS_PHRASES: tuple[str, ...] = (
    "please",
    "thank you",
    "thanks",
    "happy to help",
    "glad to help",
    "hope this helps",
    "hope that helps",
    "feel free",
    "certainly",
    "of course",
    "sure!",
    "great question",
    "good question",
    "you're welcome",
    "i'd be happy",
    "i would be happy",
    "absolutely",
    "i hope",
    "kindly",
)
POSITIVE_WORDS: tuple[str, ...] = (
    "great",
    "excellent",
    "amazing",
    "wonderful",
    "fantastic",
    "awesome",
    "delightful",
    "love",
    "perfect",
    "brilliant",
    "exciting",
    "incredible",
    "beautiful",
    "enjoy",
    "outstanding",
    "remarkable",
    "superb",
    "delicious",
    "best",
)


def _phrase_regex(phrases: Iterable[str]) -> re.Pattern[str]:
    ordered = sorted(set(phrases), key=len, reverse=True)
    body = "|".join(re.escape(p) for p in ordered)
    # matched against lower-cased text; \b first lets the engine skip mid-word positions
    return re.compile(rf"\b(?<!')(?:{body})(?![\w'])")


_HEDGING = _phrase_regex(HEDGING_PHRASES)
_REFUSAL = _phrase_regex(REFUSAL_PHRASES)
_REASONING = _phrase_regex(REASONING_PHRASES)
_POLITENESS = _phrase_regex(POLITENESS_PHRASES)
_POSITIVE = _phrase_regex(POSITIVE_WORDS)

_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+\u2022]|\d{1,3}[.)])[ \t]+\S", re.MULTILINE)
_HEADER = re.compile(r"^[ \t]{0,3}(?:#{1,6}[ \t]+\S|\*\*[^*\n]{1,80}\*\*:?[ \t]*$)", re.MULTILINE)
_BOLD = re.compile(r"\*\*[^*\n]+?\*\*|__[^_\n]+?__")
_ITALIC = re.compile(r"(?<![*\w])\*(?![\s*])[^*\n]+?(?<![\s*])\*(?![*\w])")
_FENCE = re.compile(r"^[ \t]*(?:```|~~~)", re.MULTILINE)
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_NUM_CITE = re.compile(r"\[\d{1,3}(?:\s*[,\u2013-]\s*\d{1,3})*\]")
_AUTHOR_YEAR = re.compile(
    r"\([A-Z][A-Za-z'\-]+(?: et al\.?)?(?:,| and [A-Z][A-Za-z'\-]+,?)? (?:1[89]|20)\d{2}[a-z]?\)"
)
_SOURCE = re.compile(r"\b(?:according to|sources?:|references?:|doi:)")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*%?")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_ALPHA_WORD = re.compile(r"[A-Za-z]+")
_VOWEL_GROUP = re.compile(r"[aeiouy]+")
_NO_VOWEL_WORD = re.compile(r"\b[b-df-hj-np-tv-xz]+\b")
_SILENT_E = re.compile(r"\b[a-z]*[aeiouy][a-z]*[^aeiouyl\s]e\b")


def _syllables(words: list[str]) -> int:
    """Syllables of all words: vowel groups, at least one per word, a final silent e dropped."""
    joined = " ".join(words).lower()
    groups = len(_VOWEL_GROUP.findall(joined))
    no_vowel = len(_NO_VOWEL_WORD.findall(joined))
    silent_e = len(_SILENT_E.findall(joined))
    return groups + no_vowel - silent_e


def _flesch(text: str) -> float:
    words = _ALPHA_WORD.findall(text)
    if not words:
        return math.nan
    sentences = max(len(_SENTENCE_END.findall(text)), 1)
    syllables = _syllables(words)
    score = 206.835 - 1.015 * (len(words) / sentences) - 84.6 * (syllables / len(words))
    return float(min(max(score, -100.0), 150.0))


def _describe(text: str) -> dict[str, float]:
    t = text.replace("\u2019", "'")
    low = t.lower()
    words = t.split()
    n_words = len(words)
    log1p = math.log1p
    return {
        "length": log1p(n_words),
        "chars_per_word": (len(t) / n_words) if n_words else 0.0,
        "list_items": log1p(len(_LIST_ITEM.findall(t))),
        "headers": log1p(len(_HEADER.findall(t))),
        "emphasis": log1p(len(_BOLD.findall(t)) + len(_ITALIC.findall(t))),
        "code_blocks": log1p(len(_FENCE.findall(t)) // 2),
        "links_citations": log1p(
            len(_URL.findall(t))
            + len(_NUM_CITE.findall(t))
            + len(_AUTHOR_YEAR.findall(t))
            + len(_SOURCE.findall(low))
        ),
        "numbers": log1p(len(_NUMBER.findall(t))),
        "hedging": log1p(len(_HEDGING.findall(low))),
        "refusal": 1.0 if _REFUSAL.search(low) else 0.0,
        "reasoning_markers": log1p(len(_REASONING.findall(low))),
        "questions": log1p(t.count("?")),
        "exclamations": log1p(t.count("!")),
        "politeness": log1p(len(_POLITENESS.findall(low))),
        "positive_words": log1p(len(_POSITIVE.findall(low))),
        "readability": _flesch(t),
    }


def extract_factors(texts: Sequence[Any] | pd.Series) -> pd.DataFrame:
    """The factors of each text, one row per text, columns as in ``FACTORS``.

    A missing text (None/NaN) is read as the empty string.
    """
    series = texts if isinstance(texts, pd.Series) else pd.Series(list(texts))
    rows = [
        _describe("" if (v is None or (isinstance(v, float) and math.isnan(v))) else str(v))
        for v in series
    ]
    return pd.DataFrame(rows, index=series.index, columns=list(FACTORS))


def _independent_columns(x: np.ndarray) -> list[int]:
    """Indices of a maximal set of linearly independent columns, in order."""
    keep: list[int] = []
    for j in range(x.shape[1]):
        trial = x[:, [*keep, j]]
        if np.linalg.matrix_rank(trial) == len(keep) + 1:
            keep.append(j)
    return keep


def _glm(y: np.ndarray, x: np.ndarray, groups: np.ndarray | None) -> Any:
    model = sm.GLM(y, x, family=sm.families.Binomial())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if groups is None:
            return model.fit(cov_type="HC0", maxiter=100)
        return model.fit(cov_type="cluster", cov_kwds={"groups": groups}, maxiter=100)


def _fit(
    y: np.ndarray,
    z: np.ndarray,
    groups: np.ndarray | None,
    penalty: float,
    l1_wt: float,
    alpha: float,
) -> tuple[dict[str, np.ndarray], str]:
    """Fit logit(y) ~ 1 + z; returns arrays over [intercept, factors...] and a note.

    ``groups`` with a single value: point estimates only (no clustered SE exists).
    """
    if groups is not None and len(np.unique(groups)) < 2:
        out, _ = _fit(y, z, None, penalty, l1_wt, alpha)
        for key in ("se", "ci_low", "ci_high", "p_value"):
            out[key] = np.full(len(out[key]), np.nan)
        return out, "a single cluster: clustered standard errors are undefined, no interval"
    x = np.column_stack([np.ones(len(y)), z])
    k = x.shape[1]
    nan = np.full(k, np.nan)
    out = {
        "coef": nan.copy(),
        "coef_mle": nan.copy(),
        "se": nan.copy(),
        "ci_low": nan.copy(),
        "ci_high": nan.copy(),
        "p_value": nan.copy(),
    }
    note = ""
    converged = False
    try:
        res = _glm(y, x, groups)
        params = np.asarray(res.params, dtype=float)
        bse = np.asarray(res.bse, dtype=float)
        converged = bool(getattr(res, "converged", True)) and bool(
            np.all(np.isfinite(params)) and np.all(np.isfinite(bse)) and np.max(np.abs(params)) < 30
        )
    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
        converged = False
    if converged:
        z_crit = float(sst.norm.ppf(1 - alpha / 2))
        out["coef_mle"] = params
        out["se"] = bse
        out["ci_low"] = params - z_crit * bse
        out["ci_high"] = params + z_crit * bse
        out["p_value"] = 2 * sst.norm.sf(np.abs(params / bse))
        out["coef"] = params.copy()
    if penalty > 0 or not converged:
        weight = penalty if penalty > 0 else 1e-3
        alphas = np.full(k, weight)
        alphas[0] = 0.0  # never shrink the intercept
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reg = sm.GLM(y, x, family=sm.families.Binomial()).fit_regularized(
                method="elastic_net", alpha=alphas, L1_wt=l1_wt, maxiter=500
            )
        out["coef"] = np.asarray(reg.params, dtype=float)
        if not converged:
            note = "unpenalised fit did not converge: penalised estimate, no interval"
    return out, note


def _stacked_diff(
    y_judge: np.ndarray, y_gold: np.ndarray, z: np.ndarray, clusters: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """judge - gold coefficient per factor and its p-value, from one stacked clustered fit."""
    mj, mg = ~np.isnan(y_judge), ~np.isnan(y_gold)
    n_j, n_g = int(mj.sum()), int(mg.sum())
    k = z.shape[1]
    zj, zg = z[mj], z[mg]
    x = np.vstack(
        [
            np.column_stack([np.ones(n_j), zj, np.zeros(n_j), np.zeros_like(zj)]),
            np.column_stack([np.ones(n_g), zg, np.ones(n_g), zg]),
        ]
    )
    y = np.concatenate([y_judge[mj], y_gold[mg]])
    groups = np.concatenate([clusters[mj], clusters[mg]])
    try:
        res = _glm(y, x, groups)
        params = np.asarray(res.params, dtype=float)
        bse = np.asarray(res.bse, dtype=float)
    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
        return np.full(k, np.nan), np.full(k, np.nan)
    inter = params[k + 2 :]
    inter_se = bse[k + 2 :]
    ok = bool(getattr(res, "converged", True)) and np.all(np.isfinite(inter_se))
    if not ok:
        return np.full(k, np.nan), np.full(k, np.nan)
    return -inter, 2 * sst.norm.sf(np.abs(inter / inter_se))


def factor_attribution(
    df: pd.DataFrame,
    *,
    text_a: str,
    text_b: str,
    pref: str,
    gold: str | None = None,
    item: str | None = None,
    factors: Sequence[str] | None = None,
    penalty: float = 0.0,
    l1_wt: float = 0.0,
    alpha: float = 0.05,
    cluster: bool = True,
    kind: str | None = None,
) -> pd.DataFrame:
    """Influence of each interpretable factor on the judge's (and gold) preferences.

    ``text_a``/``text_b`` name the columns with the two responses; ``pref`` the
    judge's preference for response a: a number in [0, 1] (soft allowed) or a
    verdict label (``a``/``b``/``tie``; see :func:`judgebias.stats.dbg.to_preference`).
    For AlpacaEval annotations (``preference`` in [1, 2], 2 = output_2 better) pass
    ``2 - preference`` as the preference for output_1. ``gold`` optionally names
    gold labels in the same form; ``item`` clusters the standard errors (default:
    the ``instruction`` column when there is one; ``cluster=False`` for per-row
    standard errors); ``factors`` restricts the factor set; ``penalty``/``l1_wt`` see
    the module docstring; ``kind`` declares how the preference columns are read
    (:func:`judgebias.stats.dbg.read_preference`); without it a column holding only the
    numbers 0 and 1 is refused, as :func:`judgebias.stats.dbg.dbg` refuses it (as
    probabilities its 0 means response b wins, as labels a tie).

    Returns one row per factor, then one ``(intercept)`` row: ``factor, coef, se,
    ci_low, ci_high, p_value, scale`` (the standard deviation of the raw pairwise
    difference that one unit of the coefficient stands for), ``coef_mle`` when
    ``penalty > 0``, and with gold the same columns suffixed ``_gold`` plus
    ``same_sign, diff, diff_p_value, agreement_spearman``; ``note``
    (``constant`` or ``collinear`` factors are not fitted); ``se_type`` (which
    standard errors: clustered by what, how many clusters, or per row) and
    ``reading`` (how the preference column was read).
    """
    if not isinstance(df, pd.DataFrame):
        raise UsageError("factor_attribution expects a pandas DataFrame")
    for flag, col in (
        ("text_a", text_a),
        ("text_b", text_b),
        ("pref", pref),
        ("gold", gold),
        ("item", item),
    ):
        if col is not None and col not in df.columns:
            raise UsageError(
                f"{flag}: column {col!r} not in the table ({', '.join(map(str, df.columns))})"
            )
    names = list(FACTORS) if factors is None else list(factors)
    unknown = [f for f in names if f not in FACTORS]
    if unknown:
        raise UsageError(f"unknown factor(s) {', '.join(unknown)}; known: {', '.join(FACTORS)}")
    if not names:
        raise UsageError("no factors selected")
    if penalty < 0 or not 0.0 <= l1_wt <= 1.0:
        raise UsageError("penalty must be >= 0 and l1_wt in [0, 1]")
    if not 0.0 < alpha < 1.0:
        raise UsageError("alpha must be in (0, 1)")
    if kind is None:  # 0/1 numbers read as probabilities (0 = b wins) or labels (0 = tie)
        for col in (pref, gold):
            if col is not None:
                refuse_zero_one_numbers(df[col], col)
    judge_pref, reading = read_preference(df[pref], name=pref, kind=kind)
    y_judge = judge_pref.to_numpy(dtype=float)
    y_gold = to_preference(df[gold], name=gold, kind=kind).to_numpy(dtype=float) if gold else None
    if item is None and cluster and "instruction" in df.columns:
        item = "instruction"  # pairs that share an instruction are not independent
    if np.sum(~np.isnan(y_judge)) < len(names) + 2:
        raise UsageError(
            f"too few rated pairs ({int(np.sum(~np.isnan(y_judge)))}) for {len(names)} factors"
        )

    fa = extract_factors(df[text_a])[names]
    fb = extract_factors(df[text_b])[names]
    diff = fa.to_numpy(dtype=float) - fb.to_numpy(dtype=float)
    diff = np.where(np.isnan(diff), 0.0, diff)
    scale = diff.std(axis=0, ddof=1) if len(diff) > 1 else np.zeros(len(names))
    notes = ["" for _ in names]
    varying = [j for j in range(len(names)) if scale[j] > 1e-12]
    for j in range(len(names)):
        if j not in varying:
            notes[j] = "constant"
    z_all = np.zeros_like(diff)
    z_all[:, varying] = diff[:, varying] / scale[varying]
    with_const = np.column_stack([np.ones(len(diff)), z_all[:, varying]])
    independent = [varying[i - 1] for i in _independent_columns(with_const) if i > 0]
    for j in varying:
        if j not in independent:
            notes[j] = "collinear"
    z = z_all[:, independent]

    if item is not None and cluster:
        clusters = pd.factorize(df[item])[0]
        if np.any(clusters < 0):
            raise UsageError(f"item: column {item!r} has empty values")
        k = len(np.unique(clusters[~np.isnan(y_judge)]))
        se_type = f"cluster-robust by {item!r} ({k} clusters)"
    else:
        clusters = np.arange(len(df))
        item = None
        se_type = "robust (HC0), each pair its own unit"

    def one(y: np.ndarray) -> tuple[dict[str, np.ndarray], str]:
        m = ~np.isnan(y)
        return _fit(y[m], z[m], clusters[m] if item is not None else None, penalty, l1_wt, alpha)

    judge_fit, judge_note = one(y_judge)
    index = [*names, "(intercept)"]

    def place(values: np.ndarray) -> np.ndarray:
        full = np.full(len(names) + 1, np.nan)
        full[independent] = values[1:]
        full[-1] = values[0]
        return full

    out = pd.DataFrame({"factor": index})
    columns = ["coef", "se", "ci_low", "ci_high", "p_value"]
    for col in columns:
        out[col] = place(judge_fit[col])
    out["scale"] = [*scale.tolist(), math.nan]
    if penalty > 0:
        out["coef_mle"] = place(judge_fit["coef_mle"])
    if y_gold is not None:
        gold_fit, gold_note = one(y_gold)
        for col in columns:
            out[f"{col}_gold"] = place(gold_fit[col])
        if penalty > 0:
            out["coef_mle_gold"] = place(gold_fit["coef_mle"])
        out["same_sign"] = np.sign(out["coef"]) == np.sign(out["coef_gold"])
        d, dp = _stacked_diff(y_judge, y_gold, z, clusters, alpha)
        out["diff"] = place(np.concatenate([[math.nan], d]))
        out["diff_p_value"] = place(np.concatenate([[math.nan], dp]))
        factor_rows = out.iloc[:-1]
        both = factor_rows[["coef", "coef_gold"]].dropna()
        rho = (
            float(sst.spearmanr(both["coef"], both["coef_gold"])[0]) if len(both) >= 3 else math.nan
        )
        out["agreement_spearman"] = rho
        if gold_note and not judge_note:
            judge_note = "gold: " + gold_note
    fit_note = [notes_j if notes_j else judge_note for notes_j in [*notes, ""]]
    out["note"] = fit_note
    out["se_type"] = se_type
    out["reading"] = reading
    return out
