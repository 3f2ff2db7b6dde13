"""Churn models judged on held-out customers only.

The classifier is chosen on the training customers alone (5-fold cross-validated AUC of a regularised
logistic regression, gradient-boosted trees, and their average; on more than SELECT_ON training customers,
3-fold on a stratified sample of them), then refitted once on every training customer (at most
MAX_TRAIN); the logistic regression fitted on the same training customers is the baseline every report
shows next to it. A Cox model (lifelines) gives time to churn. AUC intervals use Hanley & McNeil's standard error; calibration is shown
in deciles.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from cxgap.churn.data import ChurnData
from cxgap.churn.threads import one_thread, scoring_threads, side_by_side
from cxgap.errors import CxgapError
from cxgap.stats import Estimate, wilson_interval

MAX_TRAIN = 100_000  # customers: on the 1M demo, 200,000 gave a held-out AUC 0.0008 higher for twice the fit
TEST_SHARE = 0.3  # of the customers, held out to judge every model
SELECT_ON = 50_000  # training customers the candidates are cross-validated on (then one refit on all)
# folds on that sample: every sampled customer still judges each candidate once, on fits of 33,000; on the
# 1M demo, seeds 0-2 chose the same model as with 5 folds, for two thirds of the fitting
SAMPLE_FOLDS = 3
T = TypeVar("T")


@dataclass(frozen=True)
class CalibrationBin:
    """Held-out customers in one decile of predicted risk: mean prediction against observed churn."""

    predicted: float
    observed: Estimate


@dataclass(frozen=True)
class ModelScore:
    """One model on the held-out customers."""

    name: str
    auc: Estimate
    brier: float
    calibration: tuple[CalibrationBin, ...]


def auc_interval(y: np.ndarray, p: np.ndarray, confidence: float = 0.95) -> Estimate:
    """AUC with Hanley & McNeil's (1982) standard error."""
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if positives == 0 or negatives == 0:
        nan = float("nan")
        return Estimate(nan, nan, nan, len(y), nan, confidence)
    auc = float(roc_auc_score(y, p))
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)) / (
        positives * negatives
    )
    se = math.sqrt(max(variance, 0.0))
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    return Estimate(auc, max(auc - z * se, 0.0), min(auc + z * se, 1.0), len(y), se, confidence)


def score(name: str, y: np.ndarray, p: np.ndarray, confidence: float = 0.95, bins: int = 10) -> ModelScore:
    """AUC, Brier score and decile calibration of predictions `p` for outcomes `y`."""
    order = np.argsort(p, kind="stable")
    table = []
    for chunk in np.array_split(order, min(bins, max(len(p), 1))):
        if len(chunk):
            table.append(
                CalibrationBin(
                    float(p[chunk].mean()), wilson_interval(int(y[chunk].sum()), len(chunk), confidence)
                )
            )
    return ModelScore(name, auc_interval(y, p, confidence), float(np.mean((p - y) ** 2)), tuple(table))


def logistic() -> Pipeline:
    """The baseline: median-imputed (with missing-value flags), standardised, L2 logistic regression."""
    return make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True),
        StandardScaler(),
        LogisticRegression(max_iter=2000),
    )


def boosted(seed: int) -> HistGradientBoostingClassifier:
    """Gradient-boosted trees (missing values handled natively), stopped early on an inner split."""
    return HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=400,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        early_stopping=True,
        validation_fraction=0.15,
        random_state=seed,
    )


class Blend:
    """The average of the logistic regression's and the trees' probabilities."""

    def __init__(self, seed: int, models: list[Any] | None = None) -> None:
        self.models: list[Any] = models if models is not None else [logistic(), boosted(seed)]

    def fit(self, x: pd.DataFrame, y: np.ndarray) -> Blend:
        for model in self.models:
            model.fit(x, y)
        return self

    def predict_proba(self, x: pd.DataFrame, threads: int = 1) -> np.ndarray:
        return np.asarray(np.mean([probabilities(m, x, threads) for m in self.models], axis=0))


def probabilities(model: Any, x: pd.DataFrame, threads: int = 1) -> np.ndarray:
    """`model.predict_proba(x)`, the trees' read on binned features (see `_binned_trees`) on `threads`
    threads."""
    if isinstance(model, Blend):
        return model.predict_proba(x, threads)
    if isinstance(model, HistGradientBoostingClassifier):
        return _binned_trees(model, x, threads)
    return np.asarray(model.predict_proba(x))


def _binned_trees(model: HistGradientBoostingClassifier, x: pd.DataFrame, threads: int = 1) -> np.ndarray:
    """The trees' probabilities from the features binned as in training (one byte a value), the way
    scikit-learn scores its own training data during the fit. A split 'bin <= b' is 'value <= threshold
    b' with b's own threshold, so the probabilities are the raw-value path's to the last bit (a test holds
    it); on 825,000 customers it takes two thirds of the CPU, the binned rows fitting the caches. The
    model is only read, so several threads may score with it at once."""
    binned = model._bin_mapper.transform(model._preprocess_X(x, reset=False))
    baseline = model._baseline_prediction
    raw = np.zeros((len(binned), model.n_trees_per_iteration_), dtype=baseline.dtype, order="F")
    raw += baseline
    model._predict_iterations(binned, model._predictors, raw, True, threads)  # True: the rows are binned
    return np.asarray(model._loss.predict_proba(raw))


