"""docs/text-quality.md is what the code measures on the real reviews, long and short, and the claims hold."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from cxgap.text import labels_from_stars
from cxgap.text.embedding import embed
from cxgap.text.quality import SHORT_WORDS, check_line, quality_table, sentiment_quality, short_texts

DOC = Path(__file__).resolve().parents[2] / "docs" / "text-quality.md"


@pytest.mark.slow  # embeds all 2,000 reviews (about a minute for the long ones)
@pytest.mark.parametrize("kind", ["reviews", f"short texts (first {SHORT_WORDS} words)"])
def test_sentiment_on_real_reviews_is_as_documented(kind: str, shared_data: Callable[[str], Path]) -> None:
    frame = pd.read_csv(shared_data("tripadvisor_hotel_reviews.csv"))
    reviews = frame["Review"].astype(str).tolist()
    texts = reviews if kind == "reviews" else short_texts(reviews)
    quality = sentiment_quality(
        texts, embed(texts).vectors, labels_from_stars(frame["Rating"].to_numpy(float))
    )
    modes = {q.mode: q for q in quality.modes}
    # without labels, better than the lexicon on the same held-out texts (the paired interval excludes 0)
    assert modes["self-trained (no labels)"].over_lexicon.low > 0
    assert modes["anchors (no labels)"].over_lexicon.low > 0
    # with the training part's stars, at least 0.10 better than the lexicon
    assert modes["trained on 1,400 labels"].over_lexicon.value >= 0.10
    assert quality.few_labels_check.test == 150 and quality.few_labels_check.train == 150
    doc = DOC.read_text(encoding="utf-8")
    assert f"TripAdvisor {kind}, {quality.held_out:,} held out" in doc
    for line in [*quality_table(quality), check_line(quality)]:
        assert line in doc, line


def test_short_texts_are_the_first_words_of_each_review() -> None:
    assert short_texts(["one two three four", "a b"], words=3) == ["one two three", "a b"]
    assert short_texts(["  spaced   out\r\ntext "], words=2) == ["spaced out"]
