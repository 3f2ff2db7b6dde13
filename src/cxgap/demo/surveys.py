"""The demo's survey waves: relational (NPS, all items), and transactional after installation and support."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from cxgap.demo import arrays as A
from cxgap.demo.journeys import Journeys
from cxgap.demo.truth import PlantedTruth
from cxgap.demo.voices import (
    DIMENSION_MEAN,
    INSTALL_ITEMS,
    SUPPORT_ITEMS,
    Incidents,
    choose_topics,
    comments,
    dimension_latents,
    incidents,
    item_ratings,
    nps_latent,
    rate,
)


@dataclass
class Wave:
    """One survey wave: who answered, when, what, and their item ratings."""

    cust: np.ndarray
    day: np.ndarray
    kind: str
    touchpoint: str | None
    channel: pa.Array
    nps: np.ndarray | None
    csat: np.ndarray | None
    ces: np.ndarray | None
    superior: np.ndarray | None
    comment: pa.Array
    perception: dict[str, np.ndarray]
    expectation: dict[str, np.ndarray]


@dataclass
class Lives:
    """When each customer's observable life ends, and their end-of-window NPS latent."""

    churned: np.ndarray
    life_end: np.ndarray
    nps_full: np.ndarray


def lives(j: Journeys, rng: np.random.Generator, truth: PlantedTruth) -> Lives:
    """Churn follows unresolved issues, detractors and late visits (the planted log-odds)."""
    everyone = np.arange(j.n)
    full = incidents(j, everyone, np.full(j.n, np.inf))
    perception, _ = item_ratings(
        dimension_latents(j.mood, full, truth), tuple(truth.item_weights), rng, truth
    )
    nps_full = np.clip(np.round(nps_latent(perception, full, rng, truth)), 0, 10)
    log_odds = (
        A.logit(truth.churn_base_rate)
        + truth.churn_log_odds_per_unresolved * np.minimum(full.unresolved, 3)
        + truth.churn_log_odds_detractor * (nps_full <= 6)
        + truth.churn_log_odds_late_visit * full.late
    )
    churned = rng.uniform(size=j.n) < A.sigmoid(log_odds)
    ended = np.minimum(j.last_event_day + rng.uniform(1, 60, j.n), j.end_day)
    return Lives(churned=churned, life_end=np.where(churned, ended, j.end_day), nps_full=nps_full)


def relational(j: Journeys, life: Lives, rng: np.random.Generator, truth: PlantedTruth) -> Wave:
    """Relational survey: 60% of customers, once, at a random time in their life."""
    eligible = j.start + 30 < life.life_end
    who = np.flatnonzero(eligible & (rng.uniform(size=j.n) < 0.6))
    day = j.start[who] + 30 + rng.uniform(size=len(who)) * (life.life_end[who] - j.start[who] - 30)
    inc = incidents(j, who, day)
    perception, expectation = item_ratings(
        dimension_latents(j.mood[who], inc, truth), tuple(truth.item_weights), rng, truth
    )
    nps = np.clip(np.round(nps_latent(perception, inc, rng, truth)), 0, 10)
    lift = 1 + nps / 5
    superior = rng.uniform(size=len(who)) < truth.customer_superior_share * lift / lift.mean()
    topic = choose_topics(inc, nps, rng)
    channel = A.labels(A.choice(rng, len(who), [0.7, 0.3]), ("email", "app"))
    return Wave(
        who,
        day,
        "relational",
        None,
        channel,
        nps,
        None,
        None,
        superior,
        comments(topic, rng.uniform(size=len(who)) < 0.4, rng),
        perception,
        expectation,
    )


def installation(j: Journeys, life: Lives, rng: np.random.Generator, truth: PlantedTruth) -> Wave:
    """Transactional survey after the installation visit (45% answer)."""
    day_all = j.visit_day + rng.uniform(0, 3, j.n)
    who = np.flatnonzero((day_all < life.life_end) & (rng.uniform(size=j.n) < 0.45))
    late = j.late_visit[who]
    mood = j.mood[who]
    latents = {
        "reliability": DIMENSION_MEAN["reliability"] + 0.8 * mood - 1.4 * late,
        "assurance": DIMENSION_MEAN["assurance"] + 0.8 * mood - 0.5 * late,
    }
    perception, expectation = item_ratings(latents, INSTALL_ITEMS, rng, truth)
    csat = rate(4.3 + 0.3 * mood - 1.4 * late, rng, 0.7, 1, 5)
    ces = rate(5.5 + 0.3 * mood - 1.5 * late, rng, 1.0, 1, 7)
    none = np.zeros(len(who), int)
    inc = Incidents(late, none, none, none, none, none)
    topic = choose_topics(inc, np.where(late, 0, 10), rng)
    return Wave(
        who,
        day_all[who],
        "transactional",
        "installation",
        A.labels(none, ("field",)),
        None,
        csat,
        ces,
        None,
        comments(topic, rng.uniform(size=len(who)) < 0.3, rng),
        perception,
        expectation,
    )


