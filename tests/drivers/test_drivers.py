"""Key drivers on the demo company: the planted driver structure is recovered; small n and bad input say so."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cxgap.config import demo_settings
from cxgap.demo import TRUTH
from cxgap.drivers import QUADRANTS, DriverData, drivers, key_drivers
from cxgap.engine import Engine
from cxgap.errors import CxgapError


@pytest.fixture(scope="module")
def on_items(demo_engine: Engine):
    return drivers(demo_engine, demo_settings(), outcome="nps", level="items", replicates=100)


def test_planted_item_weights_are_recovered(on_items) -> None:
    found = {d.name: d for d in on_items.drivers}
    planted = TRUTH.item_weights
    names = sorted(planted)
    for method in ("relative_weight", "shapley"):
        rho = stats.spearmanr([planted[n] for n in names], [getattr(found[n], method) for n in names])[0]
        assert rho >= 0.9, (method, rho)
    assert 0 < on_items.r_squared_low <= on_items.r_squared <= on_items.r_squared_high < 1
    assert sum(d.relative_weight for d in on_items.drivers) == pytest.approx(on_items.r_squared)
    assert all(d.relative_low <= d.relative_weight <= d.relative_high for d in on_items.drivers)
    assert {d.quadrant for d in on_items.drivers} <= set(QUADRANTS.values())
    assert list(on_items.to_frame()["share"]) == sorted(on_items.to_frame()["share"], reverse=True)


def test_planted_dimension_weights_are_recovered(demo_engine: Engine) -> None:
    report = drivers(demo_engine, demo_settings(), outcome="nps", level="dimensions", replicates=50)
    planted = TRUTH.dimension_weights
    names = sorted(planted)
    found = {d.name: d.relative_weight for d in report.drivers}
    assert stats.spearmanr([planted[n] for n in names], [found[n] for n in names])[0] >= 0.9


def test_touchpoint_scores_drive_churn_and_promoters(demo_engine: Engine) -> None:
    for outcome in ("promoter", "churn"):
        report = drivers(demo_engine, demo_settings(), outcome=outcome, level="touchpoints", replicates=30)
        assert report.rows > 100 and len(report.drivers) == len(demo_settings().touchpoints), report.notes


def test_missing_answers_are_left_out_not_scored_as_zero() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(4, 1, size=(2_000, 3))
    y = x @ np.array([0.6, 0.3, 0.1]) + rng.normal(0, 1, 2_000)
    full = key_drivers(
        DriverData(("a", "b", "c"), np.column_stack([x, y]), 2_000), "nps", "items", replicates=20
    )
    holes = x.copy()
    holes[rng.random(holes.shape) < 0.3] = np.nan  # "not applicable", at random
    partial = key_drivers(
        DriverData(("a", "b", "c"), np.column_stack([holes, y]), 2_000), "nps", "items", replicates=20
    )
    for a, b in zip(full.drivers, partial.drivers, strict=True):
        assert b.share == pytest.approx(a.share, abs=0.05)
        assert b.answers < a.answers


def test_small_samples_are_flagged_and_tiny_ones_refused() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(size=(40, 6))
    small = key_drivers(DriverData(tuple("abcde"), values, 40), "nps", "items", replicates=10)
    assert any("small sample" in note for note in small.notes)
    tiny = key_drivers(DriverData(tuple("abcde"), values[:12], 12), "nps", "items", replicates=10)
    assert tiny.drivers == () and any("insufficient data" in note for note in tiny.notes)


def test_unknown_outcome_is_a_clear_error(demo_engine: Engine) -> None:
    with pytest.raises(CxgapError, match="Unknown outcome 'loyalty'"):
        drivers(demo_engine, demo_settings(), outcome="loyalty")


def test_leaders_misjudge_what_drives_customers_and_it_is_a_knowledge_gap(demo_engine: Engine) -> None:
    from cxgap.gaps import analyze

    settings = demo_settings()
    report = analyze(demo_engine, settings, replicates=100)  # stated vs derived importance is part of it
    found = {g.subject: g for g in report.of_kind("knowledge") if g.measure.startswith("stated importance")}
    weights = TRUTH.dimension_weights
    for dimension, stated in TRUTH.leader_stated_importance.items():
        planted = stated / sum(TRUTH.leader_stated_importance.values()) - weights[dimension] / sum(
            weights.values()
        )
        gap = found[f"{dimension} (leader)"]
        if abs(planted) > 0.08:
            assert gap.significant and (gap.value < 0) == (planted < 0), (dimension, gap, planted)
    assert found["reliability (leader)"].value < -0.1


def test_below_what_the_model_needs_the_fit_says_insufficient_data_never_nan() -> None:
    values = np.random.default_rng(2).normal(size=(40, 6))
    tiny = key_drivers(DriverData(tuple("abcde"), values[:12], 12), "nps", "items", replicates=10)
    assert not tiny.measured
    assert tiny.fit() == "insufficient data: n=12 rows with an outcome (at least 30 needed)"
    fitted = key_drivers(DriverData(tuple("abcde"), values, 40), "nps", "items", replicates=10)
    assert fitted.measured and fitted.fit().startswith("R² = ") and "nan" not in fitted.fit()
    assert fitted.fit().endswith(", n=40")
