"""Topic discovery names topics by what customers write about: never by @handles, URLs, numbers, stop words,
filler or words in most texts (a brand name, "hotel" in hotel reviews); the topics come back as themes to
paste into cxgap.toml."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxgap.config import settings_from_dict
from cxgap.text.discovery import (
    FILLER,
    GENERIC,
    URL_PARTS,
    Discovered,
    discover,
    naming_text,
    stop_words,
    strip_noise,
)
from cxgap.text.embedding import embed

SUBJECTS = {
    "baggage": (
        "my suitcase never arrived, lost baggage again",
        "the luggage was lost and nobody knows where my bag is",
        "still waiting for my lost bag after three days",
        "they lost my suitcase on the way home",
        "baggage claim says my bag is missing",
    ),
    "delay": (
        "the flight was delayed for five hours",
        "another delay, we sat at the gate all evening",
        "our flight is delayed again with no explanation",
        "delayed departure and we missed the connection",
        "two hour delay before boarding even started",
    ),
    "refund": (
        "still no refund for the cancelled ticket",
        "I asked for a refund weeks ago and got nothing",
        "where is my refund, the money never came back",
        "refund request ignored for a month",
        "they promised a refund but the money is not on my card",
    ),
    "wifi": (
        "the onboard wifi never worked",
        "wifi on the plane kept dropping",
        "paid for wifi and could not connect",
        "no wifi signal during the whole flight",
        "the wifi was too slow to load anything",
    ),
}
SUBJECT_WORDS = {
    "baggage": {"suitcase", "baggage", "luggage", "bag", "lost", "missing", "claim"},
    "delay": {"delay", "delayed", "hours", "gate", "departure", "connection", "boarding"},
    "refund": {"refund", "money", "ticket", "card", "request", "cancelled"},
    "wifi": {"wifi", "onboard", "connect", "signal", "dropping", "plane", "slow", "load"},
}
HANDLES = ("@skyair", "@skyairhelp", "@bluejet")
BRAND = "skyair"


def _posts(n: int = 240, seed: int = 3) -> tuple[list[str], list[str]]:
    """Social posts: a handle, the brand, a subject sentence; often a URL, a flight number, hashtags."""
    rng = np.random.default_rng(seed)
    posts, truth = [], []
    for i in range(n):
        subject = list(SUBJECTS)[i % len(SUBJECTS)]
        parts = [HANDLES[rng.integers(len(HANDLES))], BRAND, SUBJECTS[subject][rng.integers(5)]]
        if rng.random() < 0.6:
            parts.append(f"http://t.co/{rng.integers(16**6):06x}")
        if rng.random() < 0.4:
            parts.append(f"flight {rng.integers(100, 999)} #{BRAND}")
        posts.append(" ".join(parts))
        truth.append(subject)
    return posts, truth


def _name_words(found: Discovered) -> set[str]:
    return {word for words in found.words for term in words for word in term.split()}


def test_handles_urls_hashtags_and_numbers_are_stripped_before_naming() -> None:
    post = "@SkyAir flight 714 delayed again!! see https://t.co/Ab12cd and www.skyair.com/help #NeverAgain 3x"
    assert strip_noise(post) == "flight 714 delayed again!! see and NeverAgain 3x"
    assert naming_text(post) == "flight delayed again!! see and neveragain"
    review = "nice hotel, great pool  "  # nothing to strip: the very text, so its cached embedding serves
    assert strip_noise(review) is review


def test_the_stop_list_holds_brands_handles_and_words_in_most_texts() -> None:
    posts, _ = _posts()
    stop = stop_words(posts)
    assert {"skyair", "skyairhelp", "bluejet", "http", "tco", "the", "just", "great"} <= stop
    assert not {"wifi", "refund", "baggage", "delayed"} & stop  # subjects are never stop words


def test_synthetic_posts_are_named_by_their_subjects(tmp_path: Path) -> None:
    posts, truth = _posts()
    vectors = embed([strip_noise(p) for p in posts]).vectors
    found = discover(posts, vectors, k_range=range(3, 9))
    stop = stop_words(posts)
    words = _name_words(found)
    assert words and not words & stop, words & stop
    assert not any(re.search(r"\d|@|http|tco", w) for w in words)
    labels = np.array(truth)
    for subject, vocabulary in SUBJECT_WORDS.items():
        # the topic holding most of this subject's posts is named by this subject's words
        cluster = Counter(found.labels[labels == subject]).most_common(1)[0][0]
        assert set(found.names[cluster].replace(" / ", " ").split()) & vocabulary, (subject, found.names)


def test_proposed_themes_are_valid_configuration() -> None:
    found = Discovered(
        np.array([0, 0, 1], dtype=np.int64),
        ("breakfast / pool", "noise / street"),
        (2, 1),
        (("a", "b"), ("c",)),
        0.1,
        (("breakfast", "pool"), ("noise", "street")),
    )
    snippet = found.themes_toml()
    themes = settings_from_dict(tomllib.loads(snippet)).themes
    assert list(themes) == ["breakfast_pool", "noise_street"]
    assert themes["noise_street"].keywords == ["noise", "street"]


@pytest.fixture(scope="module")
def hotel_reviews(shared_data: Callable[[str], Path]) -> list[str]:
    """300 of the shared TripAdvisor reviews (a fixed sample: embedding all 2,000 takes minutes)."""
    frame = pd.read_csv(shared_data("tripadvisor_hotel_reviews.csv"))
    return frame["Review"].sample(300, random_state=16).astype(str).tolist()


def test_hotel_review_topics_are_named_without_filler(hotel_reviews: list[str]) -> None:
    found = discover(hotel_reviews, embed(hotel_reviews).vectors, k_range=range(4, 11))
    words = _name_words(found)
    assert len(found.names) >= 4 and all(found.words), found.names
    filler = stop_words(hotel_reviews)
    assert {"hotel", "room"} <= filler  # in most reviews: they name no topic
    assert not words & (filler | URL_PARTS | FILLER | GENERIC), words & filler
    assert not any(re.search(r"\d", w) for w in words)
    assert len(set(found.names)) == len(found.names)  # no two topics share a name
    themes = settings_from_dict(tomllib.loads(found.themes_toml())).themes
    assert len(themes) == min(len(found.names), 12)


def test_feedback_that_repeats_itself_gets_no_more_topics_than_it_has_texts() -> None:
    """Three different texts said 40 times each: k-means is never asked for more clusters than there are
    different points (it warned and returned duplicate clusters)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    said = ["thanks", "the bill was wrong again", "the engineer never came"]
    texts = [text for text in said for _ in range(40)]
    vectors = np.repeat(np.eye(3, 8, dtype=np.float32), 40, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        found = discover(texts, vectors)
    assert len(found.names) == 3 and sorted(found.sizes) == [40, 40, 40]


def test_the_same_text_embedded_apart_still_counts_once() -> None:
    """Identical texts whose vectors differ in their last bits (embedded in different batches) are one
    text: no more topics than different texts."""
    texts = ["the app keeps crashing"] * 30 + ["billing was wrong again"] * 30
    rng = np.random.default_rng(0)
    vectors = np.repeat(np.eye(2, 8, dtype=np.float32), 30, axis=0)
    vectors += rng.normal(scale=1e-6, size=vectors.shape).astype(np.float32)
    found = discover(texts, vectors)
    assert len(found.names) == 2 and sorted(found.sizes) == [30, 30]
