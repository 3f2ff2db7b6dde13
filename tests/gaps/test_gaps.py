"""The six gaps: every gap planted in the demo is found, significant, with the right sign, and its planted
size inside the reported interval; missing inputs are named; both backends agree."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from cxgap.config import demo_settings
from cxgap.demo import TRUTH, simulate, write_demo
from cxgap.engine import Engine
from cxgap.gaps import GAP_KINDS, Gap, GapReport, MissingGap, analyze, correct, headline
from cxgap.store import Store


@pytest.fixture(scope="module")
def report(demo_engine: Engine) -> GapReport:
    return analyze(demo_engine, demo_settings())


def _find(report: GapReport, kind: str, touchpoint: str | None, subject: str) -> Gap:
    found = [
        g
        for g in report.of_kind(kind)
        if g.touchpoint == touchpoint and g.subject == subject and g.segment is None
    ]
    assert len(found) == 1, f"{kind} {touchpoint} {subject}: {len(found)} found"
    return found[0]


def _planted(gap: Gap, value: float, direction: str = "worse") -> None:
    assert gap.significant and gap.direction == direction, gap
    assert gap.low <= value <= gap.high, f"planted {value} outside [{gap.low:.4f}, {gap.high:.4f}] for {gap}"


def test_perception_headline_leaders_vs_customers(demo_engine: Engine, report: GapReport) -> None:
    top = headline(demo_engine)
    assert top is not None
    assert top.leaders.value == TRUTH.leader_superior_share and top.leaders.n == 40
    assert top.customers.low <= TRUTH.customer_superior_share <= top.customers.high
    _planted(
        _find(report, "perception", None, "superior experience (leaders)"),
        TRUTH.customer_superior_share - TRUTH.leader_superior_share,
    )


def test_leaders_and_staff_see_a_rosier_experience(report: GapReport) -> None:
    cells = [g for g in report.of_kind("perception") if g.subject.endswith("(leader)")]
    assert len(cells) == 9
    for gap in cells:
        _planted(gap, -TRUTH.leader_rating_optimism)
    for gap in (g for g in report.of_kind("perception") if g.subject.endswith("(frontline)")):
        _planted(gap, -TRUTH.frontline_rating_optimism)


def test_leaders_underestimate_expectations(report: GapReport) -> None:
    expectations = [
        g
        for g in report.of_kind("knowledge")
        if g.subject.endswith("(leader)") and g.measure.startswith("believed expectation")
    ]
    assert expectations
    for gap in expectations:
        _planted(gap, TRUTH.leader_expectation_underestimate)


def test_customer_gap_per_dimension(report: GapReport) -> None:
    for dimension, planted in TRUTH.perception_minus_expectation.items():
        _planted(_find(report, "customer", None, dimension), planted, "worse" if planted < 0 else "better")


def test_support_misses_its_standards_and_the_callback_standard_is_met(report: GapReport) -> None:
    wait = _find(report, "implementation", "support", "wait_seconds@call")
    _planted(wait, TRUTH.support_wait_standard_seconds - TRUTH.support_phone_wait_mean_seconds)
    fcr = _find(report, "implementation", "support", "first_contact_resolution")
    _planted(fcr, TRUTH.first_contact_resolution_rate - TRUTH.first_contact_resolution_standard)
    visits = _find(report, "implementation", "installation", "on_time_rate")
    _planted(visits, TRUTH.installation_on_time_rate - TRUTH.installation_on_time_standard)
    assert _find(report, "implementation", "support", "callback_hours").direction == "better"


def test_broken_promise_and_kept_promise(report: GapReport) -> None:
    on_time = _find(report, "communication", "installation", "on_time_rate")
    _planted(on_time, TRUTH.installation_on_time_rate - TRUTH.installation_on_time_promised)
    assert _find(report, "communication", "support", "wait_seconds@call").direction == "better"


def test_design_gap_and_touchpoints_without_standards(report: GapReport) -> None:
    callback = _find(report, "design", "support", "callback_hours")
    assert callback.value == -(TRUTH.callback_standard_hours - TRUTH.callback_expected_hours)
    assert math.isnan(callback.p_value) and "no sampling" in callback.note
    needs = [m.needs for m in report.missing if m.kind == "design"]
    assert needs == ["no standard at all for app, billing, ordering, sales"]


def test_where_to_act_first_ranks_significant_shortfalls(report: GapReport) -> None:
    frame = report.to_frame()
    acting = frame[frame.priority > 0]
    assert (acting.direction == "worse").all()
    assert (acting.significant | acting.p_value.isna()).all()
    assert frame.priority.is_monotonic_decreasing
    assert set(acting.kind) == {
        "perception",
        "knowledge",
        "customer",
        "implementation",
        "communication",
        "design",
    }


def test_an_empty_store_names_the_data_each_gap_needs(tmp_path: Path) -> None:
    store = Store(f"duckdb:///{tmp_path / 'empty.duckdb'}")
    report = analyze(Engine(store), demo_settings())
    store.close()
    assert report.gaps == ()
    assert {m.kind for m in report.missing} == set(GAP_KINDS)
    assert all(m.needs for m in report.missing)


def test_benjamini_hochberg_is_applied_across_the_run() -> None:
    def gap(p: float) -> Gap:
        return Gap("customer", None, "x", "m", -1.0, -2.0, -0.5, 10, p, -0.5)

    corrected = correct([gap(0.01), gap(0.04), gap(0.03), gap(0.005), gap(float("nan"))])
    assert [g.q_value for g in corrected[:4]] == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert [g.significant for g in corrected] == [True, True, True, True, False]
    assert corrected[0].corrected(0.06, 0.05).significant is False


@pytest.mark.postgres
def test_duckdb_and_postgres_give_identical_gap_reports(duckdb_url: str, pg_url: str) -> None:
    data = simulate(2_000, seed=9)
    frames = []
    for url in (duckdb_url, pg_url):
        store = Store(url)
        write_demo(store, data)
        frames.append(analyze(Engine(store), demo_settings()).to_frame())
        store.close()
    key = ["kind", "touchpoint", "subject"]
    duck, pg = (f.sort_values(key, na_position="first").reset_index(drop=True) for f in frames)
    pd.testing.assert_frame_equal(duck, pg, check_exact=False, rtol=1e-9)


def test_act_first_lists_one_shortfall_per_gap_and_touchpoint(report: GapReport) -> None:
    first = report.act_first(limit=50)
    pairs = [(g.kind, g.touchpoint) for g in first]
    assert len(pairs) == len(set(pairs)) and len(first) >= 8
    assert ("design", "support") in pairs  # a fixed comparison counts when it is a shortfall
    assert [g.priority for g in first] == sorted((g.priority for g in first), reverse=True)


def test_without_configured_items_each_rated_item_is_a_dimension_of_its_own(demo_engine: Engine) -> None:
    unnamed = demo_settings().model_copy(update={"items": {}})
    report = analyze(demo_engine, unnamed, importance=False)
    overall = {g.subject for g in report.of_kind("customer") if g.touchpoint is None and g.segment is None}
    assert overall == set(demo_settings().items)  # every item the ratings hold, none averaged away
    assert not report.items  # a one-item dimension's gap is its item's: no per-item duplicate
    assert not any("survey item ratings" in m.needs for m in report.missing)
    assert report.of_kind("implementation")  # operational gaps do not depend on items


def test_without_items_in_the_config_or_the_data_the_survey_gaps_say_so(tmp_path: Path) -> None:
    with Store(f"duckdb:///{tmp_path / 'empty.duckdb'}") as store:
        report = analyze(Engine(store), demo_settings().model_copy(update={"items": {}}))
    needs = [m.needs for m in report.missing if m.kind == "customer"]
    assert any("survey item ratings (response_items" in said for said in needs)


def test_cells_below_the_minimum_n_get_no_number(demo_engine: Engine) -> None:
    report = analyze(demo_engine, demo_settings(**{"analysis": {"min_n": 1_000_000}}))
    assert not [
        g
        for g in report.gaps
        if g.kind in ("customer", "perception", "knowledge", "implementation", "communication")
        and g.n > 0
        and not g.subject.startswith("superior")
    ]
    thin = [m.needs for m in report.missing if "insufficient data" in m.needs]
    assert len(thin) > 20 and all("< 1000000)" in needs for needs in thin)


def test_customer_gaps_by_segment_add_up_to_the_whole(report: GapReport) -> None:
    overall = {g.subject: g for g in report.of_kind("customer") if g.touchpoint is None and g.segment is None}
    by_segment = [g for g in report.of_kind("customer") if g.touchpoint is None and g.segment is not None]
    assert {g.segment for g in by_segment} == {"consumer", "small_business", "enterprise"}
    for dimension, whole in overall.items():
        parts = [g for g in by_segment if g.subject == dimension]
        assert sum(g.n for g in parts) == whole.n
        assert sum(g.value * g.n for g in parts) / whole.n == pytest.approx(whole.value, abs=1e-9)
        assert all(g.reach < 1.0 for g in parts)
    assert all(g.direction == "worse" for g in by_segment if g.subject == "reliability")


def test_an_empty_where_to_act_first_says_why() -> None:
    nothing = GapReport((), (MissingGap("perception", "a beliefs table"),))
    assert nothing.nothing_to_act_on() == (
        "Nothing to act on yet: no gap could be measured from the data in the store "
        "(the six gaps say which data each one needs)."
    )
    fine = Gap("customer", None, "reliability", "P - E", 0.2, 0.1, 0.3, 400, 0.001, 0.3, significant=True)
    measured = GapReport((fine,), ())
    said = measured.nothing_to_act_on()
    assert said is not None and said.startswith(
        "Nothing to act on: the one gap measured is not a significant shortfall"
    )
    assert "the perception, knowledge, design, implementation and communication gaps could not" in said
    short = Gap("customer", None, "empathy", "P - E", -0.5, -0.7, -0.3, 400, 0.001, -0.6, significant=True)
    assert GapReport((short,), ()).nothing_to_act_on() is None


def test_analyze_on_an_empty_store_has_nothing_to_act_on(store: Store) -> None:
    said = analyze(Engine(store), demo_settings()).nothing_to_act_on()
    assert said is not None and said.startswith("Nothing to act on yet: no gap could be measured")
