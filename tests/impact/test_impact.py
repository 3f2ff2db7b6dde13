"""Business linkage and values: hand-checked formulas, and the demo's planted revenue effect recovered."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sqlalchemy as sa

from cxgap.config import demo_settings
from cxgap.demo import TRUTH
from cxgap.engine import Engine
from cxgap.gaps import Gap, GapReport, analyze
from cxgap.impact import (
    GroupOutcome,
    Linkage,
    Slope,
    churn_per_nps_point,
    detractor_shift,
    gap_values,
    impact,
    nps_per_dimension_point,
)
from cxgap.impact.linkage import _ratio
from cxgap.stats import Estimate
from cxgap.store import Store


def _exact(value: float, n: int = 100) -> Estimate:
    return Estimate(value, value, value, n, 0.0)


def test_growth_is_a_ratio_of_sums_with_a_delta_method_interval() -> None:
    x = np.array([100.0, 200.0, 300.0, 400.0])
    y = np.array([110.0, 190.0, 330.0, 450.0])
    e = _ratio(4, x.sum(), y.sum(), (x * x).sum(), (y * y).sum(), (x * y).sum(), 0.95)
    ratio = y.sum() / x.sum()
    resid = y - ratio * x
    se = math.sqrt(resid.var(ddof=1) / 4) / x.mean()
    assert e.value == pytest.approx(ratio - 1)
    assert e.se == pytest.approx(se)
    assert (e.low, e.high) == pytest.approx((ratio - 1 - 1.959964 * se, ratio - 1 + 1.959964 * se), abs=1e-6)


def test_detractor_shift_by_hand() -> None:
    group = {
        "passive": GroupOutcome("passive", 300, _exact(0.10), _exact(1000.0), _exact(0.0)),
        "detractor": GroupOutcome("detractor", 200, _exact(0.20), _exact(1000.0), _exact(-0.10)),
        "promoter": GroupOutcome("promoter", 500, _exact(0.05), _exact(1000.0), _exact(0.05)),
    }
    link = Linkage(tuple(group.values()), None)
    value = detractor_shift(link, customers=10_000, share=0.10)
    # 20% of 10,000 are detractors; 10% of them = 200 customers; each keeps 0.9 * 1.0 - 0.8 * 0.9 = 0.18
    assert value.value == pytest.approx(200 * 1000 * 0.18)
    assert value.low == pytest.approx(value.value) and value.high == pytest.approx(value.value)


def test_gap_value_is_the_product_of_its_links() -> None:
    gap = Gap("customer", None, "reliability", "P - E", -1.0, -1.0, -1.0, 500, 0.001, -0.5, significant=True)
    report = GapReport((gap,), (), 0.05, None)
    values = gap_values(report, {"reliability": Slope(0.8, 0.0)}, Slope(-0.02, 0.0), _exact(1200.0), 5_000)
    assert [v.value for v in values] == pytest.approx([1.0 * 0.8 * 0.02 * 1200 * 5_000])


@pytest.fixture(scope="module")
def demo_impact(demo_engine: Engine):
    settings = demo_settings()
    return impact(demo_engine, settings, analyze(demo_engine, settings))


def test_planted_revenue_effect_lies_inside_the_intervals(demo_impact) -> None:
    planted = {
        "promoter": TRUTH.revenue_change_promoter,
        "passive": TRUTH.revenue_change_passive,
        "detractor": TRUTH.revenue_change_detractor,
    }
    for name, change in planted.items():
        growth = demo_impact.linkage.group(name).growth
        assert growth.low <= change <= growth.high, (name, growth)
    churn = {g.group: g.churn.value for g in demo_impact.linkage.groups}
    assert churn["detractor"] > churn["passive"] > churn["promoter"]


def test_values_come_with_intervals_and_chains(demo_impact) -> None:
    frame = demo_impact.to_frame()
    assert frame.iloc[0]["what"].startswith("move 10% of detractors")
    assert (frame["low"] <= frame["value"]).all() and (frame["value"] <= frame["high"]).all()
    assert (frame["value"] > 0).all()
    assert any("reliability" in w for w in frame["what"])


def test_churn_slope_matches_a_fit_on_the_raw_rows(demo_engine: Engine) -> None:
    con = demo_engine.store.duckdb_connection()
    rows = con.execute(
        "SELECT avg(r.nps), any_value(c.churned::int) FROM responses r JOIN customers c USING (customer_id) "
        "WHERE r.survey_kind = 'relational' AND r.nps IS NOT NULL GROUP BY r.customer_id"
    ).fetchnumpy()
    x, y = (np.asarray(v, dtype=float) for v in rows.values())
    expected = np.polyfit(x, y, 1)[0]
    assert churn_per_nps_point(demo_engine).value == pytest.approx(expected, rel=1e-9)


def test_customers_exposed_to_planted_failures_churn_more(demo_impact) -> None:
    found = {e.driver: e for e in demo_impact.exposures}
    for name in ("installation: late", "support: unresolved"):
        e = found[name]
        assert e.difference.low > 0, (name, e.difference)
        assert e.exposed.value > e.others.value and e.revenue_low > 0
    assert all(e.exposed.n >= 30 and e.others.n >= 30 for e in found.values())


def test_exposure_labels_say_what_the_exposure_is(demo_impact) -> None:
    assert "support: unresolved" in [e.label for e in demo_impact.exposures]


def test_a_crm_table_alone_gives_no_value_and_says_which_data_each_part_needs(store: Store) -> None:
    """Customers with churn and revenue but no survey answers: nothing to regress, so no value and no
    singular-matrix error; each part names the data it lacks."""
    with store.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO customers (customer_id, segment, churned, revenue) VALUES "
                + ", ".join(f"('K{k}', 'plan', {str(k % 4 == 0).lower()}, {100 + k})" for k in range(60))
            )
        )
    engine, settings = Engine(store), demo_settings()
    report = impact(engine, settings, analyze(engine, settings))
    assert report.values.values == () and report.linkage.groups == () and report.customers == 45
    said = " ".join(report.notes)
    assert "need relational NPS answers tied to customers" in said
    assert "rate the configured items together with NPS" in said
    assert "Churn by gap exposure needs interactions" in said


def test_dimension_slopes_are_left_out_when_they_cannot_be_estimated() -> None:
    names = ("reliability", "empathy")
    assert nps_per_dimension_point(np.zeros((0, 3)), names) == {}
    same = np.column_stack([np.full(50, 4.0), np.linspace(1, 5, 50), np.linspace(0, 10, 50)])
    assert nps_per_dimension_point(same, names) == {}  # a dimension that never varies: singular
    too_few = np.array([[1.0, 2.0, 3.0], [2.0, 1.0, 5.0], [3.0, 3.0, 8.0]])
    assert nps_per_dimension_point(too_few, names) == {}  # three rows, three terms: no residual left
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    fitted = nps_per_dimension_point(
        np.column_stack([x, 2 * x[:, 0] - x[:, 1] + rng.normal(size=200)]), names
    )
    assert fitted["reliability"].value == pytest.approx(2, abs=0.3)
    assert fitted["empathy"].value == pytest.approx(-1, abs=0.3)


def test_without_an_items_section_each_rated_item_is_valued_as_its_own_dimension(demo_engine: Engine) -> None:
    """A cxgap.toml naming no [items] still values closing the customer gaps: per item, as analyze groups them."""
    settings = demo_settings().model_copy(update={"items": {}, "dimensions": []})
    report = impact(demo_engine, settings, analyze(demo_engine, settings))
    items = {str(i) for i in demo_settings().items}
    valued = [w for w in report.to_frame()["what"] if not w.startswith("move")]
    assert valued and all(any(item in what for item in items) for what in valued), valued
