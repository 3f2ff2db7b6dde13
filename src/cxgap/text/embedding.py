"""Embeddings through the store's cache: a text already embedded (same content, same model) is not again.

New texts are embedded and saved in chunks, each in its own transaction, so a run that is stopped keeps
what it embedded and the next run starts where it stopped (the cache keys by content).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cxgap.store import Store
from cxgap.store.embeddings import cached_vectors, save_vectors, text_hash
from cxgap.text.model import DIMENSION, Progress, encode, model_name

CHUNK = 2_048  # new texts embedded, then saved, at a time


@dataclass(frozen=True)
class Embedded:
    """Vectors (rows, in the texts' order) and how many distinct texts were newly embedded vs cached."""

    vectors: NDArray[np.float32]
    new: int
    cached: int


def embed(texts: list[str], store: Store | None = None, progress: Progress | None = None) -> Embedded:
    """Embed `texts`, reusing and filling the store's cache when a store is given; duplicates embed once.
    `progress` is told how many texts are done: the cached ones first, then each chunk as it is saved."""
    if not texts:  # nothing to embed: the model is not loaded for no text
        return Embedded(np.zeros((0, DIMENSION), np.float32), 0, 0)
    hashes = [text_hash(t) for t in texts]
    model = model_name()
    known: dict[str, NDArray[np.float32]] = {}
    if store is not None:
        with store.engine.connect() as conn:
            known = cached_vectors(conn, model, hashes)
    todo: dict[str, str] = {}
    for key, text in zip(hashes, texts, strict=True):
        if key not in known and key not in todo:
            todo[key] = text
    if progress and known:
        progress(sum(1 for key in hashes if key in known))
    keys = list(todo)
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        fresh = encode([todo[key] for key in chunk])
        if store is not None:
            with store.begin() as conn:
                save_vectors(conn, model, chunk, fresh)
        known |= dict(zip(chunk, fresh, strict=True))
        if progress:
            progress(len(chunk))
    vectors = np.stack([known[key] for key in hashes])
    return Embedded(vectors.astype(np.float32), len(todo), len(set(hashes)) - len(todo))
