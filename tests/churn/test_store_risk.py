"""Churn risk on the store: features as they were known at a moment (nothing later leaks in), models
judged on held-out customers, reasons in words, revenue at risk and health per segment."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import sqlalchemy as sa

from cxgap.churn import RiskReport, store_features, store_risk
from cxgap.churn.data import Moment, store_snapshots
from cxgap.config import StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.engine import Engine
from cxgap.errors import CxgapError
from cxgap.store import Store

AS_OF = dt.datetime(2025, 6, 30, 23, 59)
ROWS = (
    "INSERT INTO customers (customer_id, segment, started_at, ended_at, churned, revenue) VALUES "
    "('C1', 'consumer', '2024-01-01', '2025-08-15', true, 600),"  # churns 46 days after AS_OF
    "('C2', 'consumer', '2024-06-01', NULL, false, 900),"
    "('C3', 'enterprise', '2025-01-01', '2025-03-01', true, 30000),"  # gone before AS_OF: not scored
    "('C4', 'consumer', '2025-09-01', NULL, false, 100)",  # not yet a customer at AS_OF
    "INSERT INTO interactions (interaction_id, customer_id, occurred_at, touchpoint, kind, resolved) VALUES "
    "('I1', 'C1', '2025-06-20 10:00:00', 'support', 'call', false),"
    "('I2', 'C1', '2025-02-01 10:00:00', 'support', 'call', false),"
    "('I3', 'C1', '2025-07-05 10:00:00', 'support', 'call', false),"  # after AS_OF: unknown then
    "('I4', 'C2', '2025-06-01 10:00:00', 'app', 'app_task', true)",
    "INSERT INTO responses (response_id, customer_id, responded_at, survey_kind, nps) VALUES "
    "('R1', 'C1', '2025-05-01 10:00:00', 'relational', 9), ('R2', 'C1', '2025-06-25 10:00:00', 'relational', 2),"
    "('R3', 'C1', '2025-07-02 10:00:00', 'relational', 10)",  # after AS_OF
    "INSERT INTO cases (case_id, created_at, customer_id, touchpoint, trigger_kind, status) VALUES "
    "('K1', '2025-06-10 09:00:00', 'C1', 'support', 'response', 'open')",
)


@pytest.fixture
def small(store: Store) -> Store:
    with store.begin() as conn:
        for sql in ROWS:
            conn.execute(sa.text(sql))
    return store


def test_features_are_what_was_known_at_the_moment(small: Store) -> None:
    data = store_features(Engine(small), demo_settings(), AS_OF, horizon_days=90)
    assert data.ids.tolist() == ["C1", "C2"]
    c1 = data.features.iloc[0]
    assert c1["unresolved_total"] == 2 and c1["unresolved_90d"] == 1  # I3 happened later
    assert c1["nps_latest"] == 2 and c1["detractor"] == 1 and c1["detractor_answers"] == 1
    assert c1["open_cases"] == 1 and c1["open_case_days"] == pytest.approx(20.6, abs=0.1)
    assert c1["tenure_days"] == pytest.approx(546, abs=1)
    assert data.churned.tolist() == [1, 0] and data.duration is not None
    assert data.duration[0] == pytest.approx(45, abs=1) and data.duration[1] == 90  # censored a horizon on
    c2 = data.features.iloc[1]
    assert c2["usage_90d"] == 1 and np.isnan(c2["nps_latest"]) and c2["unresolved_total"] == 0


def test_several_moments_in_one_pass_are_what_was_known_at_each(small: Store) -> None:
    earlier = dt.datetime(2025, 5, 31, 23, 59)
    moments = [Moment(AS_OF), Moment(earlier), Moment(earlier, ("nps_latest", "usage_90d"))]
    now, then, health_only = store_snapshots(Engine(small), demo_settings(), moments, horizon_days=90)
    alone = store_features(Engine(small), demo_settings(), AS_OF, horizon_days=90)
    assert now.ids.tolist() == alone.ids.tolist() and now.features.equals(alone.features)
    assert then.ids.tolist() == ["C1", "C2"] and then.as_of == earlier
    c1 = then.features.iloc[0]
    assert c1["unresolved_total"] == 1 and c1["unresolved_90d"] == 0  # I2 (1 Feb) is over 90 days back
    assert c1["nps_latest"] == 9 and c1["detractor_answers"] == 0 and c1["open_cases"] == 0
    assert np.isnan(c1["open_case_days"]) and c1["tenure_days"] == pytest.approx(516, abs=1)
    assert then.features.iloc[1]["usage_90d"] == 0  # C2's only interaction came later
    assert then.churned.tolist() == [1, 0] and then.duration is not None  # C1 churns 76 days later
    assert then.duration[0] == pytest.approx(76, abs=1) and then.duration[1] == 90
    assert list(health_only.features.columns) == [
        "nps_latest",
        "usage_90d",
        "tenure_days",
        "revenue",
        "detractor",
    ]
    assert health_only.features.equals(then.features[list(health_only.features.columns)])


@pytest.fixture(scope="module")
def demo_risk(tmp_path_factory: pytest.TempPathFactory) -> RiskReport:
    url = f"duckdb:///{tmp_path_factory.mktemp('risk') / 'demo.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(6000, seed=2))
        return store_risk(Engine(store), demo_settings(store=StoreSettings(url=url)), trend_months=3)


def test_the_demo_is_scored_with_models_judged_on_held_out_customers(demo_risk: RiskReport) -> None:
    r = demo_risk
    assert r.horizon_days == 90 and r.trained_as_of is not None and r.scored_as_of is not None
    assert (r.scored_as_of - r.trained_as_of).days == 90
    assert r.n_test > 1000 and 0.03 < r.churn_rate < 0.3
    assert set(r.cv_auc) == {"logistic regression", "gradient-boosted trees", "average of both"}
    # churn in the demo follows unresolved issues and detractors: better than chance, on held-out customers
    assert r.model.auc.low > 0.55 and r.baseline.auc.low > 0.55 and r.health.auc.value > 0.55
    assert r.survival is not None and r.survival.concordance > 0.55 and r.survival.n_train == r.n_train
    # the Cox model's chance of churning within the horizon agrees with the classifier's
    agree = r.scored[["risk", "survival_churn_probability"]].corr(method="spearman").iloc[0, 1]
    assert agree > 0.8 and r.scored["survival_churn_probability"].between(0, 1).all()
    assert len(r.model.calibration) == 10


def test_each_risky_customer_gets_reasons_in_words(demo_risk: RiskReport) -> None:
    top = demo_risk.riskiest(20)
    assert top["risk"].is_monotonic_decreasing and (top["reasons"] != "").all()
    words = " ".join(top["reasons"])
    assert "incident" in words or "unresolved" in words
    assert demo_risk.scored["health"].between(0, 100).all()
    first = top.iloc[0]
    points = [float(p.split()[-1]) for p in first["health_why"].split(", ")]
    assert len(points) == 3 and abs(points[0]) >= abs(points[-1])  # components by the points they move
    assert first["health_why"].split()[0] in demo_risk.health_components
    first = top.iloc[0]
    points = [float(p.split()[-1]) for p in first["health_why"].split(", ")]
    assert len(points) == 3 and abs(points[0]) >= abs(points[-1])  # components by the points they move
    assert first["health_why"].split()[0] in demo_risk.health_components


def test_revenue_at_risk_and_health_per_segment_carry_intervals(demo_risk: RiskReport) -> None:
    groups = {r.group: r for r in demo_risk.revenue}
    assert set(groups) == {"all customers", "consumer", "small_business", "enterprise"}
    everyone = groups["all customers"]
    assert everyone.revenue.low < everyone.revenue.value < everyone.revenue.high
    parts = sum(groups[s].revenue.value for s in ("consumer", "small_business", "enterprise"))
    assert parts == pytest.approx(everyone.revenue.value)
    assert {s.segment for s in demo_risk.segments} == set(groups)
    assert len({p.as_of for p in demo_risk.trend}) == 3


def _fill(store: Store, *sql: str) -> Engine:
    with store.begin() as conn:
        for statement in sql:
            conn.execute(sa.text(statement))
    return Engine(store)


def _customers(churned: str, ended: str = "NULL", n: int = 40) -> str:
    rows = ", ".join(
        f"('K{k}', 'plan', {ended if k % 4 == 0 else 'NULL'}, {churned if k % 4 == 0 else 'false'}, 100)"
        for k in range(n)
    )
    return f"INSERT INTO customers (customer_id, segment, ended_at, churned, revenue) VALUES {rows}"


def _feedback(received: str, n: int = 50) -> str:
    rows = ", ".join(f"('F{k}', 'review', {received}, 4, 'fine stay {k}')" for k in range(n))
    return f"INSERT INTO feedback (feedback_id, source, received_at, rating, text) VALUES {rows}"


def test_an_empty_store_needs_customers(store: Store) -> None:
    with pytest.raises(CxgapError, match="Churn risk needs your customers, and the customers table is empty"):
        store_risk(Engine(store), demo_settings())


def test_a_crm_table_and_undated_reviews_say_both_what_is_missing(store: Store) -> None:
    engine = _fill(store, _customers("true"), _feedback("NULL"))
    with pytest.raises(CxgapError) as caught:
        store_risk(engine, demo_settings())
    said = str(caught.value)
    assert "none of the 10 churned customers has an end date" in said
    assert "the 50 feedback rows have no date" in said and "no interactions, answers or feedback" not in said


def test_a_crm_table_without_churn_says_which_customers_churned_is_missing(store: Store) -> None:
    engine = _fill(store, _customers("false"), _feedback("'2025-05-01 10:00:00'"))
    with pytest.raises(CxgapError, match=r"which customers churned \(none of the 40 customers"):
        store_risk(engine, demo_settings())


def test_too_few_churners_in_the_training_window_are_counted(store: Store) -> None:
    engine = _fill(store, _customers("true", "'2025-04-01'", n=32), _feedback("'2025-05-01 10:00:00'"))
    with pytest.raises(CxgapError) as caught:
        store_risk(engine, demo_settings())
    said = str(caught.value)
    assert "at least 10 customers who churned within 90 days after 2025-01-31" in said
    assert "the store has 8 churned of 32 customers active then" in said
