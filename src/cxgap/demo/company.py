"""Assemble the demo company's tables and write them into a store as one all-or-nothing batch."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from cxgap.demo import arrays as A
from cxgap.demo.journeys import (
    FIRST_NAMES,
    LAST_NAMES,
    REGIONS,
    SEGMENTS,
    Journeys,
    interactions_table,
    simulate_journeys,
)
from cxgap.demo.surveys import Lives, Wave, installation, lives, relational, support, wave_tables
from cxgap.demo.text import TOPIC_INDEX, TOPICS
from cxgap.demo.truth import TRUTH, PlantedTruth
from cxgap.demo.voices import choose_topics, comments, incidents
from cxgap.errors import CxgapError
from cxgap.store import DATA_TABLES, Store, insert_all, refresh_derived
from cxgap.store.models import table_of

LEADERS, FRONTLINE = 40, 160


@dataclass
class DemoData:
    """The generated tables, ready to load."""

    customers: int
    seed: int
    tables: dict[str, pa.Table]

    @property
    def rows(self) -> dict[str, int]:
        """Rows per table."""
        return {name: t.num_rows for name, t in self.tables.items()}


def _customers_table(j: Journeys, life: Lives, ids: pa.Array, truth: PlantedTruth) -> pa.Table:
    names = A.join_texts(
        [
            A.labels(j.first_name, FIRST_NAMES),
            A.labels(np.zeros(j.n, int), (" ",)),
            A.labels(j.last_name, LAST_NAMES),
        ]
    )
    return pa.table(
        {
            "customer_id": ids,
            "name": names,
            "segment": A.labels(j.segment, SEGMENTS),
            "region": A.labels(j.region, REGIONS),
            "started_at": A.dates(truth.customers_since, j.start),
            "ended_at": A.dates(truth.customers_since, life.life_end, life.churned),
            "churned": pa.array(life.churned),
            "revenue": pa.array(j.revenue),
            "value": pa.array(np.round(j.revenue * 3, 2)),
        }
    )


def _feedback_table(
    j: Journeys, life: Lives, ids: pa.Array, rng: np.random.Generator, truth: PlantedTruth
) -> pa.Table:
    """Reviews by 5% of customers, and social posts after app log-in failures (the emerging issue)."""
    who = np.flatnonzero(rng.uniform(size=j.n) < 0.05)
    day = j.start[who] + rng.uniform(size=len(who)) * (life.life_end[who] - j.start[who])
    inc = incidents(j, who, day)
    topic = choose_topics(inc, life.nps_full[who], rng)
    rating = np.clip(np.round(1 + 4 * life.nps_full[who] / 10 + rng.normal(0, 0.6, len(who))), 1, 5)
    f = j.login_failure
    posts = np.flatnonzero(rng.uniform(size=len(f.cust)) < 0.15)
    post_day = np.minimum(f.day[posts] + rng.uniform(0, 2, len(posts)), j.end_day)
    cust = np.r_[who, f.cust[posts]]
    topics = np.r_[topic, np.full(len(posts), TOPIC_INDEX["app_login"])]
    m = len(cust)
    linked = np.r_[np.ones(len(who), bool), rng.uniform(size=len(posts)) < 0.5]
    return pa.table(
        {
            "feedback_id": A.ids("F", np.arange(m), 8),
            "source": A.labels(
                np.r_[np.zeros(len(who), int), np.ones(len(posts), int)], ("review", "social")
            ),
            "received_at": A.timestamps(truth.customers_since, np.r_[day, post_day]),
            "customer_id": pc.if_else(
                pa.array(linked), ids.take(pa.array(cust)), pa.scalar(None, pa.string())
            ),
            "touchpoint": A.labels(topics, [t.touchpoint for t in TOPICS]),
            "channel": A.labels(
                np.r_[np.zeros(len(who), int), np.ones(len(posts), int)], ("review_site", "social_media")
            ),
            "rating": A.nullable(
                np.r_[rating, np.zeros(len(posts))],
                np.r_[np.ones(len(who), bool), np.zeros(len(posts), bool)],
                pa.float64(),
            ),
            "title": pa.nulls(m, pa.string()),
            "text": comments(topics, np.ones(m, bool), rng),
        }
    )


def _centred(rng: np.random.Generator, count: int, sd: float) -> np.ndarray:
    """Noise whose mean over the respondents is exactly zero (they are the whole population of leaders)."""
    noise = rng.normal(0, sd, count)
    return np.asarray(noise - noise.mean())


def _belief_rows(
    role: str,
    count: int,
    actual: dict[tuple[str | None, str], tuple[float, float]],
    rng: np.random.Generator,
    truth: PlantedTruth,
) -> list[dict[str, object]]:
    """One overall row and one row per (touchpoint, dimension) for each of `count` respondents.

    The planted offsets hold exactly on average over the respondents: they are all the leaders (or staff).
    """
    leader = role == "leader"
    optimism = truth.leader_rating_optimism if leader else truth.frontline_rating_optimism
    under = truth.leader_expectation_underestimate if leader else truth.frontline_expectation_underestimate
    share = truth.leader_superior_share if leader else truth.frontline_superior_share
    superior = rng.permutation(np.arange(count) < round(share * count))
    believed_nps = np.clip(
        (truth.leader_believed_nps if leader else truth.frontline_believed_nps) + _centred(rng, count, 10),
        -100,
        100,
    )
    ids = [f"{'L' if leader else 'S'}{r + 1:03d}" for r in range(count)]
    rows: list[dict[str, object]] = [
        {
            "respondent_id": ids[r],
            "role": role,
            "touchpoint": None,
            "dimension": None,
            "superior": bool(superior[r]),
            "believed_nps": float(believed_nps[r]),
        }
        for r in range(count)
    ]
    derived = truth.dimension_weights
    for (touchpoint, dimension), (p_mean, e_mean) in actual.items():
        rating = np.clip(p_mean + optimism + _centred(rng, count, 0.25), 1, 7)
        expectation = np.clip(e_mean + under + _centred(rng, count, 0.25), 1, 7)
        base = truth.leader_stated_importance[dimension] if leader else 3.5 + 10 * derived[dimension]
        importance = np.clip(base + _centred(rng, count, 0.25), 1, 7)
        for r in range(count):
            rows.append(
                {
                    "respondent_id": ids[r],
                    "role": role,
                    "touchpoint": touchpoint,
                    "dimension": dimension,
                    "believed_rating": float(rating[r]),
                    "believed_expectation": float(expectation[r]),
                    "stated_importance": float(importance[r]) if touchpoint is None else None,
                }
            )
    return rows


def _beliefs_table(waves: list[Wave], rng: np.random.Generator, truth: PlantedTruth) -> pa.Table:
    """Leaders and frontline staff: believed ratings and expectations next to the customers' actual means."""
    actual: dict[tuple[str | None, str], tuple[float, float]] = {}
    for wave in waves:
        for dimension in truth.dimensions:
            names = [i for i in wave.perception if truth.items[i] == dimension]
            if names:
                p = float(np.mean([wave.perception[i].mean() for i in names]))
                e = float(np.mean([wave.expectation[i].mean() for i in names]))
                actual[(wave.touchpoint, dimension)] = (p, e)
    rows = _belief_rows("leader", LEADERS, actual, rng, truth) + _belief_rows(
        "frontline", FRONTLINE, actual, rng, truth
    )
    columns = [
        "respondent_id",
        "role",
        "touchpoint",
        "dimension",
        "believed_rating",
        "believed_expectation",
        "stated_importance",
        "believed_nps",
        "superior",
    ]
    data = {c: [row.get(c) for row in rows] for c in columns}
    table = pa.table({"belief_id": [f"B{i + 1:06d}" for i in range(len(rows))], **data})
    return table.append_column("surveyed_at", pa.array([dt.date(2025, 6, 15)] * len(rows), pa.date32()))


