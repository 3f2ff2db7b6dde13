"""The texts the text analysis reads: above the dashboard's limit, a deterministic sample of exactly that
many, the same texts on every run and on DuckDB and PostgreSQL alike, picked in the backend."""

from __future__ import annotations

import hashlib

from cxgap.engine import Engine
from cxgap.io import ingest_records
from cxgap.store import Store
from cxgap.text.service import load_texts

OPINIONS = ("slow install", "friendly staff", "bill was wrong", "app keeps crashing", "quick fix")


def _feedback(rows: int) -> list[dict[str, str]]:
    """`rows` dated reviews, each with its own id and one of a few short opinions."""
    return [
        {
            "feedback_id": f"F{k:05d}",
            "source": "review",
            "received_at": f"2024-{1 + k % 12:02d}-{1 + k % 28:02d}",
            "text": OPINIONS[k % len(OPINIONS)],
        }
        for k in range(rows)
    ]


def test_a_store_just_over_the_limit_is_sampled_to_the_limit_the_same_texts_on_every_backend(
    store: Store,
) -> None:
    """5,003 texts and a limit of 3,000 read 3,000 texts (taking every second one read about 2,500): those whose
    MD5 of kind and id sorts first, which Python's hashlib names here, so every backend must pick them."""
    ingest_records(store, "feedback", _feedback(5_003), "test")
    engine = Engine(store)
    try:
        frame, available = load_texts(engine, max_texts=3_000)
        again, _ = load_texts(engine, max_texts=3_000)
        whole, _ = load_texts(engine, max_texts=10_000)
    finally:
        engine.close()
    assert available == 5_003 and len(frame) == 3_000
    expected = sorted(
        (f"F{k:05d}" for k in range(5_003)),
        key=lambda key: hashlib.md5(f"feedback:{key}".encode()).hexdigest(),
    )[:3_000]
    assert set(frame["key"]) == set(expected)
    assert list(frame["key"]) == list(again["key"]) == sorted(expected)  # the same order every run
    assert len(whole) == 5_003  # below the limit: every text
