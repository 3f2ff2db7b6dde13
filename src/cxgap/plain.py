"""Result objects as plain JSON-ready data: what the API serves and what `--format json` prints, the same."""

from __future__ import annotations

import dataclasses
import math
from typing import Any


def plain(value: Any) -> Any:
    """Dataclasses, tuples and dicts as JSON-ready data; NaN and infinities become None; fields a dataclass
    keeps out of its repr are left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # fields left out of repr are handles (a fitted model, its reference data), not part of the result
        data = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.repr}
        for name in ("direction", "priority"):
            if hasattr(type(value), name) and isinstance(getattr(type(value), name), property):
                data[name] = plain(getattr(value, name))
        return data
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return plain(value.item())
    return value


def score_table_json(table: Any) -> dict[str, Any]:
    """A score table (cxgap.metrics.ScoreTable) as JSON: every cell with n, value, interval, status and the
    figure the pages show; what /api/scores serves and `cxgap metrics --json` prints."""
    return {
        "metric": table.metric,
        "by": list(table.by),
        "min_n": table.min_n,
        "scores": [
            {"group": plain(s.group), "n": s.n, "status": s.status, "figure": s.figure()}
            | (plain(s.estimate) if s.estimate else {"value": None, "low": None, "high": None})
            for s in table.scores
        ],
    }
