"""`cxgap journeys` on the demo company, and on an empty store."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_journeys_prints_every_measure_with_intervals(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "cxgap.toml").write_text(
        f'[store]\nurl = "duckdb:///{tmp_path / "d.duckdb"}"\n', encoding="utf-8"
    )
    assert cli("demo", "--customers", "3000", "--seed", "3", "--no-analysis").exit_code == 0
    result = cli("journeys")
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    for heading in (
        "Incidents per customer journey",
        "Damage to relational NPS",
        "Upstream causes",
        "Asked the same again",
    ):
        assert heading in text
    assert "ordering -> installation" in text and "each incident beyond the first" in text


def test_journeys_on_an_empty_store_says_what_is_missing(cli, tmp_path: Path) -> None:
    (tmp_path / "cxgap.toml").write_text(
        f'[store]\nurl = "duckdb:///{tmp_path / "e.duckdb"}"\n', encoding="utf-8"
    )
    result = cli("journeys")
    assert result.exit_code == 0, result.stderr
    assert "insufficient data" in result.stdout and "standards table" in " ".join(result.stdout.split())
