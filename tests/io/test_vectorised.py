"""The vectorised import gives what the row path gives: the same loaded rows, item ratings, quarantined rows
(row numbers, columns, reasons, raw text) and counts, on both backends; files it cannot read faithfully
take the row path on their own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from cxgap.io import chunks, import_file, importer, mapping_from_dict, vectorised
from cxgap.io.summary import ImportSummary
from cxgap.io.vectorised import load_scan
from cxgap.store import Store
from cxgap.store.models import table_of
from tests.conftest import _reset_pg, new_duckdb_url

Writer = Callable[[str, str], Path]
RESPONSES = {
    "table": "responses",
    "columns": {"response_id": "id", "responded_at": "date", "customer_id": "customer", "nps": "nps"},
    "optional_columns": {"csat": "csat", "channel": "channel", "comment": "comment"},
    "constants": {"survey_kind": "transactional"},
}
HEADER = "id,date,customer,nps,csat,channel,comment\n"
CLEAN = HEADER + (
    "R1,2024-01-05,C1,9,4,web,great service\n"
    'R2,2024-01-06T10:30:00,C2,3,2,app,"slow, very slow"\n'
    "R3,2024-01-07,C3,10,5,,\n"
    'R4,2024-01-08,C4,0,1,phone,"she said ""no"""\n'
)
BAD = HEADER + (
    "R1,2024-01-05,C1,9,4,web,fine\n"
    "R2,2024-13-05,C2,3,2,web,bad date\n"  # not a date
    "R3,2024-01-07,C3,11,5,web,nps out of range\n"
    "R4,2024-01-08,C4,7,six,web,csat is a word\n"
    ",2024-01-09,C5,7,4,web,no id\n"
    "R1,2024-01-10,C6,8,4,web,id repeated\n"
    "R6,2024-01-11,  C7  ,8,4.5,web,padded customer id\n"
    "R7,2024-01-12,C8,-0,3,web,minus zero\n"
    "R8,,C9,5,3,web,no date\n"
    "R9,2024-01-13,C10,7.0,3,web,nps written with a decimal\n"
    "R10,2024-01-14,C11,7.5,3,web,nps not whole\n"
    "R11,2024-01-15,C12,8,1e0,web,csat in exponent form\n"
    "R12,2024-01-16,C13,8,4,web,email me at jo@example.com\n"
    "R13,2024-01-17,C14,8,4,web,\tleading tab\n"
    "R14,2024-01-18,C15,8,4,  ,blank channel\n"
)


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """Makes empty stores one after another on one backend (PostgreSQL: the test database emptied)."""
    opened: list[Store] = []

    def make() -> Store:
        for store in opened:
            store.close()
        if request.param == "duckdb":
            folder = tmp_path / f"store{len(opened)}"
            folder.mkdir()
            url = new_duckdb_url(folder, request.getfixturevalue("duckdb_template"))
        else:
            url = str(request.getfixturevalue("pg_database"))
            _reset_pg(url)
        opened.append(Store(url))
        return opened[-1]

    yield make
    for store in opened:
        store.close()


def _rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql)).all()]


def _tables(store: Store, table: str) -> dict[str, list[tuple[Any, ...]]]:
    """Everything an import writes, without the batch ids (new every run)."""
    names = ", ".join(c.name for c in table_of(table).columns if c.name != "batch_id")
    return {
        table: _rows(store, f"SELECT {names} FROM {table} ORDER BY 1"),
        "response_items": _rows(
            store,
            "SELECT response_id, item, perception, expectation, importance FROM response_items ORDER BY 1, 2",
        ),
        "quarantine": _rows(
            store, "SELECT source_row, source_row_end, column_name, reason, raw FROM quarantine ORDER BY 1"
        ),
        "batches": _rows(
            store,
            "SELECT rows_read, lines_read, rows_loaded, rows_existing, rows_quarantined FROM import_batches "
            "ORDER BY started_at",
        ),
    }


def _outcome(summary: ImportSummary) -> tuple[Any, ...]:
    return (
        summary.rows_read,
        summary.rows_loaded,
        summary.rows_replaced,
        summary.rows_existing,
        summary.rows_quarantined,
        summary.items_loaded,
        summary.lines_read,
        summary.lines_skipped,
        summary.lines_in_rows,
        summary.redacted,
        summary.problems,
        summary.unused_columns,
    )


