"""Length-controlled win rates: the ``length_controlled_v1`` GLM of AlpacaEval 2.0.

For a model ``m`` judged against a fixed baseline ``b`` on instructions ``i``::

    logit P(m beats b on i) = theta_m + phi_m * tanh(delta_i / sd_m) + gamma_m * d_i

- ``delta_i = len(baseline_i) - len(model_i)`` in characters, ``sd_m`` the standard
  deviation of ``delta`` over m's rows (so the length feature is on the same scale
  for a verbose and a terse model);
- ``d_i`` is the instruction difficulty (below);
- ``theta_m`` is the coefficient of the "model is not the baseline" indicator; the
  model has no other intercept.

The target is the judge's soft preference ``p_i = preference - 1`` in [0, 1] (ties
0.5). A soft target is fitted as two rows, ``y = 1`` with weight ``p_i`` and ``y = 0``
with weight ``1 - p_i`` (statsmodels ``GLM``, binomial family, ``freq_weights``).

The length-controlled win rate is the model's predicted win rate had its outputs
been as long as the baseline's: ``LC = 100 * mean_i logistic(theta_m + gamma_m d_i)``
(the length term at zero). ``lc_standard_error`` is AlpacaEval's figure, the standard
error of the mean of those per-instruction predictions, times 100: it takes the
fitted coefficients as known. ``lc_ci_low``/``lc_ci_high`` is an interval that does
not: a bootstrap over instructions with the model refitted in every resample
(:mod:`judgebias.stats.lc_interval`, which also finds fits with no finite estimate:
too few rows, a model that wins or loses everything, separation; those get NaN and
a ``note``). On the 25 models of AlpacaEval 2.0 the bootstrap's standard error is
1.5 to 4.5 times AlpacaEval's (vicuna-13b 1.28 against 0.61, gpt-3.5-turbo-1106
2.98 against 0.84); on simulated annotations the bootstrap interval covers the true
LC in 96.7 % of 300 runs, AlpacaEval's ±1.96 SE in 46.7 %.

**Instruction difficulty.** ``d_i`` comes from one joint binomial fit over all the
models given: a coefficient per instruction plus, per model, an intercept and a
length slope on the same ``tanh(delta / sd_m)`` feature, with the same soft
targets. Alone, the instruction coefficients and the model intercepts are not
identifiable (adding ``c`` to every instruction and ``-c`` to every model leaves the
fit unchanged; with models that share no instruction there is one such direction
per connected group); a ridge penalty on the instruction coefficients (on the
summed log-likelihood) picks one solution and keeps the estimate finite for an
instruction that every model loses outright. By default it depends on how many
models inform the difficulties: ``max(1e-3, 10 / n_models - 0.4)``, i.e. negligible
with 25 or more models and stronger with few, where each instruction's difficulty
rests on a handful of noisy soft verdicts. Measured against the published LC on
random subsets of the 25 shared models (8 subsets each), the mean absolute
difference with this default is 1.05 pp for 3 models, 1.99 for 5, 1.38 for 10, 1.05
for 15, 0.98 for 20 and 0.87 for all 25 (a fixed 1e-3: 3.31, 2.37, 1.76, 0.86, 0.99,
0.87). The
difficulty is centred at 0; its location and scale do not change LC, which is
invariant to both through ``theta_m`` and ``gamma_m``. The joint fit has a sparse
design (one column per instruction), so it is minimised with
``scipy.optimize.minimize(method="trust-krylov")`` using the exact gradient and
Hessian-vector products of the binomial log-likelihood; on the same data it
matches ``statsmodels`` ``GLM`` (tested) in a fraction of the time.

**Differences from the published fit.** AlpacaEval fits each model with an
L1-penalised, cross-validated logistic regression, regularises it toward rows where
the baseline was compared with its own "verbose" and "concise" variants (weight
0.2), and uses a difficulty estimated once over its whole leaderboard. Neither the
gamed baseline annotations nor that difficulty are public, so this module uses
plain maximum likelihood throughout. On ``shared/data/alpacaeval2`` (25 models,
805 instructions, judge ``weighted_alpaca_eval_gpt4_turbo``) it reproduces the
published ``length_controlled_winrate`` with mean absolute difference 0.87
percentage points, largest difference 4.1 pp (gpt-3.5-turbo-1106), Spearman 0.990;
the raw win rates match exactly. The standard errors run larger than the published
ones (about 0.85 against 0.6) because the published per-model fits are shrunk.

The difficulty is only as good as the set of models it is estimated from: with
fewer than about ten models it is noisy (LC moves by several points); pass a
difficulty estimated on a larger set with ``difficulty=`` when you can.

The published sanity band (AlpacaEval's warning) flags an LC rate below
``min(raw - raw / 4, raw - 10)`` or above ``max(raw + (100 - raw) / 4, raw + 10)``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.optimize as so
import scipy.sparse as sp
import statsmodels.api as sm
from scipy.special import expit, log_expit

from ..data import read_table
from ..errors import InputError, UsageError
from ..tablefile import read_source
from .intervals import show_value as _show
from .lc_interval import identification_problem, lc_bootstrap, stable_seed

__all__ = [
    "LC_COLUMNS",
    "fit_instruction_difficulty",
    "is_extreme_change",
    "lc_winrate",
    "load_lc_table",
]

LC_COLUMNS: tuple[str, ...] = (
    "model",
    "instruction_index",
    "baseline_length",
    "model_length",
    "preference",
)
"""The long table ``lc_winrate`` reads: one row per (model, instruction)."""

_ANNOTATION_KEYS: tuple[str, ...] = (
    "instruction",
    "output_1",
    "output_2",
    "generator_2",
    "preference",
)

N_BOOT = 500
"""Default bootstrap resamples per model for ``lc_ci_low`` / ``lc_ci_high``."""

_FEW_MODELS = 5
"""Below this many models the joint difficulty fit warns (see the module docstring)."""

_OUTPUT_COLUMNS: tuple[str, ...] = (
    "model",
    "n",
    "win_rate",
    "standard_error",
    "lc_win_rate",
    "lc_standard_error",
    "lc_ci_low",
    "lc_ci_high",
    "length_coefficient",
    "difficulty_coefficient",
    "not_baseline_coefficient",
    "length_sd",
    "avg_length",
    "flagged",
    "note",
)


# --------------------------------------------------------------------------- reading


def _first(mask: pd.Series | np.ndarray) -> int | None:
    """Position of the first True in ``mask``, or None."""
    hits = np.flatnonzero(np.asarray(mask, dtype=bool))
    return int(hits[0]) if len(hits) else None


class _Source:
    """One input file read with :func:`~judgebias.data.read_table`.

    ``error`` places a record of ``frame`` in the file the way ``judgebias.data``
    does: ``line N`` (JSON, JSON Lines: the physical line), ``row N`` (CSV/TSV:
    header = row 1, first data row = row 2; Parquet: the N-th record).
    """

    def __init__(self, path: Path, mapping: Mapping[str, str]) -> None:
        self.path = str(path)
        self.frame = read_table(path, mapping)

    def error(self, problem: str, pos: int | None = None) -> InputError:
        """An InputError for the record at position ``pos`` of ``frame`` (from 0)."""
        if pos is None:
            return InputError(self.path, problem)
        # read_table keeps no locations: read them again, on this error path only.
        table = read_source(self.path)
        loc = table.locs[pos] if pos < len(table.locs) else pos + 1  # Parquet: no locs
        return table.error(problem, loc)


def _numeric(src: _Source, column: str, *, allow_nan: bool = False) -> pd.Series:
    raw = src.frame[column]
    values = pd.to_numeric(raw, errors="coerce").astype(float)
    bad = values.isna() & raw.notna()
    if not allow_nan:
        bad = bad | raw.isna()
    pos = _first(bad)
    if pos is not None:
        raise src.error(f"{column} must be a number, got {_show(raw.iloc[pos])}", pos)
    return values


def _check_preference(pref: pd.Series, src: _Source) -> None:
    pos = _first(pref.notna() & ((pref < 1.0) | (pref > 2.0)))
    if pos is not None:
        raise src.error(
            f"preference {_show(pref.iloc[pos])} is outside [1, 2] (1 = baseline wins, 2 = model "
            "wins, 1.5 = tie); add 1 to a 0/1 encoding",
            pos,
        )


def _from_annotations(src: _Source, instruction_ids: dict[str, int]) -> pd.DataFrame:
    frame = src.frame
    for key in ("output_1", "output_2", "instruction", "generator_2"):
        pos = _first(frame[key].map(lambda v: not isinstance(v, str)))
        if pos is not None:
            raise src.error(f"{key} must be a string", pos)
    pref = _numeric(src, "preference", allow_nan=True)
    # AlpacaEval's convention: some annotators write 0 for a draw.
    pref = pref.where(pref != 0.0, 1.5)
    _check_preference(pref, src)
    index = []
    for text in frame["instruction"]:
        if text not in instruction_ids:
            instruction_ids[text] = len(instruction_ids)
        index.append(instruction_ids[text])
    out = pd.DataFrame(
        {
            "model": frame["generator_2"].astype(str).to_numpy(),
            "instruction_index": np.asarray(index, dtype=np.int64),
            "baseline_length": frame["output_1"].str.len().astype(float).to_numpy(),
            "model_length": frame["output_2"].str.len().astype(float).to_numpy(),
            "preference": pref.to_numpy(),
        }
    )
    if "generator_1" in frame.columns:
        out["baseline"] = frame["generator_1"].astype(str).to_numpy()
    if "dataset" in frame.columns:
        out["dataset"] = frame["dataset"].to_numpy()
    return out


def _from_table(src: _Source) -> pd.DataFrame:
    out = src.frame.copy()
    pos = _first(out["model"].isna())
    if pos is not None:
        raise src.error("model is empty", pos)
    out["model"] = out["model"].astype(str)
    idx = _numeric(src, "instruction_index")
    pos = _first(idx != np.round(idx))
    if pos is not None:
        raise src.error(f"instruction_index must be an integer, got {_show(idx.iloc[pos])}", pos)
    out["instruction_index"] = idx.astype(np.int64).to_numpy()
    for col in ("baseline_length", "model_length"):
        vals = _numeric(src, col)
        pos = _first(vals < 0)
        if pos is not None:
            raise src.error(f"{col} must be >= 0", pos)
        out[col] = vals.to_numpy()
    pref = _numeric(src, "preference", allow_nan=True)
    _check_preference(pref, src)
    out["preference"] = pref.to_numpy()
    return out


def load_lc_table(
    path: str | Path | Sequence[str | Path],
    mapping: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read judge preferences against a baseline into the long table ``lc_winrate`` needs.

    ``path`` is one file or a list of files, each either

    - AlpacaEval annotations: a JSON list (or JSONL) of objects with ``instruction,
      output_1`` (the baseline's output), ``output_2`` (the model's), ``generator_2``
      (the model), ``preference`` (1-2; 0 is read as a tie, AlpacaEval's convention);
      lengths are the outputs' lengths in characters and ``instruction_index`` the
      order of first appearance of the instruction text over all files given; or
    - a table (CSV, TSV, JSONL, JSON, Parquet) with columns ``model,
      instruction_index, baseline_length, model_length, preference``.

    Files are read with :func:`judgebias.data.read_table`, so any may be gzipped.
    ``mapping`` renames columns before the check, as ``{expected_name:
    name_in_file}``. A missing preference (empty cell, ``null``) is kept as NaN and
    skipped by ``lc_winrate``; any other bad value raises :class:`InputError` naming
    the file and where in it, as ``judgebias.data`` counts: ``line N`` for JSON and
    JSON Lines (the physical line), ``row N`` for CSV/TSV (the header is row 1, the
    first data row row 2) and Parquet (the N-th record).
    """
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    if not paths:
        raise UsageError("load_lc_table: no input file given")
    if mapping is not None and not isinstance(mapping, Mapping):
        raise UsageError("mapping must be {expected_column: column_in_file}")
    rename = {str(new): str(old) for new, old in (mapping or {}).items()}
    instruction_ids: dict[str, int] = {}
    parts: list[pd.DataFrame] = []
    kinds: set[str] = set()
    sources: list[_Source] = []
    for item in paths:
        src = _Source(Path(item), rename)
        columns = set(map(str, src.frame.columns))
        if set(LC_COLUMNS) <= columns:
            part = _from_table(src)
            kinds.add("table")
        elif set(_ANNOTATION_KEYS) <= columns:
            part = _from_annotations(src, instruction_ids)
            kinds.add("annotations")
        else:
            missing_table = [c for c in LC_COLUMNS if c not in columns]
            missing_ann = [c for c in _ANNOTATION_KEYS if c not in columns]
            raise src.error(
                f"missing column(s) {', '.join(missing_table)} for a table "
                f"(or {', '.join(missing_ann)} for AlpacaEval annotations); "
                f"found: {', '.join(sorted(columns)) or '(none)'}"
            )
        part["_file"] = len(sources)
        part["_pos"] = np.arange(len(part))
        sources.append(src)
        parts.append(part)
    if len(kinds) > 1:
        raise UsageError(
            "cannot combine AlpacaEval annotation files with tables: their instruction "
            "indices are not comparable; convert one kind to the other first"
        )
    table = pd.concat(parts, ignore_index=True)
    at = _first(table.duplicated(subset=["model", "instruction_index"], keep="first"))
    if at is not None:
        raise sources[int(table["_file"].iloc[at])].error(
            f"duplicate rating of model {table['model'].iloc[at]!r} on instruction "
            f"{int(table['instruction_index'].iloc[at])}",
            int(table["_pos"].iloc[at]),
        )
    return table.drop(columns=["_file", "_pos"])


