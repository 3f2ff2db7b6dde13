"""Per-item customer gaps: SERVQUAL P - E of every configured item, beside its dimension's, so that one item
far below what customers expect is never averaged away inside its dimension.

They are a family of tests of their own, corrected together (Benjamini-Hochberg) by `gaps.analyze`: the
six gaps' correction, counts and priorities stay those of the dimensions, whatever the number of items.
"""

from __future__ import annotations

from collections import Counter

from cxgap.gaps.schemas import Gap, MissingGap
from cxgap.gaps.voice import ItemSums, paired_gap


def item_gaps(
    sums: ItemSums, items: dict[str, str], confidence: float = 0.95, min_n: int = 30
) -> tuple[list[Gap], list[MissingGap]]:
    """P - E per (touchpoint, item) for the items of dimensions holding two items or more (a one-item
    dimension's gap is its item's already), uncorrected; and the cells below `min_n` answers, which get
    no number but a line saying what they lack."""
    shared = Counter(items.values())
    gaps, thin = [], []
    for (touchpoint, item), cell in sorted(
        sums.gap_by_item.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])
    ):
        dimension = items.get(item)
        if dimension is None or shared[dimension] < 2:
            continue
        if cell[0] < max(min_n, 2):
            where = touchpoint or "overall"
            thin.append(
                MissingGap(
                    "customer",
                    f"more answers for {where} item {item} ({dimension}): insufficient data "
                    f"(n={cell[0]:,} < {min_n})",
                )
            )
            continue
        gaps.append(paired_gap(touchpoint, item, cell, confidence, dimension=dimension))
    return gaps, thin