def _outcomes_table(
    j: Journeys,
    life: Lives,
    relational_wave: Wave,
    ids: pa.Array,
    rng: np.random.Generator,
    truth: PlantedTruth,
) -> pa.Table:
    """Yearly revenue and churn per active customer; 2025 revenue moves with the NPS group (planted)."""
    nps = life.nps_full.copy()
    assert relational_wave.nps is not None
    nps[relational_wave.cust] = relational_wave.nps
    change = np.where(
        nps >= 9,
        truth.revenue_change_promoter,
        np.where(nps >= 7, truth.revenue_change_passive, truth.revenue_change_detractor),
    )
    contacts_cust = np.r_[j.support.cust, j.events["billing"].cust]
    contacts_day = np.r_[j.support.day, j.events["billing"].day]
    parts = []
    for year in (2024, 2025):
        lo = float((dt.date(year, 1, 1) - truth.customers_since).days)
        hi = lo + (366 if year == 2024 else 365)
        active_days = np.clip(np.minimum(life.life_end, hi) - np.maximum(j.start, lo), 0, None)
        who = np.flatnonzero(active_days > 0)
        factor = 1 + (change[who] if year == 2025 else 0.0)
        revenue = np.round(
            j.revenue[who] * active_days[who] / (hi - lo) * factor * rng.lognormal(0, 0.05, len(who)), 2
        )
        in_year = (contacts_day >= lo) & (contacts_day < hi)
        contacts = np.bincount(contacts_cust[in_year], minlength=j.n)[who]
        churned = life.churned[who] & (life.life_end[who] >= lo) & (life.life_end[who] < hi)
        parts.append(
            pa.table(
                {
                    "customer_id": ids.take(pa.array(who)),
                    "period": pa.array([dt.date(year, 1, 1)] * len(who), pa.date32()),
                    "revenue": pa.array(revenue),
                    "churned": pa.array(churned),
                    "contacts": pa.array(contacts, pa.int64()),
                }
            )
        )
    return pa.concat_tables(parts)