# --------------------------------------------------------------------------- fitting


def is_extreme_change(raw: float, lc: float) -> bool:
    """AlpacaEval's sanity band: True when the LC rate is suspiciously far from the raw one.

    Both in percent. Flags ``lc < min(raw - raw/4, raw - 10)`` or
    ``lc > max(raw + (100 - raw)/4, raw + 10)``.
    """
    if math.isnan(raw) or math.isnan(lc):
        return False
    too_small = lc < min(raw - raw / 4.0, raw - 10.0)
    too_large = lc > max(raw + (100.0 - raw) / 4.0, raw + 10.0)
    return bool(too_small or too_large)


def _validate(df: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise UsageError("lc_winrate expects a pandas DataFrame")
    missing = [c for c in LC_COLUMNS if c not in df.columns]
    if missing:
        raise UsageError(
            f"the table lacks column(s) {', '.join(missing)}; needs {', '.join(LC_COLUMNS)}"
        )
    if df["model"].isna().any() or df["instruction_index"].isna().any():
        raise UsageError("model and instruction_index must not be empty")
    out = pd.DataFrame(
        {
            "model": df["model"].astype(str).to_numpy(),
            "instruction_index": df["instruction_index"].to_numpy(),
        }
    )
    for col in ("baseline_length", "model_length", "preference"):
        vals = pd.to_numeric(df[col], errors="coerce").astype(float)
        bad = vals.isna() & df[col].notna()
        if col != "preference":
            bad = bad | df[col].isna()
        if bad.any():
            label = df.index[int(np.flatnonzero(bad.to_numpy())[0])]
            raise UsageError(f"{col} must be numeric (row {label!r}: {_show(df[col].loc[label])})")
        out[col] = vals.to_numpy()
    pref = out["preference"]
    out_of_range = pref.notna() & ((pref < 1.0) | (pref > 2.0))
    if out_of_range.any():
        label = df.index[int(np.flatnonzero(out_of_range.to_numpy())[0])]
        raise UsageError(
            f"preference must be in [1, 2] (1 = baseline wins, 2 = model wins, 1.5 = tie); "
            f"row {label!r} has {_show(df['preference'].loc[label])}"
        )
    if (out["baseline_length"] < 0).any() or (out["model_length"] < 0).any():
        raise UsageError("lengths must be >= 0")
    if "baseline" in df.columns:
        out["baseline"] = df["baseline"].astype(str).to_numpy()
    return out


def _self_rows(table: pd.DataFrame, baseline: str | None) -> np.ndarray:
    """Rows where the model is the baseline itself (its win rate is 50 % by construction)."""
    mask = np.zeros(len(table), dtype=bool)
    if baseline is not None:
        mask |= (table["model"] == baseline).to_numpy()
    if "baseline" in table.columns:
        mask |= (table["model"] == table["baseline"]).to_numpy()
    return mask


def _length_feature(table: pd.DataFrame) -> tuple[np.ndarray, pd.Series]:
    """tanh(delta / sd_model) per row, and sd per model (0 when undefined)."""
    delta = (table["baseline_length"] - table["model_length"]).astype(float)
    sd = delta.groupby(table["model"]).std(ddof=1).fillna(0.0)
    sd_row = table["model"].map(sd).to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(sd_row > 0, np.tanh(delta.to_numpy() / np.where(sd_row > 0, sd_row, 1.0)), 0.0)
    return x, sd


def default_ridge(n_models: int) -> float:
    """The default L2 penalty on the instruction difficulties for ``n_models`` models."""
    return max(1e-3, 10.0 / max(n_models, 1) - 0.4)


def fit_instruction_difficulty(
    df: pd.DataFrame, *, baseline: str | None = None, ridge: float | None = None
) -> pd.Series:
    """Instruction difficulty ``d_i`` from a joint fit over all models in ``df``.

    The binomial model ``logit p = d_i + alpha_m + beta_m * tanh(delta / sd_m)``
    with soft targets, ``ridge`` an L2 penalty on the ``d_i`` (see the module
    docstring). Rows of the baseline against itself and rows without a preference
    are ignored. Returns a Series indexed by ``instruction_index``, centred at 0;
    higher means the models tend to beat the baseline on that instruction.
    """
    if ridge is not None and ridge < 0:
        raise UsageError("ridge must be >= 0")
    table = _validate(df)
    keep = ~_self_rows(table, baseline) & table["preference"].notna().to_numpy()
    table = table.loc[keep].reset_index(drop=True)
    if ridge is None:
        ridge = default_ridge(int(table["model"].nunique()))
    if len(table) == 0:
        raise UsageError("no rated rows to estimate instruction difficulty from")
    n_models = table["model"].nunique()
    if n_models < _FEW_MODELS:
        warnings.warn(
            f"instruction difficulty estimated from only {n_models} model(s); with fewer than "
            f"{_FEW_MODELS} it is unreliable: pass a difficulty estimated on more models",
            UserWarning,
            stacklevel=2,
        )
    x, _ = _length_feature(table)
    y = (table["preference"].to_numpy(dtype=float) - 1.0).clip(0.0, 1.0)
    inst_codes, instructions = pd.factorize(table["instruction_index"], sort=True)
    model_codes, models = pd.factorize(table["model"], sort=True)
    n, k, m = len(table), len(instructions), len(models)
    rows = np.arange(n)
    design = sp.csr_matrix(
        (
            np.concatenate([np.ones(n), np.ones(n), x]),
            (np.tile(rows, 3), np.concatenate([inst_codes, k + model_codes, k + m + model_codes])),
        ),
        shape=(n, k + 2 * m),
    )
    # drop all-zero columns (a model with no length variation has no slope)
    nonzero = np.asarray(abs(design).sum(axis=0)).ravel() > 0
    design = design[:, np.flatnonzero(nonzero)].tocsr()
    design_t = design.T.tocsr()
    penalty = np.zeros(design.shape[1])
    penalty[:k] = ridge if ridge > 0 else 1e-8

    def objective(beta: np.ndarray) -> tuple[float, np.ndarray]:
        eta = design @ beta
        loglik = np.sum(y * log_expit(eta) + (1.0 - y) * log_expit(-eta))
        grad = design_t @ (y - expit(eta))
        return float(-loglik + 0.5 * np.sum(penalty * beta * beta)), -grad + penalty * beta

    def hessp(beta: np.ndarray, v: np.ndarray) -> np.ndarray:
        mu = expit(design @ beta)
        return np.asarray(design_t @ (mu * (1.0 - mu) * (design @ v)) + penalty * v)

    result = so.minimize(
        objective,
        np.zeros(design.shape[1]),
        jac=True,
        hessp=hessp,
        method="trust-krylov",
        options={"gtol": 1e-6, "maxiter": 500},
    )
    if not np.all(np.isfinite(result.x)):
        raise UsageError("instruction difficulty fit did not converge (non-finite estimate)")
    if not result.success:
        warnings.warn(f"instruction difficulty fit: {result.message}", RuntimeWarning, stacklevel=2)
    coef = result.x[:k]
    coef = coef - coef.mean()
    return pd.Series(
        coef, index=pd.Index(instructions, name="instruction_index"), name="difficulty"
    )


def _fit_one(
    y: np.ndarray,
    length_x: np.ndarray,
    diff: np.ndarray,
    use_length: bool,
    *,
    n_boot: int,
    seed: int,
    alpha: float,
) -> dict[str, Any]:
    """Per-model soft-target GLM: LC (in [0, 1]), AlpacaEval's SE, the bootstrap interval,
    the coefficients and a note (why an estimate or an interval is missing)."""
    nan = math.nan
    out: dict[str, Any] = {
        "lc": nan,
        "se": nan,
        "lo": nan,
        "hi": nan,
        "phi": nan,
        "gamma": nan,
        "theta": nan,
        "note": "",
    }
    n = len(y)
    has_diff = n > 1 and float(np.std(diff)) > 0  # a constant difficulty is the intercept
    cols = ([length_x] if use_length else []) + ([diff] if has_diff else []) + [np.ones(n)]
    design = np.column_stack(cols)
    problem = identification_problem(y, design)
    if problem is not None:
        out["note"] = problem
        return out
    exog = np.vstack([design, design])
    endog = np.concatenate([np.ones(n), np.zeros(n)])
    weight = np.concatenate([y, 1.0 - y])
    keep = weight > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = sm.GLM(
                endog[keep], exog[keep], family=sm.families.Binomial(), freq_weights=weight[keep]
            ).fit()
        except (np.linalg.LinAlgError, ValueError):
            out["note"] = "the fit failed (singular design)"
            return out
    params = np.asarray(fit.params, dtype=float)
    theta = float(params[-1])
    gamma = float(params[-2]) if has_diff else 0.0
    pred = expit(theta + gamma * diff)
    out.update(
        lc=float(pred.mean()),
        se=float(np.std(pred, ddof=1) / math.sqrt(n)),
        phi=float(params[0]) if use_length else nan,
        gamma=gamma,
        theta=theta,
    )
    if np.all(y == y[0]):
        out["note"] = (
            f"every preference is {1.0 + float(y[0]):g}: no variation to estimate an interval from"
        )
    elif n_boot > 0:
        lo, hi, _, note = lc_bootstrap(
            y,
            design,
            len(cols) - 2 if has_diff else None,
            params,
            n_boot=n_boot,
            seed=seed,
            alpha=alpha,
        )
        out.update(lo=lo, hi=hi, note=note)
    return out


def lc_winrate(
    df: pd.DataFrame,
    *,
    difficulty: pd.Series | None = None,
    baseline: str | None = None,
    ridge: float | None = None,
    n_boot: int = N_BOOT,
    seed: int = 0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Raw and length-controlled win rates per model against the baseline.

    ``df`` is the long table (``model, instruction_index, baseline_length,
    model_length, preference``; see :func:`load_lc_table`). ``difficulty`` (indexed
    by ``instruction_index``) skips the joint difficulty fit, e.g. to reuse one
    estimated on a larger set of models. ``baseline`` names the baseline model: its
    rows against itself (also any row whose ``baseline`` column equals its
    ``model``) score 50 % by construction and are left out of the fits. ``ridge`` is
    passed to :func:`fit_instruction_difficulty`.

    Returns one row per model, best LC first, all rates in percent:

    - ``n`` rated instructions, ``win_rate`` = 100 * mean(preference - 1) and its
      ``standard_error``;
    - ``lc_win_rate``; ``lc_standard_error``, AlpacaEval's figure (the standard
      error of the mean prediction, coefficients taken as known), kept for
      comparison; ``lc_ci_low``, ``lc_ci_high``: the ``1 - alpha`` percentile interval
      of a bootstrap over instructions with the model refitted in each of ``n_boot``
      resamples (:mod:`judgebias.stats.lc_interval`; seeded per model by ``seed`` and
      its name; ``n_boot=0`` skips it);
    - ``length_coefficient``: the fitted slope on ``tanh((model_length -
      baseline_length) / sd)``, i.e. ``-phi_m``; positive = the judge favours the
      longer output; ``difficulty_coefficient`` (``gamma_m``) and
      ``not_baseline_coefficient`` (``theta_m``), ``length_sd`` (``sd_m``);
    - ``avg_length``: mean length of the model's outputs (characters);
    - ``flagged``: the LC rate falls outside AlpacaEval's sanity band, or it could
      not be estimated;
    - ``note``: why an estimate or an interval is missing (too few rows, every
      comparison won or lost, separation, no variation), else empty.

    A model whose fit is not identified gets NaN for LC, its standard error, its
    interval and its coefficients, never a number from a diverged fit.
    """
    table = _validate(df)
    table = table.loc[table["preference"].notna().to_numpy()].reset_index(drop=True)
    if len(table) == 0:
        raise UsageError("no rated rows (every preference is missing)")
    self_mask = _self_rows(table, baseline)
    if difficulty is None:
        if (~self_mask).sum() == 0:
            diff_series = pd.Series(dtype=float)
        else:
            diff_series = fit_instruction_difficulty(
                table.loc[~self_mask], baseline=None, ridge=ridge
            )
    else:
        if not isinstance(difficulty, pd.Series):
            raise UsageError("difficulty must be a pandas Series indexed by instruction_index")
        diff_series = pd.to_numeric(difficulty, errors="coerce").astype(float)
        needed = pd.Index(table.loc[~self_mask, "instruction_index"].unique())
        absent = needed.difference(diff_series.dropna().index)
        if len(absent):
            raise UsageError(
                f"difficulty lacks {len(absent)} instruction(s) of the table "
                f"(e.g. instruction_index {absent[0]!r})"
            )
    x, sd = _length_feature(table)
    table["_x"] = x
    table["_self"] = self_mask
    records: list[dict[str, Any]] = []
    for model, group in table.groupby("model", sort=True):
        p = group["preference"].to_numpy(dtype=float) - 1.0
        n = len(group)
        raw = 100.0 * float(p.mean())
        raw_se = 100.0 * float(np.std(p, ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        record: dict[str, Any] = {
            "model": model,
            "n": n,
            "win_rate": raw,
            "standard_error": raw_se,
            "avg_length": float(group["model_length"].mean()),
            "length_sd": float(sd.get(model, math.nan)),
        }
        if bool(group["_self"].all()):
            record.update(
                lc_win_rate=50.0,
                lc_standard_error=0.0,
                lc_ci_low=50.0,
                lc_ci_high=50.0,
                length_coefficient=0.0,
                difficulty_coefficient=0.0,
                not_baseline_coefficient=0.0,
                note="the baseline against itself: 50 % by construction",
            )
        else:
            g = group.loc[~group["_self"]]
            d = diff_series.reindex(g["instruction_index"].to_numpy()).to_numpy(dtype=float)
            sd_m = float(sd.get(model, 0.0))
            fit = _fit_one(
                g["preference"].to_numpy(dtype=float) - 1.0,
                g["_x"].to_numpy(),
                d,
                sd_m > 0,
                n_boot=n_boot,
                seed=stable_seed(seed, model),
                alpha=alpha,
            )
            record.update(
                lc_win_rate=100.0 * fit["lc"],
                lc_standard_error=100.0 * fit["se"],
                lc_ci_low=100.0 * fit["lo"],
                lc_ci_high=100.0 * fit["hi"],
                length_coefficient=-fit["phi"],
                difficulty_coefficient=fit["gamma"],
                not_baseline_coefficient=fit["theta"],
                note=fit["note"],
            )
        record["flagged"] = is_extreme_change(record["win_rate"], record["lc_win_rate"]) or bool(
            math.isnan(record["lc_win_rate"])
        )
        records.append(record)
    out = pd.DataFrame.from_records(records, columns=list(_OUTPUT_COLUMNS))
    out["n"] = out["n"].astype(int)
    out["flagged"] = out["flagged"].astype(bool)
    return out.sort_values("lc_win_rate", ascending=False, na_position="last").reset_index(
        drop=True
    )
