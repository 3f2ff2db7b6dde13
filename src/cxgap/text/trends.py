"""Emerging issues: a control chart on each theme's share of texts per day or week, and on the share of its
texts that are negative, so an analyst hears of a surge within days and not of a theme's ordinary noise.

Method (docs/text-quality.md, "Emerging issues"): each period is judged against the theme's usual share over
the periods before it. Laney's sigma_z (the period-to-period spread beyond the binomial, moderated toward the
spread of the other themes while the history is short) widens the limits, so a naturally noisy theme does not
alarm; each count becomes a deviate from its beta-binomial tail (right for rare, skewed themes), the deviate
and an EWMA of the deviates (Shewhart and EWMA together) give a one-sided p-value, and Benjamini-Hochberg keeps
the false-discovery rate across every theme, kind and period judged (the last 28 days or 26 weeks). Daily or
weekly periods follow the data's span and volume; an alert can fire from the 7th period, and too little
history is said in words, never reported as "no theme rose".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
from scipy import stats

from cxgap.stats import benjamini_hochberg, wilson_interval

FIRST_CHECK = 7  # an alert can fire from the 7th period of data: six periods of history before it
HISTORY = {"day": 28, "week": 26}  # periods of history each period is compared with, at most
RECENT = {"day": 28, "week": 26}  # the periods judged: the last 28 days or 26 weeks (earlier: history only)
DAILY_VOLUME = 50  # median texts per day needed to check day by day (a 3% theme then has 1-2 a day)
LAMBDA = 0.3  # EWMA weight of the newest period: quick on sudden surges, steadier on noise
FDR = 0.01  # false-discovery rate across every theme, kind and period checked
MIN_RISE = 1.5  # a volume alert needs the theme's share at 1.5 times its usual share or more
MIN_COUNT = 8  # ... and at least 8 texts of the theme in the period
MIN_BASELINE = 5  # mentions over the history before a theme's usual share counts as known
NEGATIVE_RISE = 0.2  # a negativity alert needs the theme's negative share up by 20 points or more
MIN_TEXTS = 10  # ... and at least 10 texts of the theme in the period
PRIOR_WEIGHT = 2.0  # the spread pooled over all themes weighs twice a theme's own history (short histories)
OUT_OF_CONTROL = 3.0  # a period this many deviates above its usual stays out of later histories


@dataclass(frozen=True)
class Alert:
    """A theme whose share of texts (kind "volume") or whose texts' negative share (kind "negativity") rose
    beyond its usual variation in one period: `count` of `texts`, against the `usual` share."""

    theme: str
    period: pd.Timestamp
    count: int
    texts: int
    usual: float
    z: float  # the larger of the period's deviate and the EWMA of deviates, in standard deviations
    q_value: float  # Benjamini-Hochberg across every theme, kind and period checked
    kind: str = "volume"
    granularity: str = "week"

    @property
    def week(self) -> pd.Timestamp:
        """The period's start (a Monday for weekly checks); kept for callers that read weeks."""
        return self.period

    @property
    def share(self) -> float:
        """The period's share: of all texts (volume) or of the theme's texts (negativity)."""
        return self.count / self.texts if self.texts else float("nan")

    def sentence(self) -> str:
        """The alert in words, with n, the share's 95% interval and the corrected significance."""
        when = (
            f"on {self.period:%Y-%m-%d}"
            if self.granularity == "day"
            else f"in the week of {self.period:%Y-%m-%d}"
        )
        ci = wilson_interval(self.count, self.texts)
        interval = f"{ci.value:.1%} [{ci.low:.1%}, {ci.high:.1%}]"
        evidence = f"(z = {self.z:.1f}, q = {self.q_value:.2g})"
        if self.kind == "negativity":
            return (
                f"{self.theme}: {self.count} negative texts {when}, {interval} of its {self.texts:,}, "
                f"where its usual negative share is {self.usual:.1%} {evidence}."
            )
        return (
            f"{self.theme}: {self.count} mentions {when}, {interval} of {self.texts:,} texts, "
            f"where its usual share is {self.usual:.1%} {evidence}."
        )