def _counted(load: Callable[..., Any], calls: list[object]) -> Callable[..., Any]:
    """`load`, noting each call in `calls`."""

    def counted(*args: object) -> Any:
        calls.append(args)
        return load(*args)

    return counted


def _both(
    monkeypatch: pytest.MonkeyPatch,
    new_store: Callable[[], Store],
    path: Path,
    mapping: dict[str, Any],
    before: Callable[[Store], None] = lambda store: None,
    vectorised: bool = True,
) -> tuple[ImportSummary, dict[str, list[tuple[Any, ...]]]]:
    """Import `path` on the row path and on the automatic path into two fresh stores (each prepared by
    `before`); assert both give the same summary and tables, and whether the vectorised path ran."""
    results = []
    for automatic in (False, True):
        store = new_store()
        before(store)
        calls: list[object] = []
        with monkeypatch.context() as patch:
            if automatic:
                patch.setattr(importer, "load_scan", _counted(load_scan, calls))
            else:
                patch.setattr(importer, "scan_csv", lambda *a: None)
                patch.setattr(importer, "scan_parquet", lambda *a: None)
            summary = import_file(store, path, mapping_from_dict(mapping))
        assert bool(calls) == (automatic and vectorised)
        results.append((summary, _tables(store, summary.table)))
    (rows_summary, rows_tables), (summary, tables) = results
    assert _outcome(summary) == _outcome(rows_summary)
    assert tables == rows_tables
    assert summary.reconciles
    return summary, tables


def test_a_clean_file_loads_alike(
    monkeypatch: pytest.MonkeyPatch, new_store: Callable[[], Store], write: Writer
) -> None:
    summary, tables = _both(monkeypatch, new_store, write("r.csv", CLEAN), RESPONSES)
    assert (summary.rows_loaded, summary.rows_quarantined) == (4, 0)
    assert tables["responses"][3][-3] == 'she said "no"'  # comment, its doubled quotes read as one


def test_every_kind_of_bad_value_is_quarantined_alike(
    monkeypatch: pytest.MonkeyPatch, new_store: Callable[[], Store], write: Writer
) -> None:
    summary, tables = _both(monkeypatch, new_store, write("bad.csv", BAD), RESPONSES)
    reasons = {row: reason for row, _, _, reason, _ in tables["quarantine"]}
    assert (
        reasons[3]
        == "column 'date': '2024-13-05' is not a date in ISO 8601, e.g. 2024-03-31 or 2024-03-31T14:05:00"
    )
    assert reasons[4] == "column 'nps': '11' is outside 0-10"
    assert reasons[6] == "column 'id': is empty; responses.response_id needs a value"
    assert reasons[7] == "repeats the response_id 'R1' of row 2"
    assert summary.redacted == {"email": 1}


def test_crlf_line_endings_a_bom_and_no_final_newline_load_alike(
    monkeypatch: pytest.MonkeyPatch, new_store: Callable[[], Store], write: Writer
) -> None:
    text = "\ufeff" + BAD.replace("\n", "\r\n").rstrip("\r\n")
    summary, _ = _both(monkeypatch, new_store, write("crlf.csv", text), RESPONSES)
    assert summary.lines_read == 16 and summary.rows_quarantined > 0


def test_rows_already_present_are_counted_alike(
    monkeypatch: pytest.MonkeyPatch, new_store: Callable[[], Store], write: Writer
) -> None:
    """...and those of them whose stored values differ from the file's (R2: kept as stored, and said so),
    not those stored as the file has them (R1)."""
    path = write("r.csv", CLEAN)
    same_r1 = "R1,2024-01-05,C1,9,4,web,great service\n"
    earlier = write(
        "earlier.csv", HEADER + same_r1 + "R2,2024-01-06,C2,5,3,web,\nR9,2024-01-06,C9,5,3,web,\n"
    )

    def before(store: Store) -> None:
        import_file(store, earlier, mapping_from_dict(RESPONSES))

    summary, _ = _both(monkeypatch, new_store, path, RESPONSES, before)
    assert (summary.rows_loaded, summary.rows_existing, summary.rows_differing) == (2, 2, 1)
    replaced, _ = _both(monkeypatch, new_store, path, {**RESPONSES, "on_existing": "replace"}, before)
    assert (replaced.rows_loaded, replaced.rows_replaced, replaced.rows_differing) == (4, 2, 0)


