"""The risk run's shortcuts at scale give exactly what the straightforward computations give: Harrell's C
counted by exit time equals lifelines' `concordance_index`, the health reasons' ranking equals a row-by-row
pandas sort (ties included), the health history coded by row equals categories of the values, the
trees read on binned features give their raw-value probabilities, and the stratified split draws the
customers scikit-learn's `train_test_split` draws."""

from __future__ import annotations

import datetime as dt
import pickle

import numpy as np
import pandas as pd
import pytest
from lifelines.utils import concordance_index
from sklearn.model_selection import train_test_split

from cxgap.churn.data import ChurnData, SharedIds
from cxgap.churn.health import health_model
from cxgap.churn.model import Blend, _held_out, boosted, logistic, probabilities, stratified_split
from cxgap.churn.service import HealthHistory, _history
from cxgap.churn.slice import _largest_first, health_explained
from cxgap.churn.survival import _standardised, fit_survival, harrell_c
from cxgap.churn.threads import one_thread
from cxgap.config import HealthWeight


@pytest.mark.parametrize("seed", range(40))
def test_harrell_c_is_lifelines_concordance_to_the_last_digit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 300))
    times = rng.integers(0, int(rng.integers(1, 25)), size=n).astype(float)  # tied exit times
    scores = rng.integers(0, 6, size=n).astype(float) if seed % 2 else rng.normal(size=n)  # tied scores
    events = rng.random(n) < rng.uniform(0.05, 0.95)
    try:
        expected: float | str = concordance_index(times, scores, events)
    except ZeroDivisionError:
        expected = "no admissible pairs"
    try:
        got: float | str = harrell_c(times, scores, events)
    except ZeroDivisionError:
        got = "no admissible pairs"
    assert got == expected


def test_harrell_c_leaves_continuous_times_to_lifelines() -> None:
    rng = np.random.default_rng(1)
    times, scores = rng.exponential(size=3000), rng.normal(size=3000)  # 3,000 distinct exit times
    events = rng.random(3000) < 0.3
    assert harrell_c(times, scores, events) == concordance_index(times, scores, events)


def test_largest_first_ranks_ties_as_a_pandas_sort_does() -> None:
    rng = np.random.default_rng(2)
    for _ in range(2000):
        values = rng.choice([0.0, 1.5, 2.25, 3.0, 0.1], size=int(rng.integers(1, 9)))
        row = pd.Series(values)
        assert list(_largest_first(values)) == list(row.sort_values(ascending=False).index)


def test_health_reasons_are_those_of_a_row_by_row_sort() -> None:
    rng = np.random.default_rng(3)
    features = pd.DataFrame(
        {
            "nps_latest": rng.integers(0, 11, 400).astype(float),
            "usage_90d": rng.integers(0, 3, 400).astype(float),
            "unresolved_90d": rng.integers(0, 2, 400).astype(float),
        }
    )
    weights = {
        "nps_latest": HealthWeight(weight=1),
        "usage_90d": HealthWeight(weight=1),
        "unresolved_90d": HealthWeight(weight=1, healthier="lower"),
    }
    health = health_model(features, weights)
    expected = []
    for _, row in health.contributions(features).iterrows():
        ranked = row.reindex(row.abs().sort_values(ascending=False).index)[:2]
        expected.append(", ".join(f"{name} {points:+.1f}" for name, points in ranked.items()))
    assert health_explained(health, features, limit=2) == expected


def _snapshot(ids: np.ndarray, segment: np.ndarray, rows: np.ndarray, day: int, shared: bool) -> ChurnData:
    return ChurnData(
        ids=ids[rows],
        features=pd.DataFrame({"x": np.zeros(len(rows))}),
        churned=np.zeros(len(rows), int),
        segment=segment[rows],
        as_of=dt.datetime(2025, 1, day),
        shared=SharedIds(ids, segment, rows) if shared else None,
    )


def test_the_history_coded_by_row_is_the_history_of_the_values() -> None:
    ids = np.array(["A1", "B7", "C2", "C3", "Z9"], dtype=object)  # sorted and distinct, as one pass has them
    segment = np.array(["home", "(none)", "home", "business", "home"], dtype=object)
    picks = [np.array([0, 2, 3]), np.array([1, 2, 3])]  # Z9 is in no snapshot, business in both
    scores = [np.array([10.0, 20.0, 30.0]), np.array([40.0, 50.0, 60.0])]
    histories = []
    for shared in (True, False):
        snapshots = [_snapshot(ids, segment, r, k + 1, shared) for k, r in enumerate(picks)]
        history = _history(list(zip(snapshots, scores, strict=True)))
        assert history is not None
        histories.append(history)
    coded, by_value = histories
    pd.testing.assert_frame_equal(coded, by_value)
    assert list(coded["customer_id"].cat.categories) == ["A1", "B7", "C2", "C3"]
    assert list(coded["segment"].cat.categories) == ["(none)", "business", "home"]
    then = [(_snapshot(ids, segment, r, k + 1, True), scores[k]) for k, r in enumerate(picks)]
    pickled = pickle.loads(pickle.dumps(HealthHistory(then)))  # never read before: built to be pickled
    assert pickled._then is None  # the pickle carries the frame, not the snapshots
    pd.testing.assert_frame_equal(pickled.frame(), coded)
    pd.testing.assert_frame_equal(HealthHistory(then).frame(), coded)


