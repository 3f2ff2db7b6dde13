"""Topic trends and emerging issues: weekly volume per theme against its own recent history."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

HISTORY_WEEKS = 8
MIN_Z = 4.0  # standard deviations above the recent mean (Poisson) before a week alarms
MIN_COUNT = 8
MIN_BASELINE = 5  # mentions over the history weeks before a theme's level counts as known


@dataclass(frozen=True)
class Alert:
    """A theme whose weekly volume rose beyond its usual variation."""

    theme: str
    week: pd.Timestamp
    count: int
    usual: float
    z: float
    kind: str = "volume"  # or "negativity": count is then the negative texts, usual the expected ones

    def sentence(self) -> str:
        """The alert in words."""
        if self.kind == "negativity":
            return (
                f"{self.theme}: {self.count} negative texts in the week of {self.week:%Y-%m-%d}, where its usual "
                f"negative share predicts {self.usual:.1f} (z = {self.z:.1f})."
            )
        return (
            f"{self.theme}: {self.count} mentions in the week of {self.week:%Y-%m-%d}, where the week's other "
            f"texts predict {self.usual:.1f} (z = {self.z:.1f})."
        )


def weeks(when: pd.Series) -> pd.Series:
    """The Monday of each time's week."""
    return pd.to_datetime(when).dt.to_period("W-SUN").dt.start_time


def weekly_counts(themes: list[str | None], when: pd.Series) -> pd.DataFrame:
    """Mentions per theme (columns) and week (rows, Mondays), empty weeks included."""
    frame = pd.DataFrame({"theme": themes, "week": weeks(when)})
    frame = frame.dropna()
    if frame.empty:
        return pd.DataFrame()
    table = frame.groupby(["week", "theme"]).size().unstack(fill_value=0)
    every = pd.date_range(table.index.min(), table.index.max(), freq="7D")
    return table.reindex(every, fill_value=0)


def emerging(
    counts: pd.DataFrame,
    totals: pd.Series | None = None,
    history: int = HISTORY_WEEKS,
    min_z: float = MIN_Z,
    min_count: int = MIN_COUNT,
) -> list[Alert]:
    """Weeks where a theme's mentions exceed what its ratio to all other texts over the previous `history`
    weeks predicts for this week, by `min_z` Poisson deviations (and double it, with at least `min_count`).

    Scaling by the other texts of the week keeps survey waves (many comments at once) from alarming, and
    a surge of the theme itself cannot raise its own expectation; only the first week of a run alarms.
    `totals` are all texts per week (default: the themed ones).
    """
    total = (totals if totals is not None else counts.sum(axis=1)).reindex(counts.index, fill_value=0)
    volume = total.to_numpy(dtype=float)
    alerts = []
    for theme in counts.columns:
        series = counts[theme].to_numpy(dtype=float)
        others = np.maximum(volume - series, 0.0)
        alarmed = False
        for i in range(history, len(series)):
            if series[i - history : i].sum() < MIN_BASELINE:
                alarmed = False
                continue  # no usual level to rise above yet
            before = others[i - history : i].sum()
            rate = series[i - history : i].sum() / before if before else 0.0
            # scaled by the week's other texts (survey waves), never below the theme's own usual level
            expected = max(rate * others[i], float(series[i - history : i].mean()))
            z = (series[i] - expected) / math.sqrt(expected + 1.0)
            hit = z >= min_z and series[i] >= max(min_count, 2 * expected)
            if hit and not alarmed:
                alerts.append(Alert(str(theme), counts.index[i], int(series[i]), expected, float(z)))
            alarmed = hit
    return sorted(alerts, key=lambda a: a.week)


def more_negative(
    counts: pd.DataFrame,
    negative: pd.DataFrame,
    history: int = HISTORY_WEEKS,
    min_z: float = MIN_Z,
    min_texts: int = 10,
) -> list[Alert]:
    """Weeks where a theme's share of negative texts rises beyond its previous `history` weeks' share
    (binomial z of at least `min_z`, the share up by 20 points or more, at least `min_texts` texts that week)."""
    negative = negative.reindex(index=counts.index, columns=counts.columns, fill_value=0)
    alerts = []
    for theme in counts.columns:
        n, bad = counts[theme].to_numpy(dtype=float), negative[theme].to_numpy(dtype=float)
        for i in range(history, len(n)):
            n_hist = n[i - history : i].sum()
            if n_hist < 2 * min_texts or n[i] < min_texts:
                continue
            p = min(max(bad[i - history : i].sum() / n_hist, 0.01), 0.99)
            expected = n[i] * p
            z = (bad[i] - expected) / math.sqrt(n[i] * p * (1 - p))
            if z >= min_z and bad[i] / n[i] >= p + 0.2:
                alerts.append(
                    Alert(str(theme), counts.index[i], int(bad[i]), expected, float(z), "negativity")
                )
    return sorted(alerts, key=lambda a: a.week)


def trend(counts: pd.DataFrame) -> pd.DataFrame:
    """Long form: week, theme, mentions."""
    if counts.empty:
        return pd.DataFrame(columns=["week", "theme", "mentions"])
    long = (
        counts.rename_axis("week").reset_index().melt(id_vars="week", var_name="theme", value_name="mentions")
    )
    return long.sort_values(["theme", "week"], ignore_index=True)
