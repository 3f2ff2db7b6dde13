"""The health score: percentile components, weights, explanations that add up, calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxgap.churn.health import calibrate, health_model
from cxgap.config import HealthWeight
from cxgap.errors import CxgapError

WEIGHTS = {"nps": HealthWeight(weight=3), "incidents": HealthWeight(weight=1, healthier="lower")}
PEOPLE = pd.DataFrame({"nps": [0.0, 5.0, 10.0, np.nan], "incidents": [3.0, 1.0, 0.0, 0.0]})


def test_components_are_percentiles_turned_round_where_less_is_healthier() -> None:
    model = health_model(PEOPLE, WEIGHTS)
    parts = model.components(PEOPLE)
    assert parts["nps"].tolist() == pytest.approx([100 / 6, 50, 500 / 6, 50])  # mid-ranks; unknown = 50
    assert parts["incidents"].tolist() == pytest.approx([12.5, 37.5, 75, 75])  # ties share their rank
    scores = model.scores(PEOPLE)
    assert scores == pytest.approx((3 * parts["nps"] + parts["incidents"]) / 4)
    explained = model.contributions(PEOPLE).sum(axis=1) + 50
    assert explained.to_numpy() == pytest.approx(scores)


def test_calibration_maps_health_to_a_decreasing_churn_probability() -> None:
    rng = np.random.default_rng(0)
    health = rng.uniform(0, 100, 5000)
    churned = (rng.uniform(size=5000) < 0.6 - health / 200).astype(int)
    model = calibrate(health_model(PEOPLE, WEIGHTS), health, churned)
    p = model.churn_probability(np.array([10.0, 50.0, 90.0]))
    assert p[0] > p[1] > p[2] and p[0] == pytest.approx(0.55, abs=0.05)


def test_an_unknown_component_is_one_sentence() -> None:
    with pytest.raises(CxgapError, match="Health component 'mood' is not among the features"):
        health_model(PEOPLE, {"mood": HealthWeight(weight=1)})
    with pytest.raises(CxgapError, match="has not been calibrated"):
        health_model(PEOPLE, WEIGHTS).churn_probability(np.array([50.0]))