def test_the_trees_binned_read_is_their_raw_read_to_the_last_bit() -> None:
    rng = np.random.default_rng(4)
    x = pd.DataFrame({"a": rng.normal(size=3000), "b": rng.integers(0, 5, 3000).astype(float)})
    x.loc[rng.random(3000) < 0.1, "a"] = np.nan  # unknown values take the trees' missing-value branch
    y = (x["a"].fillna(0) + x["b"] / 2 + rng.normal(size=3000) > 1).to_numpy().astype(int)
    trees = boosted(0).fit(x, y)
    later = pd.DataFrame({"a": rng.normal(scale=3, size=2000), "b": rng.integers(-2, 8, 2000).astype(float)})
    later.loc[::7, "b"] = np.nan  # beyond the training range, and missing where training had none
    assert np.array_equal(probabilities(trees, later), trees.predict_proba(later))
    with one_thread():  # two scoring threads asked for explicitly give the same bits
        assert np.array_equal(probabilities(trees, later, threads=2), trees.predict_proba(later))
    both = Blend(0).fit(x, y)
    expected = np.mean([m.predict_proba(later) for m in both.models], axis=0)
    assert np.array_equal(both.predict_proba(later), expected)


@pytest.mark.parametrize("healthier", ["higher", "lower"])
@pytest.mark.parametrize("seed", range(10))
def test_health_percentiles_from_a_table_are_those_of_two_searches(seed: int, healthier: str) -> None:
    rng = np.random.default_rng(seed)
    reference = rng.choice([0.0, 1.0, 2.0, 2.5, 7.0], size=500)
    values = np.concatenate(
        [rng.choice([-1.0, 0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 7.0, 9.0, np.nan], size=2000), [np.inf, -np.inf]]
    )
    weights = {"usage_90d": HealthWeight(weight=1.0, healthier=healthier)}
    model = health_model(pd.DataFrame({"usage_90d": reference}), weights)
    levels, counts = np.unique(reference, return_counts=True)
    below_level = np.concatenate([[0], np.cumsum(counts)])
    below = below_level[np.searchsorted(levels, values, side="left")]
    upto = below_level[np.searchsorted(levels, values, side="right")]
    share = (below + upto) / (2 * below_level[-1])
    expected = np.where(np.isnan(values), 50.0, 100 * (share if healthier == "higher" else 1 - share))
    got = model.components(pd.DataFrame({"usage_90d": values}))["usage_90d"].to_numpy()
    assert np.array_equal(got, expected)
    assert np.array_equal(model.scores(pd.DataFrame({"usage_90d": values})), expected)


def test_the_held_out_read_of_a_blend_reuses_its_baseline_to_the_last_bit() -> None:
    rng = np.random.default_rng(5)
    x = pd.DataFrame({"a": rng.normal(size=2000), "b": rng.integers(0, 5, 2000).astype(float)})
    y = (x["a"] + x["b"] / 3 + rng.normal(size=2000) > 1).to_numpy().astype(int)
    baseline = logistic().fit(x, y)
    both = Blend(0, [baseline, boosted(0).fit(x, y)])
    held = x.iloc[::3]
    chosen, base = _held_out(both, baseline, held)
    assert np.array_equal(chosen, both.predict_proba(held)[:, 1])
    assert np.array_equal(base, baseline.predict_proba(held)[:, 1])
    alone, _ = _held_out(baseline, baseline, held)
    assert np.array_equal(alone, base)


def test_churn_within_is_lifelines_survival_curve_to_the_last_digit() -> None:
    rng = np.random.default_rng(6)
    n = 3000
    features = pd.DataFrame({"a": rng.normal(size=n), "b": rng.integers(0, 4, n).astype(float)})
    features.loc[rng.random(n) < 0.1, "b"] = np.nan  # unknown values are filled as for the fit
    churn_day = rng.exponential(60 / np.exp(features["a"].to_numpy() / 2))
    churned = (churn_day <= 90).astype(int)
    data = ChurnData(
        ids=np.arange(n).astype(str),
        features=features,
        churned=churned,
        duration=np.where(churned == 1, churn_day, 90.0),
    )
    rows = np.arange(n)
    model = fit_survival(data, rows[: n // 2], rows[n // 2 :])
    assert model is not None and model.reference is not None
    later = features.iloc[::2]
    for days in (90.0, 30.5, 1e6):  # on and between the baseline's times, and beyond the last
        expected = (
            1
            - model.model.predict_survival_function(
                _standardised(later, model.reference), times=[days]
            ).to_numpy()[0]
        )
        assert np.array_equal(model.churn_within(later, days), expected)


@pytest.mark.parametrize("seed", range(12))
def test_the_stratified_split_is_scikit_learns(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 5_000))
    y = (rng.random(n) < rng.uniform(0.05, 0.6)).astype(int)
    y[:2], y[2:4] = 0, 1  # both classes, at least two of each
    share = float(rng.choice([0.3, 0.25, 0.5, 0.123]))
    train, test = train_test_split(np.arange(n), test_size=share, stratify=y, random_state=seed)
    got_train, got_test = stratified_split(y, share, seed)
    assert np.array_equal(got_train, train) and np.array_equal(got_test, test)  # the same order too
