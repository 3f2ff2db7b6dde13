"""The dashboard's text view of a slice: sentiment and themes are fitted once per store version, on the whole
store's sample (the default view), and a slice's texts are read by that fit; the default view is what fitting
on its own texts gives, as before."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cxgap.api.dashboard import Dashboard
from cxgap.config import Settings, StoreSettings, demo_settings, themes_for
from cxgap.demo import simulate, write_demo
from cxgap.engine import ALL, Engine, Filters
from cxgap.impact.linkage import nps_groups
from cxgap.store import Store
from cxgap.text import service
from cxgap.text.embedding import embed
from cxgap.text.sentiment import sentiment
from cxgap.text.service import TextReport, analyze_text, demo_store, load_texts
from cxgap.text.topics import assign, split_passages
from tests.api.on_demand import ON_DEMAND

SAMPLE = 900  # below the demo's texts, so that the whole store and the larger slices are samples
SLICES = (
    Filters(segment="consumer"),
    Filters(touchpoint="support"),
    Filters(since="2025-01", until="2025-06", channel="phone"),
)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The demo company (3,000 customers) in a DuckDB store, and settings that compute views on demand."""
    url = f"duckdb:///{tmp_path_factory.mktemp('slices') / 'demo.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(3_000, seed=7))
    return demo_settings(store=StoreSettings(url=url), server=ON_DEMAND)


@pytest.fixture(scope="module")
def board(settings: Settings) -> Iterator[Dashboard]:
    dashboard = Dashboard(settings, text_sample=SAMPLE, precompute=False)
    yield dashboard
    dashboard.close()


def _counting_fits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    fits: list[int] = []
    original: Callable[..., Any] = service._fit

    def counting(*args: Any, **kwargs: Any) -> Any:
        fits.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(service, "_fit", counting)
    return fits


def _vectors(board: Dashboard, report: TextReport) -> np.ndarray:
    assert report.per_text is not None
    return embed(list(report.per_text.texts), board.store).vectors


