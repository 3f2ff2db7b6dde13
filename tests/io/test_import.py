"""Importing through mappings: conversions, keys, long-form items and idempotence, on both backends."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from cxgap.errors import ConfigError, CxgapError, InputFileError
from cxgap.io import import_file, mapping_from_dict
from cxgap.store import InsertCounts, Store, insert_new

RESPONSES = {
    "table": "responses",
    "columns": {"response_id": "id", "responded_at": "date", "customer_id": "customer", "nps": "nps"},
    "constants": {"survey_kind": "relational"},
}
GOOD_CSV = "id,date,customer,nps\nR1,2024-01-05,C1,9\nR2,2024-01-06,C2,3\nR3,2024-01-07T10:30:00,C3,10\n"


def _rows(store: Store, sql: str) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql)).all()]


def test_rows_load_with_types_and_reconcile(store: Store, write) -> None:
    summary = import_file(store, write("r.csv", GOOD_CSV), mapping_from_dict(RESPONSES))
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (3, 3, 0)
    assert summary.reconciles
    rows = _rows(
        store, "SELECT response_id, nps, survey_kind, responded_at FROM responses ORDER BY response_id"
    )
    assert [r[:3] for r in rows] == [
        ("R1", 9, "relational"),
        ("R2", 3, "relational"),
        ("R3", 10, "relational"),
    ]
    assert str(rows[2][3]) == "2024-01-07 10:30:00"


def test_reimporting_the_same_file_loads_nothing_twice(store: Store, write) -> None:
    path = write("r.csv", GOOD_CSV)
    import_file(store, path, mapping_from_dict(RESPONSES))
    again = import_file(store, path, mapping_from_dict(RESPONSES))
    assert (again.rows_read, again.rows_loaded, again.rows_existing) == (3, 0, 3)
    assert store.count("responses") == 3
    assert _rows(store, "SELECT count(*) FROM import_batches") == [(2,)]


def test_replace_mode_updates_rows_with_known_keys(store: Store, write) -> None:
    import_file(store, write("r.csv", GOOD_CSV), mapping_from_dict(RESPONSES))
    fixed = write("fix.csv", "id,date,customer,nps\nR2,2024-01-06,C2,6\n")
    summary = import_file(store, fixed, mapping_from_dict({**RESPONSES, "on_existing": "replace"}))
    assert (summary.rows_loaded, summary.rows_replaced, summary.rows_existing) == (1, 1, 0)
    assert _rows(store, "SELECT nps FROM responses WHERE response_id = 'R2'") == [(6,)]


def test_rows_without_ids_get_content_keys_and_identical_rows_are_kept_apart(store: Store, write) -> None:
    path = write("reviews.csv", "text,stars\ngreat stay,5\nawful,1\ngreat stay,5\n")
    mapping = mapping_from_dict(
        {
            "table": "feedback",
            "columns": {"text": "text", "rating": "stars"},
            "constants": {"source": "review"},
        }
    )
    first = import_file(store, path, mapping)
    again = import_file(store, path, mapping)
    assert (first.rows_loaded, again.rows_loaded, again.rows_existing) == (3, 0, 3)
    keys = [r[0] for r in _rows(store, "SELECT feedback_id FROM feedback ORDER BY feedback_id")]
    assert len(set(keys)) == 3 and any(k.endswith("#2") for k in keys)


def test_value_maps_dates_scales_and_factors_are_applied(store: Store, write) -> None:
    path = write("s.csv", "id,when,sat,likely,kind\nA,31/01/2024,7,11,Rel\nB,01/02/2024,1,1,Trans\n")
    mapping = mapping_from_dict(
        {
            "table": "responses",
            "columns": {
                "response_id": "id",
                "responded_at": "when",
                "csat": "sat",
                "nps": "likely",
                "survey_kind": "kind",
            },
            "values": {"survey_kind": {"Rel": "relational", "Trans": "transactional"}},
            "dates": {"responded_at": "%d/%m/%Y"},
            "scales": {"csat": [1, 7], "nps": [1, 11]},
        }
    )
    summary = import_file(store, path, mapping)
    assert summary.rows_quarantined == 0
    rows = _rows(
        store, "SELECT response_id, survey_kind, csat, nps, responded_at FROM responses ORDER BY response_id"
    )
    assert [r[:4] for r in rows] == [("A", "relational", 5, 10), ("B", "transactional", 1, 0)]
    assert str(rows[0][4]) == "2024-01-31 00:00:00"


def test_wide_item_columns_land_in_long_form(store: Store, write) -> None:
    path = write("items.csv", "id,date,nps,q1,q1e,q2\nR1,2024-01-01,8,6,7,5\nR2,2024-01-02,4,2,,3\n")
    mapping = mapping_from_dict(
        {
            **RESPONSES,
            "columns": {"response_id": "id", "responded_at": "date", "nps": "nps"},
            "items": {
                "q1": {"item": "as_promised"},
                "q1e": {"item": "as_promised", "measure": "expectation"},
                "q2": {"item": "prompt_service"},
            },
        }
    )
    summary = import_file(store, path, mapping)
    assert summary.items_loaded == 4
    rows = _rows(store, "SELECT response_id, item, perception, expectation FROM response_items ORDER BY 1, 2")
    assert rows == [
        ("R1", "as_promised", 6.0, 7.0),
        ("R1", "prompt_service", 5.0, None),
        ("R2", "as_promised", 2.0, None),
        ("R2", "prompt_service", 3.0, None),
    ]


def test_jsonl_and_parquet_load_like_csv(store: Store, write, tmp_path: Path) -> None:
    jsonl = write(
        "r.jsonl",
        '{"id": "J1", "date": "2024-01-05", "nps": 9, "customer": "C1"}\n'
        '{"id": "J2", "date": "2024-01-06", "nps": 11}\nnot json\n',
    )
    summary = import_file(store, jsonl, mapping_from_dict(RESPONSES))
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (3, 1, 2)
    assert summary.unit == "line"
    frame = pd.DataFrame(
        {
            "id": ["P1", "P2"],
            "date": pd.to_datetime(["2024-02-01", "2024-02-02"]),
            "nps": [7, 10],
            "customer": ["C1", None],
        }
    )
    pq.write_table(pa.Table.from_pandas(frame), tmp_path / "r.parquet")
    summary = import_file(store, tmp_path / "r.parquet", mapping_from_dict(RESPONSES))
    assert (summary.rows_loaded, summary.rows_quarantined) == (2, 0)
    assert store.count("responses") == 3


def test_strict_loads_nothing_when_any_row_is_bad(store: Store, write) -> None:
    path = write("r.csv", GOOD_CSV + "R4,2024-01-08,C4,11\n")
    with pytest.raises(InputFileError, match="row 5: column 'nps': '11' is outside 0-10; nothing was loaded"):
        import_file(store, path, mapping_from_dict(RESPONSES), strict=True)
    assert store.count("responses") == 0


def test_quarantine_keeps_row_column_reason_and_raw_values(store: Store, write) -> None:
    path = write("r.csv", "id,date,customer,nps\nR1,2024-01-05,C1,11\nR2,yesterday,C2,x\n")
    summary = import_file(store, path, mapping_from_dict(RESPONSES))
    rows = _rows(store, "SELECT source_row, column_name, reason, raw FROM quarantine ORDER BY source_row")
    assert rows[0][:3] == (2, "nps", "column 'nps': '11' is outside 0-10")
    assert (
        rows[1][0] == 3 and "'yesterday' is not a date" in rows[1][2] and "'x' is not a number" in rows[1][2]
    )
    assert '"customer": "C2"' in str(rows[1][3])
    assert summary.reconciles


def test_mapping_errors_name_the_problem() -> None:
    with pytest.raises(ConfigError, match="table = 'survey' is not one of customers, responses"):
        mapping_from_dict({"table": "survey"}, "m.toml")
    with pytest.raises(ConfigError, match=r"\[columns\] names 'score', which is not a column of responses"):
        mapping_from_dict({"table": "responses", "columns": {"score": "x"}}, "m.toml")
    with pytest.raises(ConfigError, match="preset = 'medallia' is not one of"):
        mapping_from_dict({"preset": "medallia"})


def test_a_required_column_without_source_is_a_mapping_error(store: Store, write) -> None:
    mapping = mapping_from_dict(
        {"table": "responses", "columns": {"response_id": "id", "responded_at": "date"}}
    )
    with pytest.raises(ConfigError, match="gives no source for responses.survey_kind, which every row needs"):
        import_file(store, write("r.csv", GOOD_CSV), mapping)


def test_free_text_of_every_table_is_redacted_once_per_distinct_text(store: Store, write) -> None:
    mapping = mapping_from_dict(
        {
            "table": "interactions",
            "columns": {
                "interaction_id": "id",
                "occurred_at": "date",
                "touchpoint": "tp",
                "kind": "kind",
                "reason": "reason",
            },
        }
    )
    text = (
        "id,date,tp,kind,reason\n"
        "I1,2024-01-05,support,call,call back on +44 20 7946 0958\n"
        "I2,2024-01-05,support,call,call back on +44 20 7946 0958\n"
        "I3,2024-01-05,support,call,billing question\n"
    )
    summary = import_file(store, write("i.csv", text), mapping)
    assert summary.rows_loaded == 3 and summary.redacted == {"phone": 2}
    reasons = _rows(store, "SELECT reason FROM interactions ORDER BY interaction_id")
    assert reasons == [("call back on [PHONE]",), ("call back on [PHONE]",), ("billing question",)]


CUSTOMER_INDEXES = {"ix_responses_customer_id", "ix_interactions_customer_id", "ix_feedback_customer_id"}


def _customer_indexes(store: Store) -> set[str]:
    """Which of the customer_id indexes of responses, interactions and feedback the store holds."""
    sql = (
        "SELECT index_name FROM duckdb_indexes()"
        if store.backend == "duckdb"
        else "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    )
    return {str(name) for (name,) in _rows(store, sql)} & CUSTOMER_INDEXES


def test_duckdb_keeps_no_customer_index_for_imports_to_maintain(fresh_store_url: str) -> None:
    """DuckDB drops them (its joins never use them; an import paid for them at COMMIT); PostgreSQL keeps
    them, and going back to revision 0014 gives DuckDB its indexes again."""
    from alembic import command

    from cxgap.store.core import _alembic_config

    store = Store(fresh_store_url)
    assert _customer_indexes(store) == (set() if store.backend == "duckdb" else CUSTOMER_INDEXES)
    with store.engine.begin() as conn:
        config = _alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, "0014")
    assert _customer_indexes(store) == CUSTOMER_INDEXES
    store.close()


def _one_response(key: str) -> pa.Table:
    return pa.table(
        {"response_id": [key], "responded_at": [pd.Timestamp("2024-01-05")], "survey_kind": ["relational"]}
    )


def test_duckdb_two_overlapping_batches_store_a_key_once(duckdb_url: str) -> None:
    """DuckDB checks an imported table's keys by an anti-join, which cannot see a concurrent batch's
    uncommitted rows: the second batch waits for the first's writer lock (it is still waiting while the
    first is open) and, once the first has committed, counts the key as stored instead of storing it again."""
    store = Store(duckdb_url)
    outcome: list[InsertCounts] = []
    checking = threading.Event()

    def second_batch() -> None:
        with store.begin() as conn:
            checking.set()
            outcome.append(insert_new(conn, "responses", _one_response("R1")))

    with store.begin() as conn:
        assert insert_new(conn, "responses", _one_response("R1")).new == 1
        other = threading.Thread(target=second_batch)
        other.start()
        checking.wait()
        other.join(timeout=0.5)
        assert other.is_alive()  # waiting on the first batch's lock, which it holds until its commit
    other.join()
    assert outcome == [InsertCounts(new=0, existing=1)]
    assert store.count("responses") == 1
    store.close()


def test_one_thread_writing_a_table_from_two_open_transactions_is_refused_not_left_waiting(
    duckdb_url: str,
) -> None:
    store = Store(duckdb_url)
    with store.begin() as first:
        insert_new(first, "responses", _one_response("R1"))
        with pytest.raises(CxgapError, match="Two open transactions of one thread both write responses"):
            with store.begin() as second:
                insert_new(second, "responses", _one_response("R2"))
    assert store.count("responses") == 1
    store.close()
