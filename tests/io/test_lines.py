"""Every physical line of a source ends in exactly one loaded or quarantined record (or is a header or
blank line), on both backends; quote faults lose nothing and merge nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from cxgap.io import import_file, mapping_from_dict
from cxgap.store import Store

FEEDBACK = {
    "table": "feedback",
    "columns": {"feedback_id": "id", "received_at": "date", "source": "source", "text": "text"},
}
HEADER = "id,date,source,text\n"


def _row(i: int) -> str:
    return f"Q{i},2024-01-05,review,great stay number {i}\n"


def _quarantine(store: Store) -> list[tuple[int, int | None, str, str | None]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT source_row, source_row_end, reason, raw FROM quarantine ORDER BY source_row")
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _check_lines(summary) -> None:  # type: ignore[no-untyped-def]
    assert summary.reconciles
    assert summary.lines_read == summary.lines_skipped + summary.lines_in_rows


def test_an_unbalanced_quote_in_a_large_file_loses_one_row_only(store: Store, write) -> None:
    lines = [_row(i) for i in range(1, 100_001)]
    lines[8] = 'Q9,2024-01-05,review,"oops\n'
    path = write("big.csv", HEADER + "".join(lines))
    summary = import_file(store, path, mapping_from_dict(FEEDBACK))
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (100_000, 99_999, 1)
    assert summary.lines_read == 100_001
    _check_lines(summary)
    ((row, end, reason, raw),) = _quarantine(store)
    assert (row, end) == (10, 10)  # line 10 of the file: the header is line 1
    assert "quoted field" in reason
    assert raw is not None and "oops" in raw
    assert store.count("feedback") == 99_999


def test_a_small_file_with_the_same_fault_does_not_merge_rows(store: Store, write) -> None:
    path = write("small.csv", HEADER + 'Q1,2024-01-05,review,"oops\n' + _row(2) + _row(3))
    summary = import_file(store, path, mapping_from_dict(FEEDBACK))
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (3, 2, 1)
    _check_lines(summary)
    with store.engine.connect() as conn:
        texts = sorted(conn.execute(sa.text("SELECT text FROM feedback")).scalars())
    assert texts == ["great stay number 2", "great stay number 3"]


def test_a_quote_left_open_at_the_end_of_the_file_is_quarantined(store: Store, write) -> None:
    path = write("tail.csv", HEADER + _row(1) + 'Q2,2024-01-05,review,"never closed\nstill in it\n')
    summary = import_file(store, path, mapping_from_dict(FEEDBACK))
    assert (summary.rows_read, summary.rows_loaded) == (3, 1)
    assert summary.lines_read == 4
    _check_lines(summary)
    assert [r[0] for r in _quarantine(store)] == [3, 4]


def test_a_real_multiline_comment_still_loads_with_its_line_span(store: Store, write) -> None:
    text = HEADER + 'Q1,2024-01-05,review,"first line\nsecond line, with a comma"\n' + _row(2)
    summary = import_file(store, write("multi.csv", text), mapping_from_dict(FEEDBACK))
    assert (summary.rows_read, summary.rows_loaded, summary.lines_read) == (2, 2, 4)
    _check_lines(summary)


def test_ragged_and_blank_lines_are_accounted_for(store: Store, write) -> None:
    text = HEADER + _row(1) + "\n" + "Q2,2024-01-05,review\n" + "Q3,a,b,c,d\n" + _row(4)
    summary = import_file(store, write("ragged.csv", text), mapping_from_dict(FEEDBACK))
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (4, 2, 2)
    assert (summary.lines_read, summary.lines_skipped) == (6, 2)
    _check_lines(summary)
    raws = [r[3] for r in _quarantine(store)]
    assert all(raw and "Q" in raw for raw in raws)


def test_an_oversized_line_keeps_the_start_of_its_raw_text(store: Store, write) -> None:
    big = "Q2,2024-01-05,review," + "word " * 2_000 + "\n"
    mapping = mapping_from_dict({**FEEDBACK, "max_row_bytes": 1_000})
    summary = import_file(store, write("over.csv", HEADER + _row(1) + big + _row(3)), mapping)
    assert (summary.rows_loaded, summary.rows_quarantined, summary.lines_read) == (2, 1, 4)
    ((row, _, reason, raw),) = _quarantine(store)
    assert row == 3 and "over the 1,000-byte limit" in reason
    assert raw is not None and raw.startswith('["Q2", "2024-01-05", "review", "word word')


def test_nul_bytes_are_quarantined_alike_on_both_backends(store: Store, write) -> None:
    text = HEADER + _row(1) + "Q2,2024-01-05,review,bad\x00byte\n" + _row(3)
    summary = import_file(store, write("nul.csv", text), mapping_from_dict(FEEDBACK))
    assert (summary.rows_loaded, summary.rows_quarantined) == (2, 1)
    ((row, _, reason, raw),) = _quarantine(store)
    assert row == 3 and "NUL" in reason and "\x00" not in (raw or "")


def test_json_objects_where_a_value_is_expected_are_quarantined(store: Store, write) -> None:
    records = [
        {"id": "F1", "date": "2024-01-05", "source": "review", "text": "fine"},
        {"id": {"nested": 1}, "date": "2024-01-05", "source": "review", "text": "fine"},
        {"id": "F3", "date": "2024-01-05", "source": "review", "text": ["a", "list"]},
        {"id": "F4", "date": "2024-01-05", "source": "review", "text": "ok", "extra": {"x": 1}},
    ]
    path = write("n.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    summary = import_file(store, path, mapping_from_dict(FEEDBACK))
    assert (summary.rows_loaded, summary.rows_quarantined) == (2, 2)
    reasons = [r[2] for r in _quarantine(store)]
    assert "object" in reasons[0] and "list" in reasons[1]


def test_parquet_binary_and_list_columns_are_refused_per_row(store: Store, tmp_path: Path) -> None:
    table = pa.table(
        {
            "id": ["F1", "F2", "F3"],
            "date": ["2024-01-05"] * 3,
            "source": pa.array([b"review", b"\xff\xfe", b"review"], pa.binary()),
            "text": ["fine", "fine", "fine"],
            "tags": pa.array([["a"], ["b"], None], pa.list_(pa.string())),
        }
    )
    pq.write_table(table, tmp_path / "f.parquet")
    summary = import_file(store, tmp_path / "f.parquet", mapping_from_dict(FEEDBACK))
    assert (summary.rows_loaded, summary.rows_quarantined) == (2, 1)
    assert "UTF-8" in _quarantine(store)[0][2]
    listed = mapping_from_dict({**FEEDBACK, "columns": {**FEEDBACK["columns"], "title": "tags"}})
    again = import_file(store, tmp_path / "f.parquet", listed)
    assert again.reconciles and again.rows_loaded == 0


def test_a_blank_number_in_a_file_without_ids_loads(store: Store, write) -> None:
    mapping = mapping_from_dict(
        {
            "table": "feedback",
            "columns": {"received_at": "date", "source": "source", "text": "text", "rating": "stars"},
        }
    )
    text = "date,source,text,stars\n2024-01-05,review,fine,\n2024-01-06,review,ok,4\n"
    summary = import_file(store, write("noid.csv", text), mapping)
    assert (summary.rows_loaded, summary.rows_quarantined) == (2, 0)
