"""`cxgap drivers`, `impact` and `experiment` through the real CLI: output, and one-sentence errors."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def demo_dir(cli, tmp_path: Path) -> Path:
    assert cli("demo", "--customers", "3000", "--no-analysis").exit_code == 0
    return tmp_path


def test_drivers_rank_items_with_intervals_and_quadrants(cli, demo_dir: Path) -> None:
    result = cli("drivers", "--by", "dimensions", "--replicates", "30")
    assert result.exit_code == 0, result.stderr
    assert "Key drivers of likelihood to recommend" in result.stdout
    text = " ".join(result.stdout.split())
    assert "reliabi" in text and "concentrate" in text
    bad = cli("drivers", "--outcome", "loyalty")
    assert bad.exit_code == 2 and "Unknown outcome 'loyalty'" in bad.stderr and "Traceback" not in bad.stderr


def test_impact_prints_groups_and_values(cli, demo_dir: Path) -> None:
    result = cli("impact")
    assert result.exit_code == 0, result.stderr
    for words in ("Outcomes by NPS group", "detractor", "move 10% of detractors"):
        assert words in result.stdout


def test_experiment_compare_and_size(cli, demo_dir: Path) -> None:
    import duckdb

    con = duckdb.connect(str(demo_dir / "cxgap.duckdb"), read_only=True)
    ids = [r[0] for r in con.execute("SELECT customer_id FROM customers ORDER BY 1").fetchall()]
    con.close()
    lines = ["customer_id,group"] + [f"{c},{'treatment' if i % 2 else 'control'}" for i, c in enumerate(ids)]
    (demo_dir / "arms.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("experiment", "compare", "arms.csv", "--metric", "nps")
    assert result.exit_code == 0, result.stderr
    assert "Decision:" in result.stdout and "difference" in result.stdout
    (demo_dir / "bad.csv").write_text("customer_id,group\nC1,holdout\n", encoding="utf-8")
    bad = cli("experiment", "compare", "bad.csv")
    assert bad.exit_code == 2 and "bad.csv row 2, column group" in bad.stderr
    size = cli("experiment", "size", "--nps-change", "5")
    assert size.exit_code == 0 and "per arm" in size.stdout
    assert cli("experiment", "size").exit_code == 2


def test_text_prints_themes_alerts_and_discovered_topics(cli, demo_dir: Path) -> None:
    result = cli("text")
    assert result.exit_code == 0, result.stderr
    flat = " ".join(result.stdout.split())
    for words in ("Themes", "unresolved_", "Emerging issues", "Topics found without"):
        assert words in flat
