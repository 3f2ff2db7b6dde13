"""The embeddings cache: saved chunk by chunk (a stopped run keeps its work and resumes), keyed by model."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from numpy.typing import NDArray

from cxgap.store import Store
from cxgap.store.embeddings import cached_vectors, text_hash
from cxgap.text import embedding
from cxgap.text.embedding import embed

TEXTS = [f"comment number {i}" for i in range(10)]


class FakeModel:
    """A stand-in for the model: a vector from each text's hash, a name, and a count of texts embedded;
    it stops (as a killed process would) once `stop_after` texts are embedded."""

    def __init__(self, name: str, stop_after: int | None = None) -> None:
        self.name = name
        self.stop_after = stop_after
        self.embedded: list[str] = []

    def encode(self, texts: list[str]) -> NDArray[np.float32]:
        if self.stop_after is not None and len(self.embedded) + len(texts) > self.stop_after:
            raise KeyboardInterrupt
        self.embedded += texts
        seeds = [int(hashlib.md5((self.name + t).encode()).hexdigest()[:8], 16) for t in texts]
        vectors = np.stack([np.random.default_rng(s).normal(size=384) for s in seeds]).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def use(monkeypatch: pytest.MonkeyPatch, fake: FakeModel) -> FakeModel:
    monkeypatch.setattr(embedding, "encode", fake.encode)
    monkeypatch.setattr(embedding, "model_name", lambda: fake.name)
    return fake


def stored(store: Store, name: str) -> int:
    with store.engine.connect() as conn:
        return len(cached_vectors(conn, name, [text_hash(t) for t in TEXTS]))


def test_a_stopped_run_keeps_the_chunks_it_saved_and_the_next_run_embeds_only_the_rest(
    duck_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedding, "CHUNK", 3)
    use(monkeypatch, FakeModel("m", stop_after=7))
    with pytest.raises(KeyboardInterrupt):
        embed(TEXTS, duck_store)
    assert stored(duck_store, "m") == 6  # two chunks of three were saved before the stop
    done: list[int] = []
    fake = use(monkeypatch, FakeModel("m"))
    result = embed(TEXTS, duck_store, done.append)
    assert (result.new, result.cached) == (4, 6)
    assert fake.embedded == TEXTS[6:]
    assert done == [6, 3, 1]  # the cached ones, then each chunk as it is saved
    assert np.allclose(result.vectors, FakeModel("m").encode(TEXTS))


def test_vectors_of_different_models_never_share_a_key(
    duck_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, FakeModel("int8"))
    first = embed(TEXTS, duck_store)
    assert first.new == 10
    other = use(monkeypatch, FakeModel("pytorch"))
    again = embed(TEXTS, duck_store)
    assert (again.new, again.cached) == (10, 0) and other.embedded == TEXTS
    assert not np.allclose(again.vectors, first.vectors)
    assert (stored(duck_store, "int8"), stored(duck_store, "pytorch")) == (10, 10)
    assert embed(TEXTS, duck_store).cached == 10
    assert embed([], duck_store).vectors.shape == (0, 384)