def support(j: Journeys, life: Lives, rng: np.random.Generator, truth: PlantedTruth) -> Wave:
    """Transactional survey after a support contact (30% answer); repeat contacts cost CSAT."""
    s = j.support
    day_all = s.day + rng.uniform(0, 2, len(s.cust))
    pick = np.flatnonzero((day_all < life.life_end[s.cust]) & (rng.uniform(size=len(s.cust)) < 0.3))
    cust = s.cust[pick]
    mood = j.mood[cust]
    unresolved = (~j.support_resolved[pick]).astype(int)
    missed = (~j.support_handled[pick]).astype(int)
    repeat = j.support_repeat[pick].astype(int)
    latents = {
        "responsiveness": DIMENSION_MEAN["responsiveness"]
        + 0.8 * mood
        - 0.8 * unresolved
        - 0.8 * missed
        - 0.5 * repeat,
        "empathy": DIMENSION_MEAN["empathy"] + 0.8 * mood - 0.8 * repeat,
    }
    perception, expectation = item_ratings(latents, SUPPORT_ITEMS, rng, truth)
    csat = rate(
        4.0 + 0.2 * mood - 1.0 * unresolved - truth.repeat_contact_csat_penalty * repeat - 0.6 * missed,
        rng,
        0.7,
        1,
        5,
    )
    ces = rate(5.0 + 0.3 * mood - 1.0 * unresolved - 1.5 * repeat, rng, 1.0, 1, 7)
    none = np.zeros(len(cust), int)
    inc = Incidents(none.astype(bool), missed, unresolved, repeat, none, none)
    topic = choose_topics(inc, np.where(unresolved + missed + repeat > 0, 0, 10), rng)
    return Wave(
        cust,
        day_all[pick],
        "transactional",
        "support",
        s.columns["channel"].take(pa.array(pick)),
        None,
        csat,
        ces,
        None,
        comments(topic, rng.uniform(size=len(cust)) < 0.3, rng),
        perception,
        expectation,
    )


def _maybe(values: np.ndarray | None, n: int, kind: pa.DataType) -> pa.Array:
    return pa.nulls(n, kind) if values is None else pa.array(values, kind)


def wave_tables(waves: list[Wave], customer_ids: pa.Array, truth: PlantedTruth) -> tuple[pa.Table, pa.Table]:
    """The responses and response_items tables of all waves."""
    responses, items = [], []
    offset = 0
    for wave in waves:
        m = len(wave.cust)
        rid = A.ids("R", np.arange(offset, offset + m), 9)
        offset += m
        responses.append(
            pa.table(
                {
                    "response_id": rid,
                    "customer_id": customer_ids.take(pa.array(wave.cust)),
                    "responded_at": A.timestamps(truth.customers_since, wave.day),
                    "survey_kind": A.labels(np.zeros(m, int), (wave.kind,)),
                    "touchpoint": pa.nulls(m, pa.string())
                    if wave.touchpoint is None
                    else A.labels(np.zeros(m, int), (wave.touchpoint,)),
                    "channel": wave.channel.cast(pa.string()),
                    "nps": _maybe(wave.nps, m, pa.int64()),
                    "csat": _maybe(wave.csat, m, pa.int64()),
                    "ces": _maybe(wave.ces, m, pa.int64()),
                    "superior": _maybe(wave.superior, m, pa.bool_()),
                    "comment": wave.comment,
                }
            )
        )
        names = list(wave.perception)
        k = len(names)
        items.append(
            pa.table(
                {
                    "response_id": rid.take(pa.array(np.repeat(np.arange(m), k))),
                    "item": A.labels(np.tile(np.arange(k), m), names),
                    "perception": pa.array(
                        np.column_stack([wave.perception[i] for i in names]).ravel(), pa.float64()
                    ),
                    "expectation": pa.array(
                        np.column_stack([wave.expectation[i] for i in names]).ravel(), pa.float64()
                    ),
                    "importance": pa.nulls(m * k, pa.float64()),
                }
            )
        )
    return pa.concat_tables(responses), pa.concat_tables(items)
