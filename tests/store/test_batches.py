"""Taking an import batch back out (`remove_batch`): every row it loaded leaves its table (a responses batch
takes its item ratings along), the derived data equal a rebuild, the batch stays on record as removed, and
cases opened from its records stay and are counted; a batch that cannot be removed is one sentence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cxgap.cases import open_cases
from cxgap.config import demo_settings
from cxgap.errors import CxgapError
from cxgap.io import import_file, mapping_from_dict
from cxgap.store import Store
from cxgap.store.batches import remove_batch
from cxgap.store.kept import store_version
from tests.store.test_incremental import CONTACTS, CUSTOMERS, SURVEY, assert_equal_to_rebuild

Writer = Callable[[str, str], Path]

REVIEWS = (
    "Date,Review,Rating\n"
    "2026-05-30,great stay,5\n"
    "2026-05-30,room was dirty,1\n"
    "2026-05-31,noisy at night,\n"
    "2026-05-31,room was dirty,1\n"
)
PROPOSED = {
    "table": "feedback",
    "columns": {"received_at": "Date", "text": "Review", "rating": "Rating"},
    "constants": {"source": "review"},
}
EXAMPLE = PROPOSED | {"constants": {"source": "review", "channel": "tripadvisor"}}


def _feedback(store: Store) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT text, rating, source, channel FROM feedback")).all()
    return sorted((tuple(r) for r in rows), key=repr)


def _removed_at(store: Store, batch_id: str) -> Any:
    with store.engine.connect() as conn:
        query = sa.text("SELECT removed_at FROM import_batches WHERE batch_id = :b")
        return conn.execute(query, {"b": batch_id}).scalar_one()


def test_removing_the_earlier_batch_leaves_the_files_rows_once_with_the_new_mappings_values(
    store: Store, write: Writer
) -> None:
    path = write("reviews.csv", REVIEWS)
    first = import_file(store, path, mapping_from_dict(PROPOSED))
    import_file(store, path, mapping_from_dict(EXAMPLE))
    assert len(_feedback(store)) == 8  # the doubling
    before = store_version(store)
    removal = remove_batch(store, first.batch_id)
    assert (removal.table, removal.rows, removal.item_ratings, removal.cases) == ("feedback", 4, 0, 0)
    assert removal.source == str(path) and removal.removed_at is not None
    assert _feedback(store) == [
        ("great stay", 5.0, "review", "tripadvisor"),
        ("noisy at night", None, "review", "tripadvisor"),
        ("room was dirty", 1.0, "review", "tripadvisor"),
        ("room was dirty", 1.0, "review", "tripadvisor"),
    ]
    assert _removed_at(store, first.batch_id) is not None
    assert store_version(store) != before  # results computed before are not served after it


def test_removing_a_batch_then_importing_with_the_corrected_mapping_gives_the_files_rows(
    store: Store, write: Writer
) -> None:
    path = write("reviews.csv", REVIEWS)
    wrong = import_file(store, path, mapping_from_dict(PROPOSED))
    remove_batch(store, wrong.batch_id)
    assert _feedback(store) == []
    corrected = import_file(store, path, mapping_from_dict(EXAMPLE))
    assert (corrected.rows_loaded, corrected.rows_existing, corrected.rows_repeating) == (4, 0, 0)
    assert [row[3] for row in _feedback(store)] == ["tripadvisor"] * 4
    # and the same file under the first mapping again is loaded again, as the removed rows are gone
    again = import_file(store, path, mapping_from_dict(PROPOSED))
    assert again.rows_loaded == 4 and [b.batch_id for b in again.repeated_batches] == [corrected.batch_id]


def test_a_dry_run_says_what_would_go_and_changes_nothing(store: Store, write: Writer) -> None:
    first = import_file(store, write("reviews.csv", REVIEWS), mapping_from_dict(PROPOSED))
    removal = remove_batch(store, first.batch_id[:12], dry_run=True)  # its start, as status shows it
    assert (removal.batch_id, removal.rows, removal.removed_at, removal.dry_run) == (
        first.batch_id,
        4,
        None,
        True,
    )
    assert len(_feedback(store)) == 4 and _removed_at(store, first.batch_id) is None
    assert remove_batch(store, first.batch_id).rows == 4  # still removable


SURVEY_FILE = (
    "id,date,customer,kind,touchpoint,channel,q1,e1,q2\n"
    "R1,2024-01-03,C1,transactional,support,phone,5,6,4\n"
    "R2,2024-01-20,C2,transactional,support,chat,3,,7\n"
    "R3,2024-02-01,,relational,,,6,5,\n"
)
SECOND_SURVEY = (
    "id,date,customer,kind,touchpoint,channel,q1,e1,q2\n"
    "R4,2024-02-11,C1,transactional,billing,web,2,4,1\n"
    "R5,2024-03-01,C2,transactional,support,phone,7,7,6\n"
)
CONTACTS_FILE = (
    "id,customer,at,touchpoint,kind,channel,wait,resolved\n"
    "I1,C1,2024-01-01,support,call,phone,30,true\nI2,C1,2024-01-09,support,call,phone,,false\n"
    "I3,C2,2024-03-01,billing,bill,web,0,true\n"
)
MORE_CONTACTS = (
    "id,customer,at,touchpoint,kind,channel,wait,resolved\n"
    "I4,C1,2024-02-01,support,chat,chat,12,true\nI5,C3,2024-03-02,billing,call,phone,40,false\n"
)


def _count(store: Store, sql: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text(sql)).scalar_one())


def test_each_kind_of_batch_removed_leaves_derived_data_a_rebuild_would_give(
    store: Store, write: Writer
) -> None:
    """A responses batch takes its item ratings (and their rollup cells) along; an interactions batch its
    customer x touchpoint counts; a customers batch the segments its customers gave their ratings."""
    import_file(store, write("s1.csv", SURVEY_FILE), mapping_from_dict(SURVEY))
    survey = import_file(store, write("s2.csv", SECOND_SURVEY), mapping_from_dict(SURVEY))
    import_file(store, write("i1.csv", CONTACTS_FILE), mapping_from_dict(CONTACTS))
    contacts = import_file(store, write("i2.csv", MORE_CONTACTS), mapping_from_dict(CONTACTS))
    customers = import_file(
        store, write("c.csv", "id,segment\nC1,consumer\nC2,business\n"), mapping_from_dict(CUSTOMERS)
    )
    assert_equal_to_rebuild(store)
    removal = remove_batch(store, survey.batch_id)
    assert (removal.rows, removal.item_ratings) == (2, 4)  # R4 and R5, two items each
    assert _count(store, "SELECT count(*) FROM responses") == 3
    assert _count(store, "SELECT count(*) FROM response_items WHERE response_id IN ('R4', 'R5')") == 0
    assert_equal_to_rebuild(store)
    assert remove_batch(store, contacts.batch_id).rows == 2
    assert _count(store, "SELECT count(*) FROM customer_touchpoints WHERE customer_id = 'C3'") == 0
    assert_equal_to_rebuild(store)
    assert remove_batch(store, customers.batch_id).rows == 2
    assert _count(store, "SELECT count(*) FROM response_items WHERE segment IS NOT NULL") == 0
    assert_equal_to_rebuild(store)


def test_a_batch_whose_rollups_wait_for_the_next_analysis_is_no_longer_waited_for(
    store: Store, write: Writer
) -> None:
    import_file(store, write("s1.csv", SURVEY_FILE), mapping_from_dict(SURVEY))
    later = import_file(store, write("s2.csv", SECOND_SURVEY), mapping_from_dict(SURVEY), defer_rollups=True)
    assert _count(store, "SELECT count(*) FROM pending_batches") == 1
    remove_batch(store, later.batch_id)
    assert _count(store, "SELECT count(*) FROM pending_batches") == 0
    assert_equal_to_rebuild(store)


def test_cases_opened_from_removed_records_stay_and_are_counted(store: Store, write: Writer) -> None:
    batch = import_file(store, write("reviews.csv", REVIEWS), mapping_from_dict(PROPOSED))
    run = open_cases(store, demo_settings(), now=dt.datetime(2026, 6, 1, 12), only=("negative_feedback",))
    assert run.total == 2  # the two reviews rated 1
    removal = remove_batch(store, batch.batch_id)
    assert removal.cases == 2 and _count(store, "SELECT count(*) FROM cases") == 2


def test_what_cannot_be_removed_is_one_sentence(store: Store, write: Writer) -> None:
    with pytest.raises(CxgapError, match=r"^There is no import batch 'nope'; `cxgap status` lists") as none:
        remove_batch(store, "nope")
    assert none.value.args[0].count(". ") == 0

    path = write("reviews.csv", REVIEWS)
    first = import_file(store, path, mapping_from_dict(PROPOSED))
    present = import_file(store, path, mapping_from_dict(PROPOSED))
    with pytest.raises(CxgapError, match=f"^There is no import batch '{first.batch_id[:7]}'"):
        remove_batch(store, first.batch_id[:7])  # too short to stand for an id
    with pytest.raises(CxgapError, match="loaded no rows") as nothing:
        remove_batch(store, present.batch_id)
    assert f"batch {first.batch_id}" in str(nothing.value)  # the batch holding them

    remove_batch(store, first.batch_id)
    with pytest.raises(CxgapError, match=f"^Batch {first.batch_id} .*was already removed on ") as twice:
        remove_batch(store, first.batch_id)
    assert str(path) in str(twice.value)

    contacts = import_file(store, write("i1.csv", CONTACTS_FILE), mapping_from_dict(CONTACTS))
    replace = CONTACTS | {"on_existing": "replace"}
    newer = import_file(store, write("i2.csv", CONTACTS_FILE), mapping_from_dict(replace))
    assert newer.rows_replaced == 3
    with pytest.raises(CxgapError, match="replaced by a later import") as replaced:
        remove_batch(store, contacts.batch_id)
    assert _count(store, "SELECT count(*) FROM interactions") == 3  # nothing was taken out
    assert replaced.value.args[0].count(". ") == 0


def test_a_batch_a_later_import_replaced_in_part_takes_only_its_own_rows(store: Store, write: Writer) -> None:
    contacts = import_file(store, write("i1.csv", CONTACTS_FILE), mapping_from_dict(CONTACTS))
    replace = CONTACTS | {"on_existing": "replace"}
    one = (
        "id,customer,at,touchpoint,kind,channel,wait,resolved\nI1,C1,2024-01-01,support,call,phone,31,true\n"
    )
    import_file(store, write("i2.csv", one), mapping_from_dict(replace))
    removal = remove_batch(store, contacts.batch_id)
    assert (removal.rows, removal.replaced) == (2, 1)
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT interaction_id, wait_seconds FROM interactions")).all() == [
            ("I1", 31.0)
        ]
    assert_equal_to_rebuild(store)
