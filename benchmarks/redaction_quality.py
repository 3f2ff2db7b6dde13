"""Redaction quality: precision and recall per PII kind on a seeded corpus, false positives on real reviews.

Usage: python benchmarks/redaction_quality.py [--per-kind 2000] [--seed 0]
       [--data ../shared/data/tripadvisor_hotel_reviews.csv] [--out docs/redaction-quality.md]

The corpus (cxgap.io.redaction_corpus) plants Faker-made emails, phone numbers, card numbers, IBANs and
customer names of 20 locales in sentences customers write, beside look-alikes that must survive. A second,
smaller run uses 25 other Faker locales. The real reviews hold essentially no PII, so every redaction in them
is listed for inspection. Prints Markdown; tests/io/test_redaction_quality.py checks the first tables
against docs/redaction-quality.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from cxgap.io.redaction_corpus import build_corpus, evaluate, quality_lines, review_hits, review_lines

from report import emit, machine

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "tripadvisor_hotel_reviews.csv"
OTHER_LOCALES = (
    "ru_RU", "tr_TR", "ro_RO", "hu_HU", "el_GR", "he_IL", "id_ID", "en_NZ", "en_IE", "es_MX", "es_AR",
    "fr_CH", "nl_BE", "no_NO", "hr_HR", "sk_SK", "uk_UA", "th_TH", "vi_VN", "zh_CN", "ko_KR", "lt_LT",
    "sl_SI", "fa_IR", "ne_NP",
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    main_run = evaluate(build_corpus(args.per_kind, args.seed))
    other = evaluate(build_corpus(args.per_kind // 4, args.seed, OTHER_LOCALES))
    lines = [
        f"### Seeded corpus: {args.per_kind:,} samples per kind, seed {args.seed}, 20 locales ({machine()})",
        "",
        *quality_lines(main_run),
        "",
        f"### 25 other Faker locales: {args.per_kind // 4:,} samples per kind, seed {args.seed}",
        "",
        *quality_lines(other),
        "",
    ]
    if args.data.exists():
        reviews = pd.read_csv(args.data)["Review"].astype(str)
        lines += [
            "### Real reviews (TripAdvisor, no known names)",
            "",
            *review_lines(review_hits(reviews)),
            "",
        ]
    emit("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
