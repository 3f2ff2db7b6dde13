"""The int8 ONNX text model, exported once per test session into a temporary cache folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxgap.text import model
from cxgap.text.onnx_model import CACHE_ENV, ensure_model, model_path


@pytest.fixture(scope="session")
def int8_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The exported int8 model's file, in a cache folder of this session (CXGAP_CACHE_DIR points there
    while the session runs, so every test of the session reuses this one export)."""
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("cxgap-cache"))
    model.unload()
    try:
        yield ensure_model(model_path())
    finally:
        if before is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = before
        model.unload()
