"""A dry run before the first import: it checks the file against an empty store and creates no store file."""

from __future__ import annotations

import json
from pathlib import Path

from tests.io.test_dry_run import FIRST, MAPPING


def test_a_dry_run_in_a_new_folder_checks_the_file_and_creates_no_store(cli, tmp_path: Path) -> None:
    (tmp_path / "map.toml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "first.csv").write_text(FIRST, encoding="utf-8")
    (tmp_path / "cxgap.toml").write_text('[store]\nurl = "duckdb:///cxgap.duckdb"\n', encoding="utf-8")
    dry = cli("import", "first.csv", "--mapping", "map.toml", "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.stderr
    said = json.loads(dry.stdout)
    assert said["dry_run"] is True and said["rows_loaded"] == said["rows_read"] == 2
    assert not (tmp_path / "cxgap.duckdb").exists()
    assert cli("import", "first.csv", "--mapping", "map.toml").exit_code == 0
    assert (tmp_path / "cxgap.duckdb").exists()


def test_the_import_says_when_present_rows_differ_and_when_a_file_has_no_rows(cli, tmp_path: Path) -> None:
    """A corrected export re-imported without replacing loads nothing new: the command says how many rows
    differ from the store and how to store the file's values; a header-only file is a quiet day, not an
    error, and is said to be one."""
    from tests.cli.test_first_data import CUSTOMERS_MAPPING, customers_csv

    (tmp_path / "crm.csv").write_text(customers_csv(30), encoding="utf-8")
    (tmp_path / "crm.toml").write_text(CUSTOMERS_MAPPING, encoding="utf-8")
    assert cli("import", "crm.csv", "--mapping", "crm.toml").exit_code == 0
    (tmp_path / "yearly.toml").write_text(
        CUSTOMERS_MAPPING.replace("revenue = 12", "revenue = 1"), encoding="utf-8"
    )
    again = cli("import", "crm.csv", "--mapping", "yearly.toml")
    said = " ".join(again.stdout.split())  # beside the table
    assert again.exit_code == 0
    assert "30 of the 30 rows already present hold other values in crm.csv than in the store" in said
    assert 'the import kept the stored ones (set on_existing = "replace"' in said
    same = cli("import", "crm.csv", "--mapping", "crm.toml")
    assert "other values" not in same.stdout
    (tmp_path / "empty.csv").write_text("id,plan,churn,monthly\n", encoding="utf-8")
    empty = cli("import", "empty.csv", "--mapping", "crm.toml")
    assert empty.exit_code == 0
    assert "empty.csv has no data rows under its header: nothing to import." in " ".join(empty.stdout.split())


def test_an_import_shows_its_first_quarantined_rows_and_counts_the_rest(cli, tmp_path: Path) -> None:
    from tests.cli.test_first_data import CUSTOMERS_MAPPING

    rows = ["id,plan,churn,monthly"] + [f"B{k},One year,Maybe,10" for k in range(7)] + ["G1,One year,No,10"]
    (tmp_path / "crm.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "crm.toml").write_text(CUSTOMERS_MAPPING, encoding="utf-8")
    result = cli("import", "crm.csv", "--mapping", "crm.toml")
    assert result.exit_code == 2
    assert "... and 2 more rows quarantined" in " ".join(result.stdout.split())
