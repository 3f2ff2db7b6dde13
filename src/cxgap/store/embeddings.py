"""The embeddings cache: vectors by text hash and model, so each distinct text is embedded once."""

from __future__ import annotations

import base64
import hashlib
import unicodedata

import numpy as np
import pyarrow as pa
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.engine import Connection

from cxgap.store.bulk import insert_new


def text_hash(text: str) -> str:
    """SHA-256 of the NFC form of a text (the cache key)."""
    return hashlib.sha256(unicodedata.normalize("NFC", text).encode("utf-8")).hexdigest()


def cached_vectors(conn: Connection, model: str, hashes: list[str]) -> dict[str, NDArray[np.float32]]:
    """The cached vectors among `hashes` (queried in slices, so any number of hashes works)."""
    table = sa.table("text_embeddings", sa.column("text_hash"), sa.column("model"), sa.column("vector"))
    out: dict[str, NDArray[np.float32]] = {}
    unique = sorted(set(hashes))
    for start in range(0, len(unique), 5_000):
        query = sa.select(table.c.text_hash, table.c.vector).where(
            table.c.model == model, table.c.text_hash.in_(unique[start : start + 5_000])
        )
        for key, vector in conn.execute(query):
            out[key] = np.frombuffer(base64.b64decode(vector), dtype="<f4")
    return out


def save_vectors(conn: Connection, model: str, hashes: list[str], vectors: NDArray[np.float32]) -> int:
    """Cache new vectors; returns how many were new."""
    if not hashes:
        return 0
    encoded = [base64.b64encode(v.astype("<f4").tobytes()).decode("ascii") for v in vectors]
    data = pa.table({"text_hash": hashes, "model": [model] * len(hashes), "vector": encoded})
    return insert_new(conn, "text_embeddings", data).new
