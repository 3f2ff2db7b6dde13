"""The demo company's planted journey truth is recovered: over-tight booking makes installation visits
late (upstream cause), and several incidents hurt NPS more than their sum (negative synergy). Both
disappear when the planting is removed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cxgap.config import StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.demo.truth import TRUTH, PlantedTruth
from cxgap.demo.voices import observed_synergy
from cxgap.engine import Engine
from cxgap.journeys import JourneyReport, UpstreamLink, analyze_journeys
from cxgap.store import Store

CUSTOMERS = 20_000
UNPLANTED = replace(
    TRUTH, late_visit_rate_after_tight_booking=TRUTH.late_visit_rate_otherwise, synergy_nps_penalty=0.0
)


def _analyze(directory: Path, truth: PlantedTruth) -> JourneyReport:
    url = f"duckdb:///{directory / 'demo.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(CUSTOMERS, seed=11, truth=truth))
        return analyze_journeys(Engine(store), demo_settings(store=StoreSettings(url=url)))


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> JourneyReport:
    return _analyze(tmp_path_factory.mktemp("planted"), TRUTH)


@pytest.fixture(scope="module")
def unplanted(tmp_path_factory: pytest.TempPathFactory) -> JourneyReport:
    return _analyze(tmp_path_factory.mktemp("unplanted"), UNPLANTED)


def _link(report: JourneyReport, upstream: str, downstream: str) -> UpstreamLink:
    return next(u for u in report.upstream if (u.upstream, u.downstream) == (upstream, downstream))


def test_over_tight_booking_is_found_as_the_upstream_cause_of_late_visits(planted: JourneyReport) -> None:
    link = _link(planted, "ordering", "installation")
    assert planted.top_upstream()[0] == link and link.significant
    after, otherwise, rise = link.after_failure, link.otherwise, link.difference
    assert after.low < TRUTH.late_visit_rate_after_tight_booking < after.high
    assert otherwise.low < TRUTH.late_visit_rate_otherwise < otherwise.high
    planted_rise = TRUTH.late_visit_rate_after_tight_booking - TRUTH.late_visit_rate_otherwise
    assert rise.low < planted_rise < rise.high
    assert link.relative_risk == pytest.approx(0.45 / 0.12, rel=0.15)
    # nothing else in the demo causes anything downstream
    assert [(u.upstream, u.downstream) for u in planted.top_upstream()] == [("ordering", "installation")]


def test_several_incidents_hurt_more_than_their_sum(planted: JourneyReport) -> None:
    extra = planted.synergy.per_extra_incident
    assert extra is not None and extra.high < 0
    assert extra.low < observed_synergy(TRUTH) < extra.high
    assert set(planted.synergy.single) == {
        "late_visit",
        "missed_call",
        "unresolved_contact",
        "repeat_contact",
        "bill_error",
    }
    assert all(e.value < 0 for e in planted.synergy.single.values())
    worst = planted.synergy.by_count[-1]
    assert worst.incidents == "3+" and worst.shortfall.high < 0


def test_without_the_planting_neither_is_found(unplanted: JourneyReport) -> None:
    link = _link(unplanted, "ordering", "installation")
    assert not link.significant and link.difference.low < 0 < link.difference.high
    extra = unplanted.synergy.per_extra_incident
    assert extra is not None and extra.value > -0.3 and extra.high > observed_synergy(TRUTH) + 0.4


def test_incidents_per_journey_come_with_intervals_per_segment(planted: JourneyReport) -> None:
    everyone = planted.load[0]
    assert everyone.group == "all customers" and everyone.customers == CUSTOMERS
    assert everyone.mean.low < everyone.mean.value < everyone.mean.high
    assert sum(e.value for e in everyone.shares.values()) == pytest.approx(1.0)
    assert {load.group for load in planted.load[1:]} == {"consumer", "small_business", "enterprise"}
    assert len(planted.to_frame()) > 10 and {"measure", "subject", "low", "high", "n"} <= set(
        planted.to_frame()
    )
