"""Sentiment modes, weak labels, the embeddings cache, and offline loading of the packaged model."""

from __future__ import annotations

import numpy as np
import pytest

from cxgap.store import Store
from cxgap.text.embedding import embed
from cxgap.text.sentiment import labels_from_nps, labels_from_stars, lexicon_labels, sentiment

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

    model._model.cache_clear()
    vectors = model.encode(["offline works"])
    assert vectors.shape == (1, 384)


def test_the_whole_pipeline_runs_with_the_network_unavailable(
    monkeypatch: pytest.MonkeyPatch, demo_engine
) -> None:
    import socket

    from cxgap.config import Settings
    from cxgap.text import model
    from cxgap.text.service import analyze_text

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    model._model.cache_clear()  # the model is loaded again, from disk only
    report = analyze_text(demo_engine, Settings())
    assert report.texts > 0 and report.discovered is not None and report.themes