def test_ratings_go_with_their_response_kept_or_replaced_alike(
    monkeypatch: pytest.MonkeyPatch, new_store: Callable[[], Store], write: Writer
) -> None:
    """A kept response keeps its ratings (a new one in the file is skipped with it); a replaced one's are
    replaced whole: an item its new row lacks goes, and all of them when the new row has none."""
    mapping = {**RESPONSES, "items": {"q1": {"item": "speed"}, "q2": {"item": "staff"}}}
    header = "id,date,customer,nps,channel,q1,q2\n"
    earlier = write("earlier.csv", header + "R1,2024-01-05,C1,9,web,5,4\nR2,2024-01-06,C2,3,web,2,\n")
    again = write(
        "again.csv",
        header + "R1,2024-01-05,C1,8,web,,3\nR2,2024-01-06,C2,3,web,,\nR3,2024-01-07,C3,7,web,1,1\n",
    )

    def before(store: Store) -> None:
        import_file(store, earlier, mapping_from_dict(mapping))

    kept, tables = _both(monkeypatch, new_store, again, mapping, before)
    assert (kept.rows_existing, kept.items_loaded) == (2, 2)
    ratings = {(r[0], r[1], r[2]) for r in tables["response_items"]}
    assert ratings == {
        ("R1", "speed", 5.0),
        ("R1", "staff", 4.0),
        ("R2", "speed", 2.0),
        ("R3", "speed", 1.0),
        ("R3", "staff", 1.0),
    }
    replaced, tables = _both(monkeypatch, new_store, again, {**mapping, "on_existing": "replace"}, before)
    assert (replaced.rows_replaced, replaced.items_loaded) == (2, 3)
    ratings = {(r[0], r[1], r[2]) for r in tables["response_items"]}
    assert ratings == {("R1", "staff", 3.0), ("R3", "speed", 1.0), ("R3", "staff", 1.0)}


def test_item_columns_with_na_codes_and_value_maps_load_alike(
    monkeypatch: pytest.MonkeyPatch, new_store: Callable[[], Store], write: Writer
) -> None:
    mapping = {
        **RESPONSES,
        "items": {
            "q1": {"item": "speed"},
            "q1e": {"item": "speed", "measure": "expectation"},
            "q2": {"item": "staff"},
        },
        "item_na": ["N/A", 0],
        "item_scale": [1, 5],
        "values": {"channel": {"Web": "web", "App": "app", "none": ""}},
    }
    text = "id,date,customer,nps,channel,q1,q1e,q2\n" + (
        "R1,2024-01-05,C1,9,Web,5,4,N/A\n"
        "R2,2024-01-06,C2,3,App,0,n/a,2\n"
        "R3,2024-01-07,C3,10,none,6,3,1\n"  # 6 is outside the 1-5 source scale
        "R4,2024-01-08,C4,7,Fax,4,4,4\n"  # Fax is not in the value map
        "R5,2024-01-09,C5,7,Web,,,\n"
    )
    summary, tables = _both(monkeypatch, new_store, write("items.csv", text), mapping)
    assert (summary.rows_loaded, summary.rows_quarantined, summary.items_loaded) == (3, 2, 2)
    assert {r[:2] for r in tables["response_items"]} == {("R1", "speed"), ("R2", "staff")}


def test_rows_without_ids_get_the_same_content_keys(
    monkeypatch: pytest.MonkeyPatch, new_store: Callable[[], Store], write: Writer
) -> None:
    mapping = {
        "table": "responses",
        "columns": {"responded_at": "date", "nps": "nps", "csat": "csat"},
        "constants": {"survey_kind": "relational"},
        "items": {"q1": {"item": "speed"}},
    }
    text = "date,nps,csat,q1\n2024-01-05,9,4,5\n2024-01-05,9,4,5\n2024-01-05,12,4,5\n2024-01-06,8,4.5,\n"
    summary, tables = _both(monkeypatch, new_store, write("anon.csv", text), mapping)
    keys = [row[0] for row in tables["responses"]]
    assert summary.rows_loaded == 3 and sum(key.endswith("#2") for key in keys) == 1


