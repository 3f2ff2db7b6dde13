"""Themes on the demo company: planted topics are assigned to the right themes and touchpoints, discovered
without configuration, raise NPS questions, and the planted emerging issue alarms in the right week."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from cxgap.config import Settings
from cxgap.demo import TRUTH, simulate
from cxgap.demo.text import THEME_OF, TOPICS, planted_topic
from cxgap.engine import Engine
from cxgap.text.embedding import embed
from cxgap.text.service import analyze_text
from cxgap.text.topics import assign, discover
from cxgap.text.trends import emerging, weekly_counts

PLANTED_TO_THEME = THEME_OF


def _planted(text: str) -> str:
    found = planted_topic(text)
    assert found is not None, text
    return found


@pytest.fixture(scope="module")
def demo_texts() -> tuple[list[str], np.ndarray, pd.Series]:
    feedback = simulate(10_000, seed=42).tables["feedback"].to_pandas()
    texts = feedback["text"].tolist()
    return texts, embed(texts).vectors, feedback["received_at"]


def test_planted_topics_get_the_right_theme_and_touchpoint(demo_texts) -> None:
    texts, vectors, _ = demo_texts
    assignment = assign(vectors, Settings().themes)
    truth = [PLANTED_TO_THEME[_planted(t)] for t in texts]
    accuracy = np.mean([a == b for a, b in zip(assignment.best, truth, strict=True)])
    assert accuracy >= 0.9, accuracy
    themes = Settings().themes
    by_touchpoint = {t.name: t.touchpoint for t in TOPICS}
    hits = [
        themes[b].touchpoint == by_touchpoint[_planted(t)]
        for t, b in zip(texts, assignment.best, strict=True)
        if b
    ]
    assert np.mean(hits) >= 0.95


def test_discovery_finds_each_planted_topic_without_configuration(demo_texts) -> None:
    texts, vectors, _ = demo_texts
    found = discover(texts, vectors)
    planted = np.array([_planted(t) for t in texts])
    majority = set()
    for c in range(len(found.names)):
        members = planted[found.labels == c]
        top, count = pd.Series(members).value_counts().index[0], pd.Series(members).value_counts().iloc[0]
        if count / len(members) >= 0.6:
            majority.add(top)
    common = {name for name, n in pd.Series(planted).value_counts().items() if n >= 20}
    assert common <= majority, common - majority


def test_the_emerging_issue_alarms_in_its_first_week_and_not_without_it(demo_texts) -> None:
    texts, vectors, when = demo_texts
    alerts = emerging(weekly_counts(list(assign(vectors, Settings().themes).best), when))
    assert alerts and alerts[0].theme == "app_login"
    assert alerts[0].week.date() == TRUTH.emerging_start - dt.timedelta(days=TRUTH.emerging_start.weekday())
    assert {a.theme for a in alerts} == {"app_login"}
    calm = (
        simulate(10_000, seed=42, truth=replace(TRUTH, emerging_multiplier=1.0))
        .tables["feedback"]
        .to_pandas()
    )
    quiet = assign(embed(calm["text"].tolist()).vectors, Settings().themes)
    assert emerging(weekly_counts(list(quiet.best), calm["received_at"])) == []


def test_store_text_analysis_reports_themes_with_nps_impact(demo_engine: Engine) -> None:
    report = analyze_text(demo_engine, Settings(), discover_topics=False)
    assert report.texts > 500 and report.sentiment.mode == "trained on your labels"
    frame = report.to_frame()
    unresolved = frame.set_index("theme").loc["unresolved_problem"]
    assert unresolved["touchpoint"] == "support" and unresolved["negative"] > 0.5
    assert unresolved["nps_high"] < 0 and unresolved["q_value"] < 0.05  # raisers recommend less
    assert report.alerts and report.alerts[0].theme == "app_login"
    again = analyze_text(demo_engine, Settings(), discover_topics=False)
    assert again.embedded_new == 0  # every text came from the cache


def test_topic_accuracy_is_as_documented(demo_texts) -> None:
    from pathlib import Path

    from cxgap.text.quality import topic_lines, topic_quality

    texts, vectors, _ = demo_texts
    quality = topic_quality(vectors, texts, [THEME_OF[_planted(t)] for t in texts], Settings().themes)
    assert quality.zero_shot >= 0.9 and quality.with_examples >= quality.zero_shot
    doc = (Path(__file__).resolve().parents[2] / "docs" / "text-quality.md").read_text(encoding="utf-8")
    for line in topic_lines(quality, len(texts)):
        assert line in doc, line


def test_a_theme_turning_negative_alarms_in_that_week() -> None:
    from cxgap.text.trends import more_negative

    index = pd.date_range("2025-01-06", periods=12, freq="7D")
    counts = pd.DataFrame({"billing_error": [20] * 12, "price_value": [15] * 12}, index=index)
    negative = pd.DataFrame({"billing_error": [4] * 10 + [16, 5], "price_value": [1] * 12}, index=index)
    alerts = more_negative(counts, negative)
    assert [(a.theme, a.week, a.kind) for a in alerts] == [("billing_error", index[10], "negativity")]
    assert "16 negative texts in the week of 2025-03-17" in alerts[0].sentence()