CANDIDATES = ("logistic regression", "gradient-boosted trees", "average of both")


def candidates(seed: int) -> dict[str, Any]:
    """The models the selection chooses among, by name."""
    return dict(zip(CANDIDATES, (logistic(), boosted(seed), Blend(seed)), strict=True))


def _cv_auc(x: pd.DataFrame, y: np.ndarray, seed: int, folds: int = 5) -> dict[str, float]:
    """Each candidate's cross-validated AUC (5 folds unless told). The average of both is the mean of the
    other two's probabilities, so each fold fits the logistic regression and the trees once and scores all
    three. The folds are fitted side by side on up to scoring_threads() threads, each fit on one (see
    one_thread): they do not depend on each other, so the result is the same on any number of threads."""
    return _mean_aucs(side_by_side(_run, _fold_jobs(x, y, seed, folds)))


def _fold_jobs(x: pd.DataFrame, y: np.ndarray, seed: int, folds: int) -> list[Callable[[], list[float]]]:
    """One job per fold (see `_cv_auc`): the three candidates' AUCs on the fold's held-out part."""
    splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y)

    def fold(train: np.ndarray, test: np.ndarray) -> list[float]:
        with one_thread():  # a new thread starts without the caller's limit
            both = Blend(seed).fit(x.iloc[train], y[train])
            p = [probabilities(model, x.iloc[test])[:, 1] for model in both.models]
        return [float(roc_auc_score(y[test], guess)) for guess in (p[0], p[1], (p[0] + p[1]) / 2)]

    return [partial(fold, train, test) for train, test in splits]


def _mean_aucs(aucs: Sequence[list[float]]) -> dict[str, float]:
    return {name: float(np.mean([a[k] for a in aucs])) for k, name in enumerate(CANDIDATES)}


def _run(job: Callable[[], Any]) -> Any:
    return job()