@dataclass(frozen=True)
class Chart:
    """One series' control chart, per period: the usual share, Laney's sigma_z, the residual in Laney units,
    and the EWMA standardised with its one-sided p-value (NaN where the period was not checked)."""

    usual: np.ndarray
    sigma_z: np.ndarray
    z: np.ndarray
    ewma: np.ndarray
    p_value: np.ndarray


@dataclass(frozen=True)
class Watch:
    """The emerging-issue check of a set of texts: how it ran (granularity, periods, series) or why it could
    not, and the alerts it raised; `counts` holds the mentions per period (rows) and theme (columns)."""

    granularity: str | None  # "day" or "week"; None when the check could not run
    dated: int  # texts with a date
    texts: int  # texts in all
    periods: int  # periods the dated texts span
    checked_periods: int  # periods judged: the 7th onwards, within the last 28 days or 26 weeks
    series: int  # theme series charted (volume and negativity)
    tests: int  # theme-period tests corrected together
    alerts: tuple[Alert, ...]
    reason: str = ""  # why the check did not run, and the data it needs
    counts: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def checked(self) -> bool:
        """True when at least one period was judged: only then may a surface say no theme rose."""
        return self.granularity is not None and self.checked_periods > 0

    def sentence(self) -> str:
        """What was checked, or why nothing was, in words."""
        undated = (
            f" {self.dated:,} of the {self.texts:,} texts have a date." if 0 < self.dated < self.texts else ""
        )
        if not self.checked:
            return f"Emerging issues were not checked: {self.reason}{undated}"
        unit = "days" if self.granularity == "day" else "weeks"
        scope = (
            f"the last {self.checked_periods:,} {unit} checked ({'daily' if self.granularity == 'day' else 'weekly'}, "
            f"each against up to {HISTORY[self.granularity or 'week']} {unit} before it; {self.series} theme "
            f"series, false-discovery rate {FDR:.0%})"
        )
        if not self.alerts:
            return f"No theme rose beyond its usual variation: {scope}.{undated}"
        return f"{len(self.alerts)} emerging issue{'s' if len(self.alerts) > 1 else ''} in {scope}.{undated}"

    def to_frame(self) -> pd.DataFrame:
        """Long form: period, theme, mentions."""
        return trend(self.counts)


def period_starts(when: pd.Series, granularity: str) -> pd.Series:
    """The start of each time's day, or the Monday of its week."""
    stamps = pd.to_datetime(when)
    return stamps.dt.floor("D") if granularity == "day" else stamps.dt.to_period("W-SUN").dt.start_time


def weeks(when: pd.Series) -> pd.Series:
    """The Monday of each time's week."""
    return period_starts(when, "week")


def period_counts(themes: Sequence[str | None], when: pd.Series, granularity: str) -> pd.DataFrame:
    """Texts per theme (columns) and period (rows), empty periods included."""
    frame = pd.DataFrame({"theme": list(themes), "period": period_starts(when, granularity).to_numpy()})
    frame = frame.dropna()
    if frame.empty:
        return pd.DataFrame()
    table = frame.groupby(["period", "theme"]).size().unstack(fill_value=0)
    every = pd.date_range(table.index.min(), table.index.max(), freq="1D" if granularity == "day" else "7D")
    return table.reindex(every, fill_value=0)


def weekly_counts(themes: Sequence[str | None], when: pd.Series) -> pd.DataFrame:
    """Mentions per theme (columns) and week (rows, Mondays), empty weeks included."""
    return period_counts(themes, when, "week")


def choose_granularity(when: pd.Series) -> tuple[str | None, str]:
    """Daily periods ("day") when the median day holds at least DAILY_VOLUME texts over 7 days or more; else
    weekly ("week") over 7 weeks or more; else None, with the data the check needs in words."""
    dated = pd.to_datetime(when).dropna()
    if dated.empty:
        return None, "that needs dated texts (these texts have no date)."
    days = dated.dt.floor("D")
    span = int((days.max() - days.min()).days) + 1
    per_day = float(
        np.median(days.value_counts().reindex(pd.date_range(days.min(), days.max()), fill_value=0))
    )
    n_weeks = len(pd.date_range(weeks(dated).min(), weeks(dated).max(), freq="7D"))
    if per_day >= DAILY_VOLUME and span >= FIRST_CHECK:
        return "day", ""
    if n_weeks >= FIRST_CHECK:
        return "week", ""
    have = f"these {len(dated):,} dated texts span {span} day{'s' if span > 1 else ''}, a median {per_day:,.0f} a day"
    if per_day >= DAILY_VOLUME:
        return None, f"daily checks need {FIRST_CHECK} days of dated texts ({have})."
    return None, (
        f"that needs dated texts over {FIRST_CHECK} weeks, or {FIRST_CHECK} days with at least "
        f"{DAILY_VOLUME} texts a day ({have})."
    )


