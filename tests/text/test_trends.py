"""Emerging issues as control charts: a planted 3-day surge alarms within 2 days on several seeds, surge-free
posts (binomial and overdispersed) alarm on at most 1 run in 20, a naturally noisy theme does not alarm,
and data too short, too thin or undated say that the check did not run (issue 16, part 5)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxgap.text.trends import (
    DAILY_VOLUME,
    FDR,
    HISTORY,
    LAMBDA,
    MIN_COUNT,
    MIN_RISE,
    MIN_TEXTS,
    NEGATIVE_RISE,
    OUT_OF_CONTROL,
    Watch,
    charts,
    watch,
)

START = pd.Timestamp("2025-02-10")
DOC = Path(__file__).resolve().parents[2] / "docs" / "text-quality.md"
DOC_ROWS = {
    None: "| no surge, binomial noise",
    300.0: "| no surge, overdispersed",
}  # the doc's rows for these runs
# usual share of all posts per theme (the rest carry no theme), and the share of each theme's posts that are negative
SHARES = {
    "cancelled_flight": 0.03,
    "late_flight": 0.12,
    "customer_service": 0.18,
    "baggage": 0.06,
    "booking": 0.05,
    "seats": 0.04,
    "refund": 0.02,
}
NEGATIVE = {"cancelled_flight": 0.6, "late_flight": 0.5, "customer_service": 0.5, "baggage": 0.4}


def posts(
    seed: int,
    days: int,
    shares: Callable[[int], dict[str, float]] = lambda day: SHARES,
    dispersion: float | None = None,
    volume: tuple[int, int] = (300, 1000),
    negative: Callable[[int, str], float] = lambda day, theme: NEGATIVE.get(theme, 0.3),
) -> tuple[list[str | None], list[bool], pd.Series]:
    """Simulated social posts, `volume` a day: each post's theme drawn from the day's shares (each share
    drawn from a beta with precision `dispersion` around it when given: an overdispersed, noisy day)."""
    rng = np.random.default_rng(seed)
    names = list(SHARES)
    themes: list[str | None] = []
    bad: list[bool] = []
    when: list[pd.Timestamp] = []
    for day in range(days):
        n = int(rng.integers(volume[0], volume[1] + 1))
        p = np.array([shares(day)[k] for k in names])
        if dispersion:
            p = rng.beta(p * dispersion, (1 - p) * dispersion)
        pick = rng.choice(len(names) + 1, size=n, p=np.append(p, 1 - p.sum()))
        drawn = [names[c] if c < len(names) else None for c in pick]
        themes += drawn
        bad += [bool(rng.random() < negative(day, t or "")) for t in drawn]
        when += list(START + pd.Timedelta(days=day) + pd.to_timedelta(rng.integers(0, 86_400, n), unit="s"))
    return themes, bad, pd.Series(when)


def surge(first: int, share: float = 0.085, days: int = 3) -> Callable[[int], dict[str, float]]:
    """Cancellations at `share` of posts for `days` days from day `first` (0-based), 3% otherwise."""
    return lambda day: SHARES | ({"cancelled_flight": share} if first <= day < first + days else {})


def test_nine_days_with_a_cancellation_surge_alarm_on_its_first_day() -> None:
    # as observed on airline posts: 3% of posts on the first days, then 8.4% and 8.7% on the last two
    rising = lambda day: SHARES | {"cancelled_flight": {7: 0.084, 8: 0.087}.get(day, 0.03)}  # noqa: E731
    result = watch(*posts(0, days=9, shares=rising))
    assert result.granularity == "day" and result.checked and result.checked_periods == 3
    assert [(a.theme, a.kind, a.period) for a in result.alerts] == [
        ("cancelled_flight", "volume", START + pd.Timedelta(days=7))
    ]
    alert = result.alerts[0]
    assert alert.q_value <= FDR and alert.usual == pytest.approx(0.03, abs=0.01)
    assert f"mentions on {START + pd.Timedelta(days=7):%Y-%m-%d}, {alert.share:.1%} [" in alert.sentence()
    assert result.sentence().startswith("1 emerging issue in the last 3 days checked (daily")


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("first", [6, 9])  # day 7 (the first day an alert can fire) and day 10
def test_a_planted_three_day_surge_alarms_within_two_days(seed: int, first: int) -> None:
    result = watch(*posts(100 + seed, days=14, shares=surge(first)))
    raised = [a for a in result.alerts if a.theme == "cancelled_flight" and a.kind == "volume"]
    assert raised, result.sentence()
    assert raised[0].period - (START + pd.Timedelta(days=first)) <= pd.Timedelta(days=1)
    assert {a.theme for a in result.alerts} == {"cancelled_flight"}


@pytest.mark.parametrize("dispersion", [None, 300.0])
def test_surge_free_posts_alarm_on_at_most_one_run_in_twenty(dispersion: float | None) -> None:
    runs = [watch(*posts(seed, days=14, dispersion=dispersion)) for seed in range(20)]
    assert all(r.granularity == "day" and r.checked_periods == 8 for r in runs)
    alarmed = [r for r in runs if r.alerts]
    assert len(alarmed) <= 1, [a.sentence() for r in alarmed for a in r.alerts]
    row = next(
        line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith(DOC_ROWS[dispersion])
    )
    assert f"seeds 0-19: {len(alarmed)} with an alert" in row, row


def test_a_naturally_noisy_theme_does_not_alarm_where_its_noise_is_usual() -> None:
    # baggage swings between 3% and 9% of posts from day to day; a plain p-chart would alarm on every high day
    swinging = lambda day: SHARES | {"baggage": 0.09 if day % 2 else 0.03}  # noqa: E731
    themes, bad, when = posts(7, days=14, shares=swinging)
    assert not watch(themes, bad, when).alerts
    counts = pd.crosstab(when.dt.floor("D"), pd.Series(themes, dtype=object))
    totals = when.dt.floor("D").value_counts().sort_index().to_numpy(dtype=float)
    chart = charts([(counts[k].to_numpy(dtype=float), totals) for k in SHARES], history=28)[3]
    assert np.nanmin(chart.sigma_z) > 2.0  # Laney's sigma_z: far more spread than the binomial's
    assert np.nanmin(chart.p_value) > 0.01


def test_a_theme_turning_negative_alarms_on_that_day() -> None:
    turning = lambda day, theme: 0.85 if (theme, day) == ("late_flight", 10) else NEGATIVE.get(theme, 0.3)  # noqa: E731
    result = watch(*posts(3, days=14, negative=turning))
    assert [(a.theme, a.kind, a.period) for a in result.alerts] == [
        ("late_flight", "negativity", START + pd.Timedelta(days=10))
    ]
    assert "negative texts on 2025-02-20" in result.alerts[0].sentence()


def test_sparse_data_over_months_is_checked_week_by_week() -> None:
    weekly = lambda day: SHARES | ({"refund": 0.08} if 70 <= day < 77 else {})  # noqa: E731
    result = watch(*posts(5, days=105, shares=weekly, volume=(10, 30)))
    assert result.granularity == "week" and result.checked_periods == 9
    assert [(a.theme, a.period) for a in result.alerts] == [("refund", START + pd.Timedelta(days=70))]
    assert "in the week of 2025-04-21" in result.alerts[0].sentence()


def _not_checked(result: Watch, *words: str) -> None:
    assert not result.checked and not result.alerts
    said = result.sentence()
    assert said.startswith("Emerging issues were not checked: ") and "no theme rose" not in said.lower()
    for w in words:
        assert w in said, said


def test_too_short_thin_or_undated_texts_say_the_check_did_not_run() -> None:
    _not_checked(watch(*posts(1, days=6)), "daily checks need 7 days", "span 6 days")
    _not_checked(
        watch(*posts(1, days=30, volume=(10, 30))),
        "needs dated texts over 7 weeks, or 7 days with at least 50 texts a day",
        "span 30 days, a median 2",
    )
    themes, bad, when = posts(1, days=9)
    _not_checked(watch(themes, bad, pd.Series([pd.NaT] * len(when))), "(these texts have no date)")
    part = when.where(np.arange(len(when)) % 2 == 0)
    assert (
        watch(themes, bad, part).checked
        and f"{part.notna().sum():,} of the" in watch(themes, bad, part).sentence()
    )


def test_the_real_hotel_reviews_are_undated_and_say_so(shared_data: Callable[[str], Path]) -> None:
    frame = pd.read_csv(shared_data("tripadvisor_hotel_reviews.csv"))
    text = frame["Review"].astype(str)
    themes = np.select(
        [text.str.contains("breakfast"), text.str.contains("staff")], ["breakfast", "staff"], None
    )
    result = watch(list(themes), list(frame["Rating"] <= 2), pd.Series([None] * len(frame)))
    _not_checked(result, "that needs dated texts (these texts have no date)")
    assert result.dated == 0 and result.texts == 2_000


def test_the_demo_companys_planted_login_surge_alarms_within_its_three_weeks_and_only_then() -> None:
    # the demo's own planted topics as themes, so the check is judged apart from theme assignment
    from dataclasses import replace

    from cxgap.demo import TRUTH, simulate
    from cxgap.demo.text import planted_topic

    start = pd.Timestamp(TRUTH.emerging_start)
    for multiplier in (TRUTH.emerging_multiplier, 1.0):
        demo = simulate(10_000, seed=42, truth=replace(TRUTH, emerging_multiplier=multiplier))
        feedback = demo.tables["feedback"].to_pandas()
        result = watch(
            [planted_topic(t) for t in feedback["text"]], [False] * len(feedback), feedback["received_at"]
        )
        assert result.granularity == "week" and result.checked
        alarms = [(a.theme, a.period) for a in result.alerts]
        if multiplier == 1.0:
            assert alarms == [], alarms
        else:
            assert [theme for theme, _ in alarms] == ["app_login"]
            assert start <= alarms[0][1] < start + pd.Timedelta(weeks=TRUTH.emerging_weeks)


def test_the_documented_method_is_the_codes() -> None:
    doc = " ".join(
        DOC.read_text(encoding="utf-8").split("## Emerging issues", 1)[1].split()
    )  # lines unwrapped
    for said in (
        f"median day holds at least {DAILY_VOLUME} dated texts",
        f"up to {HISTORY['day']} days ({HISTORY['week']} weeks) before it",
        f"more than {OUT_OF_CONTROL:.0f} deviates above",
        f"EWMA (λ = {LAMBDA})",
        f"period judged, at {FDR:.0%}",
        f"at least {MIN_RISE} times the usual share and {MIN_COUNT} texts",
        f"{NEGATIVE_RISE * 100:.0f} points above the usual share and {MIN_TEXTS} texts",
    ):
        assert said in doc, said
