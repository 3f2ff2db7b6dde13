"""Sentiment per text: negative, neutral or positive, with a score in [-1, 1], in one of three modes.

- lexicon: VADER alone (the baseline every other mode is measured against);
- anchors (no labels): VADER's vote averaged with the text's similarity to short anchor phrases of each
  sentiment in the embedding space (better than the lexicon on real reviews, see docs/text-quality.md);
- trained on your labels: a logistic regression on the embedding and VADER's scores, trained on the
  user's weak labels (star ratings, NPS group, CSAT) and judged on a held-out share of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.special import softmax
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from cxgap.text.model import encode

LABELS = ("negative", "neutral", "positive")
ANCHORS = {
    "negative": [
        "terrible experience, very disappointed",
        "awful service, would not recommend",
        "rude staff and a dirty place",
        "worst experience ever, never again",
        "the problem was not resolved and nobody helped",
        "broken, late and unhelpful",
        "complained and got no response",
        "horrible, a waste of money",
    ],
    "neutral": [
        "it was okay, nothing special",
        "average experience, some good some bad",
        "decent but could be better",
        "mixed feelings overall",
        "fine but not great",
        "acceptable, a few issues",
        "neither good nor bad",
        "reasonable for the price but average",
    ],
    "positive": [
        "excellent service, highly recommend",
        "wonderful experience, very happy",
        "friendly helpful staff, great experience",
        "perfect, will definitely come back",
        "fantastic, exceeded expectations",
        "loved it, everything was great",
        "quick and easy, problem solved",
        "outstanding value and quality",
    ],
}
# chosen on the training part of the TripAdvisor reviews only (see benchmarks/text_quality.py)
ANCHOR_TEMPERATURE = 0.05
ANCHOR_WEIGHT = 0.7
MIN_PER_CLASS = 20


def lexicon_scores(texts: list[str]) -> NDArray[np.float64]:
    """VADER per text: compound, positive, negative and neutral shares (columns)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    rows = [analyzer.polarity_scores(t) for t in texts]
    return np.array([[r["compound"], r["pos"], r["neg"], r["neu"]] for r in rows], dtype=np.float64).reshape(
        -1, 4
    )


def lexicon_labels(compound: NDArray[np.float64]) -> NDArray[np.int64]:
    """VADER's standard reading: >= 0.05 positive, <= -0.05 negative, else neutral (0, 1, 2)."""
    return np.where(compound >= 0.05, 2, np.where(compound <= -0.05, 0, 1)).astype(np.int64)


def _lexicon_probs(compound: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.column_stack([np.maximum(-compound, 0), 1 - np.abs(compound), np.maximum(compound, 0)])


def anchor_similarity(embeddings: NDArray[np.float32]) -> NDArray[np.float64]:
    """Mean cosine similarity of each text to each sentiment's anchor phrases (columns: neg, neu, pos)."""
    columns = [(embeddings @ encode(ANCHORS[label]).T).mean(axis=1) for label in LABELS]
    return np.column_stack(columns).astype(np.float64)


@dataclass(frozen=True)
class Evaluation:
    """Held-out quality of the trained mode against the lexicon on the same texts."""

    train: int
    test: int
    accuracy: float
    macro_f1: float
    lexicon_accuracy: float
    lexicon_macro_f1: float


@dataclass(frozen=True)
class Sentiment:
    """Labels (0 negative, 1 neutral, 2 positive), scores (P(positive) - P(negative)) and how they were made."""

    labels: NDArray[np.int64]
    scores: NDArray[np.float64]
    mode: str
    evaluation: Evaluation | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per text."""
        return pd.DataFrame({"sentiment": [LABELS[i] for i in self.labels], "score": self.scores})


def _result(probs: NDArray[np.float64], mode: str, evaluation: Evaluation | None = None) -> Sentiment:
    return Sentiment(probs.argmax(axis=1).astype(np.int64), probs[:, 2] - probs[:, 0], mode, evaluation)


def _features(embeddings: NDArray[np.float32], lexicon: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.hstack([embeddings.astype(np.float64), lexicon, anchor_similarity(embeddings)])


def _trained(
    features: NDArray[np.float64],
    lexicon: NDArray[np.float64],
    labels: NDArray[np.int64],
    known: NDArray[np.bool_],
    seed: int,
    test_share: float,
) -> Sentiment:
    rows = np.flatnonzero(known)
    train, test = train_test_split(rows, test_size=test_share, random_state=seed, stratify=labels[rows])
    clf = LogisticRegression(max_iter=3000, class_weight="balanced", C=1.0)
    predicted = clf.fit(features[train], labels[train]).predict(features[test])
    base = lexicon_labels(lexicon[test, 0])
    evaluation = Evaluation(
        len(train),
        len(test),
        float(accuracy_score(labels[test], predicted)),
        float(f1_score(labels[test], predicted, average="macro")),
        float(accuracy_score(labels[test], base)),
        float(f1_score(labels[test], base, average="macro")),
    )
    final = LogisticRegression(max_iter=3000, class_weight="balanced", C=1.0).fit(
        features[rows], labels[rows]
    )
    return _result(final.predict_proba(features), "trained on your labels", evaluation)


def sentiment(
    texts: list[str],
    embeddings: NDArray[np.float32] | None = None,
    labels: NDArray[np.int64] | None = None,
    seed: int = 0,
    test_share: float = 0.3,
) -> Sentiment:
    """Sentiment of every text: trained on `labels` (-1 = unlabelled) when each class has enough of them,
    else anchors with the lexicon when embeddings are given, else the lexicon alone."""
    lexicon = lexicon_scores(texts)
    if embeddings is None:
        return _result(_lexicon_probs(lexicon[:, 0]), "lexicon")
    if labels is not None:
        known = labels >= 0
        counts = np.bincount(labels[known], minlength=3)
        if counts.min() >= MIN_PER_CLASS:
            return _trained(_features(embeddings, lexicon), lexicon, labels, known, seed, test_share)
    similarity = softmax(anchor_similarity(embeddings) / ANCHOR_TEMPERATURE, axis=1)
    probs = ANCHOR_WEIGHT * similarity + (1 - ANCHOR_WEIGHT) * _lexicon_probs(lexicon[:, 0])
    return _result(probs, "anchors (no labels)")


def labels_from_stars(stars: NDArray[np.float64]) -> NDArray[np.int64]:
    """Weak labels from 1-5 stars (or CSAT): 1-2 negative, 3 neutral, 4-5 positive, missing -1."""
    out = np.full(len(stars), -1, dtype=np.int64)
    out[stars <= 2] = 0
    out[stars == 3] = 1
    out[stars >= 4] = 2
    return out


def labels_from_nps(nps: NDArray[np.float64]) -> NDArray[np.int64]:
    """Weak labels from the author's NPS answer: detractor, passive, promoter; missing -1."""
    out = np.full(len(nps), -1, dtype=np.int64)
    out[nps <= 6] = 0
    out[(nps >= 7) & (nps <= 8)] = 1
    out[nps >= 9] = 2
    return out
