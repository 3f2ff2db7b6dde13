"""Churn risk of a filter slice, read out of one fitted and scored store: the slice's customers are the
ones the filters name (checked against the raw tables in pandas), its sums are the sums over those
customers, the riskiest carry their reasons, and the dashboard fits the model once for every slice."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cxgap.api.dashboard import Dashboard
from cxgap.churn import RiskReport, risk_of_slice, slice_customers, slice_risk, store_risk
from cxgap.config import Settings, StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.engine import ALL, Engine, Filters
from cxgap.store import Store


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, RiskReport, Settings]]:
    """A 3,000-customer demo store, its engine and the whole store's risk report."""
    url = f"duckdb:///{tmp_path_factory.mktemp('risk-slice') / 'demo.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(3_000, seed=42))
    settings = demo_settings(store=StoreSettings(url=url))
    store = Store(url)
    engine = Engine(store)
    yield engine, store_risk(engine, settings, trend_months=3), settings
    engine.close()
    store.close()


def _raw(engine: Engine, table: str) -> pd.DataFrame:
    return pd.DataFrame(engine.table(table).execute())


def test_the_customers_of_a_slice_are_those_the_filters_name(
    scored: tuple[Engine, RiskReport, Settings],
) -> None:
    engine = scored[0]
    customers = _raw(engine, "customers")
    assert slice_customers(engine, ALL) is None
    consumer = slice_customers(engine, Filters(segment="consumer"))
    assert consumer is not None
    assert set(consumer) == set(customers.loc[customers["segment"] == "consumer", "customer_id"].astype(str))
    period = Filters(since="2025-01", until="2025-03", channel="phone", segment="consumer")
    found = slice_customers(engine, period)
    assert found is not None and len(found)
    seen = set()
    for table, time in (("responses", "responded_at"), ("interactions", "occurred_at")):
        rows = _raw(engine, table)
        at = pd.to_datetime(rows[time])
        inside = (
            (at >= pd.Timestamp("2025-01-01"))
            & (at < pd.Timestamp("2025-04-01"))
            & (rows["channel"] == "phone")
        )
        seen |= set(rows.loc[inside, "customer_id"].dropna().astype(str))
    assert set(found) == seen & set(consumer)


def test_a_slice_sums_over_its_own_customers_and_explains_its_riskiest(
    scored: tuple[Engine, RiskReport, Settings],
) -> None:
    engine, report, settings = scored
    part = slice_risk(engine, report, Filters(segment="small_business"), settings.analysis.confidence)
    assert len(part.scored) and set(part.scored["segment"]) == {"small_business"}
    mine = report.scored[report.scored["segment"] == "small_business"]
    assert part.scored["customer_id"].tolist() == mine["customer_id"].tolist()  # riskiest first, as a whole
    assert [s.segment for s in part.segments] == ["all customers", "small_business"]
    assert part.segments[0].customers == len(mine)
    assert part.segments[0].mean.value == pytest.approx(mine["health"].mean())
    whole = part.revenue[0]
    assert whole.customers == len(mine)
    assert whole.revenue.value == pytest.approx(float((mine["risk"] * mine["revenue"].fillna(0)).sum()))
    assert (part.scored["reasons"].head(100) != "").all()
    assert part.model == report.model and part.baseline == report.baseline  # one model: judged once
    assert "small_business" in part.selection
    # the trend: the slice's customers at each earlier snapshot, then now
    assert {p.segment for p in part.trend} == {"all customers", "small_business"}
    assert len({p.as_of for p in part.trend}) == len({p.as_of for p in report.trend})


def test_an_empty_slice_has_no_customers_and_no_error(scored: tuple[Engine, RiskReport, Settings]) -> None:
    engine, report, settings = scored
    part = risk_of_slice(report, np.array([], dtype=object), settings.analysis.confidence, "nobody")
    assert part.scored.empty and part.segments == () and part.revenue[0].customers == 0


def test_the_report_and_a_slice_pickle_with_their_handles(
    scored: tuple[Engine, RiskReport, Settings],
) -> None:
    engine, report, settings = scored
    again = pickle.loads(pickle.dumps(report))
    assert again.history is not None and len(again.history) == len(report.history)  # type: ignore[arg-type]
    part = slice_risk(engine, again, Filters(segment="consumer"), settings.analysis.confidence)
    assert len(part.scored) == int((report.scored["segment"] == "consumer").sum())


def test_the_dashboard_fits_risk_once_for_every_slice(
    scored: tuple[Engine, RiskReport, Settings], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = scored[2]
    fits: list[int] = []
    original: Callable[..., Any] = store_risk

    def counting(*args: Any, **kwargs: Any) -> Any:
        fits.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr("cxgap.api.dashboard.store_risk", counting)
    dashboard = Dashboard(settings, precompute=False)
    try:
        for filters in (
            Filters(segment="consumer"),
            Filters(touchpoint="support"),
            ALL,
            Filters(channel="app"),
        ):
            assert isinstance(dashboard.risk(filters), RiskReport)
        assert fits == [1]
    finally:
        dashboard.close()