@dataclass(frozen=True)
class _Usual:
    """What one period is judged against: the usual share over its history, Laney's sigma_z squared (the
    variance of the history's binomial residuals) with its degrees of freedom, and the history's texts."""

    share: float
    spread: float
    df: int
    texts: float
    mean_texts: float


def _usual(
    hits: np.ndarray,
    texts: np.ndarray,
    t: int,
    history: int,
    excluded: np.ndarray,
    min_baseline: int,
    min_texts: int,
) -> _Usual | None:
    """Period t's history (up to `history` periods before it), without periods that were out of control
    unless they are most of it (a lasting new level becomes the usual); None if too thin to judge by."""
    past = slice(max(0, t - history), t)
    keep = texts[past] > 0
    if 2 * (excluded[past] & keep).sum() < keep.sum():
        keep &= ~excluded[past]
    h, n = hits[past][keep], texts[past][keep]
    if texts[t] == 0 or len(n) < 2 or h.sum() < min_baseline or n.sum() < min_texts:
        return None
    p = (h.sum() + 0.5) / (n.sum() + 1.0)
    z = (h / n - p) / np.sqrt(p * (1 - p) / n)
    return _Usual(float(p), float(np.sum(z**2) / (len(z) - 1)), len(n) - 1, float(n.sum()), float(n.mean()))


def _tail_z(hits: np.ndarray, texts: np.ndarray, usual: Sequence[_Usual], sigma_z: np.ndarray) -> np.ndarray:
    """Each period's count as a normal deviate from its beta-binomial mid-p upper tail: the share varies
    between periods as Laney's sigma_z says, plus the uncertainty of the usual share itself, so a rare
    theme's skewed counts are judged by their real tail rather than a symmetric normal one. Element-wise
    over the series judged in one period (one call of the distributions instead of one per series)."""
    p = np.array([u.share for u in usual])
    df = np.array([u.df for u in usual], dtype=float)
    mean_texts, history = np.array([u.mean_texts for u in usual]), np.array([u.texts for u in usual])
    between = (sigma_z**2 - 1) * p * (1 - p) / mean_texts * (1 + 1 / (df + 1))
    precision = np.maximum(p * (1 - p) / (between + p * (1 - p) / history) - 1, 0.01)
    a, b = p * precision, (1 - p) * precision
    tail = stats.betabinom.sf(hits, texts, a, b) + 0.5 * stats.betabinom.pmf(hits, texts, a, b)
    return np.asarray(stats.norm.isf(np.clip(tail, 1e-300, 1.0)), dtype=float)


