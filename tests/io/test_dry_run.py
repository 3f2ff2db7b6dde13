"""`cxgap import --dry-run` (and `import_file(dry_run=True)`): what would load, be already present or be
quarantined, with the reasons, and the store left exactly as it was, on both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from cxgap.io import import_file, load_mapping
from cxgap.store import Store

MAPPING = """
table = "responses"
[columns]
response_id = "id"
responded_at = "date"
nps = "nps"
csat = "sat"
[constants]
survey_kind = "transactional"
[scales]
csat = [1, 7]
[na]
nps = ["N/A"]
"""
FIRST = "id,date,nps,sat\nR1,2024-01-05,9,6\nR2,2024-01-06,3,2\n"
NEXT = (
    "id,date,nps,sat\n"
    "R2,2024-01-06,3,2\n"  # already present
    "R3,2024-01-07,N/A,7\n"  # loads: N/A is no problem
    "R4,2024-01-07,12,5\n"  # nps outside 0-10
    "R5,31/01/2024,8,5\n"  # not an ISO date
    "R6,2024-01-08,10,1\n"
)


def _state(url: str) -> dict[str, object]:
    """Everything an import writes: rows per table, the batches and the quarantine."""
    store = Store(url)
    with store.engine.connect() as conn:
        state: dict[str, object] = {
            table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("responses", "response_items", "quarantine")
        }
        state["batches"] = [
            tuple(r)
            for r in conn.execute(
                sa.text("SELECT batch_id, rows_read, rows_loaded FROM import_batches ORDER BY batch_id")
            )
        ]
    store.close()
    return state


@pytest.fixture
def imported(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli) -> str:
    """A store holding FIRST's two responses; the command line pointed at it."""
    monkeypatch.setenv("CXGAP_STORE_URL", store_url)
    (tmp_path / "map.toml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "first.csv").write_text(FIRST, encoding="utf-8")
    (tmp_path / "next.csv").write_text(NEXT, encoding="utf-8")
    assert cli("import", "first.csv", "--mapping", "map.toml").exit_code == 0
    return store_url


def test_a_dry_run_shows_counts_and_reasons_and_writes_nothing(imported: str, cli) -> None:
    before = _state(imported)
    result = cli("import", "next.csv", "--mapping", "map.toml", "--dry-run")
    assert result.exit_code == 2
    shown = " ".join(result.stdout.split())
    assert "dry run: nothing was written" in shown
    for label, count in (("read", 5), ("would load", 2), ("already present", 1), ("would be quarantined", 2)):
        assert f"{label} │ {count}" in shown, label
    assert "row 4 │ column 'nps': '12' is outside 0-10" in shown
    assert "row 5 │ column 'date': '31/01/2024' is not a date" in shown
    assert "this was a dry run: nothing was written" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert _state(imported) == before


def test_a_dry_run_of_a_clean_file_exits_0_and_the_real_import_then_agrees(imported: str, cli) -> None:
    Path("clean.csv").write_text(FIRST + "R7,2024-01-09,7,4\n", encoding="utf-8")
    before = _state(imported)
    dry = cli("import", "clean.csv", "--mapping", "map.toml", "--dry-run", "--format", "json")
    assert dry.exit_code == 0
    said = json.loads(dry.stdout)
    assert said["dry_run"] is True
    counts = [said[k] for k in ("rows_read", "rows_loaded", "rows_existing", "rows_quarantined")]
    assert counts == [3, 1, 2, 0] and said["problems"] == []
    assert _state(imported) == before
    real = cli("import", "clean.csv", "--mapping", "map.toml", "--format", "json")
    assert real.exit_code == 0
    done = json.loads(real.stdout)
    assert done["dry_run"] is False
    assert [done[k] for k in ("rows_read", "rows_loaded", "rows_existing", "rows_quarantined")] == counts


def test_the_summary_as_csv_is_one_row_of_counts(imported: str, cli) -> None:
    result = cli("import", "next.csv", "--mapping", "map.toml", "--dry-run", "--format", "csv")
    assert result.exit_code == 2
    header, row = result.stdout.strip().splitlines()
    values = dict(zip(header.split(","), row.split(","), strict=True))
    assert (values["read"], values["loaded"], values["quarantined"], values["dry_run"]) == (
        "5",
        "2",
        "2",
        "True",
    )


def test_dry_run_counts_reconcile_and_match_the_real_import(store: Store, write) -> None:
    path = write("next.csv", NEXT)
    mapping = load_mapping(write("map.toml", MAPPING))
    dry = import_file(store, path, mapping, dry_run=True)
    assert dry.reconciles and store.count("responses") == 0
    real = import_file(store, path, mapping)
    assert real.reconciles
    fields = ("rows_read", "rows_loaded", "rows_existing", "rows_quarantined", "lines_read")
    assert [getattr(dry, f) for f in fields] == [getattr(real, f) for f in fields] == [5, 3, 0, 2, 6]
    assert [p.reason for p in dry.problems] == [p.reason for p in real.problems]
