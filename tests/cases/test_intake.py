"""Webhook intake: the case rules run once over a batch of several deliveries, and each delivery is told
how many cases its own records opened."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from cxgap.cases import intake
from cxgap.config import demo_settings
from cxgap.io.ingest import check_delivery
from cxgap.store import Store
from tests.cases.conftest import ungrouped

TODAY = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")  # within every lookback


def _response(rid: str, nps: int, csat: int) -> dict[str, Any]:
    return {
        "response_id": rid,
        "customer_id": "C2",
        "responded_at": TODAY,
        "survey_kind": "transactional",
        "touchpoint": "support",
        "nps": nps,
        "csat": csat,
    }


def test_each_delivery_counts_the_cases_its_records_opened(loop_store: Store) -> None:
    deliveries = [
        check_delivery("responses", [_response("N1", 2, 1), _response("N2", 10, 5)]),  # detractor + low CSAT
        check_delivery("responses", [_response("N3", 9, 5)]),  # nothing
        check_delivery("responses", [_response("N4", 4, 4), _response("R1", 3, 4)]),  # R1 is already stored
    ]
    done = intake(loop_store, ungrouped(), "responses", deliveries, "hook")
    assert [d.cases_opened for d in done] == [2, 0, 1]
    assert [d.summary.rows_loaded for d in done] == [2, 1, 1]
    with loop_store.engine.connect() as conn:
        triggers = conn.execute(sa.text("SELECT trigger_id FROM cases ORDER BY 1")).scalars().all()
    assert triggers == ["N1", "N1", "N4"]


def test_a_customers_records_in_one_batch_join_one_case(loop_store: Store) -> None:
    deliveries = [
        check_delivery("responses", [_response("N1", 2, 1)]),  # detractor + low CSAT: opens C2's case
        check_delivery("responses", [_response("N4", 4, 4)]),  # another detractor answer: joins it
    ]
    done = intake(loop_store, demo_settings(), "responses", deliveries, "hook")
    assert [d.cases_opened for d in done] == [1, 0]
    with loop_store.engine.connect() as conn:
        triggers = conn.execute(sa.text("SELECT rule, trigger_id FROM case_triggers ORDER BY 1, 2")).all()
    assert [tuple(t) for t in triggers] == [("detractor", "N1"), ("detractor", "N4"), ("low_csat", "N1")]
