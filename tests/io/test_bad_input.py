"""Every bad-input class: one clear sentence naming file/row/column, exit code 2, nothing lost, counts reconcile."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from cxgap.store import Store

MAPPING = """
table = "responses"
[columns]
response_id = "id"
responded_at = "date"
nps = "nps"
[constants]
survey_kind = "relational"
"""
HEADER = "id,date,nps\n"


@pytest.fixture
def mapping(write) -> Path:
    return write("map.toml", MAPPING)


def _store(tmp_path: Path) -> Store:
    return Store(f"duckdb:///{tmp_path / 'cxgap.duckdb'}")


def _batches(tmp_path: Path) -> list[tuple[int, int, int, int]]:
    store = _store(tmp_path)
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT rows_read, rows_loaded, rows_existing, rows_quarantined FROM import_batches")
        )
        out = [tuple(r) for r in rows]
    store.close()
    return out


def _one_sentence(text: str) -> str:
    line = " ".join(text.split())
    assert line.startswith("error: ") and "Traceback" not in text
    return line


def test_empty_file(cli, write, mapping, tmp_path) -> None:
    result = cli("import", str(write("empty.csv", "")), "--mapping", str(mapping))
    assert result.exit_code == 2
    assert "empty.csv is empty (0 bytes); expected a header row" in _one_sentence(result.stderr)
    assert _batches(tmp_path) == []


def test_wrong_delimiter_suggests_the_right_one(cli, write, mapping, tmp_path) -> None:
    result = cli(
        "import", str(write("semi.csv", "id;date;nps\nR1;2024-01-01;9\n")), "--mapping", str(mapping)
    )
    assert result.exit_code == 2
    assert "seems to use ';': set delimiter = \";\" in the mapping" in _one_sentence(result.stderr)
    assert _batches(tmp_path) == []


def test_byte_order_mark_is_handled(cli, write, mapping, tmp_path) -> None:
    path = write("bom.csv", "\ufeff".encode() + (HEADER + "R1,2024-01-01,9\n").encode())
    result = cli("import", str(path), "--mapping", str(mapping))
    assert result.exit_code == 0, result.stderr
    assert _batches(tmp_path) == [(1, 1, 0, 0)]


def test_old_mac_line_endings_are_read(cli, write, mapping, tmp_path) -> None:
    path = write("mac.csv", (HEADER + "R1,2024-01-01,9\nR2,2024-01-02,8\n").replace("\n", "\r"))
    result = cli("import", str(path), "--mapping", str(mapping))
    assert result.exit_code == 0, result.stderr
    assert _batches(tmp_path) == [(2, 2, 0, 0)]


def test_latin1_file_names_the_line_and_the_fix(cli, write, mapping, tmp_path) -> None:
    path = write("latin.csv", (HEADER + "R1,2024-01-01,9\nRé2,2024-01-02,7\n").encode("latin-1"))
    result = cli("import", str(path), "--mapping", str(mapping))
    assert result.exit_code == 2
    sentence = _one_sentence(result.stderr)
    assert (
        "latin.csv line 3 is not valid utf-8 text (byte 0xe9)" in sentence
        and 'encoding = "latin-1"' in sentence
    )
    assert _batches(tmp_path) == []
    fixed = write(
        "map_latin.toml", MAPPING.replace('table = "responses"', 'table = "responses"\nencoding = "latin-1"')
    )
    assert cli("import", str(path), "--mapping", str(fixed)).exit_code == 0
    assert _batches(tmp_path) == [(2, 2, 0, 0)]


def test_missing_required_column_names_it_and_lists_the_columns(cli, write, mapping, tmp_path) -> None:
    result = cli("import", str(write("nodate.csv", "id,nps\nR1,9\n")), "--mapping", str(mapping))
    assert result.exit_code == 2
    assert (
        "nodate.csv has no column 'date' (mapped to responses.responded_at); its columns are: id, nps."
        in _one_sentence(result.stderr)
    )
    assert _batches(tmp_path) == []


def test_nps_of_11_is_quarantined_with_row_and_column(cli, write, mapping, tmp_path) -> None:
    path = write("nps.csv", HEADER + "R1,2024-01-01,9\nR2,2024-01-02,11\nR3,2024-01-03,10\n")
    result = cli("import", str(path), "--mapping", str(mapping))
    assert result.exit_code == 2
    assert "nps.csv row 3: column 'nps': '11' is outside 0-10." in _one_sentence(result.stderr)
    assert _batches(tmp_path) == [(3, 2, 0, 1)]


def test_unparseable_date_is_quarantined(cli, write, mapping, tmp_path) -> None:
    path = write("dates.csv", HEADER + "R1,2024-02-30,9\nR2,2024-01-02,8\n")
    result = cli("import", str(path), "--mapping", str(mapping))
    assert result.exit_code == 2
    assert "dates.csv row 2: column 'date': '2024-02-30' is not a date in ISO 8601" in _one_sentence(
        result.stderr
    )
    assert _batches(tmp_path) == [(2, 1, 0, 1)]


def test_a_10_mb_line_is_quarantined_and_the_rest_loads(cli, write, mapping, tmp_path) -> None:
    huge = "R2,2024-01-02," + "9" * (10 * 1024 * 1024) + "\n"
    path = write("huge.csv", HEADER + "R1,2024-01-01,9\n" + huge + "R3,2024-01-03,7\n")
    result = cli("import", str(path), "--mapping", str(mapping))
    assert result.exit_code == 2
    assert "huge.csv row 3: is 10,485,775 bytes long, over the 1,000,000-byte limit" in _one_sentence(
        result.stderr
    )
    assert _batches(tmp_path) == [(3, 2, 0, 1)]


def test_rows_with_the_wrong_number_of_fields_are_quarantined(cli, write, mapping, tmp_path) -> None:
    path = write("ragged.csv", HEADER + "R1,2024-01-01,9,extra\nR2,2024-01-02,8\n")
    result = cli("import", str(path), "--mapping", str(mapping))
    assert result.exit_code == 2
    assert "ragged.csv row 2: has 4 fields but the header has 3." in _one_sentence(result.stderr)
    assert _batches(tmp_path) == [(2, 1, 0, 1)]


def test_missing_file_and_missing_mapping(cli, mapping, tmp_path) -> None:
    result = cli("import", "nowhere.csv", "--mapping", str(mapping))
    assert result.exit_code == 2 and "nowhere.csv: file not found." in _one_sentence(result.stderr)
    result = cli("import", "nowhere.csv", "--mapping", "nomap.toml")
    assert result.exit_code == 2 and "nomap.toml: file not found." in _one_sentence(result.stderr)


def test_user_errors_exit_2_without_traceback_in_a_real_process(write, mapping, tmp_path) -> None:
    path = write("nps.csv", HEADER + "R2,2024-01-02,11\n")
    done = subprocess.run(
        [sys.executable, "-m", "cxgap", "import", str(path), "--mapping", str(mapping)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    assert "nps.csv row 2: column 'nps': '11' is outside 0-10." in " ".join(done.stderr.split())
