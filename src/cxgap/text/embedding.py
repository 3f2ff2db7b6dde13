"""Embeddings through the store's cache: a text already embedded (same content, same model) is not again."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cxgap.store import Store
from cxgap.store.embeddings import cached_vectors, save_vectors, text_hash
from cxgap.text.model import MODEL_NAME, Progress, encode


@dataclass(frozen=True)
class Embedded:
    """Vectors (rows, in the texts' order) and how many distinct texts were newly embedded vs cached."""

    vectors: NDArray[np.float32]
    new: int
    cached: int


def embed(texts: list[str], store: Store | None = None, progress: Progress | None = None) -> Embedded:
    """Embed `texts`, reusing and filling the store's cache when a store is given; duplicates embed once."""
    hashes = [text_hash(t) for t in texts]
    known: dict[str, NDArray[np.float32]] = {}
    if store is not None:
        with store.engine.connect() as conn:
            known = cached_vectors(conn, MODEL_NAME, hashes)
    todo: dict[str, str] = {}
    for key, text in zip(hashes, texts, strict=True):
        if key not in known and key not in todo:
            todo[key] = text
    if progress and known:
        progress(sum(1 for key in hashes if key in known))
    fresh = encode(list(todo.values()), progress=progress) if todo else np.zeros((0, 384), np.float32)
    if store is not None and todo:
        with store.begin() as conn:
            save_vectors(conn, MODEL_NAME, list(todo), fresh)
    known |= dict(zip(todo, fresh, strict=True))
    vectors = np.stack([known[key] for key in hashes]) if hashes else np.zeros((0, 384), np.float32)
    return Embedded(vectors.astype(np.float32), len(todo), len(set(hashes)) - len(todo))
