"""Sentiment quality on real reviews: the VADER lexicon against cxgap's two embedding modes, one held-out split.

Usage: python benchmarks/text_quality.py [--data ../shared/data/tripadvisor_hotel_reviews.csv] [--out docs/text-quality.md]

The 2,000 TripAdvisor reviews carry 1-5 stars; 1-2 = negative, 3 = neutral, 4-5 = positive. One stratified
split (70% train, 30% held out, seed 0). On the held-out texts:
- lexicon: VADER's compound score with its standard thresholds;
- anchors (no labels): never sees a label (its two constants were chosen on the training part only);
- trained on your labels: the stars of the training part as weak labels.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from cxgap.config import Settings
from cxgap.demo import simulate
from cxgap.demo.text import THEME_OF, planted_topic
from cxgap.text import labels_from_stars
from cxgap.text.embedding import embed
from cxgap.text.quality import quality_table, sentiment_quality, topic_lines, topic_quality

from report import emit, machine

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "tripadvisor_hotel_reviews.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    frame = pd.read_csv(args.data)
    texts = frame["Review"].astype(str).tolist()
    labels = labels_from_stars(frame["Rating"].to_numpy(dtype=float))
    start = time.perf_counter()
    vectors = embed(texts).vectors
    encode_s = time.perf_counter() - start
    held_out, quality = sentiment_quality(texts, vectors, labels)
    lines = [
        f"### Sentiment on {len(texts):,} TripAdvisor reviews, {held_out:,} held out ({machine()})",
        "",
        *quality_table(quality),
    ]
    lines += [
        "",
        f"Embedding the {len(texts):,} reviews took {encode_s:.0f} s ({len(texts) / encode_s:.0f} texts/s) on this machine.",
        "",
    ]
    feedback = simulate(10_000, seed=42).tables["feedback"].to_pandas()
    demo_texts = feedback["text"].tolist()
    truth = [THEME_OF[planted_topic(t) or ""] for t in demo_texts]
    topics = topic_quality(embed(demo_texts).vectors, demo_texts, truth, Settings().themes)
    lines += [
        f"### Topic assignment on the demo company's feedback ({machine()})",
        "",
        *topic_lines(topics, len(demo_texts)),
        "",
    ]
    emit("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
