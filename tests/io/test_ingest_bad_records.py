"""Webhook records of the wrong shape: a field of a JSON type the record cannot be read with, or a field
every record lacks, is refused with one sentence naming the record and the field and what was expected;
a value of the right shape but wrong content stays its own record's problem (quarantined). Whatever JSON
arrives in any field, ingest answers a CxgapError or a summary, never another exception."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from cxgap.errors import CxgapError
from cxgap.io.ingest import INGESTIBLE, check_delivery, ingest_records
from cxgap.store import Store
from cxgap.store.models import table_of

RESPONSE = {"response_id": "R12", "responded_at": "2026-11-20", "survey_kind": "relational", "nps": 5}
FEEDBACK = {"feedback_id": "F1", "source": "review", "received_at": "2026-11-20", "text": "Slow refund."}
KEYS = itertools.count()


@pytest.mark.parametrize("items", [[1, 2], "x", 5, 1.5, True, [], [{"perception": 5}]])
def test_items_of_the_wrong_type_is_one_sentence_naming_record_and_field(items: Any) -> None:
    with pytest.raises(CxgapError) as refused:
        check_delivery("responses", [RESPONSE, {**RESPONSE, "response_id": "R13", "items": items}])
    message = str(refused.value)
    assert message.startswith("Record 2: items must be an object of item name to ratings")
    assert '{"reliability": {"perception": 5}}' in message


def test_items_may_be_left_out_null_or_empty() -> None:
    records = [
        RESPONSE,
        {**RESPONSE, "response_id": "R2", "items": None},
        {**RESPONSE, "response_id": "R3", "items": {}},
    ]
    assert check_delivery("responses", records).keys == ("R12", "R2", "R3")


@pytest.mark.parametrize(
    ("code", "why"),
    [("", "empty"), ("x" * 65, "65 characters long"), ("a\x00b", "holds a control character")],
)
def test_an_item_name_that_cannot_be_stored_is_refused(code: str, why: str) -> None:
    with pytest.raises(CxgapError, match=f"Record 1: items holds an item name that is {why}"):
        check_delivery("responses", [{**RESPONSE, "items": {code: {"perception": 5}}}])


@pytest.mark.parametrize("key", [[1, 2], {"id": 1}, True])
def test_a_key_that_is_not_text_or_a_number_is_refused(key: Any) -> None:
    with pytest.raises(CxgapError, match="Record 1: response_id must be text or a number"):
        check_delivery("responses", [{**RESPONSE, "response_id": key}])


@pytest.mark.parametrize("where", ["comment", "name", "item"])
def test_text_that_is_not_unicode_is_refused_without_quoting_it(where: str) -> None:
    bad = "\ud800"  # a lone surrogate: what JSON's "\ud800" escape decodes to
    record: dict[str, Any] = {
        "comment": {**RESPONSE, "comment": f"ok {bad}"},
        "name": {**RESPONSE, bad: 1},
        "item": {**RESPONSE, "items": {bad: {"perception": 5}}},
    }[where]
    with pytest.raises(CxgapError) as refused:
        check_delivery("responses", [record])
    message = str(refused.value)
    assert "Record 1" in message and "not valid Unicode" in message and bad not in message
    message.encode("utf-8")  # the answer itself can be sent


@pytest.mark.parametrize(
    ("table", "record", "field", "expected"),
    [
        ("responses", RESPONSE, "survey_kind", "every response needs (one of relational, transactional)"),
        ("responses", RESPONSE, "responded_at", "every response needs (when the response was recorded"),
        ("feedback", FEEDBACK, "text", "every feedback record needs (the text itself)"),
        ("feedback", FEEDBACK, "source", "every feedback record needs (where the text came from"),
    ],
)
def test_a_field_every_record_lacks_names_the_field_and_what_it_holds(
    table: str, record: dict[str, Any], field: str, expected: str
) -> None:
    lacking = {k: v for k, v in record.items() if k != field}
    with pytest.raises(CxgapError) as one:
        check_delivery(table, [lacking])
    assert str(one.value).startswith(f"Record 1 has no {field}, which {expected}")
    assert "mapping" not in str(one.value)
    key = "response_id" if table == "responses" else "feedback_id"
    three = [{**lacking, key: f"K{n}"} for n in range(3)]
    with pytest.raises(CxgapError) as all_three:
        check_delivery(table, three)
    assert str(all_three.value).startswith(f"Records 1 to 3 have no {field}, which {expected}")


def test_a_field_some_records_lack_stays_their_problem(store: Store) -> None:
    lacking = {k: v for k, v in RESPONSE.items() if k != "survey_kind"}
    summary = ingest_records(store, "responses", [RESPONSE, {**lacking, "response_id": "R13"}], "hook")
    assert (summary.rows_loaded, summary.rows_quarantined) == (1, 1)
    assert [(p.row, p.column) for p in summary.problems] == [(2, "survey_kind")]


json_value = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=80)
    | st.sampled_from(["", " ", "2026-11-20", "relational", "\ud800", "a\x00b", "x" * 600]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=70), inner, max_size=3),
    max_leaves=6,
)
TABLES = {"responses": RESPONSE, "feedback": FEEDBACK}
FIELDS = [(t, c.name) for t in TABLES for c in table_of(t).columns if c.name != "batch_id"] + [
    ("responses", "items")
]


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(field=st.sampled_from(FIELDS), value=json_value, left_out=st.sampled_from(["none", "first", "all"]))
@example(field=("responses", "items"), value=[1, 2], left_out="none")
@example(field=("responses", "items"), value="x", left_out="none")
@example(field=("responses", "comment"), value="\ud800", left_out="none")
@example(field=("feedback", "text"), value=None, left_out="all")
def test_any_json_in_any_field_is_a_sentence_or_a_summary(
    store: Store, field: tuple[str, str], value: Any, left_out: str
) -> None:
    """Two records, the first with `value` in the field (or the field left out of the first record, or
    of both): a refusal names a record in one sentence the answer can carry, else both are accounted for."""
    table, name = field
    key = INGESTIBLE[table]
    records = [
        {**TABLES[table], key: f"P{next(KEYS)}", name: value},
        {**TABLES[table], key: f"P{next(KEYS)}"},
    ]
    for record in records[: {"none": 0, "first": 1, "all": 2}[left_out]]:
        record.pop(name, None)
    try:
        summary = ingest_records(store, table, records, "hook")
    except CxgapError as error:
        message = str(error)
        assert message.endswith(".") and message.startswith(("Record 1", "Records 1")), message
        message.encode("utf-8")
        event("refused")
    else:
        assert summary.reconciles and summary.rows_read == 2
        event(f"read, {summary.rows_quarantined} quarantined")
