"""Stated against derived importance: do leaders know what drives their customers?

Each internal respondent's stated importance (1-7 per dimension) becomes a share of their total, so it
compares with the derived importance (each dimension's share of explained variance). The difference per
role and dimension is a knowledge gap: negative where leaders under-weight what matters to customers.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from cxgap.drivers.analysis import DriverReport
from cxgap.engine import Engine
from cxgap.gaps.schemas import Gap


def stated_shares(engine: Engine) -> dict[str, dict[str, tuple[float, float, int]]]:
    """Per role and dimension: mean of respondents' stated-importance shares, its standard error and n."""
    b = engine.table("beliefs")
    b = b.filter(b.stated_importance.notnull() & b.dimension.notnull() & b.touchpoint.isnull())
    frame = b.select("role", "respondent_id", "dimension", "stated_importance").execute()
    out: dict[str, dict[str, tuple[float, float, int]]] = {}
    for role, rows in frame.groupby("role"):
        wide = rows.pivot_table(index="respondent_id", columns="dimension", values="stated_importance")
        shares = wide.div(wide.sum(axis=1), axis=0)
        out[str(role)] = {
            str(d): (float(col.mean()), float(col.std(ddof=1) / math.sqrt(col.count())), int(col.count()))
            for d, col in shares.items()
            if col.count() >= 2
        }
    return out


def importance_gaps(
    shares: dict[str, dict[str, tuple[float, float, int]]], derived: DriverReport, confidence: float = 0.95
) -> list[Gap]:
    """Knowledge gaps in importance: stated share (from `stated_shares`) minus derived share, per role and
    dimension (z-test)."""
    if derived.level != "dimensions" or not derived.drivers:
        return []
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    gaps = []
    for role, cells in sorted(shares.items()):
        for d in derived.drivers:
            if d.name not in cells:
                continue
            stated, stated_se, n = cells[d.name]
            derived_se = (d.share_high - d.share_low) / (2 * z)
            se = math.sqrt(stated_se**2 + derived_se**2)
            value = stated - d.share
            p_value = float(2 * stats.norm.sf(abs(value) / se)) if se > 0 else math.nan
            gaps.append(
                Gap(
                    "knowledge",
                    None,
                    f"{d.name} ({role})",
                    f"stated importance share {stated:.0%} vs derived {d.share:.0%}",
                    value,
                    value - z * se,
                    value + z * se,
                    n,
                    p_value,
                    value / d.share if d.share > 0 else np.nan,
                    unit="share",
                )
            )
    return gaps
