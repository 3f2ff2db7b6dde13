"""A file without an id column, imported again under another mapping (one that adds a constant such as the
channel), is loaded a second time: its rows are keyed by their content, constants included, so the store then
holds every row twice. The import cannot refuse it (two review sources may hold the same review), but it says
so: how many rows it loaded equal, in every column the file gives, rows an earlier batch stored, which batch,
and in which columns they differ; on both paths (row by row and vectorised) and both backends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cxgap.io import import_file, mapping_from_dict
from cxgap.io.summary import ImportSummary
from cxgap.store import Store

Writer = Callable[[str, str], Path]

REVIEWS = (
    "Review,Rating\n"
    '"great stay, friendly staff",5\n'
    "room was dirty,2\n"
    "noisy at night,\n"  # no rating: NULL is equal to NULL
    "room was dirty,2\n"  # the same review twice in the file: two rows, as before
)
PROPOSED = {  # what `cxgap init --from` proposes for such a file
    "table": "feedback",
    "columns": {"text": "Review", "rating": "Rating"},
    "constants": {"source": "review"},
}
EXAMPLE = PROPOSED | {"constants": {"source": "review", "channel": "tripadvisor"}}  # examples/*.toml

# chunk_rows at or below the small chunk takes the row path; the default, the vectorised (DuckDB) one
PATHS = {"row": 1_000, "vectorised": 50_000}


def _import(store: Store, path: Path, mapping: dict[str, Any], how: str, **options: Any) -> ImportSummary:
    return import_file(store, path, mapping_from_dict(mapping), chunk_rows=PATHS[how], **options)


def _feedback(store: Store) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT text, rating, source, channel FROM feedback")).all()
    return sorted((tuple(r) for r in rows), key=repr)


@pytest.mark.parametrize("how", PATHS)
def test_the_same_keyless_file_under_another_mapping_is_loaded_twice_and_said(
    store: Store, write: Writer, how: str
) -> None:
    path = write("reviews.csv", REVIEWS)
    first = _import(store, path, PROPOSED, how)
    second = _import(store, path, EXAMPLE, how)
    # the doubling itself (a constant is part of a row's identity, so it is not prevented)
    assert (first.rows_loaded, second.rows_loaded, second.rows_existing) == (4, 4, 0)
    assert len(_feedback(store)) == 8
    # ... but said: every row loaded equals one the first batch stored, in every column the file gives
    assert (first.rows_repeating, second.rows_repeating) == (0, 4)
    [earlier] = second.repeated_batches
    assert (earlier.batch_id, earlier.source, earlier.rows) == (first.batch_id, str(path), 4)
    assert earlier.columns == ("channel",)  # what differs: the constant this mapping adds
    assert earlier.finished_at  # when it was imported, to tell it from others


@pytest.mark.parametrize("how", PATHS)
def test_the_same_file_under_the_same_mapping_loads_nothing_and_says_nothing(
    store: Store, write: Writer, how: str
) -> None:
    path = write("reviews.csv", REVIEWS)
    _import(store, path, PROPOSED, how)
    again = _import(store, path, PROPOSED, how)
    assert (again.rows_loaded, again.rows_existing, again.rows_repeating) == (0, 4, 0)
    assert again.repeated_batches == ()


@pytest.mark.parametrize("how", PATHS)
def test_new_rows_beside_rows_of_another_source_are_not_counted(
    store: Store, write: Writer, how: str
) -> None:
    """Only rows equal in every column the file gives count: a review another source also holds counts
    (that is what the sentence asks the user to look at), the new reviews of a later export do not."""
    _import(store, write("old.csv", REVIEWS), PROPOSED, how)
    later = "Review,Rating\nroom was dirty,2\nbreakfast was cold,3\nnoisy at night,4\n"
    summary = _import(store, write("later.csv", later), EXAMPLE, how)
    assert (summary.rows_loaded, summary.rows_repeating) == (3, 1)  # rating 4 is not the stored blank
    assert [b.rows for b in summary.repeated_batches] == [1]


@pytest.mark.parametrize("how", PATHS)
def test_a_dry_run_says_it_too_and_writes_nothing(store: Store, write: Writer, how: str) -> None:
    path = write("reviews.csv", REVIEWS)
    first = _import(store, path, PROPOSED, how)
    checked = _import(store, path, EXAMPLE, how, dry_run=True)
    assert (checked.rows_loaded, checked.rows_repeating) == (4, 4)
    assert [b.batch_id for b in checked.repeated_batches] == [first.batch_id]
    assert len(_feedback(store)) == 4


def test_a_column_the_earlier_mapping_took_from_the_file_is_named_too(store: Store, write: Writer) -> None:
    """Rows equal in every column this file gives also differ where the earlier mapping imported a column
    this one leaves out (here the title): both are named, the constant and the column left empty."""
    path = write("reviews.csv", "Title,Review,Rating\nDirty,room was dirty,2\nNice,great stay,5\n")
    with_title = PROPOSED | {"columns": {"text": "Review", "rating": "Rating", "title": "Title"}}
    first = import_file(store, path, mapping_from_dict(with_title))
    second = import_file(store, path, mapping_from_dict(EXAMPLE))
    [earlier] = second.repeated_batches
    assert earlier.batch_id == first.batch_id and second.rows_repeating == 2
    assert earlier.columns == ("channel", "title")


def test_rows_of_a_table_keyed_by_its_own_ids_are_not_compared(store: Store, write: Writer) -> None:
    """A file with ids is keyed by them: importing it again under another mapping finds them present."""
    path = write("reviews.csv", "id,Review,Rating\nF1,room was dirty,2\n")
    mapping = PROPOSED | {"columns": {"feedback_id": "id", "text": "Review", "rating": "Rating"}}
    import_file(store, path, mapping_from_dict(mapping))
    again = import_file(store, path, mapping_from_dict(mapping | {"constants": EXAMPLE["constants"]}))
    assert (again.rows_loaded, again.rows_existing, again.rows_repeating) == (0, 1, 0)


def test_the_counts_reach_the_summary_frame(store: Store, write: Writer) -> None:
    path = write("reviews.csv", REVIEWS)
    first = import_file(store, path, mapping_from_dict(PROPOSED))
    frame = import_file(store, path, mapping_from_dict(EXAMPLE)).to_frame()
    assert frame.loc[0, "loaded_repeating_earlier"] == 4
    assert frame.loc[0, "repeated_batches"] == first.batch_id
