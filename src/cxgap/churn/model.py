"""Churn models judged on held-out customers only.

The classifier is chosen on the training customers alone (5-fold cross-validated AUC of a regularised
logistic regression, gradient-boosted trees, and their average; on more than SELECT_ON training customers,
on a stratified sample of them), then refitted once on every training customer; the logistic regression
fitted on the same training customers is the baseline every report shows next to it. A Cox model
(lifelines) gives time to churn. AUC intervals use Hanley & McNeil's standard error; calibration is shown
in deciles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

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
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from cxgap.churn.data import ChurnData
from cxgap.errors import CxgapError
from cxgap.stats import Estimate, wilson_interval

MAX_TRAIN = 200_000  # customers; more adds little to these models and costs time and memory
SELECT_ON = 50_000  # training customers the candidates are cross-validated on (then one refit on all)


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

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        return np.asarray(np.mean([probabilities(m, x) for m in self.models], axis=0))


def probabilities(model: Any, x: pd.DataFrame) -> np.ndarray:
    """`model.predict_proba(x)`, the trees' read on binned features (see `_binned_trees`)."""
    if isinstance(model, HistGradientBoostingClassifier):
        return _binned_trees(model, x)
    return np.asarray(model.predict_proba(x))


def _binned_trees(model: HistGradientBoostingClassifier, x: pd.DataFrame) -> np.ndarray:
    """The trees' probabilities from the features binned as in training (one byte a value), the way
    scikit-learn scores its own training data during the fit. A split 'bin <= b' is 'value <= threshold
    b' with b's own threshold, so the probabilities are the raw-value path's to the last bit (a test holds
    it); on 825,000 customers it takes two thirds of the CPU, the binned rows fitting the caches."""
    binned = model._bin_mapper.transform(model._preprocess_X(x, reset=False))
    model._in_fit = True  # scikit-learn's own switch: _raw_predict then reads binned rows
    try:
        raw = model._raw_predict(binned)
    finally:
        del model._in_fit
    return np.asarray(model._loss.predict_proba(raw))


CANDIDATES = ("logistic regression", "gradient-boosted trees", "average of both")


def candidates(seed: int) -> dict[str, Any]:
    """The models the selection chooses among, by name."""
    return dict(zip(CANDIDATES, (logistic(), boosted(seed), Blend(seed)), strict=True))


def _cv_auc(x: pd.DataFrame, y: np.ndarray, seed: int) -> dict[str, float]:
    """Each candidate's 5-fold cross-validated AUC. The average of both is the mean of the other two's
    probabilities, so each fold fits the logistic regression and the trees once and scores all three."""
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    aucs: dict[str, list[float]] = {name: [] for name in CANDIDATES}
    for train, test in folds.split(x, y):
        both = Blend(seed).fit(x.iloc[train], y[train])
        p = [probabilities(model, x.iloc[test])[:, 1] for model in both.models]
        for name, guess in zip(CANDIDATES, (p[0], p[1], (p[0] + p[1]) / 2), strict=True):
            aucs[name].append(float(roc_auc_score(y[test], guess)))
    return {name: float(np.mean(values)) for name, values in aucs.items()}


def _selection_sample(train: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """The training customers the candidates are cross-validated on: all of them up to SELECT_ON, else a
    stratified sample of SELECT_ON (the chosen model is then refitted once on every training customer)."""
    if len(train) <= SELECT_ON:
        return train
    chosen, _ = train_test_split(train, train_size=SELECT_ON, stratify=y[train], random_state=seed)
    return np.sort(chosen)


def _refit(name: str, x: pd.DataFrame, y: np.ndarray, seed: int) -> tuple[Any, Any]:
    """The chosen model and the logistic baseline fitted on the training customers; where the chosen
    model contains the logistic regression, the baseline is that same fit (one fit, not two)."""
    baseline = logistic().fit(x, y)
    if name == "logistic regression":
        return baseline, baseline
    trees = boosted(seed).fit(x, y)
    return (trees if name == "gradient-boosted trees" else Blend(seed, [baseline, trees])), baseline


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
        """Probability of churn within the horizon for each row."""
        return in_batches(self.model, features[self.columns])


def one_thread() -> Any:
    """A context in which the models compute on one thread (OpenMP and BLAS). They fit at most MAX_TRAIN
    customers, where threads gain little, and on a busy machine (the server computes views side by side)
    waiting threads cost many times the work: one tree model on 40,000 customers took 23 s on two threads
    against 1.2 s on one (2 cores shared with other work)."""
    return threadpool_limits(limits=1)


def split(data: ChurnData, test_share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Training and held-out row numbers, stratified by churn."""
    events = int(data.churned.sum())
    if events < 10 or data.n - events < 10:
        raise CxgapError(
            f"A churn model needs at least 10 churners and 10 stayers; this data has {events} of {data.n:,}."
        )
    rows = np.arange(data.n)
    train, test = train_test_split(rows, test_size=test_share, stratify=data.churned, random_state=seed)
    if len(train) > MAX_TRAIN:
        train = np.sort(np.random.default_rng(seed).choice(train, MAX_TRAIN, replace=False))
    return np.sort(train), np.sort(test)


def fit_classifier(
    data: ChurnData, test_share: float = 0.3, seed: int = 0, confidence: float = 0.95
) -> FittedClassifier:
    """Choose, fit and judge the churn classifier on held-out customers (on one thread, see one_thread)."""
    with one_thread():
        return _fit_classifier(data, test_share, seed, confidence)


def _fit_classifier(data: ChurnData, test_share: float, seed: int, confidence: float) -> FittedClassifier:
    train, test = split(data, test_share, seed)
    known = data.features.iloc[train]
    columns = [c for c in known.columns if known[c].notna().any() and known[c].nunique(dropna=False) > 1]
    if not columns:
        raise CxgapError(
            "Every feature is empty or the same for every customer; there is nothing to learn from."
        )
    x, y = data.features[columns], data.churned
    cv = _cv_auc(x.iloc[(sample := _selection_sample(train, y, seed))], y[sample], seed)
    best = max(cv, key=lambda name: cv[name])
    model, baseline = _refit(best, x.iloc[train], y[train], seed)
    held = x.iloc[test]
    chosen = score(best, y[test], in_batches(model, held), confidence)
    base = score("logistic regression (baseline)", y[test], in_batches(baseline, held), confidence)
    return FittedClassifier(best, model, baseline, chosen, base, cv, train, test, columns)


def in_batches(model: Any, x: pd.DataFrame, size: int = 100_000) -> np.ndarray:
    """The model's churn probability for each row, computed `size` rows at a time (bounded memory)."""
    if len(x) <= size:
        return probabilities(model, x)[:, 1]
    return np.concatenate([probabilities(model, x.iloc[i : i + size])[:, 1] for i in range(0, len(x), size)])