def test_the_dashboard_fits_sentiment_and_themes_once_for_every_slice(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    fits = _counting_fits(monkeypatch)
    dashboard = Dashboard(settings, text_sample=SAMPLE, precompute=False)
    try:
        reports = [dashboard.text(f) for f in (*SLICES, ALL)]
        assert fits == [1]
        assert reports[-1].model is not None and all(r.model is None for r in reports[:-1])
        assert all(r.texts > 0 for r in reports)
    finally:
        dashboard.close()
    # the fit is kept with the default view: after a restart, a slice still fits nothing
    fits.clear()
    again = Dashboard(settings, text_sample=SAMPLE, precompute=False)
    try:
        assert again.text(SLICES[0]).texts == reports[0].texts
        assert fits == []
    finally:
        again.close()


def test_a_slices_sentiment_and_themes_are_the_whole_sample_fit_applied_to_its_texts(
    board: Dashboard,
) -> None:
    whole = board.text(ALL)
    model = whole.model
    assert model is not None and whole.sampled
    assert model.sentiment.mode == whole.sentiment.mode
    for filters in SLICES:
        part = board.text(filters)
        assert part.per_text is not None and part.texts > 50
        texts, vectors = list(part.per_text.texts), _vectors(board, part)
        expected = model.sentiment.read(texts, vectors)
        assert part.sentiment.mode == whole.sentiment.mode
        assert np.array_equal(part.sentiment.labels, expected.labels)
        assert np.array_equal(part.sentiment.scores, expected.scores)
        parts = split_passages(texts, vectors, lambda cut: embed(cut, board.store).vectors)
        leaning = expected.scores[parts.owner]
        cut = np.flatnonzero(~parts.whole)
        if len(cut):
            leaning[cut] = model.passages.read([parts.texts[k] for k in cut], parts.vectors[cut]).scores
        themes = model.themes.assign(parts.vectors, parts.owner, leaning)
        assert part.assignment.best == themes.best and part.assignment.themes == themes.themes


def test_a_text_reads_the_same_in_every_slice_it_is_in(board: Dashboard) -> None:
    whole = board.text(ALL)
    assert whole.per_text is not None
    seen = {
        (kind, key): (label, score, best)
        for kind, key, label, score, best in zip(
            whole.per_text.kinds,
            whole.per_text.ids,
            whole.sentiment.labels,
            whole.sentiment.scores,
            whole.assignment.best,
            strict=True,
        )
    }
    shared = 0
    for filters in SLICES:
        part = board.text(filters)
        assert part.per_text is not None
        rows = zip(
            part.per_text.kinds,
            part.per_text.ids,
            part.sentiment.labels,
            part.sentiment.scores,
            part.assignment.best,
            strict=True,
        )
        for kind, key, label, score, best in rows:
            if (kind, key) in seen:
                shared += 1
                # the same text, read in a batch of another shape: equal up to float32 matrix products' rounding
                was = seen[(kind, key)]
                assert (was[0], was[2]) == (label, best) and abs(was[1] - score) < 1e-6, (kind, key)
    assert shared > 100


def test_a_slice_shows_the_check_of_the_model_it_is_read_by(board: Dashboard) -> None:
    whole = board.text(ALL)
    check = whole.sentiment.evaluation
    assert whole.model is not None and check is not None, "the demo's stars and NPS train the sentiment"
    assert not check.applied and "whole store's sample" not in check.sentence()
    part = board.text(SLICES[0])
    applied = part.sentiment.evaluation
    assert applied is not None and applied.applied
    assert (applied.macro_f1, applied.train, applied.test) == (check.macro_f1, check.train, check.test)
    assert applied.sentence().startswith("These texts are read by the model fitted once on the whole store's")
    assert applied.sentence().endswith(check.sentence())
    assert part.per_text is not None
    held = [
        (k, i) in whole.model.held_out for k, i in zip(part.per_text.kinds, part.per_text.ids, strict=True)
    ]
    frame = part.sentiment.to_frame()
    assert frame["held_out"].tolist() == held and 0 < sum(held) < len(held)


def test_the_default_view_is_what_fitting_on_its_own_texts_gives(
    board: Dashboard, settings: Settings
) -> None:
    """As before fitting once: sentiment trained on the sample's own labels, passages of long texts read
    without labels, themes assigned on the sample; the fit then reads its own texts exactly so."""
    whole = board.text(ALL)
    frame, _ = load_texts(board.engine, ALL, SAMPLE)
    texts = frame["text"].astype(str).tolist()
    assert whole.per_text is not None and list(whole.per_text.texts) == texts
    vectors = embed(texts, board.store).vectors
    mood = sentiment(texts, vectors, service._weak_labels(frame))
    assert mood.mode == whole.sentiment.mode == "trained on your labels"
    assert np.array_equal(mood.labels, whole.sentiment.labels)
    assert np.array_equal(mood.scores, whole.sentiment.scores)
    parts = split_passages(texts, vectors, lambda cut: embed(cut, board.store).vectors)
    leaning = mood.scores[parts.owner]
    cut = np.flatnonzero(~parts.whole)
    if len(cut):
        leaning[cut] = sentiment([parts.texts[k] for k in cut], parts.vectors[cut]).scores
    themes = themes_for(settings, demo_store(board.engine))
    assigned = assign(parts.vectors, themes, parts.owner, leaning)
    assert whole.assignment.best == assigned.best and whole.assignment.themes == assigned.themes
    assert whole.model is not None
    again = whole.model.sentiment.read(texts, vectors)
    assert np.array_equal(again.labels, mood.labels) and np.array_equal(again.scores, mood.scores)
    fresh = analyze_text(board.engine, settings, discover_topics=False, max_texts=SAMPLE)
    assert fresh.to_frame().equals(whole.to_frame())
    assert [a.sentence() for a in fresh.alerts] == [a.sentence() for a in whole.alerts]


def test_the_fit_survives_being_kept_as_a_pickle(board: Dashboard, tmp_path: Path) -> None:
    whole = board.text(ALL)
    assert whole.model is not None and whole.per_text is not None
    kept = pickle.loads(pickle.dumps(whole, protocol=pickle.HIGHEST_PROTOCOL))
    assert kept.model is not None
    texts = list(whole.per_text.texts)[:200]
    vectors = embed(texts, board.store).vectors
    read = kept.model.sentiment.read(texts, vectors)
    assert np.array_equal(read.labels, whole.sentiment.labels[:200])
    assert np.allclose(read.scores, whole.sentiment.scores[:200], rtol=0, atol=1e-6)  # float32 products
    assigned = kept.model.themes.assign(vectors)
    assert assigned.names == whole.assignment.names and len(assigned.best) == 200


def test_theme_impact_reads_the_nps_groups_of_the_texts_authors_alone(store_url: str) -> None:
    with Store(store_url) as store:
        write_demo(store, simulate(400, seed=3))
        engine = Engine(store)
        try:
            frame, _ = load_texts(engine, Filters(segment="consumer"))
            got = service._groups(engine, frame).sort_values("customer_id", ignore_index=True)
            every = pd.DataFrame(nps_groups(engine).execute())
            expected = every[every["customer_id"].isin(set(frame["customer_id"].dropna()))]
            assert got.equals(expected.sort_values("customer_id", ignore_index=True))
            assert 0 < len(got) < len(every)
            nobody = service._groups(engine, frame.iloc[:0])
            assert nobody.empty and list(nobody.columns) == ["customer_id", "group"]
        finally:
            engine.close()