def _selection_sample(train: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """The training customers the candidates are cross-validated on: all of them up to SELECT_ON, else a
    stratified sample of SELECT_ON (the chosen model is then refitted once on every training customer)."""
    if len(train) <= SELECT_ON:
        return train
    chosen, _ = train_test_split(train, train_size=SELECT_ON, stratify=y[train], random_state=seed)
    return np.sort(chosen)


def _chosen(name: str, baseline: Any, trees: Any, seed: int) -> Any:
    """The chosen model from the refitted logistic regression (the baseline) and trees: where it
    contains the logistic regression, that is the baseline's fit (one fit, not two)."""
    if name == "logistic regression":
        return baseline
    return trees if name == "gradient-boosted trees" else Blend(seed, [baseline, trees])


@dataclass
class FittedClassifier:
    """The chosen classifier refitted on all training customers, with its held-out score and the
    baseline's, and the cross-validated AUC of every candidate (training customers only)."""

    name: str
    model: Any
    baseline: Any
    chosen: ModelScore
    baseline_score: ModelScore
    cv_auc: dict[str, float]
    train: np.ndarray
    test: np.ndarray
    columns: list[str]

    def risk(self, features: pd.DataFrame) -> np.ndarray:
        """Probability of churn within the horizon for each row (on scoring_threads())."""
        return in_batches(self.model, features[self.columns], threads=scoring_threads())


def split(data: ChurnData, test_share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Training and held-out row numbers, stratified by churn."""
    events = int(data.churned.sum())
    if events < 10 or data.n - events < 10:
        raise CxgapError(
            f"A churn model needs at least 10 churners and 10 stayers; this data has {events} of {data.n:,}."
        )
    train, test = stratified_split(data.churned, test_share, seed)
    if len(train) > MAX_TRAIN:  # drawn from the split's order
        train = np.sort(np.random.default_rng(seed).choice(train, MAX_TRAIN, replace=False))
    return np.sort(train), np.sort(test)


def stratified_split(y: np.ndarray, test_share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The training and held-out row numbers, in the order scikit-learn's `train_test_split(rows,
    test_size=test_share, stratify=y, random_state=seed)` draws, from the same random numbers in the same
    order, without the list of one Python int per row it builds (0.2 s at a million customers; a test
    holds the two equal)."""
    n_test = math.ceil(test_share * len(y))
    classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    members = np.split(np.argsort(inverse, kind="stable"), np.cumsum(counts)[:-1])
    rng = np.random.RandomState(seed)
    n_train = _approximate_mode(counts, len(y) - n_test, rng)
    n_held = _approximate_mode(counts - n_train, n_test, rng)
    train, test = [], []
    for k in range(len(classes)):
        drawn = members[k].take(rng.permutation(counts[k]), mode="clip")
        train.append(drawn[: n_train[k]])
        test.append(drawn[n_train[k] : n_train[k] + n_held[k]])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _approximate_mode(counts: np.ndarray, draws: int, rng: np.random.RandomState) -> np.ndarray:
    """How many of `draws` each class gets, as scikit-learn's stratified split (its private
    `utils.extmath._approximate_mode`, BSD-3): the floor of each class's share, the rest to the largest
    remainders, ties broken by `rng` in the same calls, so the same random numbers follow."""
    continuous = counts / counts.sum() * draws
    floored = np.floor(continuous)
    need = int(draws - floored.sum())
    remainder = continuous - floored
    for value in np.sort(np.unique(remainder))[::-1] if need > 0 else ():
        (tied,) = np.where(remainder == value)
        now = min(len(tied), need)
        floored[rng.choice(tied, size=now, replace=False)] += 1
        need -= now
        if need == 0:
            break
    return np.asarray(floored, dtype=int)


def fit_classifier(
    data: ChurnData, test_share: float = TEST_SHARE, seed: int = 0, confidence: float = 0.95
) -> FittedClassifier:
    """Choose, fit and judge the churn classifier on held-out customers (on one thread, see one_thread)."""
    fitted, _ = fit_classifier_beside(data, split(data, test_share, seed), lambda: None, seed, confidence)
    return fitted


def fit_classifier_beside(
    data: ChurnData,
    rows: tuple[np.ndarray, np.ndarray],
    other: Callable[[], T],
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[FittedClassifier, T]:
    """`fit_classifier` on the training and held-out row numbers `rows` (see `split`), with `other`
    (independent work, such as the models judged on the same customers) done beside the folds and the
    refits: every fit keeps to one thread, and all of them are spread over the scoring threads."""
    train, test = rows
    with one_thread():
        known = data.features.iloc[train]
        columns = [c for c in known.columns if known[c].notna().any() and known[c].nunique(dropna=False) > 1]
        if not columns:
            raise CxgapError(
                "Every feature is empty or the same for every customer; there is nothing to learn from."
            )
        x, y = data.features[columns], data.churned
        sample = _selection_sample(train, y, seed)
        folds = _fold_jobs(x.iloc[sample], y[sample], seed, 5 if len(sample) == len(train) else SAMPLE_FOLDS)

        def trees() -> Any:
            with one_thread():  # a new thread starts without the caller's limit
                return boosted(seed).fit(x.iloc[train], y[train])

        def baseline_and_other() -> tuple[Any, T]:
            with one_thread():
                return logistic().fit(x.iloc[train], y[train]), other()

        # With several threads the trees are refitted while the folds compare the candidates (the longest
        # fit starts first; most runs choose a model with trees); on one thread, only once chosen.
        ahead = scoring_threads() > 1
        done = side_by_side(
            _run, [trees, baseline_and_other, *folds] if ahead else [baseline_and_other, *folds]
        )
        cv = _mean_aucs(done[-len(folds) :])
        best = max(cv, key=lambda name: cv[name])
        baseline, extra = done[1] if ahead else done[0]
        refitted = done[0] if ahead else (trees() if best != "logistic regression" else None)
        model = _chosen(best, baseline, refitted, seed)
        guess, base_guess = _held_out(model, baseline, x.iloc[test])
        chosen = score(best, y[test], guess, confidence)
        base = score("logistic regression (baseline)", y[test], base_guess, confidence)
    return FittedClassifier(best, model, baseline, chosen, base, cv, train, test, columns), extra


def _held_out(model: Any, baseline: Any, held: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The chosen model's and the baseline's probabilities for the held-out customers; where the chosen
    model is or contains the baseline, the baseline's are computed once (the same numbers as twice)."""
    threads = scoring_threads()
    base = in_batches(baseline, held, threads=threads)
    if model is baseline:
        return base, base
    if isinstance(model, Blend) and len(model.models) == 2 and model.models[0] is baseline:
        return (base + in_batches(model.models[1], held, threads=threads)) / 2, base
    return in_batches(model, held, threads=threads), base


def in_batches(model: Any, x: pd.DataFrame, size: int = 50_000, threads: int = 1) -> np.ndarray:
    """The model's churn probability for each row, computed `size` rows at a time (bounded memory). With
    several threads the batches are scored side by side, each on one: every step of the scoring runs on
    all of them then (the trees' binning, and the logistic regression, run on one thread within a batch),
    and each batch's numbers are what they are on one thread."""
    if len(x) <= size:
        return probabilities(model, x, threads)[:, 1]

    def batch(start: int) -> np.ndarray:
        with one_thread():  # a new thread starts without the caller's limit
            return probabilities(model, x.iloc[start : start + size])[:, 1]

    starts = range(0, len(x), size)
    return np.concatenate(side_by_side(batch, starts) if threads > 1 else [batch(i) for i in starts])
