"""Topics: assignment of texts to configured themes (zero-shot, several per text) and discovery of themes
nobody configured (clusters of embeddings, named by their most distinctive words).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import silhouette_score

from cxgap.config import Theme
from cxgap.text.model import encode

THRESHOLD = 0.30  # least cosine similarity for a theme to count at all
MARGIN = 0.05  # further themes count when this close to the best one


def theme_vectors(themes: dict[str, Theme]) -> NDArray[np.float32]:
    """One unit vector per theme: the mean of its description, keywords and (weighted double) examples."""
    rows = []
    for theme in themes.values():
        phrases = [theme.description, *theme.keywords]
        vectors = encode(phrases)
        if theme.examples:
            vectors = np.vstack([vectors, np.repeat(encode(theme.examples), 2, axis=0)])
        centre = vectors.mean(axis=0)
        rows.append(centre / np.linalg.norm(centre))
    return np.array(rows, dtype=np.float32).reshape(len(rows), -1)


@dataclass(frozen=True)
class Assignment:
    """Per text: its best theme (or None below the threshold) and every theme it carries."""

    names: tuple[str, ...]
    best: tuple[str | None, ...]
    themes: tuple[tuple[str, ...], ...]
    similarity: NDArray[np.float32]

    def to_frame(self) -> pd.DataFrame:
        """One row per text: best theme, all themes, best similarity."""
        return pd.DataFrame(
            {
                "theme": self.best,
                "themes": [", ".join(t) for t in self.themes],
                "similarity": self.similarity.max(axis=1) if len(self.similarity) else [],
            }
        )


def assign(
    vectors: NDArray[np.float32],
    themes: dict[str, Theme],
    threshold: float = THRESHOLD,
    margin: float = MARGIN,
) -> Assignment:
    """Themes of each text by similarity to the themes' vectors; several when they are about as close."""
    names = tuple(themes)
    if not names or not len(vectors):
        return Assignment(
            names,
            tuple(None for _ in vectors),
            tuple(() for _ in vectors),
            np.zeros((len(vectors), 0), np.float32),
        )
    sims = vectors @ theme_vectors(themes).T
    best_sim = sims.max(axis=1)
    best = tuple(
        names[int(i)] if s >= threshold else None for i, s in zip(sims.argmax(axis=1), best_sim, strict=True)
    )
    carried = tuple(
        tuple(names[j] for j in np.argsort(-row) if row[j] >= max(threshold, top - margin))
        for row, top in zip(sims, best_sim, strict=True)
    )
    return Assignment(names, best, carried, sims)


@dataclass(frozen=True)
class Discovered:
    """Clusters found without configuration: a label of distinctive words, size and example texts each."""

    labels: NDArray[np.int64]
    names: tuple[str, ...]
    sizes: tuple[int, ...]
    examples: tuple[tuple[str, ...], ...]
    silhouette: float

    def to_frame(self) -> pd.DataFrame:
        """One row per discovered topic, largest first."""
        frame = pd.DataFrame(
            {"topic": self.names, "texts": self.sizes, "examples": [" | ".join(e) for e in self.examples]}
        )
        return frame.sort_values("texts", ascending=False, ignore_index=True)


def _keywords(texts: list[str], labels: NDArray[np.int64], k: int, top: int = 4) -> list[str]:
    """The words most over-represented in each cluster against all texts (class-based TF-IDF)."""
    vectorizer = CountVectorizer(stop_words="english", ngram_range=(1, 2), min_df=2, max_features=20_000)
    counts = vectorizer.fit_transform(texts)
    words = np.array(vectorizer.get_feature_names_out())
    per_cluster = np.vstack([np.asarray(counts[labels == c].sum(axis=0)).ravel() for c in range(k)]).astype(
        float
    )
    tf = per_cluster / np.maximum(per_cluster.sum(axis=1, keepdims=True), 1)
    idf = np.log(1 + per_cluster.sum() / np.maximum(per_cluster.sum(axis=0), 1))
    score = tf * idf
    return [" / ".join(words[np.argsort(-score[c])[:top]]) for c in range(k)]


def discover(
    texts: list[str],
    vectors: NDArray[np.float32],
    k_range: range = range(4, 31),
    seed: int = 0,
    sample: int = 5_000,
) -> Discovered:
    """Cluster the embeddings (k-means; k chosen by silhouette on a sample) and name each cluster."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(texts), min(sample, len(texts)), replace=False)
    best: tuple[float, int] = (-1.0, k_range.start)
    for k in k_range:
        if k >= len(pick):
            break
        labels = KMeans(k, n_init=1, random_state=seed).fit_predict(vectors[pick])  # a quick look per k
        score = float(silhouette_score(vectors[pick], labels))
        if score > best[0]:
            best = (score, k)
    k = best[1]
    labels = KMeans(k, n_init=4, random_state=seed).fit_predict(vectors).astype(np.int64)
    names = _keywords(texts, labels, k)
    sizes = tuple(int((labels == c).sum()) for c in range(k))
    examples = tuple(tuple(texts[i] for i in np.flatnonzero(labels == c)[:3]) for c in range(k))
    return Discovered(labels, tuple(names), sizes, examples, best[0])
