"""`cxgap drivers`, `impact` and `experiment` through the real CLI: output, and one-sentence errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
NAN = re.compile(r"\bnan\b", re.IGNORECASE)


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def demo_dir(cli, tmp_path: Path) -> Path:
    assert cli("demo", "--customers", "3000", "--no-analysis", "--no-loop").exit_code == 0
    return tmp_path


def test_drivers_rank_items_with_intervals_and_quadrants(cli, demo_dir: Path) -> None:
    result = cli("drivers", "--by", "dimensions", "--replicates", "30")
    assert result.exit_code == 0, result.stderr
    assert "Key drivers of likelihood to recommend" in result.stdout
    text = " ".join(result.stdout.split())
    assert "reliabi" in text and "concentrate" in text
    assert "direction" in text and not NAN.search(result.stdout)
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


def _ratings_file(folder: Path, rows: int = 400) -> tuple[Path, Path]:
    """A survey extract: four 1-5 ratings (waiting hurts) and a 0-10 outcome, with its driver mapping."""
    rng = np.random.default_rng(8)
    ratings = np.clip(np.round(3 + rng.normal(size=(rows, 4))), 1, 5).astype(int)
    score = np.clip(
        np.round(5 + ratings @ np.array([0.9, 0.6, -0.7, 0.2]) - 3 + rng.normal(size=rows)), 0, 10
    )
    lines = ["staff,cleanliness,waiting,food,recommend"]
    lines += [",".join(str(v) for v in (*r, int(s))) for r, s in zip(ratings, score, strict=True)]
    (folder / "survey.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping = '[outcome]\ncolumn = "recommend"\nname = "nps"\n[drivers]\n'
    mapping += "".join(f'{c} = "{c}"\n' for c in ("staff", "cleanliness", "waiting", "food"))
    (folder / "survey.toml").write_text(mapping, encoding="utf-8")
    return folder / "survey.csv", folder / "survey.toml"


def test_drivers_from_a_file_on_one_rating_scale_show_quadrants_and_signs(cli, tmp_path: Path) -> None:
    csv, mapping = _ratings_file(tmp_path)
    result = cli("drivers", "--file", str(csv), "--mapping", str(mapping), "--replicates", "30")
    assert result.exit_code == 0, result.stderr
    text = _flat(result.stdout)
    assert "quadrant" in text and sum(text.count(w) for w in ("concentrate", "overkill", "priority")) >= 2
    assert "higher waiting goes with lower likelihood to recommend" in text
    assert not NAN.search(result.stdout) and "Gap exposure" not in text


def test_telco_drivers_read_right_and_hide_revenue_without_a_revenue_column(
    cli, tmp_path: Path, shared_data: Callable[[str], Path]
) -> None:
    telco = str(shared_data("telco_customer_churn.csv"))
    mapping = ROOT / "examples" / "telco_drivers.toml"
    result = cli("drivers", "--file", telco, "--mapping", str(mapping), "--replicates", "30")
    assert result.exit_code == 0, result.stderr
    text = _flat(result.stdout)
    assert "higher tenure_months goes with lower churn" in text
    assert "32.37" not in text and "64.76" not in text  # raw means of tenure and charges are no performance
    assert "no driver is on a rating scale" in text and "┃ quadrant" not in text
    assert "revenue at" in text and "822,786" in text  # the mapping names MonthlyCharges x 12
    assert "(EUR)" in text  # the [company] currency (cxgap.toml's, here the default)
    assert not NAN.search(result.stdout)
    spec = mapping.read_text(encoding="utf-8")
    without = spec.replace('[revenue]\ncolumn = "MonthlyCharges"\nfactor = 12\n', "")
    assert without != spec
    (tmp_path / "no_revenue.toml").write_text(without, encoding="utf-8")
    bare = cli("drivers", "--file", telco, "--mapping", "no_revenue.toml", "--replicates", "20")
    assert bare.exit_code == 0, bare.stderr
    flat = _flat(bare.stdout)
    assert "Gap exposure" in flat and "yearly" not in flat and "822,786" not in flat
    assert "no revenue per customer is known, so no revenue at stake" in flat
    assert not NAN.search(bare.stdout)
