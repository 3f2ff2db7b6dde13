"""Benchmark: the whole text pipeline against raw encoding by the same model, on real reviews.

Usage: python benchmarks/text_speed.py [--data ../shared/data/tripadvisor_hotel_reviews.csv] [--out docs/benchmarks.md]

The reviews are imported through examples/tripadvisor_reviews.toml into a fresh store (every text distinct, so
the cache saves nothing on the first run: a fair comparison).

Both measured in the same run on the same texts: (a) raw: the packaged model encoding every text, nothing
else; (b) cxgap: `analyze_text` on a store whose embeddings cache is empty (reading the texts from the store,
embedding, caching, sentiment, themes, NPS impact, trends and alerts; topic discovery on). Then (c) a rerun,
where every embedding comes from the cache. Target: the pipeline keeps at least 80% of raw throughput.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from cxgap.config import Settings
from cxgap.engine import Engine
from cxgap.io import import_file, load_mapping
from cxgap.store import Store
from cxgap.text.model import encode
from cxgap.text.service import analyze_text, load_texts

from report import emit, machine

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=ROOT.parent / "shared" / "data" / "tripadvisor_hotel_reviews.csv"
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"duckdb:///{Path(tmp) / 'text.duckdb'}")
        import_file(store, args.data, load_mapping(ROOT / "examples" / "tripadvisor_reviews.toml"))
        engine = Engine(store)
        texts = load_texts(engine)[0]["text"].astype(str).tolist()
        encode(texts[:64])  # load the model once for both
        start = time.perf_counter()
        encode(texts)
        raw_s = time.perf_counter() - start
        start = time.perf_counter()
        report = analyze_text(engine, settings)
        pipeline_s = time.perf_counter() - start
        start = time.perf_counter()
        analyze_text(engine, settings)
        rerun_s = time.perf_counter() - start
        store.close()
    n = len(texts)
    text = "\n".join(
        [
            f"### Text pipeline on {n:,} TripAdvisor reviews ({machine()})",
            "",
            f"- raw encoding by the packaged model: {raw_s:.1f} s, **{n / raw_s:,.0f} texts/s**",
            f"- `analyze_text` with an empty cache (load, embed, cache, sentiment, themes, impact, trends, discovery): "
            f"{pipeline_s:.1f} s, **{n / pipeline_s:,.0f} texts/s = {raw_s / pipeline_s:.0%} of raw** (target: at least 80%)",
            f"- rerun, every embedding from the cache: {rerun_s:.1f} s ({n / rerun_s:,.0f} texts/s); "
            f"{report.embedded_new:,} distinct texts were embedded the first time",
            "",
        ]
    )
    emit(text, args.out)


if __name__ == "__main__":
    main()
