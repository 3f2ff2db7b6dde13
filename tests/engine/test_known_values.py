"""The values a filter may take come from the data: a survey-only store knows its answers' touchpoints."""

from __future__ import annotations

import pytest

from cxgap.engine import Engine, Filters
from cxgap.engine.filters import checked, known_values
from cxgap.errors import CxgapError
from cxgap.io import ingest_records
from cxgap.store import Store


def test_a_survey_only_store_refuses_a_touchpoint_its_answers_do_not_hold(store: Store) -> None:
    answers = [
        {
            "response_id": f"R{i}",
            "responded_at": "2024-01-05",
            "survey_kind": "transactional",
            "nps": i % 11,
            "touchpoint": ("billing", "support")[i % 2],
        }
        for i in range(6)
    ]
    ingest_records(store, "responses", answers, "test")
    engine = Engine(store)
    assert known_values(engine)["touchpoint"] == ("billing", "support")
    assert checked(Filters(touchpoint="support"), engine).touchpoint == "support"
    with pytest.raises(
        CxgapError, match="touchpoint = 'suport' is not in the data; choose one of: billing, support"
    ):
        checked(Filters(touchpoint="suport"), engine)
    engine.close()