def test_qualtrics_three_header_rows_load_alike(
    monkeypatch: pytest.MonkeyPatch, new_store: Callable[[], Store], write: Writer
) -> None:
    text = (
        "ResponseId,RecordedDate,ExternalReference,Q1\n"
        '"Response ID","Recorded Date","External Data Reference","How likely, 0-10?"\n'
        '"{""ImportId"":""_recordId""}","{""ImportId"":""recordedDate""}","{""ImportId"":""x""}","{""ImportId"":""QID1""}"\n'
        "R_1,2024-03-01 10:00:00,C1,9\n"
        "R_2,2024-03-02 11:30:00,C2,\n"
        "R_3,2024-03-0x 11:30:00,C3,4\n"
    )
    mapping = {"preset": "qualtrics", "columns": {"nps": "Q1"}}
    summary, tables = _both(monkeypatch, new_store, write("q.csv", text), mapping)
    assert (summary.rows_loaded, summary.lines_skipped) == (2, 3)
    assert [row[0] for row in tables["quarantine"]] == [6]


def test_an_unbalanced_quote_takes_the_row_path_and_keeps_its_reason(
    monkeypatch: pytest.MonkeyPatch, new_store: Callable[[], Store], write: Writer
) -> None:
    text = CLEAN + 'R5,2024-01-09,C5,8,4,web,"never closed\nR6,2024-01-10,C6,8,4,web,fine\n'
    summary, tables = _both(monkeypatch, new_store, write("quote.csv", text), RESPONSES, vectorised=False)
    assert (summary.rows_loaded, summary.rows_quarantined) == (5, 1)
    assert "the quote on this line is probably not closed" in tables["quarantine"][0][3]


@pytest.mark.parametrize(
    "text",
    [
        CLEAN + "\nR5,2024-01-09,C5,8,4,web,after a blank line\n",
        CLEAN + 'R5,2024-01-09,C5,8,4,web, "quote after a space"\n',
        CLEAN + 'R5,2024-01-09,C5,8,4,web,"two\nlines"\n',
        CLEAN + "R5,2024-01-09,C5,8,4,web,too,many\n",
    ],
    ids=["blank line", "quote after a space", "field over two lines", "ragged row"],
)
def test_files_duckdb_reads_differently_take_the_row_path(
    monkeypatch: pytest.MonkeyPatch, new_store: Callable[[], Store], write: Writer, text: str
) -> None:
    _both(monkeypatch, new_store, write("odd.csv", text), RESPONSES, vectorised=False)


def test_a_parquet_file_loads_alike(
    monkeypatch: pytest.MonkeyPatch, new_store: Callable[[], Store], tmp_path: Path
) -> None:
    path = tmp_path / "r.parquet"
    table = pa.table(
        {
            "id": ["R1", "R2", "R3", "R1", None],
            "date": pa.array(["2024-01-05", "2024-01-06", "bad", "2024-01-08", "2024-01-09"]),
            "customer": ["C1", None, "C3", "C4", "C5"],
            "nps": pa.array([9, 3, 10, 7, 5], pa.int64()),
            "csat": pa.array([4.0, 2.5, None, 1.0, 3.0]),
            "channel": ["web", "app", "web", "web", "web"],
            "comment": ["ok", None, "", "dup", "no id"],
        }
    )
    pq.write_table(table, path)
    summary, tables = _both(monkeypatch, new_store, path, RESPONSES)
    assert (summary.rows_loaded, summary.rows_quarantined) == (2, 3)
    assert [row[0] for row in tables["quarantine"]] == [3, 4, 5]


def _with_customers(write: Writer) -> Callable[[Store], None]:
    """Prepares a store with three named customers (Jane Doe, Ann Lee, Ng Wei), whose names the redactor
    must find."""
    people = write("c.csv", 'id,name\nC1,"Jane Doe"\nC2,Ann Lee\nC3,Ng Wei\n')
    mapping = mapping_from_dict({"table": "customers", "columns": {"customer_id": "id", "name": "name"}})

    def before(store: Store) -> None:
        import_file(store, people, mapping)

    return before