def charts(
    pairs: list[tuple[np.ndarray, np.ndarray]],
    history: int,
    min_baseline: int = MIN_BASELINE,
    min_texts: int = 1,
) -> list[Chart]:
    """Laney p' EWMA charts for series of one kind (hits of texts per period). Each series' sigma_z is its
    own spread moderated toward the spread pooled over the kind's series (never below 1); each count
    becomes a deviate from its beta-binomial tail; the EWMA of deviates is standardised and given a
    p-value by Student's t on the moderated degrees of freedom (normal where sigma_z is the binomial 1)."""
    size = len(pairs[0][0]) if pairs else 0
    out = [Chart(*(np.full(size, np.nan) for _ in range(5))) for _ in pairs]
    excluded = np.zeros((len(pairs), size), dtype=bool)
    level, variance = np.zeros(len(pairs)), np.zeros(len(pairs))
    for t in range(FIRST_CHECK - 1, size):
        usual = [
            _usual(x, n, t, history, excluded[i], min_baseline, min_texts) for i, (x, n) in enumerate(pairs)
        ]
        known = [(i, u) for i, u in enumerate(usual) if u is not None]
        pooled = sum(u.df * u.spread for _, u in known) / sum(u.df for _, u in known) if known else 1.0
        for i, u in enumerate(usual):
            if u is None:
                level[i], variance[i] = 0.0, 0.0  # the EWMA restarts after a period that could not be checked
        if not known:
            continue
        rows = [i for i, _ in known]
        d0 = np.array([PRIOR_WEIGHT * u.df for _, u in known])
        own = np.array([u.df * u.spread for _, u in known])
        df = np.array([u.df for _, u in known], dtype=float)
        sigma_z = np.sqrt(np.maximum(1.0, (d0 * pooled + own) / (d0 + df)))
        z = _tail_z(
            np.array([pairs[i][0][t] for i in rows]), np.array([pairs[i][1][t] for i in rows]),
            [u for _, u in known], sigma_z,
        )  # fmt: skip
        for k, (i, u) in enumerate(known):
            chart = out[i]
            chart.usual[t], chart.sigma_z[t], chart.z[t] = u.share, sigma_z[k], z[k]
            excluded[i, t] = chart.z[t] > OUT_OF_CONTROL
            level[i] = LAMBDA * chart.z[t] + (1 - LAMBDA) * level[i]
            variance[i] = LAMBDA**2 + (1 - LAMBDA) ** 2 * variance[i]
            chart.ewma[t] = level[i] / np.sqrt(variance[i])
            # Shewhart and EWMA together (Bonferroni over the two): a sudden spike alarms at once even
            # after quiet periods have pulled the EWMA below zero; a smaller lasting rise builds up
            tail = partial(stats.t.sf, df=d0[k] + u.df) if chart.sigma_z[t] > 1.0 else stats.norm.sf
            chart.p_value[t] = min(1.0, 2 * float(tail(max(chart.ewma[t], chart.z[t]))))
    return out


@dataclass(frozen=True)
class _Series:
    """One charted series: a theme's volume (hits = its texts, texts = all) or negativity."""

    theme: str
    kind: str
    hits: np.ndarray
    texts: np.ndarray
    chart: Chart


def _volume_series(counts: pd.DataFrame, totals: np.ndarray, history: int) -> list[_Series]:
    hits = [counts[theme].to_numpy(dtype=float) for theme in counts.columns]
    drawn = charts([(h, totals) for h in hits], history, MIN_BASELINE, 1)
    return [
        _Series(str(theme), "volume", h, totals, c)
        for theme, h, c in zip(counts.columns, hits, drawn, strict=True)
    ]


def _negativity_series(counts: pd.DataFrame, negative: pd.DataFrame, history: int) -> list[_Series]:
    negative = negative.reindex(index=counts.index, columns=counts.columns, fill_value=0)
    texts = [counts[theme].to_numpy(dtype=float) for theme in counts.columns]
    hits = [negative[theme].to_numpy(dtype=float) for theme in counts.columns]
    pairs = list(zip(hits, texts, strict=True))
    drawn = charts(pairs, history, 1, 2 * MIN_TEXTS)
    return [
        _Series(str(theme), "negativity", h, n, c)
        for theme, h, n, c in zip(counts.columns, hits, texts, drawn, strict=True)
    ]


def _material(s: _Series, t: int) -> bool:
    """The rise is large enough to act on, not only significant."""
    share, usual = s.hits[t] / s.texts[t], s.chart.usual[t]
    if s.kind == "negativity":
        return bool(s.texts[t] >= MIN_TEXTS and share >= usual + NEGATIVE_RISE)
    return bool(s.hits[t] >= MIN_COUNT and share >= MIN_RISE * usual)


