"""Embedding speed on real reviews, and topic assignment on the demo company's planted topics.

Usage: python benchmarks/text_quality.py [--data ../shared/data/tripadvisor_hotel_reviews.csv] [--out docs/text-quality.md]

Sentiment quality on the same reviews (long and short) is benchmarks/sentiment_quality.py.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from cxgap.config import demo_themes
from cxgap.demo import simulate
from cxgap.demo.text import THEME_OF, planted_topic
from cxgap.text.embedding import embed
from cxgap.text.quality import topic_lines, topic_quality

from report import emit, machine

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "tripadvisor_hotel_reviews.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    frame = pd.read_csv(args.data)
    texts = frame["Review"].astype(str).tolist()
    start = time.perf_counter()
    embed(texts)
    encode_s = time.perf_counter() - start
    lines = [
        f"Embedding the {len(texts):,} reviews took {encode_s:.0f} s ({len(texts) / encode_s:.0f} texts/s) on this machine.",
        "",
    ]
    feedback = simulate(10_000, seed=42).tables["feedback"].to_pandas()
    demo_texts = feedback["text"].tolist()
    truth = [THEME_OF[planted_topic(t) or ""] for t in demo_texts]
    topics = topic_quality(embed(demo_texts).vectors, demo_texts, truth, demo_themes())
    lines += [
        f"### Topic assignment on the demo company's feedback ({machine()})",
        "",
        *topic_lines(topics, len(demo_texts)),
        "",
    ]
    emit("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
