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

This module is the fit. Reading the long table from AlpacaEval annotations or ready
tables, and checking a DataFrame of it, is :mod:`judgebias.stats.lc_table`
(``load_lc_table`` and ``LC_COLUMNS`` are re-exported here).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import scipy.optimize as so
import scipy.sparse as sp
import statsmodels.api as sm
from scipy.special import expit, log_expit

from judgebias.errors import UsageError
from judgebias.stats.lc_interval import (
    identification_problem,
    lc_bootstrap,
    near_separation,
    stable_seed,
)
from judgebias.stats.lc_table import LC_COLUMNS, check_lc_frame, load_lc_table

__all__ = [
    "LC_COLUMNS",
    "fit_instruction_difficulty",
    "is_extreme_change",
    "lc_winrate",
    "load_lc_table",
]

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
    "failed_refits",
    "flagged",
    "note",
)


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
    table = check_lc_frame(df)
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
        "failed": nan,
        "flag": False,
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
        lo, hi, _, failed, note = lc_bootstrap(
            y,
            design,
            len(cols) - 2 if has_diff else None,
            params,
            n_boot=n_boot,
            seed=seed,
            alpha=alpha,
        )
        out.update(lo=lo, hi=hi, note=note, failed=failed)
    problem = near_separation(-out["phi"], out["failed"])  # the reported coefficient is -phi
    if problem is not None:  # a near-separated fit: no interval, and flagged
        out.update(flag=True, note=problem, lo=nan, hi=nan)
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
    - ``failed_refits``: the share of bootstrap refits without a finite fit (percent;
      NaN without a bootstrap);
    - ``flagged``: the LC rate falls outside AlpacaEval's sanity band, it could not be
      estimated, or the fit is nearly separated (more than 5 % of its refits failed, or
      a length coefficient beyond ±10; :func:`~judgebias.stats.lc_interval.near_separation`:
      the estimate is kept, its interval withheld);
    - ``note``: why an estimate is flagged or an interval is missing (too few rows, every
      comparison won or lost, separation, near separation, no variation), else empty.

    A model whose fit is not identified gets NaN for LC, its standard error, its
    interval and its coefficients, never a number from a diverged fit.
    """
    table = check_lc_frame(df)
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
                failed_refits=100.0 * fit["failed"],
                _flag=fit["flag"],
            )
        record["flagged"] = (
            is_extreme_change(record["win_rate"], record["lc_win_rate"])
            or bool(math.isnan(record["lc_win_rate"]))
            or bool(record.pop("_flag", False))
        )
        records.append(record)
    out = pd.DataFrame.from_records(records, columns=list(_OUTPUT_COLUMNS))
    out["n"] = out["n"].astype(int)
    out["flagged"] = out["flagged"].astype(bool)
    return out.sort_values("lc_win_rate", ascending=False, na_position="last").reset_index(
        drop=True
    )