def _alerts(
    series: list[_Series], index: pd.Index, granularity: str, fdr: float = FDR
) -> tuple[list[Alert], int]:
    """Alerts in the recent periods (RECENT) where the q-value across every series and recent period
    checked is at most `fdr` and the rise is material; only the first period of a run alarms. Also returns
    the number of tests corrected together."""
    recent = len(index) - RECENT[granularity]
    tests = [
        (i, int(t))
        for i, s in enumerate(series)
        for t in np.flatnonzero(np.isfinite(s.chart.p_value))
        if t >= recent
    ]
    q_values = benjamini_hochberg([series[i].chart.p_value[t] for i, t in tests])
    hit = {
        (i, int(t)): q
        for (i, t), q in zip(tests, q_values, strict=True)
        if q <= fdr and _material(series[i], t)
    }
    alerts = []
    for (i, t), q in sorted(hit.items()):
        if (i, t - 1) in hit:
            continue  # the run already alarmed
        s = series[i]
        alerts.append(
            Alert(
                s.theme, index[t], int(s.hits[t]), int(s.texts[t]), float(s.chart.usual[t]),
                float(max(s.chart.z[t], s.chart.ewma[t])), float(q), s.kind, granularity,
            )
        )  # fmt: skip
    return sorted(alerts, key=lambda a: (a.period, a.theme)), len(tests)


def _history(granularity: str, history: int | None) -> int:
    return HISTORY[granularity] if history is None else history


def emerging(
    counts: pd.DataFrame,
    totals: pd.Series | None = None,
    granularity: str = "week",
    history: int | None = None,
) -> list[Alert]:
    """Periods where a theme's share of all texts (`totals` per period; default: the themed ones) rose
    beyond its usual variation, corrected across these themes and periods."""
    if counts.empty:
        return []
    total = (totals if totals is not None else counts.sum(axis=1)).reindex(counts.index, fill_value=0)
    series = _volume_series(counts, total.to_numpy(dtype=float), _history(granularity, history))
    return _alerts(series, counts.index, granularity)[0]


def more_negative(
    counts: pd.DataFrame,
    negative: pd.DataFrame,
    granularity: str = "week",
    history: int | None = None,
) -> list[Alert]:
    """Periods where the share of a theme's texts that are negative rose beyond its usual variation,
    corrected across these themes and periods."""
    if counts.empty:
        return []
    series = _negativity_series(counts, negative, _history(granularity, history))
    return _alerts(series, counts.index, granularity)[0]


def watch(themes: Sequence[str | None], negative: Sequence[bool], when: pd.Series) -> Watch:
    """The emerging-issue check of texts, given each one's best theme (or None), whether it is negative and
    when it was written: daily or weekly periods from the span and volume, a volume and a negativity chart
    for every theme, one false-discovery correction across all of them."""
    when = pd.to_datetime(pd.Series(when), errors="coerce").reset_index(drop=True)
    granularity, reason = choose_granularity(when)
    dated = int(when.notna().sum())
    unit = granularity or "week"
    counts = period_counts(themes, when, unit)
    if granularity is None or counts.empty:
        why = reason or "no dated text has a theme."
        return Watch(None, dated, len(when), len(counts), 0, 0, 0, (), why, counts)
    totals = period_starts(when, unit).value_counts().reindex(counts.index, fill_value=0)
    flagged = [t if bad else None for t, bad in zip(themes, negative, strict=True)]
    history = HISTORY[unit]
    series = _volume_series(counts, totals.to_numpy(dtype=float), history)
    series += _negativity_series(counts, period_counts(flagged, when, unit), history)
    alerts, tests = _alerts(series, counts.index, unit)
    recent = len(counts) - RECENT[unit]
    judged = len({t for s in series for t in np.flatnonzero(np.isfinite(s.chart.p_value)) if t >= recent})
    charted = sum(1 for s in series if np.isfinite(s.chart.p_value).any())
    why = "" if judged else f"no theme had {MIN_BASELINE} mentions in the {unit}s before one to judge it by."
    return Watch(unit, dated, len(when), len(counts), judged, charted, tests, tuple(alerts), why, counts)


def trend(counts: pd.DataFrame) -> pd.DataFrame:
    """Long form: period, theme, mentions."""
    if counts.empty:
        return pd.DataFrame(columns=["period", "theme", "mentions"])
    long = (
        counts.rename_axis("period")
        .reset_index()
        .melt(id_vars="period", var_name="theme", value_name="mentions")
    )
    return long.sort_values(["theme", "period"], ignore_index=True)
