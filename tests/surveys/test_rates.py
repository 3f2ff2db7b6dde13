"""Response rates (AAPOR RR1, RR2 with Wilson intervals) and respondents against the invited and the base,
on hand-countable invitations, on both backends."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cxgap.engine import Engine
from cxgap.errors import CxgapError
from cxgap.stats import wilson_interval
from cxgap.store import Store, insert_new
from cxgap.surveys.rates import compare_respondents, response_rates

SENT = dt.datetime(2025, 3, 1, 12)
# the pulse survey's 50 invitations sent, by what became of them (customers C0.. in this order)
PULSE = (
    [("answered", None)] * 20
    + [("partial", '{"nps": 3}')] * 5
    + [("expired", '{"nps": 8}')] * 2  # begun, never submitted: partial
    + [("opened", None)] * 3  # break-offs: refusals
    + [("sent", None)] * 2  # then opted out: refusals
    + [("failed", None)] * 3  # undelivered: unknown eligibility
    + [("sent", None)] * 10  # never opened: non-contacts
    + [("expired", None)] * 5  # never opened: non-contacts
)


def _customers() -> pd.DataFrame:
    """C0-C39 consumers, C40-C59 business; tenure 1 to 5 years; value grows with the number."""
    ids = range(60)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in ids],
            "segment": ["consumer" if i < 40 else "business" for i in ids],
            "started_at": [dt.date(2024 - i % 5, 3, 1) for i in ids],
            "value": [100.0 + 10 * i for i in ids],
            "churned": [False] * 60,
        }
    )


def _invitation(key: str, survey: str, status: str, **extra: Any) -> dict[str, Any]:
    sent = status not in ("skipped", "pending")
    return {
        "invitation_id": key,
        "survey": survey,
        "version": 1,
        "recipient_kind": "customer",
        "reason": "pulse",
        "status": status,
        "created_at": SENT,
        "sent_at": SENT if sent else None,
        "reminders": 0,
        "opened_at": SENT + dt.timedelta(hours=1) if status in ("opened", "partial", "answered") else None,
        "answered_at": SENT + dt.timedelta(hours=2) if status == "answered" else None,
    } | extra


def _invitations() -> pd.DataFrame:
    rows = [
        _invitation(f"P{i}", "pulse", status, recipient_id=f"C{i}", partial=partial)
        for i, (status, partial) in enumerate(PULSE)
    ]
    rows += [_invitation(f"PS{i}", "pulse", "skipped", recipient_id=f"C{50 + i}") for i in range(7)]
    rows += [_invitation(f"PP{i}", "pulse", "pending", recipient_id=f"C{57 + i}") for i in range(2)]
    rows += [
        _invitation(f"PA{i}", "pulse", "answered", recipient_kind="anonymous", recipient_id=None)
        for i in range(3)
    ]
    support = [("support", "answered"), ("support", "sent"), ("support", "opened"), ("billing", "sent")]
    rows += [
        _invitation(f"S{i}", "support", status, recipient_id=f"C{i}", touchpoint=touchpoint)
        for i, (touchpoint, status) in enumerate(support)
    ]
    rows.append(_invitation("S9", "support", "answered", recipient_kind="staff", recipient_id="lea"))
    return pd.DataFrame(rows)


def _opt_outs() -> pd.DataFrame:
    """C30 and C31 opted out after their invitation; C35 before it (a non-contact all the same) and C0
    after answering (a complete all the same)."""
    later, earlier = SENT + dt.timedelta(days=1), SENT - dt.timedelta(days=1)
    return pd.DataFrame(
        {
            "opt_out_key": ["customer:C30", "customer:C31", "customer:C35", "customer:C0"],
            "opted_out_at": [later, later, earlier, later],
            "how": ["link"] * 4,
        }
    )


def _interactions() -> pd.DataFrame:
    """Recent incidents: C0 (unresolved) and C50 (missed) within 30 days; C1's was resolved, C2's too old."""
    rows = [
        ("C0", 10, False, True),
        ("C50", 5, True, False),
        ("C1", 10, True, True),
        ("C2", 40, False, True),
    ]
    return pd.DataFrame(
        {
            "interaction_id": [f"I{i}" for i in range(len(rows))],
            "customer_id": [r[0] for r in rows],
            "occurred_at": [SENT - dt.timedelta(days=r[1]) for r in rows],
            "touchpoint": ["support"] * len(rows),
            "kind": ["call"] * len(rows),
            "resolved": [r[2] for r in rows],
            "handled": [r[3] for r in rows],
        }
    )


@pytest.fixture
def engine(store: Store) -> Iterator[Engine]:
    with store.begin() as conn:
        for table, frame in (
            ("customers", _customers()),
            ("survey_invitations", _invitations()),
            ("survey_opt_outs", _opt_outs()),
            ("interactions", _interactions()),
        ):
            insert_new(conn, table, pa.Table.from_pandas(frame, preserve_index=False))
    engine = Engine(store)
    yield engine
    engine.close()


def test_dispositions_and_rates_match_the_hand_count(engine: Engine) -> None:
    pulse = response_rates(engine, "pulse").survey("pulse")
    assert pulse is not None
    counted = (pulse.invited, pulse.delivered, pulse.answered, pulse.partial, pulse.refused)
    assert counted == (50, 47, 20, 7, 5)
    assert (pulse.non_contact, pulse.unknown, pulse.opted_out) == (15, 3, 2)
    assert pulse.rr1 == wilson_interval(20, 50) and pulse.rr2 == wilson_interval(27, 50)
    assert pulse.rr1.value == pytest.approx(0.4) and pulse.rr2.value == pytest.approx(0.54)
    assert pulse.figure() == "RR1 40% [28, 54%], RR2 54% [40, 67%] of 50 invited"


def test_segments_and_touchpoints_have_rows_and_small_ones_say_insufficient_data(engine: Engine) -> None:
    rates = response_rates(engine)
    frame = rates.to_frame().set_index(["survey", "level", "touchpoint", "segment"], drop=False)
    consumer = frame.loc[("pulse", "segment", None, "consumer")]
    assert (consumer.invited, consumer.answered, consumer.partial, consumer.non_contact) == (40, 20, 7, 5)
    assert consumer.rr1 == pytest.approx(0.5) and consumer.status == "ok"
    business = frame.loc[("pulse", "segment", None, "business")]
    assert business.invited == 10 and business.non_contact == 10
    assert math.isnan(business.rr1) and business.status == "insufficient data, n=10"
    support = frame[frame.survey == "support"].set_index(["level", "touchpoint", "segment"])
    assert support.loc[("survey", None, None)].invited == 5  # staff invitations count, anonymous never
    assert support.loc[("touchpoint", "support", None)].answered == 1
    assert support.loc[("touchpoint", "billing", None)].non_contact == 1
    assert support.loc[("segment", None, "staff")].answered == 1
    assert rates.sentence().splitlines() == [
        "pulse: RR1 40% [28, 54%], RR2 54% [40, 67%] of 50 invited",
        "support: insufficient data, n=5",
    ]


def test_a_store_without_invitations_says_so(duck_store: Store) -> None:
    rates = response_rates(duck_store)
    assert rates.rows == () and rates.sentence() == "No survey invitation has been sent yet."
    assert list(rates.to_frame().columns[:4]) == ["survey", "level", "touchpoint", "segment"]


def _reference(customers: pd.DataFrame) -> dict[str, float]:
    tenure = (pd.Timestamp(SENT) - pd.to_datetime(customers.started_at)).dt.total_seconds()
    years = tenure / (365.25 * 86_400)
    return {"tenure": years.mean(), "tenure_sd": years.std(ddof=0), "value": customers.value.mean()}


def test_respondents_are_compared_with_the_invited_and_the_base(engine: Engine) -> None:
    comparison = compare_respondents(engine, "pulse", min_n=20)
    assert (comparison.base_n, comparison.invited_n, comparison.respondents_n) == (60, 50, 20)
    rows = comparison.to_frame().set_index(["variable", "category"], drop=False)
    consumer = rows.loc[("segment", "consumer")]
    assert (consumer.base, consumer.invited, consumer.respondents) == pytest.approx((40 / 60, 0.8, 1.0))
    # (1 - 2/3) / sqrt((0 + 2/3 * 1/3) / 2) = 1
    assert consumer.vs_base == pytest.approx(1.0) and consumer.imbalanced
    customers = _customers()
    base, invited, answered = (_reference(customers.iloc[:n]) for n in (60, 50, 20))
    tenure = rows.loc[("tenure (years)", None)]
    assert (tenure.base, tenure.invited, tenure.respondents) == pytest.approx(
        (base["tenure"], invited["tenure"], answered["tenure"])
    )
    pooled = np.sqrt((base["tenure_sd"] ** 2 + answered["tenure_sd"] ** 2) / 2)
    assert tenure.vs_base == pytest.approx((answered["tenure"] - base["tenure"]) / pooled)
    value = rows.loc[("value", None)]
    assert (value.base, value.respondents) == pytest.approx((base["value"], answered["value"]))
    incident = rows.loc[("recent incident (30 days)", None)]
    assert (incident.base, incident.invited, incident.respondents) == pytest.approx((2 / 60, 1 / 50, 1 / 20))
    assert comparison.sentence().startswith("The 20 respondents differ from the base of 60 customers most on")
    assert compare_respondents(engine, "pulse").sentence() == (
        "Insufficient data: 20 respondents to pulse, too few (under 30) to compare with the 50 invited and the base."
    )


def test_comparing_a_survey_nobody_was_invited_to_is_one_sentence(engine: Engine) -> None:
    with pytest.raises(CxgapError, match="No customer has been invited to the survey 'nothing' yet"):
        compare_respondents(engine, "nothing")
