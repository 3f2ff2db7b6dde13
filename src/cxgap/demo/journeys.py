"""Simulate the demo company's customers and their operational journeys (the interactions table).

Time is measured in days after `truth.customers_since`. Every event array is vectorised over all
customers at once; `cust` arrays say whose event it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from cxgap.demo import arrays as A
from cxgap.demo.truth import PlantedTruth

SEGMENTS = ("consumer", "small_business", "enterprise")
SEGMENT_SHARES = (0.80, 0.15, 0.05)
SEGMENT_REVENUE = (600.0, 3_000.0, 30_000.0)
REGIONS = ("north", "south", "east", "west")
FIRST_NAMES = (
    "Anna",
    "Ben",
    "Chloe",
    "David",
    "Emma",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kate",
    "Liam",
)
LAST_NAMES = ("Smith", "Jansen", "Garcia", "Müller", "Dubois", "Rossi", "Nowak", "Okafor", "Silva", "Tanaka")
SALES_CHANNELS = ("web", "store", "phone")
SUPPORT_CHANNELS = ("phone", "chat", "email")
SUPPORT_REASONS = ("fault", "speed", "billing_question", "move", "app_help")
APP_REASONS = ("pay_bill", "check_usage", "change_plan", "app_login")
LOGIN_FAILURES_PER_WEEK = 0.003


@dataclass
class Events:
    """One kind of interaction, as parallel arrays."""

    cust: np.ndarray
    day: np.ndarray
    columns: dict[str, pa.Array | np.ndarray] = field(default_factory=dict)


@dataclass
class Journeys:
    """Customers, their events and the per-customer incident facts the surveys and churn depend on."""

    n: int
    end_day: float
    start: np.ndarray
    segment: np.ndarray
    revenue: np.ndarray
    mood: np.ndarray
    tight_booking: np.ndarray
    visit_day: np.ndarray
    late_visit: np.ndarray
    support: Events
    support_resolved: np.ndarray
    support_handled: np.ndarray
    support_repeat: np.ndarray
    bill_error_day: Events
    login_failure: Events
    events: dict[str, Events]
    last_event_day: np.ndarray
    region: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray


def _customers(n: int, rng: np.random.Generator, end_day: float) -> dict[str, np.ndarray]:
    segment = A.choice(rng, n, SEGMENT_SHARES)
    median = np.asarray(SEGMENT_REVENUE)[segment]
    return {
        "segment": segment,
        "region": A.choice(rng, n, [1, 1, 1, 1]),
        "start": rng.uniform(0, end_day - 90, n),
        "revenue": np.round(median * rng.lognormal(0, 0.4, n), 2),
        "mood": rng.normal(0, 1, n),
        "first": rng.integers(0, len(FIRST_NAMES), n),
        "last": rng.integers(0, len(LAST_NAMES), n),
    }


def _support(
    c: dict[str, np.ndarray], rng: np.random.Generator, truth: PlantedTruth, end_day: float
) -> Events:
    n = len(c["start"])
    count = np.minimum(rng.poisson(1.6, n), 8)
    cust = np.repeat(np.arange(n), count)
    first = c["start"][cust] + 7
    day = first + rng.uniform(0, 1, len(cust)) * np.maximum(end_day - first, 1)
    order = np.lexsort((day, cust))
    cust, day = cust[order], day[order]
    m = len(cust)
    channel = A.choice(rng, m, [0.60, 0.25, 0.15])
    handled = ~((channel == 0) & (rng.uniform(size=m) < truth.missed_call_rate))
    p_resolve = truth.first_contact_resolution_rate / (1 - 0.60 * truth.missed_call_rate)
    resolved = handled & (rng.uniform(size=m) < p_resolve)
    same = np.r_[False, cust[1:] == cust[:-1]]
    prev_unresolved = np.r_[False, ~resolved[:-1]]
    p_repeat = np.where(prev_unresolved, truth.repeat_rate_after_unresolved, truth.repeat_rate_after_resolved)
    repeat = same & (rng.uniform(size=m) < p_repeat)
    medians = np.array([truth.support_phone_wait_median_seconds, 60.0, 4 * 3600.0])
    wait = np.round(medians[channel] * rng.lognormal(0, 0.7, m))
    return Events(
        cust,
        day,
        {
            "channel": A.labels(channel, SUPPORT_CHANNELS),
            "kind": A.labels(channel, ("call", "chat", "email")),
            "reason": A.labels(A.choice(rng, m, [0.35, 0.2, 0.2, 0.1, 0.15]), SUPPORT_REASONS),
            "wait_seconds": wait,
            "handled": handled,
            "resolved": resolved,
            "repeat_contact": repeat,
            "duration_seconds": np.where(handled, np.round(rng.lognormal(np.log(420), 0.5, m)), 0.0),
            "team": A.labels(channel, ("support_phone", "support_chat", "support_email")),
        },
    )


def _callbacks(support: Events, rng: np.random.Generator, truth: PlantedTruth) -> Events:
    unresolved = ~np.asarray(support.columns["resolved"])
    pick = unresolved & (rng.uniform(size=len(support.cust)) < 0.5)
    m = int(pick.sum())
    hours = truth.callback_median_hours * rng.lognormal(0, 0.5, m)
    return Events(
        support.cust[pick],
        support.day[pick] + hours / 24,
        {
            "channel": A.labels(np.zeros(m, int), ("phone",)),
            "kind": A.labels(np.zeros(m, int), ("callback",)),
            "reason": A.labels(np.zeros(m, int), ("follow_up",)),
            "wait_seconds": np.round(hours * 3600),
            "handled": np.ones(m, bool),
            "resolved": rng.uniform(size=m) < 0.6,
            "team": A.labels(np.zeros(m, int), ("support_phone",)),
        },
    )


def _poisson_events(
    rate: float, c: dict[str, np.ndarray], rng: np.random.Generator, end_day: float
) -> tuple[np.ndarray, np.ndarray]:
    n = len(c["start"])
    cust = np.repeat(np.arange(n), rng.poisson(rate, n))
    day = c["start"][cust] + 1 + rng.uniform(0, 1, len(cust)) * np.maximum(end_day - c["start"][cust] - 1, 1)
    return cust, day


def _billing(c: dict[str, np.ndarray], rng: np.random.Generator, end_day: float) -> Events:
    cust, day = _poisson_events(0.4, c, rng, end_day)
    m = len(cust)
    error = rng.uniform(size=m) < 0.5
    channel = A.choice(rng, m, [0.7, 0.3])
    return Events(
        cust,
        day,
        {
            "channel": A.labels(channel, ("phone", "chat")),
            "kind": A.labels(channel, ("call", "chat")),
            "reason": A.labels(error.astype(int), ("bill_question", "bill_error")),
            "wait_seconds": np.round(90 * rng.lognormal(0, 0.6, m)),
            "handled": np.ones(m, bool),
            "resolved": rng.uniform(size=m) < 0.75,
            "team": A.labels(np.zeros(m, int), ("billing",)),
        },
    )


def _app(
    c: dict[str, np.ndarray], rng: np.random.Generator, truth: PlantedTruth, end_day: float
) -> tuple[Events, Events]:
    cust, day = _poisson_events(2.0, c, rng, end_day)
    m = len(cust)
    app = Events(
        cust,
        day,
        {
            "channel": A.labels(np.zeros(m, int), ("app",)),
            "kind": A.labels(np.zeros(m, int), ("app_task",)),
            "reason": A.labels(A.choice(rng, m, [0.4, 0.3, 0.2, 0.1]), APP_REASONS),
            "handled": np.ones(m, bool),
            "resolved": rng.uniform(size=m) < 0.93,
            "duration_seconds": np.round(rng.lognormal(np.log(90), 0.6, m)),
        },
    )
    n = len(c["start"])
    weeks = np.maximum(end_day - c["start"], 0) / 7
    base = np.repeat(np.arange(n), rng.poisson(LOGIN_FAILURES_PER_WEEK * weeks))
    base_day = c["start"][base] + rng.uniform(0, 1, len(base)) * np.maximum(end_day - c["start"][base], 0)
    s = float((truth.emerging_start - truth.customers_since).days)
    w = truth.emerging_weeks * 7.0
    exposed = c["start"] < s
    surge = np.repeat(
        np.arange(n),
        rng.poisson(
            LOGIN_FAILURES_PER_WEEK * (truth.emerging_multiplier - 1) * truth.emerging_weeks * exposed
        ),
    )
    cust_f = np.r_[base, surge]
    day_f = np.r_[base_day, s + rng.uniform(0, w, len(surge))]
    k = len(cust_f)
    failures = Events(
        cust_f,
        day_f,
        {
            "channel": A.labels(np.zeros(k, int), ("app",)),
            "kind": A.labels(np.zeros(k, int), ("app_task",)),
            "reason": A.labels(np.full(k, 3), APP_REASONS),
            "handled": np.ones(k, bool),
            "resolved": np.zeros(k, bool),
            "duration_seconds": np.round(rng.lognormal(np.log(60), 0.6, k)),
        },
    )
    return app, failures


def simulate_journeys(n: int, rng: np.random.Generator, truth: PlantedTruth) -> Journeys:
    """Customers and all their interactions, with the planted operational truth."""
    end_day = float((truth.window_end - truth.customers_since).days)
    c = _customers(n, rng, end_day)
    start = c["start"]
    idx = np.arange(n)
    sales_channel = A.choice(rng, n, [0.5, 0.3, 0.2])
    tight = rng.uniform(size=n) < truth.tight_booking_rate
    visit_day = start + 3 + rng.uniform(0, 7, n)
    p_late = np.where(tight, truth.late_visit_rate_after_tight_booking, truth.late_visit_rate_otherwise)
    late = rng.uniform(size=n) < p_late
    delay = np.where(late, 30 + rng.exponential(60, n), rng.uniform(-10, 10, n)).round()
    support = _support(c, rng, truth, end_day)
    billing = _billing(c, rng, end_day)
    app, failures = _app(c, rng, truth, end_day)
    events = {
        "sales": Events(
            idx,
            start - rng.uniform(0, 7, n),
            {
                "channel": A.labels(sales_channel, SALES_CHANNELS),
                "kind": A.labels(np.zeros(n, int), ("purchase",)),
                "handled": np.ones(n, bool),
                "resolved": np.ones(n, bool),
                "team": A.labels(sales_channel, ("sales_web", "sales_store", "sales_phone")),
            },
        ),
        "ordering": Events(
            idx,
            start,
            {
                "channel": A.labels(sales_channel, SALES_CHANNELS),
                "kind": A.labels(np.zeros(n, int), ("booking",)),
                "on_time": ~tight,
                "handled": np.ones(n, bool),
                "resolved": np.ones(n, bool),
                "team": A.labels(np.zeros(n, int), ("planning",)),
            },
        ),
        "installation": Events(
            idx,
            visit_day,
            {
                "channel": A.labels(np.zeros(n, int), ("field",)),
                "kind": A.labels(np.zeros(n, int), ("visit",)),
                "on_time": ~late,
                "delay_minutes": delay,
                "handled": np.ones(n, bool),
                "resolved": rng.uniform(size=n) < 0.92,
                "team": A.labels(c["region"], tuple(f"field_{r}" for r in REGIONS)),
                "agent": A.ids("T", rng.integers(1, 400, n), 3),
                "duration_seconds": np.round(rng.lognormal(np.log(5400), 0.3, n)),
            },
        ),
        "support": support,
        "support_callbacks": _callbacks(support, rng, truth),
        "billing": billing,
        "app": app,
        "app_failures": failures,
    }
    last = visit_day.copy()
    for key in ("support", "support_callbacks", "billing", "app", "app_failures"):
        np.maximum.at(last, events[key].cust, events[key].day)
    reasons = billing.columns["reason"]
    assert isinstance(reasons, pa.Array)
    bill_error = np.asarray(reasons.to_numpy(zero_copy_only=False) == "bill_error")
    return Journeys(
        n=n,
        end_day=end_day,
        start=start,
        segment=c["segment"],
        revenue=c["revenue"],
        mood=c["mood"],
        tight_booking=tight,
        visit_day=visit_day,
        late_visit=late,
        support=support,
        support_resolved=np.asarray(support.columns["resolved"]),
        support_handled=np.asarray(support.columns["handled"]),
        support_repeat=np.asarray(support.columns["repeat_contact"]),
        bill_error_day=Events(billing.cust[bill_error], billing.day[bill_error]),
        login_failure=failures,
        events=events,
        last_event_day=last,
        region=c["region"],
        first_name=c["first"],
        last_name=c["last"],
    )


TOUCHPOINT_OF = {
    "sales": "sales",
    "ordering": "ordering",
    "installation": "installation",
    "support": "support",
    "support_callbacks": "support",
    "billing": "billing",
    "app": "app",
    "app_failures": "app",
}

INTERACTION_COLUMNS = {
    "channel": pa.string(),
    "kind": pa.string(),
    "reason": pa.string(),
    "wait_seconds": pa.float64(),
    "handled": pa.bool_(),
    "resolved": pa.bool_(),
    "repeat_contact": pa.bool_(),
    "on_time": pa.bool_(),
    "delay_minutes": pa.float64(),
    "team": pa.string(),
    "agent": pa.string(),
    "duration_seconds": pa.float64(),
}


def interactions_table(j: Journeys, truth: PlantedTruth, customer_ids: pa.Array) -> pa.Table:
    """All events as one interactions table, ordered by customer and time within each kind."""
    parts = []
    offset = 0
    for key, events in j.events.items():
        m = len(events.cust)
        data: dict[str, pa.Array] = {
            "interaction_id": A.ids("I", np.arange(offset, offset + m), 9),
            "customer_id": customer_ids.take(pa.array(events.cust)),
            "occurred_at": A.timestamps(truth.customers_since, events.day),
            "touchpoint": A.labels(np.zeros(m, int), (TOUCHPOINT_OF[key],)),
        }
        for name, kind in INTERACTION_COLUMNS.items():
            value = events.columns.get(name)
            if value is None:
                data[name] = pa.nulls(m, kind)
            elif isinstance(value, pa.Array):
                data[name] = value.cast(kind)
            else:
                data[name] = pa.array(value, kind)
        parts.append(pa.table(data))
        offset += m
    return pa.concat_tables(parts)
