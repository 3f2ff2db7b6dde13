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
