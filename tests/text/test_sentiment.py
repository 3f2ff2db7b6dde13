"""Sentiment modes, weak labels, the trained mode's held-out check, the embeddings cache, and offline loading
of the packaged model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxgap.config import demo_settings
from cxgap.store import Store
from cxgap.text.embedding import embed
from cxgap.text.quality import short_texts
from cxgap.text.sentiment import (
    Reader,
    Sentiment,
    fit_sentiment,
    held_out_size,
    labels_from_nps,
    labels_from_stars,
    lexicon_labels,
    lexicon_scores,
    lexicon_sentiment,
    macro_f1_estimate,
    sentiment,
)

GOOD = ["Excellent service, the engineer was friendly and fixed it fast.", "Great app, easy to pay my bill."]
BAD = ["Terrible. Nobody called back and the line is still dead.", "Awful wait, I was on hold for an hour."]
MEH = ["It was okay, nothing special.", "The installation happened on the second visit."]


def test_weak_labels_from_stars_and_nps() -> None:
    assert list(labels_from_stars(np.array([1, 2, 3, 4, 5, np.nan]))) == [0, 0, 1, 2, 2, -1]
    assert list(labels_from_nps(np.array([0, 6, 7, 8, 9, 10, np.nan]))) == [0, 0, 1, 1, 2, 2, -1]
    assert list(lexicon_labels(np.array([-0.5, 0.0, 0.04, 0.05]))) == [0, 1, 1, 2]


def test_anchor_mode_reads_clear_cases_and_says_which_mode_ran() -> None:
    texts = GOOD + BAD + MEH
    result = sentiment(texts, embed(texts).vectors)
    assert result.mode == "anchors (no labels)"
    assert list(result.labels[:4]) == [2, 2, 0, 0]
    assert (result.scores[:2] > 0).all() and (result.scores[2:4] < 0).all()
    assert sentiment(texts).mode == "lexicon"


def test_too_few_labels_fall_back_to_anchors() -> None:
    texts = GOOD + BAD
    labels = np.array([2, 2, 0, 0])
    assert sentiment(texts, embed(texts).vectors, labels).mode == "anchors (no labels)"


def test_the_cache_embeds_each_distinct_text_once(duck_store: Store) -> None:
    texts = GOOD + BAD + GOOD
    first = embed(texts, duck_store)
    assert (first.new, first.cached) == (4, 0)
    again = embed(texts + MEH, duck_store)
    assert (again.new, again.cached) == (2, 4)
    assert np.allclose(again.vectors[:6], first.vectors, atol=1e-6)
    assert np.allclose(np.linalg.norm(again.vectors, axis=1), 1.0, atol=1e-5)


def test_the_model_loads_with_the_network_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    from cxgap.text import model

    model.unload()
    vectors = model.encode(["offline works"])
    assert vectors.shape == (1, 384)


def test_the_whole_pipeline_runs_with_the_network_unavailable(
    monkeypatch: pytest.MonkeyPatch, demo_engine
) -> None:
    import socket

    from cxgap.text import model
    from cxgap.text.service import analyze_text

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    model.unload()  # the model is loaded again, from disk only
    # a sample is enough to load the model and run every step offline (the whole store takes a minute)
    report = analyze_text(demo_engine, demo_settings(), max_texts=1_500)
    assert report.texts > 0 and report.discovered is not None and report.themes


def test_lexicon_mode_follows_vaders_documented_rule() -> None:
    # compounds 0.20, 0.23, 0.43 and -0.40: inside +-0.5, so the old "largest share" reading called them neutral
    texts = [
        "The room was fine.",
        "The app is okay I guess.",
        "Not bad.",
        "I waited, it was annoying.",
        "It works.",
    ]
    result = sentiment(texts)
    compound = lexicon_scores(texts)[:, 0]
    assert ((np.abs(compound[:4]) > 0.05) & (np.abs(compound[:4]) < 0.5)).all()
    assert result.mode == "lexicon"
    assert list(result.labels) == [2, 2, 2, 0, 1]
    assert list(result.labels) == list(lexicon_labels(compound))
    assert np.allclose(result.scores, compound)


@pytest.fixture(scope="module")
def short_reviews(shared_data: Callable[[str], Path]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """A fixed real subsample: every 5th TripAdvisor review (400), cut to its first 20 words, with the
    sentiment of its stars and its embeddings."""
    frame = pd.read_csv(shared_data("tripadvisor_hotel_reviews.csv")).iloc[::5]
    texts = short_texts(frame["Review"].astype(str).tolist())
    labels = labels_from_stars(frame["Rating"].to_numpy(dtype=float))
    return texts, embed(texts).vectors, labels


def test_the_check_holds_out_at_least_30_percent_and_200_texts_when_the_labels_allow() -> None:
    assert held_out_size(1000) == 300
    assert held_out_size(500) == 200  # 30% would be 150
    assert held_out_size(400) == 200
    assert held_out_size(300) == 150  # 200 would leave fewer to train on than to check
    assert held_out_size(60) == 30


def test_the_trained_mode_reports_its_check_with_n_an_interval_and_the_lexicon_on_the_same_texts(
    short_reviews: tuple[list[str], np.ndarray, np.ndarray],
) -> None:
    texts, vectors, labels = short_reviews
    result = sentiment(texts, vectors, labels)
    check = result.evaluation
    assert check is not None
    # labels are used only when the model trained on them beats the no-label reading on the held-out texts
    free = sentiment(texts, vectors)
    if check.labels_help:
        assert result.mode == "trained on your labels" and "model trained on all 400" in check.sentence()
    else:
        assert result.mode == free.mode and list(result.labels) == list(free.labels)
        assert "did not beat the reading that needs no labels" in check.sentence()
    assert check.unlabelled_macro_f1 == macro_f1_estimate(labels[check.held_out], free.labels[check.held_out])
    assert (check.test, check.train) == (200, 200)
    held = check.held_out
    assert held.sum() == 200 and list(result.to_frame()["held_out"]) == list(held)
    # stratified: each sentiment is held out in proportion to its share of the labels
    assert np.abs(np.bincount(labels[held], minlength=3) - np.bincount(labels, minlength=3) / 2).max() <= 1
    for score in (check.macro_f1, check.lexicon_macro_f1, check.unlabelled_macro_f1):
        assert score.n == 200 and score.low < score.value < score.high and score.high - score.low < 0.3
    lexicon = lexicon_labels(lexicon_scores([t for t, h in zip(texts, held, strict=True) if h])[:, 0])
    assert check.lexicon_macro_f1 == macro_f1_estimate(labels[held], lexicon)
    d = check.over_lexicon
    assert d.value == pytest.approx(check.macro_f1.value - check.lexicon_macro_f1.value)
    assert d.low < d.value < d.high
    words = check.sentence()
    assert "200 labelled texts held out" in words and "lexicon alone (no training)" in words
    assert f"{check.macro_f1.low:.2f}, {check.macro_f1.high:.2f}" in words and "bootstrap" in words


def test_without_labels_the_self_trained_mode_beats_the_lexicon_on_real_short_texts(
    short_reviews: tuple[list[str], np.ndarray, np.ndarray],
) -> None:
    texts, vectors, labels = short_reviews
    free = sentiment(texts, vectors)  # no label is seen: every text is held out
    assert free.mode == "self-trained (no labels)" and free.evaluation is None
    ours, lexicon = (
        macro_f1_estimate(labels, free.labels),
        macro_f1_estimate(labels, lexicon_sentiment(texts).labels),
    )
    assert ours.value >= lexicon.value + 0.05, (ours, lexicon)
    assert isinstance(free, Sentiment) and set(free.to_frame().columns) == {"sentiment", "score"}


def test_a_fitted_reading_reads_other_texts_as_it_read_them_where_it_was_fitted(
    short_reviews: tuple[list[str], np.ndarray, np.ndarray],
) -> None:
    texts, vectors, labels = short_reviews
    some = np.arange(0, len(texts), 7)
    picked = [texts[i] for i in some]
    for given in (labels, None):  # trained on the labels; self-trained without them
        reader, fitted = fit_sentiment(texts, vectors, given)
        assert reader.mode == fitted.mode and (
            reader.head is not None or reader.mode == "anchors (no labels)"
        )
        read = reader.read(picked, vectors[some])
        assert np.array_equal(read.labels, fitted.labels[some])
        assert np.allclose(read.scores, fitted.scores[some], rtol=0, atol=1e-6)  # float32 products' rounding
        assert read.mode == fitted.mode
        if given is not None:
            # on these short texts the labels do not beat the no-label reading (the dashboard's test trains)
            assert (reader.model is not None) == (reader.mode == "trained on your labels")
            assert (
                read.evaluation is not None and read.evaluation.applied and not read.evaluation.held_out.any()
            )
            assert (
                len(read.to_frame()) == len(picked) and "whole store's sample" in read.evaluation.sentence()
            )
    assert Reader("lexicon").read(picked).mode == "lexicon"
    with pytest.raises(ValueError, match="needs the texts' embeddings"):
        reader.read(picked)


def test_the_lexicon_reads_a_repeated_text_once_and_gives_it_the_same_scores() -> None:
    texts = GOOD + BAD + GOOD + MEH + BAD
    scores = lexicon_scores(texts, cx=True)
    assert scores.shape == (len(texts), 4)
    assert np.array_equal(scores, np.vstack([lexicon_scores([t], cx=True) for t in texts]))
    assert lexicon_scores([]).shape == (0, 4)


def test_the_macro_f1_interval_is_a_bootstrap_that_narrows_with_n() -> None:
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 3, 2000)
    noisy = np.where(rng.random(2000) < 0.7, truth, rng.integers(0, 3, 2000))
    small, large = macro_f1_estimate(truth[:200], noisy[:200]), macro_f1_estimate(truth, noisy)
    assert small.low < small.value < small.high and large.low < large.value < large.high
    assert large.high - large.low < (small.high - small.low) * 0.6  # about 1/sqrt(10) as wide
    assert macro_f1_estimate(truth, truth).value == 1.0
