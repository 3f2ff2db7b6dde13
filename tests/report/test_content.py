"""The report's content for a slice: the same analysis and scores as `cxgap analyze`, no headline chart
and no NaN where the slice is too thin, money in the company's currency."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from cxgap.config import StoreSettings, demo_settings
from cxgap.drivers import DriverData, key_drivers
from cxgap.engine import Engine, Filters
from cxgap.gaps import analyze
from cxgap.gaps.scores import headline_scores
from cxgap.report.content import drivers_finding, gap_sections
from cxgap.store import Store


def test_a_thin_headline_gets_no_chart_and_says_insufficient_data(demo_engine: Engine) -> None:
    thin = analyze(demo_engine, demo_settings(**{"analysis": {"min_n": 1_000_000}}), importance=False)
    headline = gap_sections(thin)[0]
    assert headline.key == "headline" and headline.spec is None
    assert "whether customers agree: insufficient data (n=" in headline.finding
    whole = gap_sections(analyze(demo_engine, demo_settings(), importance=False))[0]
    assert whole.spec is not None and "% of customers [" in whole.finding


def test_a_driver_model_below_its_minimum_is_said_in_words_never_nan() -> None:
    values = np.random.default_rng(3).normal(size=(12, 6))
    tiny = key_drivers(DriverData(tuple("abcde"), values, 12), "nps", "items", replicates=10)
    finding = drivers_finding(tiny)
    assert finding == "Not measured: insufficient data: 12 rows with an outcome (at least 30 needed)."
    assert "nan" not in finding


def test_cxgap_analyze_json_shows_the_analysis_and_scores_of_the_slice(cli, tmp_path: Path) -> None:
    assert cli("demo", "--customers", "3000", "--no-analysis", "--no-loop").exit_code == 0
    result = cli("analyze", "--json", "--segment", "enterprise", "--since", "2025-01")
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    slice_ = Filters(since="2025-01", segment="enterprise")
    settings = demo_settings(store=StoreSettings(url=f"duckdb:///{tmp_path / 'cxgap.duckdb'}"))
    with Store(settings.store.url) as store:
        engine = Engine(store)
        report, scores = analyze(engine, settings, filters=slice_), headline_scores(engine, settings, slice_)
        engine.close()
    assert shown["slice"] == {"filters": slice_.query(), "described": slice_.describe()}
    assert [(k["kind"], k["shortfalls"], k["measured"]) for k in shown["six_gaps"]] == [
        (s.kind, s.shortfalls, s.measured) for s in report.summary()
    ]
    assert {name: s["figure"] for name, s in shown["scores"].items() if s} == {
        name: s.figure() for name, s in scores.items() if s
    }
    knowledge = next(k for k in shown["six_gaps"] if k["kind"] == "knowledge")
    assert knowledge["measured"] > 0


def test_a_filter_the_store_does_not_hold_is_refused_in_one_sentence(cli) -> None:
    assert cli("demo", "--customers", "3000", "--no-analysis", "--no-loop").exit_code == 0
    refused = cli("analyze", "--segment", "nope")
    assert refused.exit_code == 2
    assert "segment = 'nope' is not in the data; choose one of: consumer" in " ".join(refused.stderr.split())
    inverted = cli("report", "--since", "2025-06", "--until", "2025-01")
    assert inverted.exit_code == 2 and "starts (2025-06) after it ends (2025-01)" in inverted.stderr
