"""Choosing the churn classifier: cross-validation fits each base model once per fold and gives the same
AUCs as fitting every candidate on its own; on many customers the candidates are compared on a sample and
the chosen model is refitted once on every training customer; scoring in batches changes nothing; the
health score and the Cox model fitted beside the classifier are those fitted alone."""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from cxgap.churn import ChurnData, service, threads
from cxgap.churn import model as churn_model
from cxgap.churn.model import candidates, fit_classifier, in_batches, logistic
from cxgap.churn.survival import fit_survival
from cxgap.churn.threads import one_thread
from cxgap.config import HealthWeight


def _customers(n: int, seed: int = 1) -> ChurnData:
    """Customers whose churn follows incidents and a low NPS (plus noise), some NPS unknown."""
    rng = np.random.default_rng(seed)
    incidents = rng.poisson(1.0, n).astype(float)
    nps = rng.integers(0, 11, n).astype(float)
    odds = -2.0 + 0.8 * incidents - 0.25 * (nps - 5)
    churned = (rng.random(n) < 1 / (1 + np.exp(-odds))).astype(int)
    nps[rng.random(n) < 0.2] = np.nan
    features = pd.DataFrame({"incidents_90d": incidents, "nps_latest": nps, "usage_90d": rng.poisson(3, n)})
    return ChurnData(ids=np.arange(n).astype(str), features=features.astype(float), churned=churned)


def test_cross_validation_scores_every_candidate_as_if_fitted_alone() -> None:
    data = _customers(500)
    x, y = data.features, data.churned
    with one_thread():
        shared = churn_model._cv_auc(x, y, seed=0)
        for name in shared:
            aucs = []
            for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
                fitted = candidates(0)[name].fit(x.iloc[train], y[train])
                aucs.append(roc_auc_score(y[test], fitted.predict_proba(x.iloc[test])[:, 1]))
            assert shared[name] == pytest.approx(np.mean(aucs), abs=1e-12), name


def test_many_customers_choose_on_a_sample_and_refit_on_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(churn_model, "SELECT_ON", 300)
    seen: list[tuple[int, int]] = []
    original = churn_model._fold_jobs

    def recording(x: pd.DataFrame, y: np.ndarray, seed: int, folds: int) -> list[Any]:
        seen.append((len(x), folds))
        return original(x, y, seed, folds)

    monkeypatch.setattr(churn_model, "_fold_jobs", recording)
    data = _customers(1000)
    fitted = fit_classifier(data, seed=0)
    assert seen == [(300, churn_model.SAMPLE_FOLDS)] and len(fitted.train) == 700 and len(fitted.test) == 300
    with one_thread():
        alone = logistic().fit(data.features.iloc[fitted.train][fitted.columns], data.churned[fitted.train])
    assert np.allclose(fitted.baseline[-1].coef_, alone[-1].coef_)  # the baseline saw every training customer
    again = fit_classifier(data, seed=0)
    assert again.name == fitted.name and np.array_equal(again.risk(data.features), fitted.risk(data.features))


def test_scoring_in_batches_is_scoring_at_once() -> None:
    data = _customers(700)
    with one_thread():
        model = candidates(0)["average of both"].fit(data.features, data.churned)
        at_once = model.predict_proba(data.features)[:, 1]
        assert np.allclose(in_batches(model, data.features, size=128), at_once, rtol=0, atol=1e-12)


def test_scoring_threads_keep_to_the_cores_the_operator_and_the_caller_allow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(threads, "cpu_count", lambda: 4)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert threads.scoring_threads() == 4
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert threads.scoring_threads() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "3,1")  # nested levels: the first is the process's
    assert threads.scoring_threads() == 3
    with threads.limited_threads(1):
        assert threads.scoring_threads() == 1
    assert threads.scoring_threads() == 3
    monkeypatch.setattr(threads, "cpu_count", lambda: 64)
    monkeypatch.setenv("OMP_NUM_THREADS", "nonsense")
    assert threads.scoring_threads() == threads.MAX_SCORING_THREADS


def test_folds_on_threads_score_as_one_after_another_and_leave_the_warning_filters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _customers(600)
    x, y = data.features, data.churned
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    with one_thread():
        in_turn = churn_model._cv_auc(x, y, seed=0)
    monkeypatch.setattr(threads, "cpu_count", lambda: 2)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    before = list(warnings.filters)
    with one_thread():
        side_by_side = churn_model._cv_auc(x, y, seed=0)
    assert side_by_side == in_turn
    assert warnings.filters == before


def test_the_models_fitted_beside_the_classifier_are_those_fitted_alone_and_lifelines_stays_quiet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _customers(1200)
    rng = np.random.default_rng(3)
    data = replace(data, duration=np.where(data.churned == 1, rng.uniform(1, 90, data.n), 90.0))
    weights = {
        "nps_latest": HealthWeight(weight=1.0),
        "incidents_90d": HealthWeight(weight=1.0, healthier="lower"),
    }
    monkeypatch.setattr(threads, "cpu_count", lambda: 2)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    alone = fit_classifier(data, seed=0)
    survival_alone = fit_survival(data, alone.train, alone.test)
    before = list(warnings.filters)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        fitted, health, judged, survival = service._fit(data, weights, seed=0, confidence=0.95)
    assert [str(w.message) for w in said if "lifelines" in w.filename] == []
    assert warnings.filters == before
    assert fitted.name == alone.name and fitted.cv_auc == alone.cv_auc
    assert np.array_equal(fitted.train, alone.train) and np.array_equal(fitted.test, alone.test)
    assert np.array_equal(fitted.risk(data.features), alone.risk(data.features))
    assert survival is not None and survival_alone is not None
    assert survival.concordance == survival_alone.concordance
    assert survival.hazard_ratios == survival_alone.hazard_ratios
    assert judged.auc.n == len(alone.test) and set(health.weights) == set(weights)
