"""Sentiment quality on real reviews, long and short: the VADER lexicon against cxgap's other readings.

Usage: python benchmarks/sentiment_quality.py [--data ../shared/data/tripadvisor_hotel_reviews.csv] [--out FILE]

The 2,000 TripAdvisor reviews carry 1-5 stars; 1-2 = negative, 3 = neutral, 4-5 = positive. Each is read as
written (long) and cut to its first 20 words (short, like a social post). One stratified split per run (70% for
training, 30% held out, seed 0); every reading is scored on the same held-out texts, macro-F1 with a 95%
bootstrap percentile interval (1,000 resamples). The readings without labels see all texts and no label; the
trained ones see labels of the training part only (300 of them, or all). `tests/text/test_quality.py`
recomputes every figure and compares it with docs/text-quality.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from cxgap.text import labels_from_stars
from cxgap.text.embedding import embed
from cxgap.text.quality import SHORT_WORDS, check_line, quality_table, sentiment_quality, short_texts

from report import emit, machine

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "tripadvisor_hotel_reviews.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    frame = pd.read_csv(args.data)
    reviews = frame["Review"].astype(str).tolist()
    labels = labels_from_stars(frame["Rating"].to_numpy(dtype=float))
    lines = []
    for kind, texts in (
        ("reviews", reviews),
        (f"short texts (first {SHORT_WORDS} words)", short_texts(reviews)),
    ):
        quality = sentiment_quality(texts, embed(texts).vectors, labels)
        lines += [
            f"### Sentiment on {quality.texts:,} TripAdvisor {kind}, {quality.held_out:,} held out ({machine()})",
            "",
            *quality_table(quality),
            "",
            check_line(quality),
            "",
        ]
    emit("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
