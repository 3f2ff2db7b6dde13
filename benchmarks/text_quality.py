"""Embedding speed on real reviews, topic assignment on the demo company's planted topics, and the int8 ONNX
model against PyTorch on every quality figure that depends on the embeddings.

Usage: python benchmarks/text_quality.py [--data ../shared/data/tripadvisor_hotel_reviews.csv] [--out docs/text-quality.md]

The comparison runs the same measurements twice, once per model (CXGAP_TEXT_MODEL=pytorch, then onnx), on the
same texts and splits, each model in a process of its own (anchor phrases and theme descriptions are embedded
once per process, so one process must never see both models): sentiment macro-F1 on the 2,000 reviews held-out part, long and first 20 words (as
benchmarks/sentiment_quality.py), zero-shot top-theme accuracy on the 600 hand-labelled hotel texts (as
benchmarks/theme_quality.py), topic accuracy on the demo feedback, and the cosine between the two models'
vectors of each review. Goal: every difference within 0.01. Sentiment quality in full is
benchmarks/sentiment_quality.py.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from theme_quality import KINDS, corpus, hotel_themes, load_labels, measure

from cxgap.config import demo_themes
from cxgap.demo import simulate
from cxgap.demo.text import THEME_OF, planted_topic
from cxgap.text import labels_from_stars
from cxgap.text.embedding import embed
from cxgap.text.model import BACKEND_ENV, model_name
from cxgap.text.quality import sentiment_quality, short_texts, topic_lines, topic_quality

from report import emit, machine

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "tripadvisor_hotel_reviews.csv"
MODELS = {"pytorch": "PyTorch", "onnx": "int8 ONNX"}


@dataclass(frozen=True)
class ModelRun:
    """What one model scores: figures by name (same names for both models) and its review vectors."""

    name: str
    seconds: float
    figures: dict[str, float]
    vectors: NDArray[np.float32]


def measure_model(backend: str, data: Path, demo_texts: list[str]) -> ModelRun:
    """Every embedding-dependent quality figure, with the model CXGAP_TEXT_MODEL=`backend` selects (run it in
    a fresh process: see the module's docstring)."""
    os.environ[BACKEND_ENV] = backend
    frame = pd.read_csv(data)
    reviews = frame["Review"].astype(str).tolist()
    labels = labels_from_stars(frame["Rating"].to_numpy(dtype=float))
    figures: dict[str, float] = {}
    start = time.perf_counter()
    vectors = embed(reviews).vectors
    seconds = time.perf_counter() - start
    for kind, texts, given in (("long", reviews, vectors), ("short", short_texts(reviews), None)):
        quality = sentiment_quality(texts, embed(texts).vectors if given is None else given, labels)
        for mode in quality.modes:
            figures[f"sentiment macro-F1, {kind} reviews: {mode.mode}"] = mode.macro_f1.value
    themes = hotel_themes()
    labelled = load_labels(data)
    for kind, label in KINDS.items():
        c = corpus(labelled, kind)
        scores = measure(c.assign(themes), c.truth)
        figures[f"themes, {label}: top theme is a labelled one"] = scores.top_right / max(scores.themed, 1)
        if scores.none:
            figures[f"themes, {label}: no theme labelled, given one"] = scores.none_given / scores.none
    truth = [THEME_OF[planted_topic(t) or ""] for t in demo_texts]
    topics = topic_quality(embed(demo_texts).vectors, demo_texts, truth, demo_themes())
    figures["demo topics: zero-shot"] = topics.zero_shot
    figures["demo topics: with 5 examples per theme"] = topics.with_examples
    return ModelRun(model_name(), seconds, figures, vectors)


def comparison_lines(runs: dict[str, ModelRun], reviews: int) -> list[str]:
    """One row per figure: PyTorch, int8, difference; then the cosine between the models' vectors."""
    reference, int8 = runs["pytorch"], runs["onnx"]
    lines = [
        "| measure | PyTorch | int8 ONNX | difference |",
        "|---|---|---|---|",
    ]
    for name, value in reference.figures.items():
        other = int8.figures[name]
        lines.append(f"| {name} | {value:.3f} | {other:.3f} | {other - value:+.3f} |")
    cosine = (reference.vectors * int8.vectors).sum(axis=1)
    worst = max(abs(int8.figures[k] - v) for k, v in reference.figures.items())
    lines += [
        "",
        f"Largest difference: {worst:.3f} (goal: within 0.01). Cosine between the two models' vectors of the "
        f"{reviews:,} reviews: mean {cosine.mean():.4f}, 1st percentile {np.percentile(cosine, 1):.4f}, "
        f"lowest {cosine.min():.4f}. Embedding the reviews took {reference.seconds:.0f} s with PyTorch and "
        f"{int8.seconds:.0f} s with int8 ONNX in this run.",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    feedback = simulate(10_000, seed=42).tables["feedback"].to_pandas()
    demo_texts = feedback["text"].tolist()
    runs: dict[str, ModelRun] = {}
    for backend in MODELS:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as fresh:
            runs[backend] = fresh.submit(measure_model, backend, args.data, demo_texts).result()
    truth = [THEME_OF[planted_topic(t) or ""] for t in demo_texts]
    topics = topic_quality(embed(demo_texts).vectors, demo_texts, truth, demo_themes())
    lines = [
        f"### Topic assignment on the demo company's feedback ({machine()})",
        "",
        *topic_lines(topics, len(demo_texts)),
        "",
        f"### int8 ONNX against PyTorch on the same texts ({machine()}, machine shared while measuring)",
        "",
        *comparison_lines(runs, len(runs["onnx"].vectors)),
        "",
    ]
    emit("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
