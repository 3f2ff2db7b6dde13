"""`cxgap metrics` through the real CLI: the same JSON as /api/scores for the same query, each group with n
and its interval in the table, CSV for tools, and one-sentence errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxgap.access import add_user, issue_token
from cxgap.api import create_app
from cxgap.config import load_settings
from cxgap.store import Store
from tests.api.on_demand import ON_DEMAND


@pytest.fixture
def demo_dir(cli, tmp_path: Path) -> Path:
    assert cli("demo", "--customers", "1500", "--no-analysis", "--no-loop").exit_code == 0
    return tmp_path


def _api(folder: Path, queries: list[dict[str, str]]) -> list[Any]:
    """What /api/scores serves for each query, on the store and settings the CLI used."""
    settings = load_settings(folder / "cxgap.toml").model_copy(update={"server": ON_DEMAND})
    with Store(settings.store.url) as store:
        add_user(store, "ana", "analyst")
        headers = {"Authorization": f"Bearer {issue_token(store, 'ana')}"}
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            return [client.get("/api/scores", params=q, headers=headers).json() for q in queries]
    finally:
        app.state.store.close()


def test_the_json_is_what_the_api_serves_for_the_same_query(cli, demo_dir: Path) -> None:
    queries = [
        {"metric": "nps"},
        {"metric": "csat", "by": "touchpoint,period"},
        {"metric": "ces_easy", "by": "segment", "since": "2024-01", "until": "2024-12", "channel": "phone"},
        {"metric": "nps", "by": "period", "period": "quarter"},  # the API ignored `period` (months)
    ]
    printed = []
    for query in queries:
        options = [part for key, value in query.items() for part in (f"--{key}", value)]
        result = cli("metrics", *options, "--json")
        assert result.exit_code == 0, result.stderr
        printed.append(json.loads(result.stdout))
    assert printed == _api(demo_dir, queries)
    assert printed[1]["by"] == ["survey_kind", "touchpoint", "period"] and len(printed[1]["scores"]) > 10
    assert {c["group"]["period"][5:10] for c in printed[3]["scores"]} <= {"01-01", "04-01", "07-01", "10-01"}
    cell = printed[0]["scores"][0]
    assert cell["group"] == {"survey_kind": "relational"} and cell["n"] > 100 and cell["low"] < cell["high"]


def test_the_table_shows_each_group_with_n_and_interval_or_insufficient_data(cli, demo_dir: Path) -> None:
    result = cli("metrics", "--metric", "csat", "--by", "touchpoint,period", "--period", "quarter")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "CSAT 1-5" in text and "value [95% interval], n" in text
    assert "insufficient data, n=" in text and "Below 30 answers a score reads 'insufficient data'" in text
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in text.splitlines() if "│" in line]
    periods = {row[2] for row in rows[1:]}
    assert periods and all(p[4:] in {"-01-01", "-04-01", "-07-01", "-10-01"} for p in periods)
    assert all(" [" in row[3] and ", n=" in row[3] or row[3].startswith("insufficient") for row in rows[1:])


def test_csv_gives_one_row_per_group(cli, demo_dir: Path) -> None:
    result = cli("metrics", "--by", "segment", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "survey_kind,segment,metric,n,value,low,high,status"
    assert len(lines) > 2 and all(line.startswith("relational,") for line in lines[1:])


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (("--by", "colour"), "Cannot group by 'colour'; choose from survey_kind, touchpoint"),
        (("--metric", "happiness"), "Unknown metric 'happiness'; choose one of nps, csat"),
        (("--period", "week"), "period = 'week' is not one of month, quarter, year."),
        (("--segment", "nobody"), "segment"),
        (("--since", "2024-13"), "since"),
    ],
)
def test_a_wrong_option_is_one_sentence(cli, demo_dir: Path, options: tuple[str, str], said: str) -> None:
    result = cli("metrics", *options)
    text = " ".join(result.stderr.split())
    assert result.exit_code == 2 and said in text and "Traceback" not in text
