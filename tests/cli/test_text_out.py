"""`cxgap text --out`: one row per text a user can check (id, sentiment, every theme's score, the themes it
carries, whether sentiment training held it out); and no demo configuration on data that is not the demo's:
unconfigured themes are discovered and proposed as a [themes] section instead."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import Result

from cxgap.config import demo_config, settings_from_dict
from cxgap.text.sentiment import LABELS
from tests.cli.test_first_data import REVIEWS_MAPPING, build_store, reviews_csv

ROWS = 250  # 50 of each star rating: enough of every class for sentiment to train on the stars
THEMES = """
[themes.noise]
description = "noisy at night, thin walls, could not sleep"
keywords = ["noisy", "thin walls", "could not sleep"]

[themes.breakfast]
description = "the breakfast food"
keywords = ["breakfast", "cold breakfast"]
"""


@pytest.fixture(scope="module")
def reviews_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding only imported reviews (no demo data), built once."""
    return build_store(tmp_path_factory.mktemp("reviews"), {"reviews": (reviews_csv(ROWS), REVIEWS_MAPPING)})


@pytest.fixture
def on_reviews(cli, tmp_path: Path, reviews_store: Path) -> Callable[[str], Callable[..., Result]]:
    """The CLI on a fresh copy of the reviews store, with `extra` configuration appended to cxgap.toml."""

    def _on(extra: str = "") -> Callable[..., Result]:
        target = tmp_path / "store.duckdb"
        shutil.copy(reviews_store, target)
        config = f'[store]\nurl = "duckdb:///{target}"\n{extra}'
        (tmp_path / "cxgap.toml").write_text(config, encoding="utf-8")
        return cli

    return _on


def _feedback_ids(store: Path) -> set[str]:
    with duckdb.connect(str(store), read_only=True) as con:
        return {row[0] for row in con.execute("SELECT feedback_id FROM feedback").fetchall()}


def test_out_writes_one_checkable_row_per_text(on_reviews, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = on_reviews()("text", "--out", "texts.csv")
    assert result.exit_code == 0, result.stderr
    rows = pd.read_csv(tmp_path / "texts.csv", keep_default_na=False)
    assert f"Wrote {ROWS} texts, one row each, to texts.csv." in " ".join(result.stdout.split())
    assert len(rows) == ROWS and set(rows["id"]) == _feedback_ids(tmp_path / "store.duckdb")
    assert set(rows["kind"]) == {"feedback"} and set(rows["sentiment"]) <= set(LABELS)
    assert rows["sentiment_score"].between(-1, 1).all()
    # trained on the stars: about the documented held-out share was held out, and marked per text
    assert rows["held_out"].dtype == bool and 0.2 <= rows["held_out"].mean() <= 0.6
    assert rows["text"].str.contains(r"\(visit \d+\)").all()


def test_a_store_that_is_not_the_demo_gets_no_demo_themes(on_reviews, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = on_reviews()("text", "--out", "texts.csv")
    assert result.exit_code == 0, result.stderr
    analysis, proposed_part = result.stdout.split("# Proposed themes")
    said = " ".join(analysis.split())
    assert not [
        name for name in demo_config()["themes"] if name in said
    ]  # (a proposal may happen to share a name)
    rows = pd.read_csv(tmp_path / "texts.csv", keep_default_na=False)
    assert not [c for c in rows.columns if c.startswith("theme_")] and set(rows["themes"]) == {""}
    assert "No themes are configured ([themes] in cxgap.toml)" in said
    # the discovered topics come back as a [themes] section that is valid configuration
    snippet = proposed_part[proposed_part.index("[themes.") : proposed_part.index("Wrote ")]
    proposed = settings_from_dict(tomllib.loads(snippet)).themes
    assert proposed and all(theme.keywords for theme in proposed.values())


def test_configured_themes_get_a_score_column_each(on_reviews, tmp_path: Path) -> None:
    result = on_reviews(THEMES)("text", "--no-discover", "--out", "texts.csv")
    assert result.exit_code == 0, result.stderr
    rows = pd.read_csv(tmp_path / "texts.csv", keep_default_na=False)
    assert {"theme_noise", "theme_breakfast"} <= set(rows.columns)
    noisy = rows["text"].str.startswith("noisy at night")
    carries_noise = rows["themes"].str.split("; ").apply(lambda t: "noise" in t)
    assert carries_noise[noisy].mean() >= 0.9
    assert rows.loc[noisy, "theme_noise"].min() > rows.loc[~noisy, "theme_noise"].max()
    assert "[themes." not in result.stdout  # nothing proposed when themes are configured


def test_the_demo_store_keeps_the_demo_themes(cli, tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'demo.duckdb'}"
    (tmp_path / "cxgap.toml").write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    assert cli("demo", "--customers", "300", "--seed", "3", "--no-analysis", "--no-loop").exit_code == 0
    result = cli("text", "--no-discover", "--out", "demo.csv")
    assert result.exit_code == 0, result.stderr
    columns = pd.read_csv(tmp_path / "demo.csv", nrows=1).columns
    assert {f"theme_{name}" for name in demo_config()["themes"]} <= set(columns)


def test_an_out_file_that_cannot_be_written_is_one_sentence(on_reviews, tmp_path: Path) -> None:
    result = on_reviews(THEMES)("text", "--no-discover", "--out", str(tmp_path / "missing" / "texts.csv"))
    assert result.exit_code == 2
    said = " ".join(result.stderr.split())
    assert "Cannot write" in said and "missing does not exist." in said and "Traceback" not in said
