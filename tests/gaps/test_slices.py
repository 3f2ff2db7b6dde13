"""One gap analysis per slice for every surface: stated vs derived importance is part of it, a thin slice
quotes no figure below the minimum n (the perception headline included), and a touchpoint filter changes
which gaps are shown, never their q-values."""

from __future__ import annotations

import math

from cxgap.config import demo_settings
from cxgap.drivers import importance_knowledge_gaps
from cxgap.engine import ALL, Engine, Filters
from cxgap.gaps import analyze, headline, headline_sentence

THIN = demo_settings(**{"analysis": {"min_n": 1_000_000}})  # every slice is thin under it


def _key(gap: object) -> tuple[object, ...]:
    return tuple(getattr(gap, name) for name in ("kind", "touchpoint", "segment", "subject", "measure"))


def test_the_analysis_includes_stated_vs_derived_importance_corrected_with_the_rest(
    demo_engine: Engine,
) -> None:
    settings = demo_settings()
    report = analyze(demo_engine, settings)
    stated = [g for g in report.of_kind("knowledge") if g.measure.startswith("stated importance")]
    assert len(stated) >= 5 and all(not math.isnan(g.q_value) for g in stated)
    # the same as adding them by hand: one correction over every test, whoever calls it
    by_hand = analyze(
        demo_engine, settings, importance=False, extra=importance_knowledge_gaps(demo_engine, settings)
    )
    assert {_key(g): g.q_value for g in report.gaps} == {_key(g): g.q_value for g in by_hand.gaps}
    without = analyze(demo_engine, settings, importance=False)
    assert len(report.of_kind("knowledge")) == len(without.of_kind("knowledge")) + len(stated)


def test_a_touchpoint_filter_keeps_the_q_values_of_the_whole_run(demo_engine: Engine) -> None:
    settings = demo_settings()
    period = Filters(since="2024-07", segment="consumer")
    whole = {_key(g): g.q_value for g in analyze(demo_engine, settings, filters=period).gaps}
    support = analyze(
        demo_engine, settings, filters=Filters(since="2024-07", segment="consumer", touchpoint="support")
    )
    assert support.gaps and all(g.touchpoint == "support" for g in support.gaps)
    tested = [g for g in support.gaps if not math.isnan(g.q_value)]  # design gaps are fixed values
    assert tested and all(whole[_key(g)] == g.q_value for g in tested)


def test_a_thin_slice_quotes_no_headline_figure_and_says_insufficient_data(demo_engine: Engine) -> None:
    slice_ = Filters(segment="enterprise", since="2025-10")
    full = headline(demo_engine, filters=slice_)
    assert full is not None and full.customers.n > 0
    thin = headline(demo_engine, filters=slice_, min_n=full.customers.n + 1)
    assert thin is not None and not thin.sufficient
    sentence = headline_sentence(thin)
    assert (
        f"insufficient data (n={full.customers.n:,} customers' answers < {full.customers.n + 1})" in sentence
    )
    assert "% of customers [" not in sentence and "% of leaders [" in sentence
    assert headline_sentence(full).count("% of customers [") == 1 and full.sufficient


def test_below_the_minimum_n_the_headline_is_no_gap_and_importance_says_why(demo_engine: Engine) -> None:
    report = analyze(demo_engine, THIN, filters=ALL)
    assert report.headline is not None and not report.headline.sufficient
    assert not [g for g in report.gaps if g.subject.startswith("superior")]
    needs = [m.needs for m in report.missing if m.kind == "perception"]
    assert any("'superior to competitors?': insufficient data (n=" in n for n in needs)
    knowledge = [m.needs for m in report.missing if m.kind == "knowledge"]
    assert any(
        n.startswith("more relational answers to derive importance: insufficient data") for n in knowledge
    )
    assert not [g for g in report.gaps if g.measure.startswith("stated importance")]


def test_an_empty_slice_measures_nothing_from_customers_or_operations(demo_engine: Engine) -> None:
    report = analyze(demo_engine, demo_settings(), filters=Filters(since="2030-01"))
    assert report.headline is None
    measured = {g.kind for g in report.gaps}
    assert not measured & {"customer", "perception", "knowledge", "implementation", "communication"}
