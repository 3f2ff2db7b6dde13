"""Benchmark: text embedding by the int8 ONNX model against raw PyTorch encoding, and the whole text pipeline,
on real reviews.

Usage: python benchmarks/text_speed.py [--data ../shared/data/tripadvisor_hotel_reviews.csv] [--out docs/benchmarks.md]

The reviews are imported through examples/tripadvisor_reviews.toml into a fresh store (every text distinct, so
the cache saves nothing on the first run: a fair comparison).

Measured in the same run on the same texts: (a) raw PyTorch: the packaged model through sentence-transformers
encoding every text, nothing else, at batch sizes 16, 32 (sentence-transformers' default) and 64, the fastest
of them being the baseline; (b) int8: the same texts through cxgap's int8 ONNX export (`cxgap.text.onnx_model`),
tokenised, run, pooled and normalised, at cxgap's batch size for it, and at the baseline's batch size beside it.
Each is timed `--rounds` times, alternating, and the fastest round counts (the machine may be shared).
Target: (b) at least 2x (a). Then (c) `analyze_text` on a store whose embeddings cache is empty (reading the texts from the store,
embedding with the default model, caching, sentiment, themes, NPS impact, trends and alerts; topic discovery
on), and (d) a rerun, where every embedding comes from the cache.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cxgap.config import Settings
from cxgap.engine import Engine
from cxgap.io import import_file, load_mapping
from cxgap.store import Store
from cxgap.text.model import INT8_BATCH, model_name, pytorch_encoder
from cxgap.text.onnx_model import cores, load_encoder, model_path
from cxgap.text.service import analyze_text, load_texts

from report import emit, machine

ROOT = Path(__file__).resolve().parents[1]
PYTORCH_BATCHES = (16, 32, 64)


def fastest(runs: dict[str, Callable[[], object]], rounds: int) -> dict[str, tuple[float, float]]:
    """Each run's fastest round: (wall seconds, CPU seconds of this process), runs alternating per round."""
    best: dict[str, tuple[float, float]] = {}
    for _ in range(rounds):
        for name, run in runs.items():
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            took = (time.perf_counter() - wall, time.process_time() - cpu)
            best[name] = min(best.get(name, took), took)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=ROOT.parent / "shared" / "data" / "tripadvisor_hotel_reviews.csv"
    )
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    settings = Settings()
    exported = model_path().is_file()
    start = time.perf_counter()
    int8 = load_encoder()
    load_s = time.perf_counter() - start
    pytorch = pytorch_encoder()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"duckdb:///{Path(tmp) / 'text.duckdb'}")
        import_file(store, args.data, load_mapping(ROOT / "examples" / "tripadvisor_reviews.toml"))
        engine = Engine(store)
        texts = load_texts(engine)[0]["text"].astype(str).tolist()
        own = INT8_BATCH  # the int8 model's batch size in cxgap
        pytorch.run(texts[:64], 16)  # warm both
        int8.encode(texts[:64], own)
        runs: dict[str, Callable[[], object]] = {
            f"pytorch {b}": (lambda b=b: pytorch.run(texts, b)) for b in PYTORCH_BATCHES
        }
        runs[f"int8 {own}"] = lambda: int8.encode(texts, own)
        best = fastest(runs, args.rounds)
        base_batch = min(PYTORCH_BATCHES, key=lambda b: best[f"pytorch {b}"][0])
        if base_batch != own:
            best |= fastest({f"int8 {base_batch}": lambda: int8.encode(texts, base_batch)}, args.rounds)
        start = time.perf_counter()
        report = analyze_text(engine, settings)
        pipeline_s = time.perf_counter() - start
        start = time.perf_counter()
        analyze_text(engine, settings)
        rerun_s = time.perf_counter() - start
        store.close()
    n = len(texts)
    (raw_s, raw_cpu), int8_s = best[f"pytorch {base_batch}"], best[f"int8 {own}"][0]
    rows = [
        f"| raw PyTorch (sentence-transformers), batch {b}{' (the baseline: its fastest)' if b == base_batch else ''} "
        f"| {best[f'pytorch {b}'][0]:.1f} s | {n / best[f'pytorch {b}'][0]:,.0f} | {best[f'pytorch {b}'][1]:.1f} s "
        f"| {raw_s / best[f'pytorch {b}'][0]:.2f}x / {raw_cpu / best[f'pytorch {b}'][1]:.2f}x |"
        for b in PYTORCH_BATCHES
    ]
    for b in dict.fromkeys([own, base_batch]):
        wall, cpu = best[f"int8 {b}"]
        label = "cxgap's default, its batch" if b == own else "the baseline's batch"
        target = " (target: at least 2x)" if b == own else ""
        rows.append(
            f"| int8 ONNX, {label} {b} | {wall:.1f} s | {n / wall:,.0f} | {cpu:.1f} s "
            f"| **{raw_s / wall:.2f}x** / {raw_cpu / cpu:.2f}x{target} |"
        )
    text = "\n".join(
        [
            f"### Text embedding and pipeline on {n:,} TripAdvisor reviews ({machine()}, {cores()} used)",
            "",
            f"Fastest of {args.rounds} alternating rounds each; CPU seconds are this process's.",
            "",
            "| encoding | wall time | texts/s | CPU time | vs raw PyTorch at its fastest (wall / CPU) |",
            "|---|---|---|---|---|",
            *rows,
            "",
            f"- int8 model {'loaded from the cache' if exported else 'exported, fused and quantised'} "
            f"in {load_s:.1f} s",
            f"- `analyze_text` with an empty cache, embedding with `{model_name()}` (load, embed, cache, sentiment, "
            f"themes, impact, trends, discovery): {pipeline_s:.1f} s, **{n / pipeline_s:,.0f} texts/s = "
            f"{raw_s / pipeline_s:.0%} of raw PyTorch, {int8_s / pipeline_s:.0%} of raw int8 encoding**",
            f"- rerun, every embedding from the cache: {rerun_s:.1f} s ({n / rerun_s:,.0f} texts/s); "
            f"{report.embedded_new:,} distinct texts were embedded the first time",
            "",
        ]
    )
    emit(text, args.out)


if __name__ == "__main__":
    main()