def _standards_and_promises(truth: PlantedTruth) -> tuple[pa.Table, pa.Table]:
    standards = pa.table(
        {
            "touchpoint": ["support", "support", "support", "installation"],
            "metric": ["wait_seconds@call", "first_contact_resolution", "callback_hours", "on_time_rate"],
            "target": [
                truth.support_wait_standard_seconds,
                truth.first_contact_resolution_standard,
                truth.callback_standard_hours,
                truth.installation_on_time_standard,
            ],
            "direction": ["at_most", "at_least", "at_most", "at_least"],
            "unit": ["seconds", "share", "hours", "share"],
            "customer_expectation": [
                truth.wait_expected_seconds,
                truth.first_contact_resolution_expected,
                truth.callback_expected_hours,
                truth.installation_on_time_expected,
            ],
            "description": [
                f"Answer phone calls within {truth.support_wait_standard_seconds:.0f} seconds on average.",
                f"Resolve {truth.first_contact_resolution_standard:.0%} of contacts at the first contact.",
                f"Call back within {truth.callback_standard_hours:.0f} hours when a contact is unresolved.",
                f"{truth.installation_on_time_standard:.0%} of installation visits on time.",
            ],
        }
    )
    promises = pa.table(
        {
            "touchpoint": ["installation", "support"],
            "metric": ["on_time_rate", "wait_seconds@call"],
            "promised_value": [truth.installation_on_time_promised, truth.support_wait_promised_seconds],
            "direction": ["at_least", "at_most"],
            "unit": ["share", "seconds"],
            "wording": [
                "Our engineers arrive on time, every time.",
                f"Talk to a real person in under {truth.support_wait_promised_seconds / 60:.0f} minutes.",
            ],
            "medium": ["website", "advert"],
        }
    )
    return standards, promises


def simulate(customers: int, seed: int = 42, truth: PlantedTruth = TRUTH) -> DemoData:
    """Generate the whole demo company (deterministic for a given customers/seed)."""
    if customers < 1:
        raise CxgapError(f"--customers must be at least 1 (got {customers}).")
    rng = np.random.default_rng(seed)
    j = simulate_journeys(customers, rng, truth)
    ids = A.ids("C", np.arange(1, customers + 1), 7)
    life = lives(j, rng, truth)
    waves = [relational(j, life, rng, truth), installation(j, life, rng, truth), support(j, life, rng, truth)]
    responses, items = wave_tables(waves, ids, truth)
    standards, promises = _standards_and_promises(truth)
    tables = {
        "customers": _customers_table(j, life, ids, truth),
        "interactions": interactions_table(j, truth, ids),
        "responses": responses,
        "response_items": items,
        "feedback": _feedback_table(j, life, ids, rng, truth),
        "beliefs": _beliefs_table(waves, rng, truth),
        "outcomes": _outcomes_table(j, life, waves[0], ids, rng, truth),
        "standards": standards,
        "promises": promises,
    }
    return DemoData(customers, seed, tables)


def write_demo(store: Store, data: DemoData, progress: Callable[[str, int], None] | None = None) -> None:
    """Replace the store's contents by the demo data, in one transaction. Refuses a store holding imports."""
    with store.begin() as conn:
        imported = conn.execute(
            sa.text(
                "SELECT count(*) FROM import_batches WHERE source NOT LIKE 'demo:%' AND removed_at IS NULL"
            )
        ).scalar_one()
        if imported:
            raise CxgapError(
                f"The store {store.url} holds imported data ({imported} batches); the demo would mix with it. "
                "Run the demo against another store: set CXGAP_STORE_URL or [store] url in cxgap.toml."
            )
        for model in DATA_TABLES:
            conn.execute(sa.delete(table_of(model.__tablename__)))
        conn.execute(sa.text("DELETE FROM import_batches WHERE source LIKE 'demo:%'"))
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        for name, table in data.tables.items():
            batch = uuid.uuid4().hex
            table = table.append_column("batch_id", pa.repeat(pa.scalar(batch, pa.string()), table.num_rows))
            for start in range(0, max(table.num_rows, 1), 2_000_000):
                insert_all(conn, name, table.slice(start, 2_000_000))
            conn.execute(
                sa.insert(table_of("import_batches")).values(
                    batch_id=batch,
                    table_name=name,
                    source=f"demo:customers={data.customers},seed={data.seed}",
                    source_sha256=None,
                    mapping=None,
                    started_at=now,
                    finished_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                    rows_read=table.num_rows,
                    rows_loaded=table.num_rows,
                    rows_existing=0,
                    rows_quarantined=0,
                )
            )
            if progress:
                progress(name, table.num_rows)
        refresh_derived(conn)
