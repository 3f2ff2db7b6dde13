"""The int8 ONNX export of the packaged model: close to PyTorch's vectors, exported once and reused, pooled
as sentence-transformers pools, and PyTorch when asked for or when the export cannot be made."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from cxgap.errors import ConfigError
from cxgap.text import model, onnx_model
from cxgap.text.onnx_model import INT8_NAME, OnnxEncoder, ensure_model, mean_pool, package_dir

SENTENCES = [
    "The room was spotless and the bed very comfortable.",
    "Staff at the front desk were rude when we asked for a late check-out.",
    "Breakfast was included but the coffee was cold every morning.",
    "Great location, five minutes walk from the station.",
    "The air conditioning did not work and nobody came to fix it.",
    "We waited forty minutes to check in.",
    "Lovely pool, a bit crowded in the afternoon.",
    "The bathroom smelled of damp and the towels were thin.",
    "Housekeeping forgot our room two days in a row.",
    "Fantastic view of the harbour from the balcony.",
    "Parking was expensive and hard to find.",
    "The concierge booked us a wonderful restaurant.",
    "Noisy street, we could not sleep with the window open.",
    "Wifi kept dropping, useless for work.",
    "The price was fair for what you get.",
    "I was charged twice and still wait for the refund.",
    "Nothing special, but clean and quiet.",
    "Check-in was quick and the receptionist spoke perfect English.",
    "The lift was out of order for our whole stay.",
    "Kids loved the games room.",
    "Our booking had been cancelled without telling us.",
    "Beds were hard and the pillows flat.",
    "Excellent value, would stay again.",
    "The shuttle to the airport never showed up.",
    "Small room, but everything you need.",
    "The restaurant staff were attentive and friendly.",
    "Dirty carpet and stains on the sheets.",
    "They upgraded us to a suite for our anniversary.",
    "Too far from the centre without a car.",
    "On hold for an hour when I called to change my reservation.",
    "great stay",
    "never again",
]


def test_int8_vectors_are_close_to_pytorchs(int8_model: Path) -> None:
    int8 = OnnxEncoder(int8_model, package_dir()).encode(SENTENCES)
    reference = model.pytorch_encoder().run(SENTENCES, 64)
    assert int8.shape == reference.shape == (len(SENTENCES), model.DIMENSION)
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    cosine = (int8 * reference).sum(axis=1)
    # measured on 243 review sentences: mean 0.992, lowest 0.976 (docs/text-quality.md)
    assert cosine.mean() >= 0.99
    assert cosine.min() >= 0.97, SENTENCES[int(cosine.argmin())]


class _Spy:
    """The real session, noting each batch's attention mask."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.masks: list[NDArray[np.int64]] = []

    def run(self, outputs: Any, feed: dict[str, NDArray[np.int64]]) -> Any:
        self.masks.append(feed["attention_mask"])
        return self.session.run(outputs, feed)


def test_batches_hold_texts_of_similar_token_counts_and_keep_the_texts_order(int8_model: Path) -> None:
    # few characters, many tokens (digits split one by one) against many characters, few tokens
    texts = [
        " ".join("7" * 30),
        "internationalisation " * 3,
        "ok",
        " ".join("9" * 28),
        "hello there " * 3,
        "fine",
    ]
    encoder = OnnxEncoder(int8_model, package_dir())
    alone = np.vstack([encoder.encode([text]) for text in texts])
    spy = _Spy(encoder.session)
    encoder.session = spy
    vectors = encoder.encode(texts, batch_size=2)
    lengths = sorted((len(e.ids) for e in encoder.tokenizer.encode_batch(texts)), reverse=True)
    assert [mask.shape for mask in spy.masks] == [(2, lengths[0]), (2, lengths[2]), (2, lengths[4])]
    assert sorted(int(n) for mask in spy.masks for n in mask.sum(axis=1)) == sorted(lengths)
    # each row is its own text's vector (activations are quantised per batch, so not to the last digit)
    assert ((vectors @ alone.T).argmax(axis=1) == np.arange(len(texts))).all()


def test_the_export_is_cached_and_reused(int8_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert int8_model.is_file() and "int8" in int8_model.name and "0.1.0" in int8_model.name
    assert not [p for p in int8_model.parent.iterdir() if p != int8_model]  # no half-written file left behind
    stamp = int8_model.stat().st_mtime_ns

    def no_export(*args: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_model, "export_fp32", no_export)
    assert ensure_model() == int8_model
    assert int8_model.stat().st_mtime_ns == stamp
    model.unload()
    assert model.model_name() == INT8_NAME  # the default, loaded from the cached file


def test_pooling_averages_the_real_tokens_only_and_normalises() -> None:
    hidden = np.array([[[3.0, 0.0], [1.0, 0.0], [50.0, 50.0]], [[0.0, 2.0], [0.0, 0.0], [0.0, 0.0]]])
    mask = np.array([[1, 1, 0], [1, 0, 0]])
    assert np.allclose(mean_pool(hidden, mask), [[1.0, 0.0], [0.0, 1.0]])
    assert np.allclose(mean_pool(np.zeros((1, 2, 2)), np.zeros((1, 2), dtype=np.int64)), 0.0)  # no NaN


def test_pytorch_when_asked_for_and_when_the_export_fails(
    int8_model: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(model.BACKEND_ENV, "pytorch")
    model.unload()
    assert model.model_name() == model.MODEL_NAME != INT8_NAME

    def broken() -> None:
        raise RuntimeError("no exporter here")

    monkeypatch.setenv(model.BACKEND_ENV, "onnx")
    monkeypatch.setattr(model, "load_encoder", broken)
    model.unload()
    with caplog.at_level(logging.WARNING, logger=model.__name__):
        assert model.model_name() == model.MODEL_NAME
        assert model.encode(["still embedded"]).shape == (1, model.DIMENSION)
    assert "could not be made or loaded (RuntimeError: no exporter here)" in caplog.text
    monkeypatch.setenv(model.BACKEND_ENV, "tensorflow")
    model.unload()
    with pytest.raises(ConfigError, match="CXGAP_TEXT_MODEL is 'tensorflow'; expected 'onnx' or 'pytorch'"):
        model.encode(["x"])
    model.unload()


def test_an_export_writes_the_file_in_one_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[Path] = []

    def fake_step(source: Path, out: Path) -> None:
        out.write_bytes(b"model")
        made.append(out)

    for step in ("export_fp32", "fuse", "quantise"):
        monkeypatch.setattr(onnx_model, step, fake_step)
    target = tmp_path / "models" / "m.onnx"
    assert ensure_model(target) == target and target.read_bytes() == b"model"
    assert all(p.parent != target.parent for p in made)  # every step wrote in a temporary folder
    assert [p.name for p in target.parent.iterdir()] == ["m.onnx"]  # which is gone