@pytest.mark.parametrize("small", [True, False], ids=["names it mentions", "every name"])
def test_free_text_is_redacted_alike_with_the_authors_own_names(
    monkeypatch: pytest.MonkeyPatch, new_store: Callable[[], Store], write: Writer, small: bool
) -> None:
    before = _with_customers(write)
    if not small:
        monkeypatch.setattr(chunks, "SMALL_CHUNK", 0)  # every name, as for a file of many rows
    text = HEADER + (
        "R1,2024-01-05,C1,9,4,web,Jane here: Ann Lee was great\n"  # Jane is the author's own first name
        "R2,2024-01-06,C2,3,2,web,Jane here: Ann Lee was great\n"
        "R3,2024-01-07,C3,10,5,web,call +44 20 7946 0958 or mail ng@example.com\n"
        "R4,2024-01-08,C9,10,5,web,Jane here: Ann Lee was great\n"
        "R5,2024-01-08,C3,12,5,web,Ann Lee refused this row\n"
    )
    summary, tables = _both(monkeypatch, new_store, write("r.csv", text), RESPONSES, before)
    comments = [row[-3] for row in tables["responses"]]
    assert comments[:2] == ["[NAME] here: [NAME] was great", "Jane here: [NAME] was great"]
    assert summary.rows_quarantined == 1 and "Ann Lee" not in str(tables)


@pytest.mark.parametrize("small", [True, False], ids=["one small chunk", "many rows"])
def test_a_file_without_free_text_still_redacts_names_in_its_refused_rows(
    monkeypatch: pytest.MonkeyPatch, new_store: Callable[[], Store], write: Writer, small: bool
) -> None:
    """A file without a free-text column loads no text, so only its refused rows (kept raw in quarantine)
    could hold a name: they are redacted with the names they contain, without loading every customer's
    name (what made a small import's cost grow with the store)."""
    before = _with_customers(write)
    if not small:
        monkeypatch.setattr(chunks, "SMALL_CHUNK", 0)  # as for a file of many rows
    every_name: list[object] = []  # the store's every name loaded: what a file without text never needs
    for module in (chunks, vectorised):
        monkeypatch.setattr(module, "all_names_redactor", _counted(module.all_names_redactor, every_name))
    text = "id,date,customer,nps,channel\n" + (
        "R1,2024-01-05,C1,9,web\n"
        "R2,2024-01-06,Ann Lee,twelve,web\n"  # refused (nps), a name where the customer id belongs
        "R3,2024-01-07,C3,10,mail ng@example.com\n"
        "R4,2024-01-08,C2,11,Jane Doe called\n"  # refused (nps out of range)
    )
    summary, tables = _both(monkeypatch, new_store, write("r.csv", text), RESPONSES, before)
    assert summary.rows_quarantined == 2 and summary.rows_loaded == 2
    quarantined = str(tables["quarantine"])
    assert "Ann Lee" not in quarantined and "Jane Doe" not in quarantined and "[NAME]" in quarantined
    assert every_name == []


def test_a_blank_churn_flag_is_derived_from_the_end_date_alike(
    monkeypatch: pytest.MonkeyPatch, new_store: Callable[[], Store], write: Writer
) -> None:
    """customers.churned left blank is what the source does not say: derived from ended_at, as for a file
    without the column, on both paths (it was refused as 'needs a value'); a given flag is kept."""
    text = (
        "id,ended,churned\n"
        "C1,2024-05-01,\n"  # blank, ended: churned
        "C2,,\n"  # blank, not ended: stayed
        "C3,,yes\n"  # given: kept
        "C4,2024-06-01,no\n"  # given: kept, though ended
        "C5,,maybe\n"  # not a yes/no: refused
    )
    mapping = {
        "table": "customers",
        "columns": {"customer_id": "id", "ended_at": "ended", "churned": "churned"},
    }
    summary, tables = _both(monkeypatch, new_store, write("c.csv", text), mapping)
    assert (summary.rows_loaded, summary.rows_quarantined) == (4, 1)
    with new_store() as store:
        import_file(store, write("again.csv", text), mapping_from_dict(mapping))
        flags = _rows(store, "SELECT customer_id, churned FROM customers ORDER BY customer_id")
    assert flags == [("C1", True), ("C2", False), ("C3", True), ("C4", False)]
